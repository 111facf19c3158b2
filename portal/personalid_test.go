package portal_test

import (
	"strings"
	"testing"

	"github.com/portalsim/portalsim/portal"
)

func TestParsePersonalID(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		province string
		female   bool
		year     int
		errHas   string
	}{
		{name: "man born 1985 in Hà Nội", in: "001085000001", province: "001", year: 1985},
		{name: "woman born 1990 in Hồ Chí Minh", in: "079190123456", province: "079", female: true, year: 1990},
		{name: "man born 2005", in: "048205999999", province: "048", year: 2005},
		{name: "woman born 2000", in: "096300000000", province: "096", female: true, year: 2000},
		{name: "century digit 4 is the 2100s", in: "001400000001", province: "001", year: 2100},
		{name: "too short", in: "00108500000", errHas: "12 digits, got 11"},
		{name: "too long", in: "0010850000011", errHas: "12 digits, got 13"},
		{name: "empty", in: "", errHas: "12 digits, got 0"},
		{name: "letter", in: "00108500000A", errHas: "position 12"},
		{name: "space", in: "001 85000001", errHas: "position 4"},
		{name: "multi-byte digits", in: "٠٠١٠٨٥٠٠٠٠٠١", errHas: "12 digits"},
		{name: "not a province", in: "003085000001", errHas: "003"},
		{name: "province 000", in: "000085000001", errHas: "not a province code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := portal.ParsePersonalID(tt.in)
			if tt.errHas != "" {
				if err == nil || portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(err.Error(), tt.errHas) {
					t.Fatalf("error %v, want EINVALID mentioning %q", err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.Number != tt.in || id.ProvinceCode != tt.province || id.Female != tt.female || id.BirthYear != tt.year {
				t.Fatalf("got %+v", id)
			}
			if back := portal.FormatPersonalID(id.ProvinceCode, id.Female, id.BirthYear, atoi(tt.in[6:])); back != tt.in {
				t.Fatalf("FormatPersonalID round trip = %s", back)
			}
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestValidateBirthYear(t *testing.T) {
	cases := []struct {
		year, now int
		ok        bool
	}{
		{1985, 2026, true}, {2026, 2026, true}, {2027, 2026, false}, {1896, 2026, true}, {1895, 2026, false},
	}
	for _, c := range cases {
		id := portal.PersonalID{BirthYear: c.year}
		if err := id.ValidateBirthYear(c.now); (err == nil) != c.ok {
			t.Errorf("birth year %d in %d: err %v, want ok %v", c.year, c.now, err, c.ok)
		}
	}
}
