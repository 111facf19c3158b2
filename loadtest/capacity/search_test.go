package capacity

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
)

// fakeTarget is a step runner with a known answer: every rate up to
// capacity meets "http.error_rate < 0.01", and p95 is flat at baseMS until
// kneeAt, then climbs steeply.
type fakeTarget struct {
	capacity, kneeAt, baseMS float64
	rates                    []float64
}

func (f *fakeTarget) run(_ context.Context, rate float64) (StepResult, error) {
	f.rates = append(f.rates, rate)
	return StepResult{Summary: fakeSummary(rate, f.capacity, f.kneeAt, f.baseMS)}, nil
}

func fakeSummary(rate, capacity, kneeAt, baseMS float64) *metrics.Summary {
	errRate := 0.0
	if rate > capacity {
		errRate = 0.05 + (rate-capacity)/rate
	}
	p95 := baseMS
	if rate > kneeAt {
		p95 = baseMS * (1 + 20*(rate-kneeAt)/kneeAt)
	}
	ok := errRate < 0.01
	return &metrics.Summary{
		SchemaVersion: metrics.SchemaVersion, Scenario: "fake", Target: "fake://",
		CompletionRate: 1 - errRate, RequestsPerJourney: 3,
		Requests: metrics.Requests{Count: uint64(rate * 30), Rate: rate * 3, ErrorRate: errRate,
			StatusCodes: map[string]uint64{"200": uint64(rate * 30 * (1 - errRate)), "503": uint64(rate * 30 * errRate)}},
		Arrivals: metrics.Arrivals{Intended: uint64(rate * 10), Achieved: uint64(rate * 10), AchievedRate: rate},
		Latency:  metrics.Latency{Service: metrics.Percentiles{P95MS: p95, P99MS: p95 * 1.5}},
		SLOs:     []metrics.SLOResult{{Expr: "http.error_rate < 0.01", OK: ok, Value: errRate, Unit: "ratio"}},
		Passed:   ok,
	}
}

func TestSearchBisectsToPrecision(t *testing.T) {
	tests := []struct {
		name                string
		capacity, min, max  float64
		wantRamp            []float64
		wantLo, wantHiAbove float64
	}{
		{"capacity 37 from 1", 37, 1, 1000, []float64{1, 2, 4, 8, 16, 32, 64}, 37 / 1.05, 37},
		{"capacity 200 from 25", 200, 25, 1000, []float64{25, 50, 100, 200, 400}, 200 / 1.05, 200},
		{"ramp clamps to max", 90, 30, 100, []float64{30, 60, 100}, 90 / 1.05, 90},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTarget{capacity: tc.capacity, kneeAt: tc.capacity / 2, baseMS: 10}
			r, err := Search(context.Background(), SearchConfig{Min: tc.min, Max: tc.max, MaxTime: time.Minute}, f.run)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.rates[:len(tc.wantRamp)]; !equalRates(got, tc.wantRamp) {
				t.Errorf("ramp rates %v, want %v", got, tc.wantRamp)
			}
			for i, s := range r.Steps {
				want := PhaseRamp
				if i >= len(tc.wantRamp) {
					want = PhaseBisect
				}
				if s.Phase != want || s.Index != i+1 {
					t.Errorf("step %d: index %d phase %s, want phase %s", i, s.Index, s.Phase, want)
				}
			}
			if !r.Found || r.LowerBound || r.StoppedBy != StopPrecision {
				t.Errorf("found %v lower bound %v stopped by %s, want found, not a bound, precision", r.Found, r.LowerBound, r.StoppedBy)
			}
			if r.MaxRate > tc.capacity || r.MaxRate < tc.wantLo {
				t.Errorf("max rate %v, want in [%v, %v]", r.MaxRate, tc.wantLo, tc.capacity)
			}
			if r.FirstFailRate <= tc.wantHiAbove || (r.FirstFailRate-r.MaxRate)/r.MaxRate > DefaultPrecision {
				t.Errorf("first failing rate %v: want above %v and within 5%% of %v", r.FirstFailRate, tc.wantHiAbove, r.MaxRate)
			}
			if r.MaxRequestRate != r.MaxRate*3 {
				t.Errorf("max request rate %v, want %v", r.MaxRequestRate, r.MaxRate*3)
			}
			if r.FirstBrokenSLO != "http.error_rate < 0.01" || r.BrokenBy == nil || r.BrokenBy.AtRate != r.FirstFailRate || r.BrokenBy.Threshold != 0.01 {
				t.Errorf("first broken SLO %q, broken by %+v", r.FirstBrokenSLO, r.BrokenBy)
			}
		})
	}
}

