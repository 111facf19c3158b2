package catalog

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/mock"
)

// loaded is the catalogue shared by the tests; loading is deterministic.
var loaded = sync.OnceValues(Load)

func mustLoad(t testing.TB) *Catalog {
	t.Helper()
	c, err := loaded()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func TestCatalogData(t *testing.T) {
	c := mustLoad(t)
	if c.Len() != NationalSize {
		t.Fatalf("Len() = %d, want %d", c.Len(), NationalSize)
	}
	real := c.Real()
	if len(real) < 15 {
		t.Fatalf("%d real procedures, want at least 15", len(real))
	}
	codes := map[string]bool{}
	full := 0
	for _, p := range c.All() {
		if codes[p.Code] {
			t.Errorf("%s: duplicate code", p.Code)
		}
		codes[p.Code] = true
		if err := validateProcedure(p); err != nil {
			t.Error(err)
		}
		if len(p.Fields) == 0 || p.Fee < 0 || p.FeeOnline < 0 || p.ProcessingDays < 0 {
			t.Errorf("%s: fields %d, fee %d/%d, days %d", p.Code, len(p.Fields), p.Fee, p.FeeOnline, p.ProcessingDays)
		}
		if p.Synthetic && p.ProcessingDays <= 0 {
			t.Errorf("%s: synthetic procedure with %d days", p.Code, p.ProcessingDays)
		}
		if !slices.Contains(levels, p.Level) || !slices.Contains(userTypes, p.UserType) {
			t.Errorf("%s: level %q, user type %q", p.Code, p.Level, p.UserType)
		}
		for _, f := range p.Fields {
			if f.Prefill != "" && (&portal.Person{FullName: "x", PersonalID: "x", DateOfBirth: "x", Gender: "x",
				Ethnicity: "x", Nationality: "x", Province: "x", Address: "x", Phone: "x", Email: "x"}).Attribute(f.Prefill) == "" {
				t.Errorf("%s: field %s: prefill %q is not a Person attribute", p.Code, f.Name, f.Prefill)
			}
		}
		if p.FullProcess {
			full++
		}
		if got, ok := c.Procedure(p.Code); !ok || got != p {
			t.Errorf("Procedure(%q) does not return it", p.Code)
		}
	}
	for i, p := range real {
		if p.Synthetic {
			t.Errorf("Real()[%d] %s is synthetic", i, p.Code)
		}
		if !strings.HasPrefix(p.Code, "1.") && !strings.HasPrefix(p.Code, "2.") {
			t.Errorf("real procedure %s has no national code", p.Code)
		}
	}
	if share := float64(full) / float64(c.Len()); share < 0.48 || share > 0.53 {
		t.Errorf("full-process share %.3f, want about 0.504", share)
	}
	for _, g := range c.Groups() {
		for _, m := range g.Members {
			p, ok := c.Procedure(m)
			if !ok {
				t.Errorf("group %s: member %s not in the catalogue", g.Code, m)
			} else if p.Group != g.Code {
				t.Errorf("group %s: member %s has group %q", g.Code, m, p.Group)
			}
		}
	}
	if len(c.Groups()) != 2 {
		t.Errorf("%d groups, want A and B", len(c.Groups()))
	}
}

// Real procedures the scenario files rely on, with the facts DOMAIN.md gives.
func TestRealProcedureFacts(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		code        string
		days, cut   int
		feeOnline   int64
		fullProcess bool
		required    []string // required attachment codes
	}{
		{"1.001193", 0, 900, 0, true, []string{"birth_notice"}},
		{"1.004222", 7, 0, 10000, true, []string{"proof_of_residence"}},
		{"1.004194", 3, 0, 7000, true, nil},
		{"2.000488", 10, 0, 200000, true, nil},
		{"1.002804", 5, 0, 135000, true, []string{"portrait_photo"}},
		{"2.002107", 8, 0, 200000, true, []string{"portrait_photo", "id_card_front", "id_card_back"}},
		{"1.000894", 0, 900, 0, false, nil},
		{"1.000656", 0, 900, 0, true, []string{"death_notice"}},
		{"2.000635", 0, 900, 8000, true, nil},
		{"1.009994", 15, 0, 75000, false, []string{"land_use_certificate", "design_drawings"}},
		{"1.011537", 5, 900, 0, true, []string{"death_notice"}},
	}
	for _, tt := range tests {
		p, ok := c.Procedure(tt.code)
		if !ok {
			t.Errorf("%s missing", tt.code)
			continue
		}
		var req []string
		for _, a := range p.Attachments {
			if a.Required {
				req = append(req, a.Code)
			}
		}
		if p.ProcessingDays != tt.days || p.CutoffMinutes != tt.cut || p.OnlineFee() != tt.feeOnline ||
			p.FullProcess != tt.fullProcess || !slices.Equal(req, tt.required) {
			t.Errorf("%s: days %d cutoff %d online fee %d full %v required %v; want %d %d %d %v %v", tt.code,
				p.ProcessingDays, p.CutoffMinutes, p.OnlineFee(), p.FullProcess, req,
				tt.days, tt.cut, tt.feeOnline, tt.fullProcess, tt.required)
		}
	}
}

