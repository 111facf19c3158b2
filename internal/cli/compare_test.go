package cli

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/report"
)

// fakeRun writes a results folder holding only summary.json: one journey
// with one step whose p95 is p95ms, and the given completion rate.
func fakeRun(t *testing.T, parent, name, scenario string, started time.Time, completion, p95ms float64) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lat := metrics.Percentiles{Count: 500, P50MS: p95ms / 3, P90MS: p95ms * 0.9, P95MS: p95ms, P99MS: p95ms * 1.2, MaxMS: p95ms * 2}
	s := &metrics.Summary{
		SchemaVersion: metrics.SchemaVersion, Scenario: scenario, Description: "Đăng ký khai sinh", Target: "(embedded)", Seed: 1,
		StartedAt: started, EndedAt: started.Add(10 * time.Second), DurationS: 10, PlannedDurationS: 10,
		CompletionRate: completion,
		Journeys:       metrics.JourneyCounts{Started: 100, Completed: uint64(completion * 100)},
		Requests:       metrics.Requests{Count: 500, Rate: 50, StatusCodes: map[string]uint64{"200": 500}},
		Arrivals:       metrics.Arrivals{Intended: 100, Achieved: 100, IntendedRate: 10, AchievedRate: 10, PeakRate: 10},
		Latency:        metrics.Latency{Service: lat, Response: lat},
		Steps:          []metrics.StepStats{{Journey: "apply", Step: "submit", Requests: 500, Service: lat, Response: lat}},
		ByJourney:      []metrics.JourneyStats{{Journey: "apply", CompletionRate: completion}},
		Passed:         true,
	}
	if err := report.WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCompareTwoRuns(t *testing.T) {
	parent := t.TempDir()
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	a := fakeRun(t, parent, "a", "smoke", t0, 1, 20)
	same := fakeRun(t, parent, "b", "smoke", t0.Add(time.Minute), 1, 21) // +5%: noise
	slow := fakeRun(t, parent, "c", "smoke", t0.Add(2*time.Minute), 0.9, 60)

	code, stdout, stderr := runCLI(t, "compare", a, same, "--fail-on-regression")
	if code != ExitOK || !strings.Contains(stdout, "RESULT: no regression") {
		t.Fatalf("same runs: exit %d\n%s%s", code, stdout, stderr)
	}

	junit := filepath.Join(parent, "compare.xml")
	code, stdout, stderr = runCLI(t, "compare", a, slow, "--fail-on-regression", "--junit", junit)
	if code != ExitRegression {
		t.Fatalf("slow run: exit %d, want %d\n%s%s", code, ExitRegression, stdout, stderr)
	}
	for _, want := range []string{"completion_rate", "REGRESSION", "step(apply/submit).p95", "20.0 ms", "60.0 ms", "+40.0 ms (+200.0%)", "RESULT: 8 regressions"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare output lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "metrics regressed") {
		t.Errorf("stderr %q does not say why it failed", stderr)
	}
	var doc report.JUnitSuites
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("junit: %v\n%s", err, b)
	}
	if doc.Failures != 8 || doc.Tests != len(doc.Suites[0].Cases) || doc.Tests < 7 {
		t.Errorf("junit: %d tests, %d failures\n%s", doc.Tests, doc.Failures, b)
	}

	// Without --fail-on-regression a regression is reported, not fatal.
	code, _, _ = runCLI(t, "compare", a, slow)
	if code != ExitOK {
		t.Errorf("exit %d without --fail-on-regression", code)
	}
	// A looser latency threshold and completion drop turn it into no regression.
	code, stdout, _ = runCLI(t, "compare", a, slow, "--fail-on-regression", "--max-latency-increase", "300%", "--max-completion-drop", "15%")
	if code != ExitOK {
		t.Errorf("loose thresholds: exit %d\n%s", code, stdout)
	}
}

func TestCompareWithTheLastRun(t *testing.T) {
	parent := t.TempDir()
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	fakeRun(t, parent, "1-smoke", "smoke", t0, 1, 20)
	prev := fakeRun(t, parent, "2-smoke", "smoke", t0.Add(time.Minute), 1, 20)
	fakeRun(t, parent, "3-weekday", "weekday", t0.Add(2*time.Minute), 1, 20) // other scenario
	latest := fakeRun(t, parent, "4-smoke", "smoke", t0.Add(3*time.Minute), 1, 20)
	os.MkdirAll(filepath.Join(parent, "5-empty"), 0o755) // no summary.json: ignored

	for _, args := range [][]string{
		{"compare", "--last", latest},
		{"compare", latest},
		{"compare", "--results", parent},
		{"compare", filepath.Join(latest, "summary.json")},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d\n%s", args, code, stderr)
		}
		if !strings.Contains(stdout, "base  "+prev+"  (smoke") || !strings.Contains(stdout, "new   "+latest+"  (smoke") {
			t.Errorf("%v did not compare %s with %s:\n%s", args, latest, prev, stdout)
		}
	}
	first := filepath.Join(parent, "1-smoke")
	code, _, stderr := runCLI(t, "compare", first)
	if code != ExitError || !strings.Contains(stderr, `no earlier run of scenario "smoke"`) {
		t.Errorf("first run: exit %d, %s", code, stderr)
	}
	code, _, stderr = runCLI(t, "compare", "--last", first, latest)
	if code != ExitUsage {
		t.Errorf("--last with two runs: exit %d, %s", code, stderr)
	}
}