func equalRates(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

func TestSearchAllPassIsALowerBound(t *testing.T) {
	f := &fakeTarget{capacity: 1e9, kneeAt: 1e9, baseMS: 5}
	r, err := Search(context.Background(), SearchConfig{Min: 3, Max: 20}, f.run)
	if err != nil {
		t.Fatal(err)
	}
	if !equalRates(f.rates, []float64{3, 6, 12, 20}) {
		t.Errorf("rates %v, want 3 6 12 20", f.rates)
	}
	if !r.Found || !r.LowerBound || r.MaxRate != 20 || r.StoppedBy != StopMaxRate || r.FirstFailRate != 0 {
		t.Errorf("found %v lower bound %v max %v stopped %s first fail %v", r.Found, r.LowerBound, r.MaxRate, r.StoppedBy, r.FirstFailRate)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "lower bound") {
		t.Errorf("notes %q, want one saying the rate is a lower bound", r.Notes)
	}
	if r.BrokenBy != nil || r.FirstBrokenSLO != "" || r.KneeRate != 0 {
		t.Errorf("broken by %+v, knee %v: nothing broke and p95 stayed flat", r.BrokenBy, r.KneeRate)
	}
}

func TestSearchFirstStepFails(t *testing.T) {
	f := &fakeTarget{capacity: 4, kneeAt: 2, baseMS: 5}
	r, err := Search(context.Background(), SearchConfig{Min: 10, Max: 100}, f.run)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.rates) != 1 {
		t.Errorf("ran %v, want only the first step", f.rates)
	}
	if r.Found || r.MaxRate != 0 || r.StoppedBy != StopFirstFailed || r.FirstFailRate != 10 {
		t.Errorf("found %v max %v stopped %s first fail %v", r.Found, r.MaxRate, r.StoppedBy, r.FirstFailRate)
	}
	if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "no rate passed") {
		t.Errorf("notes %q, want one saying no rate passed", r.Notes)
	}
	if r.BrokenBy == nil || r.BrokenBy.AtRate != 10 {
		t.Errorf("broken by %+v, want the SLO broken at 10", r.BrokenBy)
	}
	if r.Best() != nil {
		t.Error("Best() of a search where nothing passed must be nil")
	}
}

func TestSearchFollowsEachVerdict(t *testing.T) {
	// The runner's verdicts, not a model of the target, drive the bounds:
	// after failing at 40 and 30, the search narrows between 25 and 30.
	verdict := map[float64]bool{10: true, 20: true, 40: false, 30: false, 25: true, 27.5: true, 28.75: false}
	run := func(_ context.Context, rate float64) (StepResult, error) {
		ok, known := verdict[rate]
		if !known {
			t.Fatalf("unexpected rate %v", rate)
		}
		s := fakeSummary(rate, 1e9, 1e9, 1)
		s.Passed = ok
		s.SLOs[0].OK = ok
		return StepResult{Summary: s}, nil
	}
	r, err := Search(context.Background(), SearchConfig{Min: 10, Max: 100}, run)
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxRate != 27.5 || r.FirstFailRate != 28.75 || r.StoppedBy != StopPrecision {
		t.Errorf("max %v first fail %v stopped %s, want 27.5, 28.75, precision", r.MaxRate, r.FirstFailRate, r.StoppedBy)
	}
}

