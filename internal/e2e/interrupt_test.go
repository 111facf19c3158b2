package e2e

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// TestCtrlCWritesConsistentPartialResults interrupts `portalsim run` with
// SIGINT mid-run: it exits promptly with status 1 and leaves a results
// folder whose files agree with each other.
func TestCtrlCWritesConsistentPartialResults(t *testing.T) {
	out := t.TempDir()
	scenario, err := filepath.Abs("../../scenarios/smoke.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "run", scenario, "--duration", "20s", "--rate", "6", "--out", out, "--quiet")
	cmd.Env = cleanEnv()
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(4 * time.Second)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("portalsim run did not stop within 15 s of SIGINT:\n%s", logs.String())
	}
	took := time.Since(sent)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("interrupted run exited with %v, want status 1", err)
	}
	if took > 5*time.Second {
		t.Errorf("run took %v to stop after SIGINT", took)
	}

	dirs, _ := filepath.Glob(filepath.Join(out, "*"))
	if len(dirs) != 1 {
		t.Fatalf("want one run folder in %s, got %v\n%s", out, dirs, logs.String())
	}
	dir := dirs[0]
	for _, name := range []string{"summary.json", "journeys.jsonl", "results.bin", "report.txt", "scenario.yaml"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("interrupted run folder lacks a non-empty %s (%v)", name, err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Interrupted bool `json:"interrupted"`
		Journeys    struct {
			Started, Completed, Abandoned, Failed, Interrupted uint64
		} `json:"journeys"`
		Requests struct {
			Count       uint64 `json:"count"`
			Interrupted uint64 `json:"interrupted"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatalf("summary.json of the interrupted run does not parse: %v", err)
	}
	j := sum.Journeys
	if !sum.Interrupted || j.Started == 0 || j.Started != j.Completed+j.Abandoned+j.Failed {
		t.Errorf("summary: interrupted=%v journeys %+v; want interrupted, started = completed + abandoned + failed > 0", sum.Interrupted, j)
	}
	lines, err := os.ReadFile(filepath.Join(dir, "journeys.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.SplitSeq(strings.TrimSpace(string(lines)), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("journeys.jsonl line %d %q: %v", n+1, line, err)
		}
		n++
	}
	if uint64(n) != j.Started+j.Interrupted {
		t.Errorf("journeys.jsonl has %d lines, summary %d started + %d interrupted", n, j.Started, j.Interrupted)
	}
	f, err := os.Open(filepath.Join(dir, "results.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := vegeta.NewDecoder(f)
	results := 0
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("results.bin entry %d: %v", results+1, err)
			}
			break
		}
		results++
	}
	if uint64(results) != sum.Requests.Count+sum.Requests.Interrupted {
		t.Errorf("results.bin has %d results, summary %d requests + %d interrupted", results, sum.Requests.Count, sum.Requests.Interrupted)
	}
	t.Logf("SIGINT after 4 s: stopped in %v; %d journeys started (%d completed), %d interrupted; %d requests", took.Round(time.Millisecond), j.Started, j.Completed, j.Interrupted, results)
}
