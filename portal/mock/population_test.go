package mock

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

var phoneRE = regexp.MustCompile(`^(\+84|0)[35789][0-9]{8}$`)

// indices returns a spread of citizen indices: the edges and a stride.
func indices(size int) []int {
	out := []int{0, 1, 2, size / 2, size - 2, size - 1}
	for i := 7; i < size; i += 9973 {
		out = append(out, i)
	}
	return out
}

func TestPopulationRoundTrip(t *testing.T) {
	ctx := context.Background()
	pop := NewPopulation(0)
	if pop.Size() != DefaultPopulationSize {
		t.Fatalf("Size() = %d, want %d", pop.Size(), DefaultPopulationSize)
	}
	seen := map[string]int{}
	for _, i := range indices(pop.Size()) {
		id := CitizenID(i)
		if prev, dup := seen[id]; dup {
			t.Fatalf("CitizenID(%d) = CitizenID(%d) = %s", i, prev, id)
		}
		seen[id] = i
		got, ok := CitizenIndex(id)
		if !ok || got != int64(i) {
			t.Fatalf("CitizenIndex(CitizenID(%d) = %s) = %d, %v", i, id, got, ok)
		}
		p, err := pop.Person(ctx, id)
		if err != nil {
			t.Fatalf("Person(%s) for citizen %d: %v", id, i, err)
		}
		checkPerson(t, id, p)
	}
}

func checkPerson(t *testing.T, id string, p *portal.Person) {
	t.Helper()
	pid, err := portal.ParsePersonalID(id)
	if err != nil {
		t.Fatalf("ParsePersonalID(%s): %v", id, err)
	}
	if p.PersonalID != id {
		t.Errorf("%s: PersonalID = %s", id, p.PersonalID)
	}
	dob, err := time.Parse(time.DateOnly, p.DateOfBirth)
	if err != nil || dob.Year() != pid.BirthYear {
		t.Errorf("%s: DateOfBirth %q does not match birth year %d (%v)", id, p.DateOfBirth, pid.BirthYear, err)
	}
	if pid.BirthYear < 1945 || pid.BirthYear > 2007 {
		t.Errorf("%s: birth year %d outside 1945–2007", id, pid.BirthYear)
	}
	if want := map[bool]string{false: "Nam", true: "Nữ"}[pid.Female]; p.Gender != want {
		t.Errorf("%s: Gender = %q, want %q", id, p.Gender, want)
	}
	if want := portal.ProvinceCodes[pid.ProvinceCode]; p.Province != want || !strings.HasSuffix(p.Address, ", "+want) {
		t.Errorf("%s: Province %q / Address %q, want province %q", id, p.Province, p.Address, want)
	}
	if parts := strings.Fields(p.FullName); len(parts) < 3 {
		t.Errorf("%s: FullName %q has fewer than 3 parts", id, p.FullName)
	}
	if !phoneRE.MatchString(p.Phone) {
		t.Errorf("%s: Phone %q does not match %s", id, p.Phone, phoneRE)
	}
	if p.Nationality != "Việt Nam" || p.Ethnicity == "" || !strings.Contains(p.Email, "@") {
		t.Errorf("%s: Nationality %q, Ethnicity %q, Email %q", id, p.Nationality, p.Ethnicity, p.Email)
	}
}

// The prefilled values must pass the portal's own form rules.
func TestPersonPassesFormRules(t *testing.T) {
	proc := &portal.Procedure{Code: "x", Fields: []portal.FormField{
		{Name: "full_name", Type: portal.FieldText, Required: true, MaxLength: 100},
		{Name: "personal_id", Type: portal.FieldPersonalID, Required: true},
		{Name: "date_of_birth", Type: portal.FieldDate, Required: true, NotAfterToday: true},
		{Name: "gender", Type: portal.FieldSelect, Required: true, Options: []string{"Nam", "Nữ"}},
		{Name: "phone", Type: portal.FieldPhone, Required: true},
		{Name: "email", Type: portal.FieldEmail, Required: true},
		{Name: "address", Type: portal.FieldText, Required: true, MaxLength: 300},
		{Name: "ethnicity", Type: portal.FieldText, Required: true, MaxLength: 50},
		{Name: "nationality", Type: portal.FieldText, Required: true, MaxLength: 50},
		{Name: "province", Type: portal.FieldText, Required: true, MaxLength: 100},
	}}
	pop := NewPopulation(100_000)
	for i := 0; i < pop.Size(); i += 997 {
		p, err := pop.Citizen(i)
		if err != nil {
			t.Fatal(err)
		}
		form := map[string]string{}
		for _, f := range proc.Fields {
			form[f.Name] = p.Attribute(f.Name)
		}
		if errs := proc.ValidateForm(form, time.Date(2026, 1, 1, 0, 0, 0, 0, portal.VietnamTime)); len(errs) > 0 {
			t.Fatalf("citizen %d %+v: %v", i, p, errs)
		}
	}
}

