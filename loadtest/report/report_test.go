package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/scenario"
)

var update = flag.Bool("update", false, "rewrite golden files")

// syntheticSummary feeds a recorder a fixed, deterministic run: two
// journeys, one procedure each, with known latencies, errors, an abandoned
// and a failed journey and some lateness.
func syntheticSummary(t *testing.T) *metrics.Summary {
	t.Helper()
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	rec := metrics.NewRecorder(metrics.RunInfo{
		Scenario: "synthetic", Description: "A fixed run for golden files.", Scale: "1:1000 of national peak",
		Target: "http://127.0.0.1:8080 (embedded)", Seed: 42, Start: start,
		Duration: 10 * time.Second, Drain: 5 * time.Second, PeakRate: 2, Settle: time.Second,
		Steps: map[string][]string{
			"apply":  {"login", "create", "submit"},
			"lookup": {"status"},
		},
	})
	for i := range 20 {
		at := start.Add(time.Duration(i) * 500 * time.Millisecond)
		rec.IntendedArrival(at)
		journey, proc := "apply", "1.001612"
		steps := []string{"login", "create", "submit"}
		if i%4 == 3 {
			journey, proc, steps = "lookup", "2.000001", []string{"status"}
		}
		sent := at
		var reached, passed []string
		var active time.Duration
		kind, stop := metrics.Completed, ""
		for k, step := range steps {
			late := time.Duration(i%3) * time.Millisecond
			if i == 7 {
				late = 1500 * time.Millisecond
			}
			latency := time.Duration(10+5*k+i) * time.Millisecond
			status, errMsg := 200, ""
			if step == "submit" && i%5 == 0 {
				status, errMsg = 503, "503 Service Unavailable"
			}
			if i == 13 && step == "create" {
				kind, stop = metrics.Abandoned, step
				break
			}
			reached = append(reached, step)
			rec.Request(metrics.Request{Journey: journey, Procedure: proc, Step: step, First: k == 0,
				Intended: sent, Sent: sent.Add(late), Latency: latency, Status: status, Error: errMsg, BytesIn: 100, BytesOut: 50})
			active += late + latency
			sent = sent.Add(late + latency + 2*time.Second)
			if status != 200 {
				kind, stop = metrics.Failed, step
				break
			}
			passed = append(passed, step)
		}
		if i == 19 {
			kind, stop = metrics.Interrupted, steps[len(reached)-1]
		}
		rec.JourneyEnded(metrics.JourneyEnd{Journey: journey, Procedure: proc, Persona: []string{"office", "student"}[i%2],
			Kind: kind, Step: stop, Reason: map[string]string{metrics.Failed: "status 503, want 200"}[kind],
			Reached: reached, Passed: passed, End: sent, Total: sent.Sub(at), Active: active})
	}
	s := rec.Summary(start.Add(14500*time.Millisecond), false)
	var slos []scenario.SLO
	for _, expr := range []string{
		"completion_rate >= 0.7", "http.error_rate < 0.01", "step(submit).p95 < 800ms",
		"journey(lookup).completion_rate >= 0.99", "step(nope).p95 < 1s", "lateness.p99 < 1s",
	} {
		slo, err := scenario.ParseSLO(expr)
		if err != nil {
			t.Fatal(err)
		}
		slos = append(slos, slo)
	}
	Evaluate(s, slos)
	return s
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n--- got\n%s", name, got)
	}
}

func TestReportTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, syntheticSummary(t)); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.txt.golden", b.Bytes())
}

func TestSummaryJSONGolden(t *testing.T) {
	b, err := MarshalSummary(syntheticSummary(t))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.json.golden", b)

	// The documented top-level fields are all there.
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"schema_version", "scenario", "target", "seed", "started_at", "duration_s", "completion_rate",
		"journeys", "requests", "arrivals", "latency", "steps", "slos", "passed", "requests_per_journey", "timeseries"} {
		if _, ok := top[f]; !ok {
			t.Errorf("summary.json lacks %q", f)
		}
	}
}

func TestEvaluate(t *testing.T) {
	s := syntheticSummary(t)
	want := map[string]bool{
		"completion_rate >= 0.7":                  true,
		"http.error_rate < 0.01":                  false,
		"step(submit).p95 < 800ms":                true,
		"journey(lookup).completion_rate >= 0.99": true,
		"step(nope).p95 < 1s":                     false,
		"lateness.p99 < 1s":                       false,
	}
	for _, r := range s.SLOs {
		if r.OK != want[r.Expr] {
			t.Errorf("%s: ok=%v value=%v err=%q, want ok=%v", r.Expr, r.OK, r.Value, r.Error, want[r.Expr])
		}
	}
	if s.Passed {
		t.Error("passed with failing SLOs")
	}
	if !strings.Contains(s.SLOs[4].Error, `no requests for step "nope"`) {
		t.Errorf("unknown step error %q", s.SLOs[4].Error)
	}
	Evaluate(s, nil)
	if !s.Passed || len(s.SLOs) != 0 {
		t.Error("no SLOs must pass")
	}
}

func TestWriteAndReadSummary(t *testing.T) {
	dir := t.TempDir()
	s := syntheticSummary(t)
	if err := WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteText(dir, s); err != nil {
		t.Fatal(err)
	}
	back, err := ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.CompletionRate != s.CompletionRate || len(back.Steps) != len(s.Steps) {
		t.Errorf("round trip changed the summary")
	}
	os.WriteFile(filepath.Join(dir, SummaryFile), []byte(`{"schema_version": 2}`), 0o644)
	if _, err := ReadSummary(dir); err == nil || !strings.Contains(err.Error(), "schema_version 2") {
		t.Errorf("future schema accepted: %v", err)
	}
}
