package mock

import (
	"context"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/portalsim/portalsim/portal"
)

// DefaultPopulationSize is the number of synthetic citizens a portal knows
// unless told otherwise.
const DefaultPopulationSize = 1_000_000

// The personal IDs of synthetic citizens: every birth-registration province
// code, birth years 1945–2007, both genders, and six-digit sequences from
// 001000 up. Sequences below 1000 are left to the portal's own accounts
// (officers 001085000001…, admin 001080000001), so they never collide.
const (
	firstBirthYear = 1945
	birthYears     = 2007 - firstBirthYear + 1
	seqFirst       = 1000
	seqCount       = 1_000_000 - seqFirst
	// idMultiplier scatters consecutive citizens over provinces, years and
	// sequences; it is prime and shares no factor with idCapacity.
	idMultiplier = 2654435761
	idOffset     = 977_313_577
)

// provinceCodes is the fixed, sorted list of province codes citizens are
// born in.
var provinceCodes = func() []string {
	codes := make([]string, 0, len(portal.ProvinceCodes))
	for c := range portal.ProvinceCodes {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return codes
}()

// idCapacity is the number of distinct citizen IDs the scheme can encode.
var idCapacity = int64(len(provinceCodes)) * birthYears * 2 * seqCount

// PopulationCapacity is the largest population the ID scheme can encode.
func PopulationCapacity() int64 { return idCapacity }

// Population is a deterministic national population database: citizen i is
// computed from i on demand, never stored, so a million citizens cost no
// memory and every run sees the same people.
type Population struct {
	size int
}

var _ portal.Population = (*Population)(nil)

// NewPopulation returns a population of size citizens (DefaultPopulationSize
// when size ≤ 0, at most PopulationCapacity()).
func NewPopulation(size int) *Population {
	if size <= 0 {
		size = DefaultPopulationSize
	}
	if int64(size) > idCapacity {
		size = int(idCapacity)
	}
	return &Population{size: size}
}

// Size is the number of citizens.
func (p *Population) Size() int { return p.size }

// CitizenID returns the personal ID of synthetic citizen i, or "" when i is
// outside 0 ≤ i < PopulationCapacity(). It does not depend on the population
// size, so the harness can feed IDs without holding a Population.
func CitizenID(i int) string {
	if i < 0 || int64(i) >= idCapacity {
		return ""
	}
	province, female, year, seq := idParts(int64(i))
	return portal.FormatPersonalID(province, female, year, seq)
}

// CitizenIndex decodes a personal ID back to its citizen index; ok is false
// for IDs that are not synthetic citizens'.
func CitizenIndex(personalID string) (int64, bool) {
	id, err := portal.ParsePersonalID(personalID)
	if err != nil {
		return 0, false
	}
	p := sort.SearchStrings(provinceCodes, id.ProvinceCode)
	seq := int64(0)
	for _, c := range personalID[6:] {
		seq = seq*10 + int64(c-'0')
	}
	y := id.BirthYear - firstBirthYear
	if p == len(provinceCodes) || provinceCodes[p] != id.ProvinceCode || y < 0 || y >= birthYears || seq < seqFirst {
		return 0, false
	}
	g := int64(0)
	if id.Female {
		g = 1
	}
	// The century digit must be the canonical one for the year.
	if portal.FormatPersonalID(id.ProvinceCode, id.Female, id.BirthYear, int(seq)) != personalID {
		return 0, false
	}
	j := (((seq-seqFirst)*2+g)*birthYears+int64(y))*int64(len(provinceCodes)) + int64(p)
	return mulMod(uint64((j-idOffset%idCapacity+idCapacity)%idCapacity), idInverse(), uint64(idCapacity)), true
}

// idParts maps citizen i to the parts of its ID through the bijection
// j = (i·idMultiplier + idOffset) mod capacity.
func idParts(i int64) (province string, female bool, year, seq int) {
	j := (mulMod(uint64(i), idMultiplier, uint64(idCapacity)) + idOffset) % idCapacity
	n := int64(len(provinceCodes))
	province = provinceCodes[j%n]
	j /= n
	year = firstBirthYear + int(j%birthYears)
	j /= birthYears
	female = j%2 == 1
	seq = seqFirst + int(j/2)
	return province, female, year, seq
}

// mulMod returns a·b mod m without overflow.
func mulMod(a, b, m uint64) int64 {
	hi, lo := bits.Mul64(a%m, b%m)
	return int64(bits.Rem64(hi, lo, m))
}

// idInverse is idMultiplier's inverse modulo the capacity (extended Euclid).
func idInverse() uint64 {
	m := idCapacity
	t, newT := int64(0), int64(1)
	r, newR := m, int64(idMultiplier)%m
	for newR != 0 {
		q := r / newR
		t, newT = newT, t-q*newT
		r, newR = newR, r-q*newR
	}
	if t < 0 {
		t += m
	}
	return uint64(t)
}

// Person returns the citizen with that personal ID, or ENOTFOUND.
func (p *Population) Person(ctx context.Context, personalID string) (*portal.Person, error) {
	if err := ctx.Err(); err != nil {
		return nil, portal.Errorf(portal.EUNAVAILABLE, "population database: %v", err)
	}
	i, ok := CitizenIndex(personalID)
	if !ok || i >= int64(p.size) {
		return nil, portal.Errorf(portal.ENOTFOUND, "no citizen with personal ID %q in the population database", personalID)
	}
	return person(i, personalID), nil
}

// Citizen returns synthetic citizen i, or ENOTFOUND when i is out of range.
func (p *Population) Citizen(i int) (*portal.Person, error) {
	if i < 0 || i >= p.size {
		return nil, portal.Errorf(portal.ENOTFOUND, "citizen %d is outside the population of %d", i, p.size)
	}
	return person(int64(i), CitizenID(i)), nil
}

// weighted is a value with a relative frequency.
type weighted struct {
	value  string
	weight int
}

// Family names with their approximate shares of the population (per mille).
var familyNames = []weighted{
	{"Nguyễn", 380}, {"Trần", 110}, {"Lê", 95}, {"Phạm", 70}, {"Hoàng", 51}, {"Huỳnh", 30},
	{"Phan", 45}, {"Vũ", 39}, {"Võ", 30}, {"Đặng", 21}, {"Bùi", 20}, {"Đỗ", 14},
	{"Hồ", 13}, {"Ngô", 13}, {"Dương", 10}, {"Lý", 5},
}

var (
	middleNamesMale   = []string{"Văn", "Hữu", "Đức", "Minh", "Quang", "Thành", "Công", "Xuân", "Anh", "Hoàng"}
	middleNamesFemale = []string{"Thị", "Ngọc", "Thu", "Thanh", "Hồng", "Minh", "Phương", "Kim", "Bích", "Thùy"}
	givenNamesMale    = []string{"An", "Bình", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hùng", "Huy", "Khánh",
		"Khoa", "Long", "Nam", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Trung", "Tuấn", "Việt", "Vinh"}
	givenNamesFemale = []string{"Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh",
		"Mai", "Ngân", "Nhung", "Phương", "Quỳnh", "Thảo", "Trang", "Uyên", "Vy", "Yến", "Hằng", "Loan"}
	ethnicities = []weighted{
		{"Kinh", 853}, {"Tày", 19}, {"Thái", 18}, {"Mường", 15}, {"Khmer", 13}, {"Mông", 14},
		{"Nùng", 11}, {"Hoa", 8}, {"Dao", 9}, {"Gia Rai", 5}, {"Ê Đê", 4}, {"Ba Na", 3}, {"Sán Chay", 2},
		{"Chăm", 2}, {"Cơ Ho", 2}, {"Xơ Đăng", 2}, {"Sán Dìu", 2}, {"Hrê", 2}, {"Ra Glai", 1}, {"Mnông", 1},
	}
	streets = []string{"Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt",
		"Nguyễn Huệ", "Lê Duẩn", "Hùng Vương", "Phan Chu Trinh", "Điện Biên Phủ", "Nguyễn Du", "Trần Phú",
		"Bà Triệu", "Lê Lai", "Hoàng Diệu", "Võ Thị Sáu", "Nguyễn Văn Cừ", "Phạm Văn Đồng", "Ngô Quyền"}
	wards = []string{"phường Trung Tâm", "phường Đông", "phường Tây", "phường Nam", "phường Bắc", "xã Tân Lập",
		"xã Hòa Bình", "xã Phú Mỹ", "xã An Thịnh", "phường Thành Công", "xã Đại Đồng", "phường Hòa Hiệp"}
	// Mobile prefixes of the three big networks, all matching ^0[35789].
	mobilePrefixes = []string{"086", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039",
		"088", "091", "094", "083", "084", "085", "081", "082", "089", "090", "093", "070", "076", "077", "078", "079",
		"056", "058", "092", "099", "059"}
)

// person computes citizen i's record. Every attribute comes from a hash of
// i, so records are stable across runs and processes.
func person(i int64, personalID string) *portal.Person {
	id, _ := portal.ParsePersonalID(personalID) // built by FormatPersonalID: valid
	h := &hashStream{state: uint64(i)*0x9e3779b97f4a7c15 + 0x2545f4914f6cdd1d}
	family := pickWeighted(familyNames, h.intn(1000*len(familyNames)))
	var middle, given, gender string
	if id.Female {
		middle, given, gender = middleNamesFemale[h.intn(len(middleNamesFemale))], givenNamesFemale[h.intn(len(givenNamesFemale))], "Nữ"
	} else {
		middle, given, gender = middleNamesMale[h.intn(len(middleNamesMale))], givenNamesMale[h.intn(len(givenNamesMale))], "Nam"
	}
	dayOfYear := h.intn(365)
	dob := time.Date(id.BirthYear, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, dayOfYear)
	province := portal.ProvinceCodes[id.ProvinceCode]
	address := fmt.Sprintf("Số %d đường %s, tổ %d, %s, %s", 1+h.intn(399), streets[h.intn(len(streets))],
		1+h.intn(30), wards[h.intn(len(wards))], province)
	phone := fmt.Sprintf("%s%07d", mobilePrefixes[h.intn(len(mobilePrefixes))], h.intn(10_000_000))
	fullName := family + " " + middle + " " + given
	email := fmt.Sprintf("%s.%s%d@example.com", asciiFold(given), asciiFold(family), i)
	return &portal.Person{
		PersonalID:  personalID,
		FullName:    fullName,
		DateOfBirth: dob.Format(time.DateOnly),
		Gender:      gender,
		Ethnicity:   pickWeighted(ethnicities, h.intn(1000*len(ethnicities))),
		Nationality: "Việt Nam",
		Province:    province,
		Address:     address,
		Phone:       phone,
		Email:       email,
	}
}

// pickWeighted picks by weight; r is any number ≥ 0, reduced modulo the total.
func pickWeighted(ws []weighted, r int) string {
	total := 0
	for _, w := range ws {
		total += w.weight
	}
	r %= total
	for _, w := range ws {
		if r < w.weight {
			return w.value
		}
		r -= w.weight
	}
	return ws[len(ws)-1].value
}

// hashStream is splitmix64: a fixed generator, so people never change
// when the standard library's generators do.
type hashStream struct{ state uint64 }

func (h *hashStream) intn(n int) int {
	h.state += 0x9e3779b97f4a7c15
	z := h.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int(z % uint64(n))
}

// asciiFold lower-cases s and drops Vietnamese diacritics and spaces, for
// e-mail local parts.
func asciiFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r == 'đ' || r == 'Đ':
			b.WriteByte('d')
		case r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
