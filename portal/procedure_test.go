package portal_test

import (
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

func float(v float64) *float64 { return &v }

// birthProcedure is a small birth-registration-like procedure covering
// every field type and rule.
func birthProcedure() *portal.Procedure {
	return &portal.Procedure{Code: "1.001193", Fields: []portal.FormField{
		{Name: "applicant_name", Type: portal.FieldText, Required: true, MinLength: 2, MaxLength: 10},
		{Name: "applicant_id", Type: portal.FieldPersonalID, Required: true},
		{Name: "child_dob", Type: portal.FieldDate, Required: true, NotAfterToday: true, WithinDays: 60},
		{Name: "child_gender", Type: portal.FieldSelect, Required: true, Options: []string{"Nam", "Nữ"}},
		{Name: "phone", Type: portal.FieldPhone},
		{Name: "email", Type: portal.FieldEmail},
		{Name: "copies", Type: portal.FieldNumber, Min: float(1), Max: float(10)},
		{Name: "agree", Type: portal.FieldCheckbox, Required: true},
		{Name: "licence", Type: portal.FieldText, Pattern: "[0-9]{12}"},
		{Name: "note", Type: portal.FieldTextarea},
	}}
}

func validBirthForm() map[string]string {
	return map[string]string{
		"applicant_name": "Lê Văn An", "applicant_id": "001085000001", "child_dob": "2026-03-01",
		"child_gender": "Nữ", "phone": "0912345678", "email": "an@example.com", "copies": "2",
		"agree": "true", "licence": "012345678901", "note": "Xin cảm ơn",
	}
}

func TestValidateForm(t *testing.T) {
	today := vn(2026, 3, 10, 10, 0)
	tests := []struct {
		name   string
		change map[string]string // "" deletes the field
		want   map[string]string // field → part of the message
	}{
		{"valid", nil, nil},
		{"required missing", map[string]string{"applicant_name": "", "child_gender": ""},
			map[string]string{"applicant_name": "is required", "child_gender": "is required"}},
		{"blank is missing", map[string]string{"applicant_name": "   "}, map[string]string{"applicant_name": "is required"}},
		{"optional may be absent", map[string]string{"phone": "", "email": "", "copies": "", "note": ""}, nil},
		{"too short", map[string]string{"applicant_name": "A"}, map[string]string{"applicant_name": "at least 2 characters"}},
		{"too long in characters", map[string]string{"applicant_name": "Nguyễn Thị Hồng"}, map[string]string{"applicant_name": "at most 10 characters"}},
		{"diacritics count as one character", map[string]string{"applicant_name": "Đỗ Thị Ửng"}, nil},
		{"default textarea limit", map[string]string{"note": strings.Repeat("x", 2001)}, map[string]string{"note": "at most 2000"}},
		{"byte limit", map[string]string{"note": strings.Repeat("x", portal.MaxFieldBytes+1)}, map[string]string{"note": "bytes long"}},
		{"control character", map[string]string{"note": "a\x00b"}, map[string]string{"note": "control characters"}},
		{"invalid UTF-8", map[string]string{"note": "a\xffb"}, map[string]string{"note": "UTF-8"}},
		{"bad personal ID", map[string]string{"applicant_id": "12345"}, map[string]string{"applicant_id": "12 digits"}},
		{"date format", map[string]string{"child_dob": "01/03/2026"}, map[string]string{"child_dob": "YYYY-MM-DD"}},
		{"impossible date", map[string]string{"child_dob": "2026-02-30"}, map[string]string{"child_dob": "not a valid date"}},
		{"date in the future", map[string]string{"child_dob": "2026-03-11"}, map[string]string{"child_dob": "future"}},
		{"date today", map[string]string{"child_dob": "2026-03-10"}, nil},
		{"birth exactly 60 days ago", map[string]string{"child_dob": "2026-01-09"}, nil},
		{"birth 61 days ago", map[string]string{"child_dob": "2026-01-08"}, map[string]string{"child_dob": "within the last 60 days"}},
		{"select", map[string]string{"child_gender": "Khác"}, map[string]string{"child_gender": "one of Nam, Nữ"}},
		{"select is exact", map[string]string{"child_gender": "nam"}, map[string]string{"child_gender": "one of"}},
		{"phone +84", map[string]string{"phone": "+84912345678"}, nil},
		{"phone landline", map[string]string{"phone": "0243826888"}, map[string]string{"phone": "mobile number"}},
		{"phone too short", map[string]string{"phone": "091234567"}, map[string]string{"phone": "mobile number"}},
		{"email", map[string]string{"email": "not-an-email"}, map[string]string{"email": "e-mail address"}},
		{"email with a name", map[string]string{"email": "An <an@example.com>"}, map[string]string{"email": "e-mail address"}},
		{"number", map[string]string{"copies": "two"}, map[string]string{"copies": "a number"}},
		{"number below min", map[string]string{"copies": "0"}, map[string]string{"copies": "at least 1"}},
		{"number above max", map[string]string{"copies": "11"}, map[string]string{"copies": "at most 10"}},
		{"checkbox", map[string]string{"agree": "yes"}, map[string]string{"agree": "true or false"}},
		{"checkbox false is present", map[string]string{"agree": "false"}, nil},
		{"pattern", map[string]string{"licence": "12345"}, map[string]string{"licence": "wrong format"}},
		{"pattern is anchored", map[string]string{"licence": "0123456789012"}, map[string]string{"licence": "wrong format"}},
		{"unknown fields", map[string]string{"zeta": "1", "alpha": "2"},
			map[string]string{"alpha": "not a field of procedure 1.001193", "zeta": "not a field"}},
		{"every error at once", map[string]string{"applicant_name": "", "applicant_id": "x", "child_dob": "2030-01-01",
			"child_gender": "?", "phone": "1", "email": "@", "copies": "-1", "agree": "maybe", "licence": "a", "extra": "1"},
			map[string]string{"applicant_name": "required", "applicant_id": "12 digits", "child_dob": "future", "child_gender": "one of",
				"phone": "mobile", "email": "e-mail", "copies": "at least", "agree": "true or false", "licence": "format", "extra": "not a field"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := validBirthForm()
			for k, v := range tt.change {
				if v == "" {
					delete(form, k)
				} else {
					form[k] = v
				}
			}
			errs := birthProcedure().ValidateForm(form, today)
			got := map[string]string{}
			for _, e := range errs {
				if _, dup := got[e.Field]; dup {
					t.Errorf("two errors for %s", e.Field)
				}
				got[e.Field] = e.Message
			}
			if len(got) != len(tt.want) {
				t.Errorf("errors %v, want fields %v", errs, tt.want)
			}
			for f, part := range tt.want {
				if !strings.Contains(got[f], part) {
					t.Errorf("%s: message %q, want it to mention %q", f, got[f], part)
				}
			}
		})
	}
}

// Errors come in field order, unknown fields last in name order.
func TestValidateFormOrder(t *testing.T) {
	form := map[string]string{"zeta": "1", "alpha": "1"}
	errs := birthProcedure().ValidateForm(form, vn(2026, 3, 10, 10, 0))
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	want := "applicant_name applicant_id child_dob child_gender agree alpha zeta"
	if strings.Join(fields, " ") != want {
		t.Fatalf("order %v, want %s", fields, want)
	}
}

func TestValidateFormTooManyFields(t *testing.T) {
	form := map[string]string{}
	for i := 0; i <= portal.MaxFormFields; i++ {
		form[strings.Repeat("f", i+1)] = "x"
	}
	errs := birthProcedure().ValidateForm(form, time.Now())
	if len(errs) != 1 || errs[0].Field != "form" {
		t.Fatalf("errors %v, want one error on form", errs)
	}
}

func TestOnlineFee(t *testing.T) {
	tests := []struct{ fee, online, want int64 }{
		{0, 0, 0}, {20000, 10000, 10000}, {135000, 0, 135000}, {8000, 8000, 8000},
	}
	for _, tt := range tests {
		p := &portal.Procedure{Fee: tt.fee, FeeOnline: tt.online}
		if got := p.OnlineFee(); got != tt.want {
			t.Errorf("fee %d online %d: OnlineFee() = %d, want %d", tt.fee, tt.online, got, tt.want)
		}
	}
}
