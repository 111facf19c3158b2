package catalog

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// sampleText holds plausible values for the free-text fields of the real
// procedures, so sample dossiers read like real ones.
var sampleText = map[string]string{
	"child_name": "Nguyễn Minh An", "mother_name": "Trần Thị Lan", "father_name": "Nguyễn Văn Hùng",
	"child_birthplace": "Bệnh viện Phụ sản Hà Nội", "deceased_name": "Phạm Văn Bình", "place_of_death": "Tại nhà riêng",
	"partner_name": "Lê Thị Hoa", "partner_address": "Số 5 đường Trần Phú, phường Ba Đình, Hà Nội",
	"subject_name": "Phạm Văn Bình", "birthplace": "Hà Nội", "purpose": "Bổ sung hồ sơ xin việc",
	"residence_address": "Số 12 đường Lê Lợi, phường Hoàn Kiếm, Hà Nội", "temporary_address": "Số 8 ngõ 20 phố Huế, Hà Nội",
	"delivery_address": "Số 12 đường Lê Lợi, phường Hoàn Kiếm, Hà Nội", "registered_hospital": "Trạm Y tế phường Hoàn Kiếm",
	"enterprise_name": "Doanh nghiệp tư nhân Minh An", "head_office_address": "Số 1 đường Nguyễn Huệ, Thành phố Hồ Chí Minh",
	"business_lines": "Bán lẻ lương thực, thực phẩm (4721)", "business_name": "Hộ kinh doanh Tạp hóa Minh An",
	"business_address":     "Số 3 đường Hùng Vương, phường Phú Nhuận, Thành phố Hồ Chí Minh",
	"construction_address": "Thửa đất số 125, tờ bản đồ số 12, xã Tân Lập", "last_employer": "Công ty TNHH May Việt Tiến",
	"bank_name": "Ngân hàng TMCP Ngoại thương Việt Nam", "cause_of_death": "Bệnh già",
}

// patternSamples are tried, in order, against a field's pattern.
var patternSamples = []string{"012345678901", "0123456789", "1234", "12", "HN1234567890123"}

// SampleForm returns a form for p that passes p.ValidateForm on day today:
// prefillable fields from person (when not nil), and plausible values for
// every other required field. Optional fields without a prefill are left
// out. Demos and tests use it to submit valid dossiers for any procedure.
func SampleForm(p *portal.Procedure, person *portal.Person, today time.Time) map[string]string {
	form := map[string]string{}
	for _, f := range p.Fields {
		if f.Prefill != "" && person != nil {
			if v := person.Attribute(f.Prefill); v != "" {
				form[f.Name] = v
				continue
			}
		}
		if f.Required {
			form[f.Name] = sampleValue(f, today)
		}
	}
	return form
}

func sampleValue(f portal.FormField, today time.Time) string {
	switch f.Type {
	case portal.FieldDate:
		return today.In(portal.VietnamTime).AddDate(0, 0, -10).Format(time.DateOnly)
	case portal.FieldNumber:
		x := 1.0
		if f.Min != nil && *f.Min > x {
			x = *f.Min
		}
		if f.Max != nil && *f.Max < x {
			x = *f.Max
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case portal.FieldSelect:
		return f.Options[0]
	case portal.FieldPersonalID:
		return portal.FormatPersonalID("001", false, 1950, 123456)
	case portal.FieldPhone:
		return "0912345678"
	case portal.FieldEmail:
		return "congdan@example.com"
	case portal.FieldCheckbox:
		return "true"
	}
	if f.Pattern != "" {
		if re, err := regexp.Compile("^(?:" + f.Pattern + ")$"); err == nil {
			for _, s := range patternSamples {
				if re.MatchString(s) {
					return s
				}
			}
		}
	}
	v, ok := sampleText[f.Name]
	if !ok {
		v = "Nội dung kê khai mẫu"
	}
	if n := len([]rune(v)); n < f.MinLength {
		v += strings.Repeat(".", f.MinLength-n)
	}
	if f.MaxLength > 0 && len([]rune(v)) > f.MaxLength {
		v = string([]rune(v)[:f.MaxLength])
	}
	return v
}
