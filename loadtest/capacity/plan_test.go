package capacity

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal"
)

var update = flag.Bool("update", false, "rewrite golden files")

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g (±%g)", name, got, want, tol)
	}
}

// TestPlanNationalDefaults reproduces DOMAIN.md §5's derived load model
// from the defaults: 1.6M ÷ 21 = 76,190 submissions a working day;
// 76,190 × 60% ÷ 5 h = 2.54/s; × 5 = 12.70/s; then growth 50% ÷ 39.46%.
func TestPlanNationalDefaults(t *testing.T) {
	in := DefaultPlanInput()
	in.SimulateDays = 0
	r, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	b := r.Baseline
	near(t, "daily submissions", b.DailySubmissions, 1_600_000.0/21, 1e-6)
	near(t, "avg journeys/s", b.AvgJourneysPerS, 1_600_000.0/21*0.6/18000, 1e-9)
	near(t, "avg journeys/s ≈ 2.54", b.AvgJourneysPerS, 2.54, 0.005)
	near(t, "peak journeys/s ≈ 12.7", b.PeakJourneysPerS, 12.70, 0.005)
	near(t, "avg reads/s", b.AvgReadRequestsPerS, 30*b.AvgJourneysPerS, 1e-9)
	near(t, "peak requests/s", b.PeakRequestsPerS, b.PeakJourneysPerS*(10+30), 1e-9)

	near(t, "growth", r.Growth, 0.50/0.3946, 1e-12)
	near(t, "upper growth", r.GrowthUpper, 1/0.504, 1e-12)
	near(t, "planned peak journeys/s", r.Planned.PeakJourneysPerS, 12.698*0.50/0.3946, 0.01)
	if r.Instances != nil {
		t.Errorf("instances sized without a capacity: %+v", r.Instances)
	}

	s := r.BackOffice
	// λ = 96,541 ÷ 28,800 s; handling 20 min × 8/6.5 = 1,476.9 s; a = 4,950.8.
	near(t, "λ", s.ArrivalPerS, 1_600_000.0/21*0.5/0.3946/28800, 1e-9)
	near(t, "effective handling", s.EffectiveHandlingS, 1200*8/6.5, 1e-9)
	near(t, "offered load", s.OfferedLoad, 4950.8, 0.1)
	// With three days of slack, stability is all Erlang C asks: ⌈a⌉.
	if s.ErlangCOfficers != 4951 {
		t.Errorf("Erlang C officers = %d, want 4951", s.ErlangCOfficers)
	}
	if want := int(math.Ceil(s.OfferedLoad / 0.85)); s.OccupancyOfficers != want || s.Officers != want {
		t.Errorf("occupancy officers = %d, officers = %d, want %d", s.OccupancyOfficers, s.Officers, want)
	}
	if s.OnTimeShare < 0.95 || s.Utilisation > 0.85 {
		t.Errorf("staffing misses its own targets: %+v", s)
	}
}

// TestPlanStaffingHandComputed builds the a=2, c=3 textbook case from plan
// inputs: 960 dossiers a working day over 8 h is λ = 2 per minute, one
// minute of handling with no unproductive time is μ = 1 per minute. With a
// one-minute allowed wait, c=3 gives 1 − (4/9)e^{−1} = 83.6% ≥ 80%.
func TestPlanStaffingHandComputed(t *testing.T) {
	in := DefaultPlanInput()
	in.MonthlyDossiers = 960 * 21
	in.Growth = 1
	in.HandlingMinutes = 1
	in.OfficerProductiveHours = 8
	in.AllowedWait = time.Minute
	in.OnTimeTarget = 0.80
	in.MaxOccupancy = 0.99
	in.SimulateDays = 0

	r, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	s := r.BackOffice
	near(t, "λ per minute", s.ArrivalPerS*60, 2, 1e-9)
	near(t, "a", s.OfferedLoad, 2, 1e-9)
	if s.ErlangCOfficers != 3 || s.Officers != 3 {
		t.Errorf("officers: Erlang C %d, total %d, want 3", s.ErlangCOfficers, s.Officers)
	}
	near(t, "P(wait>0)", s.ProbWait, 4.0/9, 1e-9)
	near(t, "on time", s.OnTimeShare, 1-4.0/9*math.Exp(-1), 1e-9)
	near(t, "mean wait", s.MeanWaitS, 80.0/3, 1e-9)

	// Two independent offices of half the load each need 2 × c(a=1).
	// a=1: c=2 gives 1 − (1/3)e^{−1} = 87.7% ≥ 80%.
	in.OfficerPools = 2
	r, err = Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.BackOffice.Officers != 4 {
		t.Errorf("two pools: %d officers, want 4", r.BackOffice.Officers)
	}

	// The occupancy cap wins when it needs more: a=2 at ≤ 50% → 4.
	in.OfficerPools = 1
	in.MaxOccupancy = 0.5
	r, err = Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	if r.BackOffice.ErlangCOfficers != 3 || r.BackOffice.Officers != 4 {
		t.Errorf("occupancy cap: %+v, want 3 by Erlang C and 4 in total", r.BackOffice)
	}
}