func TestPersonNotFound(t *testing.T) {
	pop := NewPopulation(1000)
	outside := CitizenID(1000) // a valid citizen ID, but beyond this population
	tests := []struct{ name, id string }{
		{"officer", "001085000001"},
		{"officer 10", "001085000010"},
		{"admin", "001080000001"},
		{"beyond the population", outside},
		{"birth year before 1945", "001044123456"},
		{"birth year after 2007", "001208123456"},
		{"malformed", "12345"},
		{"unknown province", "003085123456"},
		{"non-canonical century digit", "001485123456"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pop.Person(context.Background(), tt.id)
			if portal.ErrorCode(err) != portal.ENOTFOUND {
				t.Fatalf("Person(%q) error = %v, want %s", tt.id, err, portal.ENOTFOUND)
			}
		})
	}
	if _, ok := CitizenIndex("001085000001"); ok {
		t.Error("officer ID decodes as a citizen")
	}
	if CitizenID(-1) != "" || CitizenID(int(PopulationCapacity())) != "" {
		t.Error("CitizenID outside the capacity is not empty")
	}
}

func TestPersonCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := NewPopulation(10).Person(ctx, CitizenID(1)); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("error = %v, want %s", err, portal.EUNAVAILABLE)
	}
}

func TestPopulationDeterministic(t *testing.T) {
	a, b := NewPopulation(5000), NewPopulation(5000)
	for _, i := range []int{0, 17, 4999} {
		pa, _ := a.Citizen(i)
		pb, _ := b.Citizen(i)
		if *pa != *pb {
			t.Fatalf("citizen %d differs: %+v vs %+v", i, pa, pb)
		}
	}
	// Pinned values: a change here changes every scenario's citizens.
	pinned := []struct {
		i            int
		id, name, at string
	}{
		{0, "092090124118", "Nguyễn Đức Phúc", "1990-04-11"},
		{1, "089095458514", "Trần Hữu Quân", "1995-07-02"},
		{999_999, "092196559152", "Bùi Thanh Phương", "1996-12-22"},
	}
	pop := NewPopulation(0)
	for _, want := range pinned {
		p, err := pop.Citizen(want.i)
		if err != nil || p.PersonalID != want.id || p.FullName != want.name || p.DateOfBirth != want.at {
			t.Errorf("citizen %d = %+v, %v; want %s %s %s", want.i, p, err, want.id, want.name, want.at)
		}
	}
}

func TestFamilyNameFrequencies(t *testing.T) {
	pop := NewPopulation(20_000)
	counts := map[string]int{}
	kinh := 0
	for i := 0; i < pop.Size(); i++ {
		p, _ := pop.Citizen(i)
		counts[strings.Fields(p.FullName)[0]]++
		if p.Ethnicity == "Kinh" {
			kinh++
		}
	}
	if share := float64(counts["Nguyễn"]) / float64(pop.Size()); share < 0.33 || share > 0.43 {
		t.Errorf("Nguyễn share = %.3f, want about 0.38", share)
	}
	if counts["Lý"] == 0 || counts["Lý"] > counts["Trần"] {
		t.Errorf("Lý = %d, Trần = %d", counts["Lý"], counts["Trần"])
	}
	if share := float64(kinh) / float64(pop.Size()); share < 0.8 || share > 0.9 {
		t.Errorf("Kinh share = %.3f, want about 0.85", share)
	}
}

func BenchmarkPerson(b *testing.B) {
	pop := NewPopulation(0)
	ctx := context.Background()
	ids := make([]string, 1024)
	for i := range ids {
		ids[i] = CitizenID(i * 977)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := pop.Person(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}
