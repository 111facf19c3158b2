package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portalsim/portalsim/loadtest/capacity"
)

// runPlan runs `portalsim plan args...` in process and returns the exit
// code, stdout and stderr.
func runPlan(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{
		Ctx:    context.Background(),
		Args:   append([]string{"plan"}, args...),
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errOut,
		Getenv: func(string) string { return "" },
	}
	code := Main(env)
	return code, out.String(), errOut.String()
}

func planJSON(t *testing.T, args ...string) capacity.PlanResult {
	t.Helper()
	code, out, errOut := runPlan(t, append(args, "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r capacity.PlanResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not a PlanResult: %v\n%s", err, out)
	}
	return r
}

func TestPlanText(t *testing.T) {
	code, out, errOut := runPlan(t, "--capacity", "50", "--sim-days", "1")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"1,600,000",
		"76,190 submissions a working day", // 1.6M ÷ 21
		"2.54 → 3.22",                      // DOMAIN.md's ≈2.5/s, then × 50/39.46
		"12.70 → 16.09",                    // × peak factor 5
		"3 instances",                      // ⌈643.6 ÷ 350⌉ = 2, + 1 spare
		"4,951 officers",                   // Erlang C: ⌈a⌉ with days of slack
		"5,825",                            // occupancy cap 85%
		"Cross-check: simulation",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text plan lacks %q:\n%s", want, out)
		}
	}
}

func TestPlanJSON(t *testing.T) {
	r := planJSON(t, "--capacity", "50", "--sim-days", "0", "--month", "2025-05", "--redundancy", "0")
	if r.Input.WorkingDaysPerMonth != 20 {
		t.Errorf("--month 2025-05: %v working days, want 20", r.Input.WorkingDaysPerMonth)
	}
	// 1.6M ÷ 20 × 0.6 ÷ 18,000 s × 5 = 13.33 journeys/s at peak today.
	if got := r.Baseline.PeakJourneysPerS; math.Abs(got-1_600_000.0/20*0.6/18000*5) > 1e-9 {
		t.Errorf("baseline peak journeys/s = %v", got)
	}
	if r.Instances == nil || r.Instances.Redundancy != 0 || r.Instances.Total != r.Instances.Needed {
		t.Errorf("instances %+v", r.Instances)
	}
	if r.BackOffice.Simulation != nil {
		t.Errorf("--sim-days 0 still simulated")
	}
}

func TestPlanHTML(t *testing.T) {
	code, out, errOut := runPlan(t, "--format", "html", "--sim-days", "0", "--peak-factor", "6")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"<!doctype html>", "National-volume plan", "peak factor 6.0", "instances not sized"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(out, "http") || strings.Contains(out, "<script") {
		t.Errorf("HTML page is not self-contained")
	}
}

