package cli

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/portalsim/portalsim/loadtest/engine"
	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/sqlite"
)

// tinyScenario is one GET per journey against --target.
func tinyScenario(t *testing.T, slo string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	body := `name: tiny run
duration: 1s
drain: 2s
seed: 3
arrival: {profile: constant, rate: 10, process: uniform}
mix: [{journey: ping, weight: 1}]
personas: [{name: p, share: 1}]
journeys:
  ping:
    steps:
      - {name: health, method: GET, path: /healthz}
slos:
  - "` + slo + `"
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func pingServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		io.WriteString(w, `{"status":"ok"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func onlyDir(t *testing.T, out string) string {
	t.Helper()
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) != 1 {
		t.Fatalf("results folder %s: %v entries, %v", out, len(entries), err)
	}
	return filepath.Join(out, entries[0].Name())
}

func TestRunWritesTheResultsFolder(t *testing.T) {
	srv, served := pingServer(t)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", tinyScenario(t, "completion_rate >= 0.99"), "--target", srv.URL, "--out", out)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s\nstdout %s", code, stderr, stdout)
	}
	dir := onlyDir(t, out)
	if !strings.HasSuffix(dir, "-tiny-run") {
		t.Errorf("run folder %s, want <time>-tiny-run", dir)
	}
	for _, f := range []string{"results.bin", "journeys.jsonl", "summary.json", "report.txt", "scenario.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	if !strings.Contains(stdout, "RESULT: PASS") || !strings.Contains(stdout, "results: "+dir+"\n") {
		t.Errorf("stdout lacks the report or the folder:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum metrics.Summary
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum.SchemaVersion != 1 || sum.Journeys.Completed != 10 || sum.Requests.Count != uint64(served.Load()) || !sum.Passed || sum.Seed != 3 {
		t.Errorf("summary: schema %d, completed %d, requests %d (server %d), passed %v, seed %d",
			sum.SchemaVersion, sum.Journeys.Completed, sum.Requests.Count, served.Load(), sum.Passed, sum.Seed)
	}
	f, err := os.Open(filepath.Join(dir, "results.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	var n int
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		n++
	}
	if int64(n) != served.Load() {
		t.Errorf("results.bin has %d results, server served %d", n, served.Load())
	}
}

func TestRunExitsWithSLOFailed(t *testing.T) {
	srv, _ := pingServer(t)
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", tinyScenario(t, "http.p99 < 1us"), "--target", srv.URL, "--out", out, "--quiet", "--duration", "500ms", "--rate", "4")
	if code != ExitSLOFailed {
		t.Fatalf("exit %d, want %d; stderr %s", code, ExitSLOFailed, stderr)
	}
	dir := onlyDir(t, out)
	if stdout != "results: "+dir+"\n" {
		t.Errorf("--quiet printed %q", stdout)
	}
	report, _ := os.ReadFile(filepath.Join(dir, "report.txt"))
	if !strings.Contains(string(report), "FAIL  http.p99 < 1us") {
		t.Errorf("report lacks the failed SLO:\n%s", report)
	}
	// --rate 4 and --duration 500ms: 2 journeys.
	if !strings.Contains(string(report), "intended 2 (") {
		t.Errorf("overrides not applied:\n%s", report)
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"remote target", []string{"--target", "http://example.com"}, "only loopback targets"},
		{"private address", []string{"--target", "http://10.0.0.1:8080"}, "only loopback targets"},
		{"not a URL", []string{"--target", "127.0.0.1:8080"}, "want embedded or an http(s) base URL"},
		{"negative rate", []string{"--rate", "-1"}, "must not be negative"},
	}
	path := tinyScenario(t, "completion_rate >= 0.99")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			code, _, stderr := runCLI(t, append([]string{"run", path, "--out", out}, tt.args...)...)
			if code != ExitError || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d stderr %q, want %q", code, stderr, tt.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("a refused run created %d run folders", len(entries))
			}
		})
	}
	code, _, stderr := runCLI(t, "run", filepath.Join(t.TempDir(), "missing.yaml"))
	if code != ExitError || !strings.Contains(stderr, "read scenario") {
		t.Errorf("missing file: exit %d stderr %q", code, stderr)
	}
}

// TestRunSmokeAgainstTheEmbeddedPortal runs the shipped smoke scenario,
// shortened, against a fresh embedded portal: every journey must complete.
func TestRunSmokeAgainstTheEmbeddedPortal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded portal")
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "../../scenarios/smoke.yaml", "--out", out, "--duration", "3s", "--quiet")
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s, stdout %s", code, stderr, stdout)
	}
	sum := readSummary(t, onlyDir(t, out))
	if sum.Journeys.Started < 9 || sum.CompletionRate != 1 || sum.Requests.Errors != 0 {
		t.Errorf("smoke: %+v, completion %.3f, errors %d", sum.Journeys, sum.CompletionRate, sum.Requests.Errors)
	}

	// What the portal itself stored equals what the summary counted: every
	// 201 from a create step is a dossier, every 200 from a submit step a
	// submitted one (the back office may have moved it on since).
	var created, submitted uint64
	for _, st := range sum.Steps {
		switch st.Step {
		case "create":
			created += st.StatusCodes["201"]
		case "submit":
			submitted += st.StatusCodes["200"]
		}
	}
	db, err := sqlite.Open(filepath.Join(onlyDir(t, out), "portal", "portal.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("embedded portal database under the run folder: %v", err)
	}
	defer db.Close()
	byStatus, err := db.CountByStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var stored, storedSubmitted uint64
	for status, n := range byStatus {
		stored += uint64(n)
		if status != portal.StatusDraft && status != portal.StatusWithdrawn {
			storedSubmitted += uint64(n)
		}
	}
	if created == 0 || submitted == 0 || stored != created || storedSubmitted != submitted {
		t.Errorf("summary: %d created, %d submitted; portal stored %d dossiers, %d past draft (%v)", created, submitted, stored, storedSubmitted, byStatus)
	}
}

func readSummary(t *testing.T, dir string) *metrics.Summary {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s metrics.Summary
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

func TestProgressLine(t *testing.T) {
	pr := engine.Progress{Elapsed: 12*time.Second + 300*time.Millisecond, ArrivalWindow: time.Minute, Total: 90 * time.Second,
		TargetRate: 20, AchievedRate: 19.5, RequestRate: 140, InFlight: 34,
		Progress: metrics.Progress{Errors: 3, P95: 120 * time.Millisecond, CompletionRate: 0.951, Journeys: metrics.JourneyCounts{Started: 200, Completed: 190}}}
	var b strings.Builder
	p := &progressPrinter{w: &b, terminal: true}
	p.print(pr)
	p.print(pr)
	p.done()
	want := "\r\x1b[K12s/1m0s  journeys 19.5/s (target 20.0/s)  140 req/s  in flight 34  completed 95.1% (190/200)  p95 120ms  errors 3"
	if b.String() != want+want+"\n" {
		t.Errorf("terminal progress %q", b.String())
	}
	b.Reset()
	p = &progressPrinter{w: &b}
	p.print(pr)
	p.print(pr) // within 5 s: not printed again
	pr.Elapsed = 75 * time.Second
	if b.String() != strings.TrimPrefix(want, "\r\x1b[K")+"\n" {
		t.Errorf("plain progress %q", b.String())
	}
	p.last = time.Time{}
	b.Reset()
	p.print(pr)
	if !strings.HasPrefix(b.String(), "1m15s draining (max 1m30s)") {
		t.Errorf("drain progress %q", b.String())
	}
}