func TestPlanSimulationCrossCheck(t *testing.T) {
	in := DefaultPlanInput()
	in.MonthlyDossiers = 960 * 21 * 10 // a = 20 with 1-minute handling
	in.Growth = 1
	in.HandlingMinutes = 1
	in.OfficerProductiveHours = 8
	in.AllowedWait = 30 * time.Second
	in.SimulateDays = 20
	r, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	s := r.BackOffice
	if s.Simulation == nil {
		t.Fatal("no simulation")
	}
	near(t, "simulated utilisation", s.Simulation.Utilisation, s.Utilisation, 0.01)
	near(t, "simulated on time", s.Simulation.OnTimeShare, s.OnTimeShare, 0.02)
	near(t, "simulated P(wait>0)", s.Simulation.WaitedShare, s.ProbWait, 0.02)
}

func TestInstanceRounding(t *testing.T) {
	tests := []struct {
		name                string
		peakRequests        float64
		capacity, rpj, head float64
		redundancy          int
		wantNeeded          int
	}{
		// 50 journeys/s × 10 requests = 500 req/s; × 0.7 = 350 usable.
		{"exactly two", 700, 50, 10, 0.30, 0, 2},
		{"just over two", 700.01, 50, 10, 0.30, 0, 3},
		{"a trickle still needs one", 1, 50, 10, 0.30, 1, 1},
		// 0.1×… float noise: 3 × 0.7 × 100 = 210.00000000000003.
		{"float noise", 3 * 0.7 * 100, 10, 10, 0.30, 1, 3},
		{"no headroom", 1000, 100, 10, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := DefaultPlanInput()
			in.CapacityPerInstance, in.RequestsPerJourney, in.Headroom, in.Redundancy = tt.capacity, tt.rpj, tt.head, tt.redundancy
			p := instances(in, Load{PeakRequestsPerS: tt.peakRequests})
			if p.Needed != tt.wantNeeded || p.Total != tt.wantNeeded+tt.redundancy {
				t.Errorf("needed %d total %d, want %d + %d", p.Needed, p.Total, tt.wantNeeded, tt.redundancy)
			}
		})
	}
}

func TestPlanInstancesUseCapacityRunRequests(t *testing.T) {
	// The capacity run's journeys were 20 requests each: 25 journeys/s is
	// 500 requests/s, 350 usable. Planned peak: 16.09 journeys/s × (10 +
	// 30) = 643.6 requests/s → ⌈1.84⌉ = 2, + 1 spare = 3.
	in := DefaultPlanInput()
	in.SimulateDays = 0
	in.CapacityPerInstance = 25
	in.CapacityRequestsPerJourney = 20
	r, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	p := r.Instances
	near(t, "capacity requests/s", p.CapacityRequestsPerS, 500, 1e-9)
	near(t, "peak journey-equivalents", p.PeakJourneyEquivalentsPerS, r.Planned.PeakRequestsPerS/20, 1e-9)
	if p.Needed != 2 || p.Total != 3 {
		t.Errorf("instances %+v, want 2 + 1", p)
	}
}

func TestPlanInputValidate(t *testing.T) {
	in := DefaultPlanInput()
	in.MonthlyDossiers = -1
	in.Headroom = 1
	in.PeakFactor = 0.5
	in.OnTimeTarget = 1.5
	in.OfficerProductiveHours = 9
	in.OfficerPools = 0
	in.Procedures = []ProcedureLoad{{Code: "x", Share: 0.4}}
	_, err := Plan(in)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"monthly_dossiers", "headroom", "peak_factor", "on_time_target", "officer_productive_hours", "officer_pools", "procedures: shares add up to 0.4"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %q:\n%v", want, err)
		}
	}
}

func TestWorkingDaysIn(t *testing.T) {
	cal := portal.DefaultCalendar()
	tests := []struct {
		year  int
		month time.Month
		want  int
	}{
		// 22 weekdays − Hùng Kings (7 Apr) − 30 Apr + make-up Saturday 26 Apr.
		{2025, time.April, 21},
		// 22 weekdays − 1 May − bridge day 2 May.
		{2025, time.May, 20},
		// 21 weekdays − 1 Sep − 2 Sep.
		{2025, time.September, 20},
	}
	for _, tt := range tests {
		if got := WorkingDaysIn(cal, tt.year, tt.month); got != tt.want {
			t.Errorf("WorkingDaysIn(%d-%02d) = %d, want %d", tt.year, tt.month, got, tt.want)
		}
	}
}

