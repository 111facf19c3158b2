package e2e

import (
	"encoding/json"
	"github.com/portalsim/portalsim/internal/testenv"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// overloadServiceTime is the latency injected on the hammered route: with
// --max-in-flight slots the portal's capacity is slots / service time by
// construction, whatever the machine.
const (
	overloadSlots       = 4
	overloadServiceTime = 20 * time.Millisecond
	overloadRoute       = "/api/v1/procedures/1.004873"
)

// attackResult summarises one vegeta attack.
type attackResult struct {
	byStatus map[int]int
	errors   int             // transport errors (no status)
	admitted []time.Duration // latencies of 200s, sorted
}

func (a attackResult) p99() time.Duration {
	if len(a.admitted) == 0 {
		return 0
	}
	return a.admitted[(len(a.admitted)*99)/100]
}

func attack(t *testing.T, url string, rate int, d time.Duration) attackResult {
	t.Helper()
	atk := vegeta.NewAttacker(vegeta.Workers(32), vegeta.MaxWorkers(2048), vegeta.Timeout(5*time.Second), vegeta.KeepAlive(true))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: http.MethodGet, URL: url})
	res := attackResult{byStatus: map[int]int{}}
	for r := range atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, "overload") {
		if r.Code == 0 {
			res.errors++
			continue
		}
		res.byStatus[int(r.Code)]++
		if r.Code == http.StatusOK {
			res.admitted = append(res.admitted, r.Latency)
		}
	}
	slices.Sort(res.admitted)
	return res
}

// TestTimingOverloadShedsAndRecovers drives the real binary at several times its
// capacity: it sheds with 503 (never another 5xx, never a dropped
// connection), the requests it admits keep a bounded p99, its memory stays
// bounded, and a normal rate afterwards is served in full at normal
// latency. The harness counts the shed requests as errors.
func TestTimingOverloadShedsAndRecovers(t *testing.T) {
	testenv.Timing(t)
	factor, d := 4, 2*time.Second
	if long() {
		factor, d = 10, 6*time.Second
	}
	capacity := int(float64(overloadSlots) / overloadServiceTime.Seconds()) // 200 requests/s
	srv := startServer(t, t.TempDir(), "--officers", "0", "--max-in-flight", "4",
		"--fault", "route=GET /api/v1/procedures/:code:latency=20ms")
	url := srv.URL + overloadRoute

	before := attack(t, url, capacity/2, time.Second)
	if before.byStatus[200] == 0 || len(before.byStatus) != 1 || before.errors != 0 {
		t.Fatalf("at half capacity: statuses %v, %d transport errors; want only 200s", before.byStatus, before.errors)
	}
	rssBefore, err := rssKB(srv.pid())
	if err != nil {
		t.Fatal(err)
	}

	var peak int
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if kb, err := rssKB(srv.pid()); err == nil {
					peak = max(peak, kb)
				}
			}
		}
	})
	over := attack(t, url, factor*capacity, d)
	close(stop)
	wg.Wait()

	total := over.errors
	for _, n := range over.byStatus {
		total += n
	}
	shed := over.byStatus[http.StatusServiceUnavailable]
	t.Logf("overload %d× (%d/s for %v): %d requests, %d admitted (p99 %v), %d shed with 503, %d transport errors, statuses %v; RSS %d kB before, peak %d kB",
		factor, factor*capacity, d, total, len(over.admitted), over.p99().Round(time.Millisecond), shed, over.errors, over.byStatus, rssBefore, peak)
	if shed < total/2 {
		t.Errorf("only %d of %d requests shed at %d× capacity: the portal is not shedding", shed, total, factor)
	}
	for code := range over.byStatus {
		if code != http.StatusOK && code != http.StatusServiceUnavailable {
			t.Errorf("status %d under overload (%d times): want only 200 or 503", code, over.byStatus[code])
		}
	}
	if over.errors > 0 {
		t.Errorf("%d requests got no response: overload must be answered, not dropped", over.errors)
	}
	if admittedRate := float64(len(over.admitted)) / d.Seconds(); admittedRate < float64(capacity)*0.5 {
		t.Errorf("admitted %.0f requests/s under overload, capacity is %d/s: shedding starved the admitted work", admittedRate, capacity)
	}
	// Admitted requests wait at most the shed queue's wait for a slot,
	// then take the service time: 45 ms by construction; allow a busy
	// 2-core machine 10× that.
	if p99 := over.p99(); p99 > 500*time.Millisecond {
		t.Errorf("admitted p99 %v under overload, want ≤ 500 ms", p99)
	}
	if peak > rssBefore+150*1024 || peak > 400*1024 {
		t.Errorf("RSS grew from %d kB to %d kB under overload", rssBefore, peak)
	}

	time.Sleep(300 * time.Millisecond)
	after := attack(t, url, capacity/2, time.Second)
	if len(after.byStatus) != 1 || after.byStatus[200] == 0 || after.errors != 0 {
		t.Errorf("after the overload at half capacity: statuses %v, %d transport errors; want only 200s", after.byStatus, after.errors)
	}
	if p, b := after.p99(), before.p99(); p > 2*b+50*time.Millisecond {
		t.Errorf("after the overload p99 %v, before it %v: not recovered", p, b)
	}
	t.Logf("half capacity: p99 %v before, %v after the overload", before.p99().Round(time.Millisecond), after.p99().Round(time.Millisecond))

	checkHarnessCountsShedAsErrors(t, srv.URL, factor*capacity)
}