func TestLoadDeterministic(t *testing.T) {
	a := mustLoad(t)
	b, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	pa, pb := a.All(), b.All()
	for i := range pa {
		if pa[i].Code != pb[i].Code || pa[i].NameVI != pb[i].NameVI || pa[i].Level != pb[i].Level ||
			pa[i].Fee != pb[i].Fee || pa[i].ProcessingDays != pb[i].ProcessingDays {
			t.Fatalf("procedure %d differs between loads: %+v vs %+v", i, pa[i], pb[i])
		}
	}
	// Pinned: a change here reshuffles the synthetic catalogue.
	if p, _ := a.Procedure("3.000001"); p == nil || p.NameVI != firstSyntheticName {
		t.Errorf("3.000001 = %+v, want name %q", p, firstSyntheticName)
	}
}

const firstSyntheticName = "Xác nhận giấy phép hoạt động cho thuê lại lao động"

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Đăng ký khai sinh", "dang ky khai sinh"},
		{"  ĐĂNG   KÝ\tKHAI  SINH ", "dang ky khai sinh"},
		{"Cấp Phiếu lý lịch tư pháp", "cap phieu ly lich tu phap"},
		{"Hỗ trợ chi phí mai táng", "ho tro chi phi mai tang"},
		{"Quỳnh Ượ Ữ ỹ đ", "quynh uo u y d"},
		{"1.001193", "1.001193"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestSearch(t *testing.T) {
	c := mustLoad(t)
	tests := []struct {
		name      string
		q         portal.ProcedureQuery
		first     string // code of the first result, if set
		total     int    // exact total, if ≥ 0
		minTotal  int
		page, per int // expected page length
		check     func(p *portal.Procedure) bool
	}{
		{name: "diacritics folded", q: portal.ProcedureQuery{Text: "dang ky khai sinh"}, first: "1.001193", total: -1, minTotal: 2, per: -1},
		{name: "exact Vietnamese", q: portal.ProcedureQuery{Text: "Đăng ký khai sinh"}, first: "1.001193", total: -1, minTotal: 2, per: -1},
		{name: "upper case", q: portal.ProcedureQuery{Text: "ĐĂNG KÝ KHAI TỬ"}, first: "1.000656", total: -1, minTotal: 1, per: -1},
		{name: "English", q: portal.ProcedureQuery{Text: "passport"}, first: "2.002107", total: 1, per: 1},
		{name: "code", q: portal.ProcedureQuery{Text: "1.004222"}, first: "1.004222", total: 1, per: 1},
		{name: "words in any order", q: portal.ProcedureQuery{Text: "tru tam dang ky"}, first: "1.004194", total: -1, minTotal: 1, per: -1},
		{name: "no match", q: portal.ProcedureQuery{Text: "zzzz khong co"}, total: 0, per: 0},
		{name: "empty query is everything", q: portal.ProcedureQuery{}, total: NationalSize, per: 20},
		{name: "real first", q: portal.ProcedureQuery{Text: "giay phep"}, first: "1.002804", total: -1, minTotal: 100, per: 20},
		{name: "level filter", q: portal.ProcedureQuery{Level: portal.LevelMinistry}, total: -1, minTotal: 100, per: 20,
			check: func(p *portal.Procedure) bool { return p.Level == portal.LevelMinistry }},
		{name: "topic filter", q: portal.ProcedureQuery{Topic: "residence", Synthetic: ptr(false)}, total: 3, per: 3,
			check: func(p *portal.Procedure) bool { return p.Topic == "residence" }},
		{name: "full-process filter", q: portal.ProcedureQuery{Text: "khai sinh", FullProcess: ptr(false)}, total: 0, per: 0},
		{name: "partial real", q: portal.ProcedureQuery{FullProcess: ptr(false), Synthetic: ptr(false)}, total: 3, per: 3,
			check: func(p *portal.Procedure) bool { return !p.FullProcess && !p.Synthetic }},
		{name: "synthetic only", q: portal.ProcedureQuery{Synthetic: ptr(true), PerPage: 100}, total: NationalSize - 21, per: 100,
			check: func(p *portal.Procedure) bool { return p.Synthetic }},
		{name: "page 2", q: portal.ProcedureQuery{Page: 2, PerPage: 10}, total: NationalSize, per: 10},
		{name: "last page", q: portal.ProcedureQuery{Page: 353, PerPage: 10}, total: NationalSize, per: 5},
		{name: "page past the end", q: portal.ProcedureQuery{Page: 1000, PerPage: 10}, total: NationalSize, per: 0},
		{name: "per page clamped", q: portal.ProcedureQuery{PerPage: 5000}, total: NationalSize, per: 100},
		{name: "negative page and per page", q: portal.ProcedureQuery{Page: -3, PerPage: -1}, total: NationalSize, per: 20},
		{name: "huge page", q: portal.ProcedureQuery{Page: 1 << 62, PerPage: 100}, total: NationalSize, per: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total := c.Search(tt.q)
			if tt.total >= 0 && total != tt.total {
				t.Errorf("total = %d, want %d", total, tt.total)
			}
			if total < tt.minTotal {
				t.Errorf("total = %d, want at least %d", total, tt.minTotal)
			}
			if tt.per >= 0 && len(got) != tt.per {
				t.Errorf("page has %d items, want %d", len(got), tt.per)
			}
			if tt.first != "" && (len(got) == 0 || got[0].Code != tt.first) {
				var codes []string
				for _, p := range got {
					codes = append(codes, p.Code)
				}
				t.Errorf("results %v, want %s first", codes, tt.first)
			}
			for _, p := range got {
				if tt.check != nil && !tt.check(p) {
					t.Errorf("%s does not satisfy the filter", p.Code)
				}
			}
			if got == nil {
				t.Error("Search returned a nil slice; want an empty one for JSON []")
			}
		})
	}
}

