package portal

import (
	"fmt"
	"strconv"
)

// PersonalID is a parsed 12-digit citizen identification number (số định danh
// cá nhân): 3 digits of birth-registration province, 1 digit of gender and
// century, 2 digits of birth year, 6 random digits.
type PersonalID struct {
	Number       string
	ProvinceCode string
	Female       bool
	BirthYear    int // full year, e.g. 1990
}

// ProvinceCodes maps the birth-registration province codes used in personal
// IDs (the 63 provinces before the 2025 merger, as the IDs already issued
// still carry them) to province names.
var ProvinceCodes = map[string]string{
	"001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn", "008": "Tuyên Quang",
	"010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu", "014": "Sơn La", "015": "Yên Bái",
	"017": "Hòa Bình", "019": "Thái Nguyên", "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang",
	"025": "Phú Thọ", "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
	"033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định", "037": "Ninh Bình",
	"038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh", "044": "Quảng Bình", "045": "Quảng Trị",
	"046": "Thừa Thiên Huế", "048": "Đà Nẵng", "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định",
	"054": "Phú Yên", "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
	"064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng", "070": "Bình Phước",
	"072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai", "077": "Bà Rịa - Vũng Tàu", "079": "Hồ Chí Minh",
	"080": "Long An", "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
	"087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ", "093": "Hậu Giang",
	"094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}

// ParsePersonalID checks the structure of a personal ID and returns its parts.
// It does not know whether the person exists; the population database does.
func ParsePersonalID(s string) (PersonalID, error) {
	if len(s) != 12 {
		return PersonalID{}, Errorf(EINVALID, "personal ID must have 12 digits, got %d characters", len(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return PersonalID{}, Errorf(EINVALID, "personal ID must contain only digits (position %d is %q)", i+1, s[i])
		}
	}
	id := PersonalID{Number: s, ProvinceCode: s[:3]}
	if _, ok := ProvinceCodes[id.ProvinceCode]; !ok {
		return PersonalID{}, Errorf(EINVALID, "personal ID starts with %s, which is not a province code", id.ProvinceCode)
	}
	gc := int(s[3] - '0')
	yy, _ := strconv.Atoi(s[4:6])
	id.Female = gc%2 == 1
	id.BirthYear = 1900 + 100*(gc/2) + yy
	return id, nil
}

// ValidateBirthYear checks the ID's birth year is plausible on the day now.
func (id PersonalID) ValidateBirthYear(nowYear int) error {
	if id.BirthYear > nowYear || id.BirthYear < nowYear-130 {
		return Errorf(EINVALID, "personal ID encodes birth year %d, which is not plausible", id.BirthYear)
	}
	return nil
}

// FormatPersonalID builds a personal ID from its parts; seq is the last six digits.
func FormatPersonalID(provinceCode string, female bool, birthYear int, seq int) string {
	gc := 2 * ((birthYear - 1900) / 100)
	if female {
		gc++
	}
	return fmt.Sprintf("%s%d%02d%06d", provinceCode, gc, birthYear%100, seq%1000000)
}
