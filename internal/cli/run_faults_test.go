package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

// faultScenario reads one procedure 20 times a second for 8 s against the
// embedded portal, with the given fault schedule.
func faultScenario(t *testing.T, faults string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "faulty.yaml")
	body := `name: faulty
duration: 8s
drain: 3s
seed: 5
arrival: {profile: constant, rate: 20, process: uniform}
mix: [{journey: read, weight: 1}]
personas: [{name: p, share: 1}]
journeys:
  read:
    steps:
      - {name: procedure, method: GET, path: /api/v1/procedures/1.001193, expect: [200]}
faults:
` + faults
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Two faults on one route, from 1 s to 3 s and from 4 s to 6 s of the
// run, fail the requests of those windows and only those: the per-second
// time series shows errors inside the windows recorded in summary.json and
// none outside them. The second fault is sent when the first is over (the
// portal holds one fault per target).
func TestRunAppliesTheFaultScheduleInItsWindowsOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded portal")
	}
	out := t.TempDir()
	file := faultScenario(t, `  - {route: "/api/v1/procedures/{code}", at: 1s, duration: 2s, error_rate: 1}
  - {route: "/api/v1/procedures/{code}", at: 4s, duration: 2s, outage: true}
`)
	code, stdout, stderr := runCLI(t, "run", file, "--out", out, "--quiet")
	if code != ExitSLOFailed && code != ExitOK {
		t.Fatalf("exit %d, stderr %s, stdout %s", code, stderr, stdout)
	}
	for _, want := range []string{
		"fault faults[0] /api/v1/procedures/{code} error_rate 1 set for 1s–3s of the run",
		"fault faults[0] /api/v1/procedures/{code} error_rate 1 active (1s of the run)",
		"fault faults[0] /api/v1/procedures/{code} error_rate 1 over (3s of the run)",
		"fault faults[1] /api/v1/procedures/{code} outage set for 4s–6s of the run",
		"fault faults[1] /api/v1/procedures/{code} outage over (6s of the run)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	sum := readSummary(t, onlyDir(t, out))
	if len(sum.Faults) != 2 {
		t.Fatalf("summary faults: %+v", sum.Faults)
	}
	for i, f := range sum.Faults {
		if f.AppliedAt == nil || len(f.Targets) != 1 || f.Targets[0] != "GET /api/v1/procedures/:code" {
			t.Errorf("fault record %d: %+v", i, f)
		}
		// The engine starts a moment after the schedule's clock: each
		// window sits at its times minus that moment.
		at := float64(1 + 3*i)
		if f.StartS < at-0.1 || f.StartS > at || f.EndS-f.StartS < 1.999 || f.EndS-f.StartS > 2.001 {
			t.Errorf("fault %d: window %.3f–%.3f s, want %g–%g s of the run", i, f.StartS, f.EndS, at, at+2)
		}
	}
	if a, b := sum.Faults[0], sum.Faults[1]; a.ErrorRate != 1 || a.Outage || !b.Outage || !b.AppliedAt.After(a.End) {
		t.Errorf("faults: %+v then %+v; the second must be sent after the first window", a, b)
	}
	step := sum.TimeSeries.IntervalS
	var inside, outside, insideErrs, outsideErrs uint64
	for _, p := range sum.TimeSeries.Points {
		from, to := p.T, p.T+step
		in, out := false, true
		for _, f := range sum.Faults {
			in = in || (from >= f.StartS && to <= f.EndS)
			out = out && (to <= f.StartS || from >= f.EndS)
		}
		switch {
		case in:
			inside += p.Requests
			insideErrs += p.Errors
		case out:
			outside += p.Requests
			outsideErrs += p.Errors
		}
	}
	if inside < 40 || float64(insideErrs)/float64(inside) < 0.9 {
		t.Errorf("inside the windows: %d errors of %d requests, want (nearly) all", insideErrs, inside)
	}
	if outside < 40 || outsideErrs != 0 {
		t.Errorf("outside the windows: %d errors of %d requests, want none", outsideErrs, outside)
	}
}

func TestRunRefusesABadFaultSchedule(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded portal")
	}
	for name, tc := range map[string]struct{ faults, want string }{
		"unknown route": {"  - {route: /api/v1/nowhere, at: 1s, duration: 1s, outage: true}\n", `faults[0].route "/api/v1/nowhere" is not a route of`},
		"overlap": {"  - {dependency: payment, at: 1s, duration: 3s, outage: true}\n  - {dependency: payment, at: 2s, duration: 1s, error_rate: 0.5}\n",
			"faults[0] and faults[1] overlap on payment"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "run", faultScenario(t, tc.faults), "--out", t.TempDir(), "--quiet")
			if code == ExitOK || code == ExitSLOFailed || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want an error naming %q; stderr %s stdout %s", code, tc.want, stderr, stdout)
			}
		})
	}
}

func TestGinPattern(t *testing.T) {
	for in, want := range map[string]string{
		"/api/v1/dossiers/{id}/submit":               "/api/v1/dossiers/:id/submit",
		"/api/v1/dossiers/:id/submit":                "/api/v1/dossiers/:id/submit",
		"/api/v1/dossiers/{id}/attachments/{att_id}": "/api/v1/dossiers/:id/attachments/:att_id",
		"/healthz": "/healthz",
	} {
		if got := ginPattern(in); got != want {
			t.Errorf("ginPattern(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPortalFaultWindow(t *testing.T) {
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	f := portalFault(scenario.Fault{Dependency: "payment", Latency: scenario.Duration(300 * time.Millisecond), ErrorRate: 0.2},
		"payment", start, start.Add(15*time.Second))
	if err := f.Validate(); err != nil {
		t.Fatal(err)
	}
	if !f.ActiveAt(start) || f.ActiveAt(start.Add(-time.Millisecond)) || f.ActiveAt(start.Add(15*time.Second)) {
		t.Errorf("window %v–%v", f.Start, f.End)
	}
	if f.Latency.String() != "300ms" || f.ErrorRate != 0.2 || f.Outage {
		t.Errorf("fault %+v", f)
	}
}
