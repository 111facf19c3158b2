package portal_test

import (
	"testing"

	"github.com/portalsim/portalsim/portal"
)

func FuzzParsePersonalID(f *testing.F) {
	for _, s := range []string{"001085000001", "079190123456", "003085000001", "00108500000A", "", "0010850000011", "٠٠١٠٨٥٠٠٠٠٠١", "001985000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := portal.ParsePersonalID(s)
		if err != nil {
			if portal.ErrorCode(err) != portal.EINVALID {
				t.Fatalf("error code %s for %q", portal.ErrorCode(err), s)
			}
			return
		}
		if len(s) != 12 || id.Number != s || portal.ProvinceCodes[id.ProvinceCode] == "" {
			t.Fatalf("accepted %q as %+v", s, id)
		}
		// Parsing and formatting agree on every accepted ID.
		seq := 0
		for _, c := range s[6:] {
			seq = seq*10 + int(c-'0')
		}
		if back := portal.FormatPersonalID(id.ProvinceCode, id.Female, id.BirthYear, seq); back != s {
			t.Fatalf("FormatPersonalID(%+v) = %q, parsed from %q", id, back, s)
		}
	})
}

// FuzzValidateForm feeds arbitrary values to every field type: validation
// must never panic, report at most one error per field, and name only
// fields of the form or the procedure.
func FuzzValidateForm(f *testing.F) {
	seeds := [][2]string{
		{"applicant_name", "Lê Văn An"}, {"applicant_id", "001085000001"}, {"child_dob", "2026-03-01"},
		{"child_dob", "2026-02-30"}, {"child_gender", "Nữ"}, {"phone", "+84912345678"}, {"email", "a@b.vn"},
		{"copies", "1e308"}, {"copies", "NaN"}, {"agree", "true"}, {"licence", "012345678901"},
		{"note", "a\x00b"}, {"note", "\xff"}, {"unknown", "x"}, {"", ""},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], "applicant_name", "Trần Thị Bình")
	}
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		p := birthProcedure()
		form := validBirthForm()
		form[k1] = v1
		form[k2] = v2
		errs := p.ValidateForm(form, vn(2026, 3, 10, 10, 0))
		seen := map[string]bool{}
		for _, e := range errs {
			if seen[e.Field] {
				t.Fatalf("two errors for field %q: %v", e.Field, errs)
			}
			seen[e.Field] = true
			if _, known := p.Field(e.Field); !known {
				if _, inForm := form[e.Field]; !inForm {
					t.Fatalf("error names %q, neither a field nor a form key", e.Field)
				}
			}
			if e.Message == "" {
				t.Fatalf("empty message for %q", e.Field)
			}
		}
		// A form with no errors has no unknown fields.
		if len(errs) == 0 {
			for k := range form {
				if _, ok := p.Field(k); !ok {
					t.Fatalf("unknown field %q accepted", k)
				}
			}
		}
	})
}