func TestSearchMaxTimeBoundsTheSearch(t *testing.T) {
	run := func(ctx context.Context, rate float64) (StepResult, error) {
		select {
		case <-time.After(40 * time.Millisecond):
		case <-ctx.Done():
		}
		return StepResult{Summary: fakeSummary(rate, 1e9, 1e9, 1)}, nil
	}
	start := time.Now()
	r, err := Search(context.Background(), SearchConfig{Min: 1, Max: 1e6, MaxTime: 150 * time.Millisecond}, run)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("search took %v with a 150ms max time", took)
	}
	if r.StoppedBy != StopMaxTime || len(r.Steps) < 2 || len(r.Steps) > 4 {
		t.Errorf("stopped by %s after %d steps, want max-time after 2–4", r.StoppedBy, len(r.Steps))
	}
	if !r.Found || !r.LowerBound {
		t.Errorf("found %v lower bound %v: passing steps then max-time is a lower bound", r.Found, r.LowerBound)
	}
}

func TestSearchStepCutByMaxTimeIsDiscarded(t *testing.T) {
	// The estimate says a step fits, but the step overruns: it is cancelled
	// at the deadline and not counted.
	calls := 0
	run := func(ctx context.Context, rate float64) (StepResult, error) {
		calls++
		if calls == 2 {
			<-ctx.Done()
		}
		return StepResult{Summary: fakeSummary(rate, 1e9, 1e9, 1)}, nil
	}
	r, err := Search(context.Background(), SearchConfig{Min: 1, Max: 100, MaxTime: 100 * time.Millisecond}, run)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || len(r.Steps) != 1 || r.StoppedBy != StopMaxTime || r.MaxRate != 1 {
		t.Errorf("calls %d steps %d stopped %s max %v, want the cut step dropped", calls, len(r.Steps), r.StoppedBy, r.MaxRate)
	}
	if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "cut off by --max-time") {
		t.Errorf("notes %q", r.Notes)
	}
}

func TestSearchInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeTarget{capacity: 1e9, kneeAt: 1e9, baseMS: 1}
	r, err := Search(ctx, SearchConfig{Min: 1, Max: 1e6, OnStep: func(s Step) {
		if s.Index == 3 {
			cancel()
		}
	}}, func(ctx context.Context, rate float64) (StepResult, error) {
		if ctx.Err() != nil {
			return StepResult{}, ctx.Err()
		}
		return f.run(ctx, rate)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.StoppedBy != StopInterrupted || len(r.Steps) != 3 {
		t.Errorf("stopped by %s after %d steps, want interrupted after 3", r.StoppedBy, len(r.Steps))
	}
}

func TestSearchStepErrorIsAnError(t *testing.T) {
	boom := errors.New("connection refused")
	_, err := Search(context.Background(), SearchConfig{Min: 1, Max: 2}, func(context.Context, float64) (StepResult, error) {
		return StepResult{}, boom
	})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "step at 1 journeys/s") {
		t.Errorf("error %v, want the step's error with its rate", err)
	}
}

func TestSearchConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  SearchConfig
		want string
	}{
		{SearchConfig{Min: 0, Max: 1}, "min rate 0"},
		{SearchConfig{Min: 5, Max: 1}, "max rate 1"},
		{SearchConfig{Min: 1, Max: 2, Precision: 1.5}, "precision 1.5"},
		{SearchConfig{Min: 1, Max: 2, Growth: 0.5}, "growth 0.5"},
		{SearchConfig{Min: 1, Max: 2, MaxTime: -time.Second}, "max time -1s"},
	}
	for _, tc := range tests {
		_, err := Search(context.Background(), tc.cfg, func(context.Context, float64) (StepResult, error) {
			t.Fatal("a step ran with an invalid config")
			return StepResult{}, nil
		})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want it to mention %q", tc.cfg, err, tc.want)
		}
	}
}