func TestCompareThresholdFlagsAndFile(t *testing.T) {
	parent := t.TempDir()
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	a := fakeRun(t, parent, "a", "smoke", t0, 1, 20)
	b := fakeRun(t, parent, "b", "smoke", t0.Add(time.Minute), 1, 26) // +30%, +6 ms

	file := filepath.Join(parent, "thresholds.yaml")
	os.WriteFile(file, []byte("max_latency_increase: 50%\nlatency_floor: 1ms\nmin_tail_samples: 10\n"), 0o644)
	code, stdout, _ := runCLI(t, "compare", a, b, "--thresholds", file, "--fail-on-regression")
	if code != ExitOK || !strings.Contains(stdout, "latency +50% and +1 ms (judged with ≥10 requests above the percentile)") {
		t.Errorf("thresholds file: exit %d\n%s", code, stdout)
	}
	// The flag wins over the file.
	code, _, _ = runCLI(t, "compare", a, b, "--thresholds", file, "--max-latency-increase", "0.1", "--fail-on-regression")
	if code != ExitRegression {
		t.Errorf("flag over file: exit %d", code)
	}
	// A floor above the change makes it noise.
	code, _, _ = runCLI(t, "compare", a, b, "--latency-floor", "10ms", "--fail-on-regression")
	if code != ExitOK {
		t.Errorf("--latency-floor 10ms: exit %d", code)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-latency-increase", "20"}, `"20" is ambiguous: write 20% or 0.2`},
		{[]string{"--max-rate-drop", "lots"}, `not a percentage`},
		{[]string{"--max-completion-drop", "150%"}, `max_completion_drop: 1.5 is out of range`},
		{[]string{"--format", "pdf"}, `--format "pdf"`},
	} {
		code, _, stderr := runCLI(t, append([]string{"compare", a, b}, c.args...)...)
		if code != ExitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	bad := filepath.Join(parent, "bad.yaml")
	os.WriteFile(bad, []byte("max_latency_increase: 20\nmax_latency: 1\n"), 0o644)
	code, _, stderr := runCLI(t, "compare", a, b, "--thresholds", bad)
	if code == ExitOK || !strings.Contains(stderr, "max_latency") {
		t.Errorf("bad thresholds file: exit %d, %s", code, stderr)
	}
}

func TestCompareHTMLAndJSON(t *testing.T) {
	parent := t.TempDir()
	t0 := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	a := fakeRun(t, parent, "a", "smoke", t0, 1, 20)
	b := fakeRun(t, parent, "b", "smoke", t0.Add(time.Minute), 1, 60)
	out := filepath.Join(parent, "compare.html")
	if code, _, stderr := runCLI(t, "compare", a, b, "--format", "html", "--output", out); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	page, _ := os.ReadFile(out)
	if !strings.Contains(string(page), `<tr class="regression">`) || !strings.Contains(string(page), "<svg") {
		t.Errorf("compare.html lacks the regression row or the chart")
	}
	code, stdout, _ := runCLI(t, "compare", a, b, "--format", "json")
	if code != ExitOK || !strings.Contains(stdout, `"verdict": "regression"`) {
		t.Errorf("json: exit %d\n%s", code, stdout)
	}
}

func TestReportReRenders(t *testing.T) {
	parent := t.TempDir()
	dir := fakeRun(t, parent, "a", "smoke", time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), 1, 20)
	for _, c := range []struct {
		format, want string
	}{
		{"text", "portalsim run: smoke"},
		{"json", `"schema_version": 1`},
		{"html", "Đăng ký khai sinh"},
	} {
		code, stdout, stderr := runCLI(t, "report", dir, "--format", c.format)
		if code != ExitOK || !strings.Contains(stdout, c.want) {
			t.Errorf("--format %s: exit %d, %s\n%.400s", c.format, code, stderr, stdout)
		}
	}
	if code, _, stderr := runCLI(t, "report", dir, "--write-folder"); code != ExitOK {
		t.Fatalf("--write-folder: exit %d, %s", code, stderr)
	}
	for _, f := range []string{report.ReportFile, report.HTMLFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("--write-folder did not write %s", f)
		}
	}
	// No results.bin: no plot, and asking for one says why.
	if code, _, stderr := runCLI(t, "report", dir, "--format", "plot"); code != ExitError || !strings.Contains(stderr, "results.bin") {
		t.Errorf("plot without results.bin: exit %d, %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "report", dir, "--format", "pdf"); code != ExitUsage {
		t.Errorf("--format pdf: exit %d", code)
	}
	if code, _, stderr := runCLI(t, "report", filepath.Join(parent, "nope")); code != ExitError || !strings.Contains(stderr, "read summary") {
		t.Errorf("missing folder: exit %d, %s", code, stderr)
	}
}