func TestPlanPerProcedure(t *testing.T) {
	in := DefaultPlanInput()
	in.MonthlyDossiers = 960 * 21 // λ = 2/min in all
	in.Growth = 1
	in.HandlingMinutes = 1
	in.OfficerProductiveHours = 8
	in.AllowedWait = time.Minute
	in.OnTimeTarget = 0.80
	in.MaxOccupancy = 0.99
	in.SimulateDays = 0
	in.Procedures = []ProcedureLoad{{Code: "1.001", Share: 0.5}, {Code: "1.002", Share: 0.5, HandlingMinutes: 2}}
	r, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	// 1.001: λ = 1/min, 1 min → a = 1, c = 2: 1 − (1/3)e^{−1} = 87.7%.
	// 1.002: λ = 1/min, 2 min → a = 2, μ = ½/min. c = 3: cμ−λ = ½/min,
	// 1 − (4/9)e^{−½} = 73.0% < 80%; c = 4: cμ−λ = 1/min, 1 − (4/23)e^{−1} = 93.6%.
	if len(r.Procedures) != 2 || r.Procedures[0].Officers != 2 || r.Procedures[1].Officers != 4 {
		t.Errorf("per-procedure staffing %+v, want 2 and 4", r.Procedures)
	}
}

func TestScenarioRequests(t *testing.T) {
	s := &scenario.Scenario{
		Name: "t",
		Mix: []scenario.MixEntry{
			{Journey: "submit", Procedure: "1.001", Weight: 3},
			{Journey: "lookup", Procedure: "1.002", Weight: 1},
			{Journey: "submit", Procedure: "1.002", Weight: 0}, // ignored
		},
		Journeys: map[string]scenario.Journey{
			"submit": {Steps: []scenario.Step{{Name: "otp"}, {Name: "login"}, {Name: "submit"}}},
			// 60 s timeout every 10 s: 3 polls expected.
			"lookup": {Steps: []scenario.Step{{Name: "get"}, {Name: "wait", Poll: &scenario.Poll{
				Every: scenario.Duration(10 * time.Second), Timeout: scenario.Duration(time.Minute)}}, {Name: "x"}}},
		},
	}
	got, err := ScenarioRequests(s)
	if err != nil {
		t.Fatal(err)
	}
	// (3 × 3 + 1 × 5) ÷ 4 = 3.5
	near(t, "requests per journey", got.RequestsPerJourney, 3.5, 1e-12)
	if len(got.Procedures) != 2 || got.Procedures[0].Code != "1.001" || got.Procedures[0].Share != 0.75 {
		t.Errorf("procedures %+v", got.Procedures)
	}
	s.Mix = append(s.Mix, scenario.MixEntry{Journey: "missing", Weight: 1})
	if _, err := ScenarioRequests(s); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("undefined journey: err = %v", err)
	}
}

func TestParseSummaryCapacity(t *testing.T) {
	good := `{"schema_version":1,"scenario":"weekday","requests_per_journey":8.5,"capacity":{"max_rate":42.5,"knee_rate":38}}`
	sc, err := ParseSummaryCapacity([]byte(good), "s.json")
	if err != nil {
		t.Fatal(err)
	}
	if sc.MaxRate != 42.5 || sc.RequestsPerJourney != 8.5 || sc.Scenario != "weekday" {
		t.Errorf("got %+v", sc)
	}
	for name, doc := range map[string]string{
		"not json":      `{`,
		"no capacity":   `{"schema_version":1}`,
		"no max_rate":   `{"capacity":{}}`,
		"zero max_rate": `{"capacity":{"max_rate":0}}`,
		"negative rpj":  `{"capacity":{"max_rate":1},"requests_per_journey":-1}`,
	} {
		if _, err := ParseSummaryCapacity([]byte(doc), "s.json"); err == nil || !strings.Contains(err.Error(), "s.json") {
			t.Errorf("%s: err = %v, want an error naming the file", name, err)
		}
	}
}

func TestPlanTextGolden(t *testing.T) {
	in := DefaultPlanInput()
	in.CapacityPerInstance = 50
	in.CapacitySource = "test"
	in.SimulateDays = 2
	r, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "plan_default.txt")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("text plan differs from %s (go test -update to accept):\n%s", golden, buf.String())
	}

	buf.Reset()
	if err := r.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, want := range []string{"<!doctype html>", "Back office", "5,825", "Erlang C"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, external := range []string{"<script src", "<link", "http://", "https://"} {
		if strings.Contains(html, external) {
			t.Errorf("HTML is not self-contained: has %q", external)
		}
	}
}

// FuzzParseSummaryCapacity: any bytes give a usable capacity or an error
// naming the file, never a panic or a non-positive rate.
func FuzzParseSummaryCapacity(f *testing.F) {
	f.Add([]byte(`{"requests_per_journey":8.5,"capacity":{"max_rate":42.5}}`))
	f.Add([]byte(`{"scenario":{"name":"x"},"capacity":{"max_rate":1e308}}`))
	f.Add([]byte(`{"capacity":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseSummaryCapacity(data, "f.json")
		if err != nil {
			if !strings.Contains(err.Error(), "f.json") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if !(sc.MaxRate > 0) || math.IsInf(sc.MaxRate, 0) || sc.RequestsPerJourney < 0 {
			t.Errorf("accepted %+v", sc)
		}
	})
}