func TestKnee(t *testing.T) {
	st := func(rate, p95 float64) Step { return Step{OfferedRate: rate, P95MS: p95} }
	tests := []struct {
		name  string
		steps []Step
		want  float64
	}{
		{"first rate past twice the lowest", []Step{st(1, 10), st(2, 12), st(4, 19), st(8, 25), st(16, 80)}, 8},
		{"order of steps does not matter", []Step{st(16, 80), st(8, 25), st(1, 10), st(4, 19)}, 8},
		{"flat", []Step{st(1, 10), st(2, 11), st(4, 12)}, 0},
		{"sub-millisecond noise is not a knee", []Step{st(1, 0.2), st(2, 0.5), st(4, 0.9)}, 0},
		{"but a real rise from a tiny base is", []Step{st(1, 0.2), st(2, 0.5), st(4, 1.5)}, 4},
		{"one step", []Step{st(1, 10)}, 0},
		{"none", nil, 0},
	}
	for _, tc := range tests {
		if got := Knee(tc.steps); got != tc.want {
			t.Errorf("%s: knee %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSearchFindsKneeAndBreak(t *testing.T) {
	f := &fakeTarget{capacity: 100, kneeAt: 20, baseMS: 10}
	r, err := Search(context.Background(), SearchConfig{Min: 5, Max: 1000}, f.run)
	if err != nil {
		t.Fatal(err)
	}
	// p95 at 40 is 10×(1+20) = 210 ms > 2×10: the first ramp rate past the knee.
	if r.KneeRate != 40 {
		t.Errorf("knee %v, want 40", r.KneeRate)
	}
	b := r.BrokenBy
	if b == nil || b.Unit != "ratio" || b.Value <= b.Threshold || math.Abs(b.Relative-(b.Value-0.01)/0.01) > 1e-9 {
		t.Errorf("broken by %+v", b)
	}
}

func TestFirstBreakDurations(t *testing.T) {
	s := &Step{OfferedRate: 7, Summary: &metrics.Summary{SLOs: []metrics.SLOResult{
		{Expr: "completion_rate >= 0.9", OK: true, Value: 0.95, Unit: "ratio"},
		{Expr: "step(submit).p95 < 800ms", OK: false, Value: 1200, Unit: "ms"},
		{Expr: "http.error_rate < 0.01", OK: false, Value: 0.02, Unit: "ratio"},
	}}}
	b := firstBreak(s)
	if b == nil || b.Expr != "step(submit).p95 < 800ms" || b.Threshold != 800 || b.Value != 1200 || math.Abs(b.Relative-0.5) > 1e-9 || b.AtRate != 7 {
		t.Errorf("first break %+v, want submit p95 1200 ms against 800 ms, 50%% over, at 7", b)
	}
}

func TestHints(t *testing.T) {
	f := &fakeTarget{capacity: 50, kneeAt: 20, baseMS: 10}
	run := func(ctx context.Context, rate float64) (StepResult, error) {
		res, err := f.run(ctx, rate)
		util := rate / 60 // CPU saturates near capacity
		res.Resources = Resources{CPUSeconds: util * 2 * 4, WallSeconds: 4, Cores: 2, CPUUtilisation: util, Requests: 100, CPUPerRequestMS: 1}
		return res, err
	}
	r, err := Search(context.Background(), SearchConfig{Min: 10, Max: 100}, run)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Hint{}
	for _, h := range r.LimitingHints {
		got[h.Resource] = h
	}
	if h := got["cpu"]; !h.Measured || !h.Limiting || !strings.Contains(h.Detail, "getrusage") {
		t.Errorf("cpu hint %+v, want measured and limiting at %v", h, r.FirstFailRate)
	}
	if h := got["load_shedding"]; !h.Measured || !h.Limiting || h.Value < 0.05 {
		t.Errorf("shedding hint %+v, want the 503 share at the failing step", h)
	}
	if h := got["generator"]; !h.Measured || h.Limiting {
		t.Errorf("generator hint %+v, want measured, not limiting (no lateness)", h)
	}
	if h := got["officer_queue"]; h.Measured || !strings.Contains(h.Detail, "not measured") {
		t.Errorf("officer hint %+v, want an honest not-measured", h)
	}
}

func TestWriteResultsIsReadByThePlanner(t *testing.T) {
	f := &fakeTarget{capacity: 37, kneeAt: 10, baseMS: 10}
	r, err := Search(context.Background(), SearchConfig{Min: 1, Max: 1000}, f.run)
	if err != nil {
		t.Fatal(err)
	}
	r.Settings.StepS, r.Settings.WarmupS = 2, 1
	dir := t.TempDir()
	if err := WriteResults(dir, r); err != nil {
		t.Fatal(err)
	}
	sc, err := ReadSummaryCapacity(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	if sc.MaxRate != r.MaxRate || sc.RequestsPerJourney != 3 || sc.Scenario != "fake" {
		t.Errorf("planner read %+v, want max rate %v, 3 requests per journey, scenario fake", sc, r.MaxRate)
	}
	var doc struct {
		CompletionRate float64 `json:"completion_rate"`
		Capacity       struct {
			MaxRate        float64 `json:"max_rate"`
			KneeRate       float64 `json:"knee_rate"`
			FirstBrokenSLO string  `json:"first_broken_slo"`
			BrokenBy       struct {
				Value, Threshold float64
			} `json:"broken_by"`
			Steps         []json.RawMessage `json:"steps"`
			LimitingHints []Hint            `json:"limiting_hints"`
		} `json:"capacity"`
	}
	b, _ := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.Capacity
	if c.MaxRate != r.MaxRate || c.KneeRate != 16 || c.FirstBrokenSLO == "" || c.BrokenBy.Threshold != 0.01 || len(c.Steps) != len(r.Steps) || len(c.LimitingHints) == 0 {
		t.Errorf("capacity in summary.json: %+v", c)
	}
	if doc.CompletionRate != 1 {
		t.Errorf("completion_rate %v, want the passing step's 1", doc.CompletionRate)
	}

	steps, _ := os.ReadFile(filepath.Join(dir, StepsFile))
	lines := bytes.Split(bytes.TrimSpace(steps), []byte("\n"))
	if len(lines) != len(r.Steps) {
		t.Fatalf("steps.jsonl has %d lines for %d steps", len(lines), len(r.Steps))
	}
	var first struct {
		OfferedRate float64          `json:"offered_rate"`
		Summary     *metrics.Summary `json:"summary"`
	}
	if err := json.Unmarshal(lines[0], &first); err != nil || first.OfferedRate != 1 || first.Summary == nil || first.Summary.Scenario != "fake" {
		t.Errorf("first step line %s: %v", lines[0], err)
	}

	svg, _ := os.ReadFile(filepath.Join(dir, ChartFile))
	if err := wellFormed(svg); err != nil || !bytes.Contains(svg, []byte("max "+fmtRate(r.MaxRate))) || !bytes.Contains(svg, []byte("knee 16")) {
		t.Errorf("capacity.svg: %v\n%s", err, svg)
	}
	page, _ := os.ReadFile(filepath.Join(dir, ChartPageFile))
	if !bytes.Contains(page, []byte("<svg")) || !bytes.Contains(page, []byte("MAX SUSTAINABLE RATE")) {
		t.Errorf("capacity.html lacks the chart or the text")
	}
	text, _ := os.ReadFile(filepath.Join(dir, "report.txt"))
	for _, want := range []string{"MAX SUSTAINABLE RATE: " + fmtRate(r.MaxRate) + " journeys/s", "Knee: 16 journeys/s", "First broken SLO: http.error_rate < 0.01", "STEP AT THE MAXIMUM RATE"} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("report.txt lacks %q:\n%s", want, text)
		}
	}
}

func TestSummaryWhenNothingPassedIsRefusedByThePlanner(t *testing.T) {
	f := &fakeTarget{capacity: 1, kneeAt: 1, baseMS: 1}
	r, err := Search(context.Background(), SearchConfig{Min: 5, Max: 10}, f.run)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteResults(dir, r); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSummaryCapacity(filepath.Join(dir, "summary.json")); err == nil || !strings.Contains(err.Error(), "must be positive") {
		t.Errorf("planner accepted a capacity run that found no rate: %v", err)
	}
}

func wellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestHintsOfficerQueue(t *testing.T) {
	tests := []struct {
		name     string
		queue    *OfficerQueue
		measured bool
		limiting bool
	}{
		{"not visible", nil, false, false},
		{"steady", &OfficerQueue{WaitingStart: 5, WaitingEnd: 7, GrowthPerS: 0.1, Utilisation: 0.6}, true, false},
		{"piling up", &OfficerQueue{WaitingStart: 5, WaitingEnd: 205, GrowthPerS: 10, Utilisation: 1}, true, true},
	}
	for _, tc := range tests {
		r := &SearchResult{Steps: []Step{{Index: 1, OfferedRate: 8, Summary: fakeSummary(8, 100, 100, 1),
			Resources: Resources{Officers: tc.queue}}}}
		var h *Hint
		for _, x := range Hints(r) {
			if x.Resource == "officer_queue" {
				h = &x
			}
		}
		if h == nil || h.Measured != tc.measured || h.Limiting != tc.limiting {
			t.Errorf("%s: officer hint %+v, want measured %v limiting %v", tc.name, h, tc.measured, tc.limiting)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	tests := []struct {
		stat        string
		busy, total uint64
	}{
		{"cpu  100 5 50 800 20 3 2 0 7 0\ncpu0 1 2 3 4\n", 160, 980},
		{"cpu  10 0 10 80\n", 20, 100},
		{"intr 1 2 3\n", 0, 0},
		{"cpu  x y z w\n", 0, 0},
		{"", 0, 0},
	}
	for _, tc := range tests {
		got := parseProcStat(tc.stat)
		if got.busy != tc.busy || got.total != tc.total {
			t.Errorf("%q: busy %d total %d, want %d %d", tc.stat, got.busy, got.total, tc.busy, tc.total)
		}
	}
}

func TestHintsMachineBusy(t *testing.T) {
	r := &SearchResult{Steps: []Step{{Index: 1, OfferedRate: 8, Summary: fakeSummary(8, 100, 100, 1),
		Resources: Resources{CPUSeconds: 2, WallSeconds: 10, Cores: 2, CPUUtilisation: 0.1, MachineCPUBusy: 0.97}}}}
	for _, h := range Hints(r) {
		if h.Resource == "cpu" && (!h.Limiting || !strings.Contains(h.Detail, "other processes held the cores")) {
			t.Errorf("cpu hint %+v: a saturated machine with a starved process is the limit", h)
		}
	}
}

func TestSearchConfirmRerunsFailures(t *testing.T) {
	// A stall fails the step at 20 once; the true capacity is 50.
	stalled := false
	f := &fakeTarget{capacity: 50, kneeAt: 1e9, baseMS: 1}
	run := func(ctx context.Context, rate float64) (StepResult, error) {
		res, err := f.run(ctx, rate)
		if rate == 20 && !stalled {
			stalled = true
			res.Summary.Passed, res.Summary.SLOs[0].OK = false, false
		}
		return res, err
	}
	r, err := Search(context.Background(), SearchConfig{Min: 10, Max: 1000, Confirm: true}, run)
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxRate < 50/1.05 || r.MaxRate > 50 {
		t.Errorf("max rate %v, want the true 50 despite the one-off failure at 20", r.MaxRate)
	}
	phases := map[float64][]string{}
	for _, s := range r.Steps {
		phases[s.OfferedRate] = append(phases[s.OfferedRate], s.Phase)
	}
	if got := phases[20]; len(got) != 2 || got[1] != PhaseConfirm {
		t.Errorf("steps at 20: %v, want the failure and its confirm", got)
	}
	if got := phases[80]; len(got) != 2 || got[0] != PhaseRamp || got[1] != PhaseConfirm {
		t.Errorf("steps at 80: %v, want a real failure confirmed", got)
	}

	// Without Confirm the one-off failure ends the ramp at 20.
	stalled = false
	r, err = Search(context.Background(), SearchConfig{Min: 10, Max: 1000}, run)
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxRate >= 20 {
		t.Errorf("without confirm, max rate %v: the failure at 20 should have stood", r.MaxRate)
	}
}