func TestPlanCapacityFromSummary(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.json")
	doc := `{"schema_version":1,"scenario":"weekday","requests_per_journey":8,"capacity":{"max_rate":40,"knee_rate":35}}`
	if err := os.WriteFile(summary, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	r := planJSON(t, "--capacity-from", summary, "--sim-days", "0")
	// 40 journeys/s × 8 requests = 320 req/s, 224 usable. Planned peak:
	// 16.09 × (8 + 30) = 611.5 req/s → ⌈2.73⌉ = 3, + 1 = 4.
	ip := r.Instances
	if ip == nil || ip.CapacityRequestsPerS != 320 || ip.Needed != 3 || ip.Total != 4 {
		t.Errorf("instances %+v, want 320 req/s per instance, 3 + 1", ip)
	}
	if r.Input.RequestsPerJourney != 8 || !strings.Contains(r.Input.CapacitySource, "weekday") {
		t.Errorf("summary not used: %+v", r.Input)
	}
}

func TestPlanScenario(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.yaml")
	const yaml = `name: plan-test
duration: 10s
arrival: {profile: constant, rate: 1}
mix:
  - {journey: apply, procedure: "1.001", weight: 3}
  - {journey: look, procedure: "1.002", weight: 1}
personas:
  - {name: p, share: 1}
journeys:
  apply:
    steps:
      - {name: a, method: GET, path: /api/v1/healthz}
      - {name: b, method: GET, path: /api/v1/healthz}
      - {name: c, method: GET, path: /api/v1/healthz}
  look:
    steps:
      - {name: a, method: GET, path: /api/v1/healthz}
`
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	r := planJSON(t, "--scenario", path, "--per-procedure", "--sim-days", "0")
	// (3 × 3 + 1 × 1) ÷ 4 = 2.5 requests per journey.
	if r.Input.RequestsPerJourney != 2.5 {
		t.Errorf("requests per journey %v, want 2.5", r.Input.RequestsPerJourney)
	}
	if len(r.Procedures) != 2 || r.Procedures[0].Share != 0.75 {
		t.Errorf("per-procedure staffing %+v", r.Procedures)
	}
	// Codes unknown to the catalogue keep --statutory-days (3 days of 8 h,
	// minus one effective handling of 20 min × 8/6.5).
	if got, want := r.Procedures[0].AllowedWaitS, 3*8*3600-1200*8/6.5; math.Abs(got-want) > 1e-6 {
		t.Errorf("allowed wait of an unknown code %v, want %v", got, want)
	}

	// Known codes take the catalogue's processing days: birth registration
	// is same-day (half a working day allowed), permanent residence 7 days.
	real := strings.NewReplacer(`"1.001"`, `"1.001193"`, `"1.002"`, `"1.004222"`).Replace(yaml)
	if err := os.WriteFile(path, []byte(real), 0o644); err != nil {
		t.Fatal(err)
	}
	r = planJSON(t, "--scenario", path, "--per-procedure", "--sim-days", "0")
	handling := 1200 * 8 / 6.5
	for i, days := range []float64{0.5, 7} {
		if got, want := r.Procedures[i].AllowedWaitS, days*8*3600-handling; math.Abs(got-want) > 1e-6 {
			t.Errorf("%s: allowed wait %v s, want %v s (%v days)", r.Procedures[i].Code, got, want, days)
		}
	}
	// --requests-per-journey wins over the scenario.
	if r := planJSON(t, "--scenario", path, "--requests-per-journey", "12", "--sim-days", "0"); r.Input.RequestsPerJourney != 12 {
		t.Errorf("--requests-per-journey ignored: %v", r.Input.RequestsPerJourney)
	}
}

func TestPlanBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // all must appear in stderr
		code int
	}{
		{"headroom above 1", []string{"--headroom", "1.5"}, []string{"--headroom", "[0, 1)"}, ExitUsage},
		{"headroom 100%", []string{"--headroom", "100%"}, []string{"--headroom"}, ExitUsage},
		{"headroom not a number", []string{"--headroom", "lots"}, []string{"--headroom", "not a number"}, ExitUsage},
		{"on-time target 100%", []string{"--on-time-target", "100%"}, []string{"--on-time-target"}, ExitUsage},
		{"negative capacity", []string{"--capacity", "-3"}, []string{"--capacity"}, ExitUsage},
		{"zero monthly dossiers", []string{"--monthly-dossiers", "0"}, []string{"--monthly-dossiers"}, ExitUsage},
		{"peak factor below 1", []string{"--peak-factor", "0.5"}, []string{"--peak-factor"}, ExitUsage},
		{"no officer pools", []string{"--officer-pools", "0"}, []string{"--officer-pools", "at least 1"}, ExitUsage},
		{"fractional redundancy", []string{"--redundancy", "1.5"}, []string{"--redundancy", "whole number"}, ExitUsage},
		{"format", []string{"--format", "xml"}, []string{"--format", "text, json or html"}, ExitUsage},
		{"month", []string{"--month", "2025-13"}, []string{"--month", "YYYY-MM"}, ExitUsage},
		{"productive hours", []string{"--officer-productive-hours", "9"}, []string{"--officer-productive-hours", "8 working hours"}, ExitUsage},
		{"negative allowed wait", []string{"--allowed-wait", "-1h"}, []string{"--allowed-wait"}, ExitUsage},
		{"both capacities", []string{"--capacity", "10", "--capacity-from", "x.json"}, []string{"capacity", "capacity-from"}, ExitUsage},
		{"missing summary", []string{"--capacity-from", "/nonexistent/summary.json"}, []string{"--capacity-from", "/nonexistent/summary.json"}, ExitError},
		{"missing scenario", []string{"--scenario", "/nonexistent/s.yaml"}, []string{"--scenario"}, ExitError},
		{"per-procedure alone", []string{"--per-procedure"}, []string{"--per-procedure", "--scenario"}, ExitError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runPlan(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if out != "" {
				t.Errorf("wrote a plan despite the error:\n%s", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not name %q", errOut, w)
				}
			}
		})
	}
}
