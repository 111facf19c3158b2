package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCapacityWritesAFolderThePlannerReads: every step passes up to --max,
// so the answer is --max as a lower bound; the folder has every file and
// `plan --capacity-from` takes max_rate and requests_per_journey from it.
func TestCapacityWritesAFolderThePlannerReads(t *testing.T) {
	srv, served := pingServer(t)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "capacity", tinyScenario(t, "http.error_rate < 0.01"), "--target", srv.URL, "--out", out,
		"--min", "5", "--max", "10", "--step-duration", "1s", "--warmup", "200ms", "--max-time", "30s", "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s\nstdout %s", code, stderr, stdout)
	}
	dir := onlyDir(t, out)
	if !strings.HasSuffix(dir, "-capacity-tiny-run") {
		t.Errorf("folder %s, want <time>-capacity-tiny-run", dir)
	}
	for _, f := range []string{"steps.jsonl", "summary.json", "report.txt", "capacity.svg", "capacity.html", "scenario.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	var res struct {
		MaxRate    float64 `json:"max_rate"`
		LowerBound bool    `json:"lower_bound"`
		Steps      []struct {
			OfferedRate float64 `json:"offered_rate"`
			Passed      bool    `json:"passed"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("--format json stdout is not one JSON document: %v\n%s", err, stdout)
	}
	if res.MaxRate != 10 || !res.LowerBound || len(res.Steps) != 2 || res.Steps[0].OfferedRate != 5 || res.Steps[1].OfferedRate != 10 {
		t.Errorf("result %+v, want steps at 5 and 10 and 10 as a lower bound", res)
	}
	if !strings.Contains(stderr, "step 2 ramp") || !strings.Contains(stderr, "results: "+dir) {
		t.Errorf("progress (stderr with --format json) lacks the steps or the folder:\n%s", stderr)
	}
	// Warm-up 0.2 s + step 1 s at 5 and at 10 journeys/s, one request each.
	if n := served.Load(); n < 14 || n > 20 {
		t.Errorf("server saw %d requests, want about 18", n)
	}

	code, planOut, planErr := runCLI(t, "plan", "--capacity-from", filepath.Join(dir, "summary.json"), "--format", "json")
	if code != ExitOK {
		t.Fatalf("plan --capacity-from: exit %d, %s", code, planErr)
	}
	var plan struct {
		Input struct {
			CapacityPerInstance        float64 `json:"capacity_per_instance"`
			CapacityRequestsPerJourney float64 `json:"capacity_requests_per_journey"`
			CapacitySource             string  `json:"capacity_source"`
		} `json:"input"`
	}
	if err := json.Unmarshal([]byte(planOut), &plan); err != nil {
		t.Fatal(err)
	}
	if in := plan.Input; in.CapacityPerInstance != 10 || in.CapacityRequestsPerJourney != 1 || !strings.Contains(in.CapacitySource, "scenario tiny run") {
		t.Errorf("plan read %+v, want 10 journeys/s, 1 request per journey, scenario tiny run", in)
	}
}

func TestCapacityNoRatePasses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `{"error":{"code":"overloaded"}}`)
	}))
	t.Cleanup(srv.Close)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "capacity", tinyScenario(t, "http.error_rate < 0.01"), "--target", srv.URL, "--out", out,
		"--min", "4", "--step-duration", "500ms", "--warmup", "0s")
	if code != ExitError || !strings.Contains(stderr, "no rate met the SLOs") {
		t.Fatalf("exit %d stderr %q, want %d and no rate", code, stderr, ExitError)
	}
	for _, want := range []string{"MAX SUSTAINABLE RATE: none", "no rate passed", "First broken SLO: http.error_rate < 0.01 at 4 journeys/s", "load_shedding  LIMITING"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	dir := onlyDir(t, out)
	code, _, planErr := runCLI(t, "plan", "--capacity-from", filepath.Join(dir, "summary.json"))
	if code == ExitOK || !strings.Contains(planErr, "max_rate 0 must be positive") {
		t.Errorf("plan accepted a capacity run that found nothing: exit %d %s", code, planErr)
	}
}

func TestCapacityRefusesBadInput(t *testing.T) {
	path := tinyScenario(t, "http.error_rate < 0.01")
	noSLOs := filepath.Join(t.TempDir(), "noslo.yaml")
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(noSLOs, []byte(strings.Split(string(b), "slos:")[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"format", []string{path, "--format", "xml"}, ExitUsage, `--format "xml"`},
		{"max below min", []string{path, "--min", "10", "--max", "5"}, ExitUsage, "--max 5 is below --min 10"},
		{"zero min", []string{path, "--min", "0"}, ExitUsage, "must be in (0, ∞)"},
		{"precision", []string{path, "--precision", "150%"}, ExitUsage, "must be in (0, 1)"},
		{"step duration", []string{path, "--step-duration", "0s"}, ExitUsage, "must be positive"},
		{"negative drain", []string{path, "--drain", "-1s"}, ExitUsage, "--drain not negative"},
		{"remote target", []string{path, "--target", "http://example.com"}, ExitError, "only loopback targets"},
		{"no SLOs", []string{noSLOs, "--target", "http://127.0.0.1:1"}, ExitError, "no slos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			code, _, stderr := runCLI(t, append([]string{"capacity", "--out", out}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d stderr %q, want %d and %q", code, stderr, tt.code, tt.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("a refused search created %d folders", len(entries))
			}
		})
	}
}

// TestCapacityFreshEmbeddedPortalPerStep runs two short steps of the smoke
// scenario, each against its own new embedded portal.
func TestCapacityFreshEmbeddedPortalPerStep(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded portal twice")
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "capacity", "../../scenarios/smoke.yaml", "--out", out, "--fresh-portal",
		"--min", "1", "--max", "2", "--step-duration", "1s", "--warmup", "0s", "--max-time", "1m")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s\nstdout %s", code, stderr, stdout)
	}
	dir := onlyDir(t, out)
	for _, name := range []string{"portal-step1", "portal-step2", "portal-step1.log"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "portal")); err == nil {
		t.Error("a shared portal was started besides the per-step ones")
	}
	if !strings.Contains(stdout, "MAX SUSTAINABLE RATE: 2 journeys/s (a lower bound") || !strings.Contains(stdout, "(embedded, fresh for this step)") {
		t.Errorf("stdout:\n%s", stdout)
	}
}