func TestSearchRealBeforeSynthetic(t *testing.T) {
	c := mustLoad(t)
	got, _ := c.Search(portal.ProcedureQuery{Text: "cap", PerPage: 100})
	seenSynthetic := false
	for _, p := range got {
		if p.Synthetic {
			seenSynthetic = true
		} else if seenSynthetic {
			t.Fatalf("real %s after a synthetic procedure", p.Code)
		}
	}
	// Every match really contains every word.
	for _, p := range got {
		if !strings.Contains(Fold(p.NameVI+" "+p.NameEN+" "+p.Code), "cap") {
			t.Errorf("%s %q does not contain the query", p.Code, p.NameVI)
		}
	}
}

func TestSearchPagesPartitionResults(t *testing.T) {
	c := mustLoad(t)
	q := portal.ProcedureQuery{Text: "giay chung nhan", PerPage: 37}
	_, total := c.Search(q)
	seen := map[string]bool{}
	for q.Page = 1; (q.Page-1)*q.PerPage < total; q.Page++ {
		page, _ := c.Search(q)
		for _, p := range page {
			if seen[p.Code] {
				t.Fatalf("%s on two pages", p.Code)
			}
			seen[p.Code] = true
		}
	}
	if len(seen) != total {
		t.Fatalf("pages hold %d procedures, total %d", len(seen), total)
	}
}