// checkHarnessCountsShedAsErrors runs `portalsim run` against the
// overloaded portal and reads its summary.json: 503s are errors and fail
// journeys.
func checkHarnessCountsShedAsErrors(t *testing.T, base string, rate int) {
	t.Helper()
	dir := t.TempDir()
	scenarioPath := filepath.Join(dir, "overload.yaml")
	if err := os.WriteFile(scenarioPath, []byte(`name: overload
description: one GET per journey, far above the portal's capacity
duration: 1s
drain: 5s
seed: 1
arrival: {profile: constant, rate: `+itoa(rate)+`}
personas: [{name: visitor, share: 1}]
mix: [{journey: look, weight: 1}]
journeys:
  look:
    steps:
      - {name: procedure, method: GET, path: `+overloadRoute+`, expect: [200]}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "results")
	cmd := exec.Command(binary, "run", scenarioPath, "--target", base, "--out", out, "--quiet")
	cmd.Env = cleanEnv()
	b, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 0 && code != 99 {
		t.Fatalf("portalsim run: %v (exit %d)\n%s", err, code, b)
	}
	matches, _ := filepath.Glob(filepath.Join(out, "*", "summary.json"))
	if len(matches) != 1 {
		t.Fatalf("want one summary.json under %s, found %v\n%s", out, matches, b)
	}
	raw, err := os.ReadFile(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Journeys struct{ Started, Completed, Failed uint64 }
		Requests struct {
			Count       uint64            `json:"count"`
			Errors      uint64            `json:"errors"`
			ErrorRate   float64           `json:"error_rate"`
			StatusCodes map[string]uint64 `json:"status_codes"`
		}
	}
	if err := json.Unmarshal(raw, &sum); err != nil {
		t.Fatal(err)
	}
	shed := sum.Requests.StatusCodes["503"]
	t.Logf("harness against the overloaded portal: %d requests, %d errors (%.1f%%), %d shed; journeys %d started, %d failed",
		sum.Requests.Count, sum.Requests.Errors, 100*sum.Requests.ErrorRate, shed, sum.Journeys.Started, sum.Journeys.Failed)
	if shed == 0 {
		t.Fatalf("the harness saw no 503 at %d/s: %s", rate, raw)
	}
	if sum.Requests.Errors < shed || sum.Journeys.Failed < shed {
		t.Errorf("harness counts %d errors and %d failed journeys for %d shed requests: every 503 is a failure", sum.Requests.Errors, sum.Journeys.Failed, shed)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