func TestLoaderErrors(t *testing.T) {
	good := func(name string) string {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	procs, groups, synth := good(proceduresFile), good(groupsFile), good(syntheticFile)
	tests := []struct {
		name                 string
		procs, groups, synth string
		want                 []string
	}{
		{"unknown prefill", strings.Replace(procs, `"prefill": "phone"`, `"prefill": "shoe_size"`, 1), groups, synth,
			[]string{proceduresFile, "procedure 1.001193", "field applicant_phone", `prefill "shoe_size"`}},
		{"negative fee", strings.Replace(procs, `"fee": 15000`, `"fee": -1`, 1), groups, synth,
			[]string{proceduresFile, "procedure 1.004194", "negative"}},
		{"bad level", strings.Replace(procs, `"level": "province"`, `"level": "district"`, 1), groups, synth,
			[]string{proceduresFile, "procedure 2.001214", `level "district"`}},
		{"unknown JSON field", strings.Replace(procs, `"fee_online": 0,`, `"fee_onlin": 0,`, 1), groups, synth,
			[]string{proceduresFile, "fee_onlin"}},
		{"syntax error", procs[:200], groups, synth, []string{proceduresFile, "line"}},
		{"duplicate code", strings.Replace(procs, `"code": "1.004222"`, `"code": "1.001193"`, 1), groups, synth,
			[]string{proceduresFile, "procedure 1.001193", "twice"}},
		{"missing group member", procs, strings.Replace(groups, `"2.001214"`, `"9.999999"`, 1), synth,
			[]string{groupsFile, "group 1.011536", "member 9.999999"}},
		{"bad attachment type", strings.Replace(procs, `"types": ["image/jpeg", "image/png"]`, `"types": ["image/gif"]`, 1), groups, synth,
			[]string{proceduresFile, "procedure 1.002804", "attachment portrait_photo", "image/gif"}},
		{"unknown field set", strings.Replace(procs, `"uses": ["applicant", "deceased"]`, `"uses": ["applicant", "ghost"]`, 1), groups, synth,
			[]string{proceduresFile, "procedure 1.000656", `"ghost"`}},
		{"colliding synthetic prefix", procs, groups, strings.Replace(synth, `"code_prefix": "3."`, `"code_prefix": "1."`, 1),
			[]string{syntheticFile, "code_prefix"}},
		{"too small a vocabulary", procs, groups, strings.Replace(synth, `"total": 3525`, `"total": 999999`, 1),
			[]string{syntheticFile, "distinct names"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.procs == procs && tt.groups == groups && tt.synth == synth {
				t.Fatal("test did not change the data")
			}
			_, err := build([]byte(tt.procs), []byte(tt.groups), []byte(tt.synth))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func BenchmarkSearch(b *testing.B) {
	c := mustLoad(b)
	queries := []portal.ProcedureQuery{
		{Text: "dang ky khai sinh"},
		{Text: "giấy phép kinh doanh", Level: portal.LevelProvince},
		{Text: "cap lai the", PerPage: 100},
		{Page: 50},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		c.Search(queries[i%len(queries)])
	}
}

func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		if _, err := Load(); err != nil {
			b.Fatal(err)
		}
	}
}

// Every procedure can be completed: the prefill from a real population
// record plus sample values for the rest passes the procedure's own rules.
// This catches unsatisfiable patterns, prefill values a select does not
// offer, and limits shorter than the population's data.
func TestSampleFormsValidate(t *testing.T) {
	c := mustLoad(t)
	today := time.Date(2026, 3, 10, 10, 0, 0, 0, portal.VietnamTime)
	pop := mock.NewPopulation(10_000)
	for i, p := range c.All() {
		person, err := pop.Citizen(i * 7 % pop.Size())
		if err != nil {
			t.Fatal(err)
		}
		form := SampleForm(p, person, today)
		if errs := p.ValidateForm(form, today); len(errs) > 0 {
			t.Errorf("%s: sample form %v: %v", p.Code, form, errs)
		}
		for _, f := range p.Fields {
			if f.Prefill != "" && form[f.Name] != person.Attribute(f.Prefill) {
				t.Errorf("%s: %s not prefilled from %s", p.Code, f.Name, f.Prefill)
			}
		}
	}
}
