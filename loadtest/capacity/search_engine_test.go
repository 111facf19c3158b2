package capacity

import (
	"context"
	"fmt"
	"github.com/portalsim/portalsim/internal/testenv"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

// slotServer has a capacity known by construction: slots requests are
// served at once, each taking service; a request arriving while every
// slot is busy is answered 503 at once. With evenly spaced arrivals it
// serves slots/service requests per second without a 503 and sheds above.
func slotServer(t *testing.T, slots int, service time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	sem := make(chan struct{}, slots)
	var shed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
		default:
			shed.Add(1)
			w.Header().Set("Retry-After", "1")
			http.Error(w, `{"error":{"code":"overloaded"}}`, http.StatusServiceUnavailable)
			return
		}
		defer func() { <-sem }()
		// Spin-free wait that holds the slot for the service time.
		timer := time.NewTimer(service)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		}
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &shed
}

func slotScenario(t *testing.T, target, process string) *scenario.Scenario {
	t.Helper()
	yaml := fmt.Sprintf(`name: slots
target: %s
duration: 1s
drain: 2s
seed: 7
arrival: {profile: constant, rate: 1, process: %s}
mix: [{journey: one, weight: 1}]
personas: [{name: p, share: 1}]
http: {timeout: 5s}
journeys:
  one:
    steps:
      - {name: work, method: GET, path: /work, expect: [200]}
slos:
  - http.error_rate < 0.05
`, target, process)
	s, err := scenario.Parse([]byte(yaml), "slots.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTimingSearchFindsKnownCapacity is issue 7's "done when": the search, on
// real engine steps, finds the capacity of a server built to have one.
//
// 50 slots × 500 ms: 100 requests/s, one request per journey, so 100
// journeys/s. With evenly spaced arrivals the share shed at rate r is
// 1 − 100/r above 100, so the SLO http.error_rate < 0.05 holds up to
// 105 journeys/s; the test wants 100 ±25%.
//
// Why these numbers: on this shared 2-core machine (load average 10+ while
// others test) the process stalls for tens to hundreds of milliseconds;
// arrivals held up by a stall leave in a burst, and a burst sheds requests
// below the true capacity, so noise only ever lowers the answer. A service
// time longer than most stalls absorbs the bursts, a low request rate
// keeps the test's own CPU need small (under -race too), and a 5%
// threshold keeps the verdict about the slots rather than the machine:
// with 1%, or 4 slots × 20 ms, the same search found 45–90% of the true
// capacity here. Even so, a stall of a few hundred milliseconds failed a
// step below capacity in about one search in four (61 found once), so
// the search confirms failures (SearchConfig.Confirm): a rate fails only
// when its re-run fails too. Poisson arrivals would make it an Erlang loss system
// (5% shed where ErlangB(50, a) = 5%: 89 journeys/s); that variant found
// 75–84 here but 61 when the machine was busiest, so it is left out.
func TestTimingSearchFindsKnownCapacity(t *testing.T) {
	testenv.Timing(t)
	if testing.Short() {
		t.Skip("runs real load steps for about 30 s")
	}
	const slots, service = 50, 500 * time.Millisecond
	want, tolerance := float64(slots)/service.Seconds(), 0.25
	srv, shed := slotServer(t, slots, service)
	s := slotScenario(t, srv.URL, "uniform")
	run, err := NewEngineStepRunner(EngineSteps{Scenario: s, BaseURL: srv.URL, StepDuration: 1500 * time.Millisecond, Warmup: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := Search(ctx, SearchConfig{Min: 12.5, Max: 2000, Precision: 0.05, MaxTime: 45 * time.Second, Confirm: true, OnStep: func(s Step) {
		t.Logf("step %d %-6s offered %6.1f achieved %6.1f j/s  errors %5.2f%%  p95 %6.1f ms  lateness p99 %6.1f ms  passed %v %v", s.Index, s.Phase, s.OfferedRate, s.AchievedRate, s.ErrorRate*100, s.P95MS, s.LatenessP99MS, s.Passed, s.Summary.Requests.TopErrors)
	}}, run)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("found %.1f journeys/s (want %.0f ±%.0f%%), first failing %.1f, stopped by %s after %.1f s; %d requests shed in all",
		r.MaxRate, want, tolerance*100, r.FirstFailRate, r.StoppedBy, r.ElapsedS, shed.Load())
	if !r.Found || r.LowerBound {
		t.Fatalf("found %v, lower bound %v: the search must bracket the capacity", r.Found, r.LowerBound)
	}
	if math.Abs(r.MaxRate-want)/want > tolerance {
		t.Errorf("max rate %.1f journeys/s, want %.0f ±%.0f%%", r.MaxRate, want, tolerance*100)
	}
	if r.FirstBrokenSLO != "http.error_rate < 0.05" || r.BrokenBy == nil || r.BrokenBy.Value < 0.05 {
		t.Errorf("first broken SLO %q by %+v", r.FirstBrokenSLO, r.BrokenBy)
	}
	var shedHint *Hint
	for i := range r.LimitingHints {
		if r.LimitingHints[i].Resource == "load_shedding" {
			shedHint = &r.LimitingHints[i]
		}
	}
	if shedHint == nil || !shedHint.Limiting {
		t.Errorf("load-shedding hint %+v: the failing step was shed with 503s", shedHint)
	}
	b := r.Best()
	if b == nil || b.RequestsPerJourney != 1 || b.Resources.Requests == 0 || b.Resources.Cores == 0 || b.Resources.WallSeconds < 2 {
		t.Errorf("best step %+v: want 1 request per journey and measured resources over warm-up + step", b)
	}
}

func TestEngineStepRunnerErrors(t *testing.T) {
	s := slotScenario(t, "http://127.0.0.1:1", "uniform")
	if _, err := NewEngineStepRunner(EngineSteps{Scenario: s, StepDuration: 0}); err == nil {
		t.Error("zero step duration accepted")
	}
	s.SLOs = nil
	if _, err := NewEngineStepRunner(EngineSteps{Scenario: s, StepDuration: time.Second}); err == nil {
		t.Error("a scenario without SLOs accepted: every rate would pass")
	}
}

func TestEngineStepRunnerFreshTargetPerStep(t *testing.T) {
	var opened, closed []string
	run, err := NewEngineStepRunner(EngineSteps{
		Scenario: slotScenario(t, "http://127.0.0.1:1", "uniform"), StepDuration: 300 * time.Millisecond, Warmup: 100 * time.Millisecond,
		NewTarget: func(ctx context.Context, step int) (StepTarget, error) {
			srv, _ := slotServer(t, 4, time.Millisecond)
			opened = append(opened, srv.URL)
			return StepTarget{BaseURL: srv.URL, Label: fmt.Sprintf("step %d", step), Close: func() error {
				closed = append(closed, srv.URL)
				return nil
			}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, rate := range []float64{10, 20} {
		res, err := run(context.Background(), rate)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("step %d", i+1); res.Summary.Target != want || res.Summary.Requests.Count == 0 || res.Summary.Requests.Errors != 0 {
			t.Errorf("step %d: target %q, %d requests, %d errors; want %q and clean requests", i+1, res.Summary.Target, res.Summary.Requests.Count, res.Summary.Requests.Errors, want)
		}
	}
	if len(opened) != 2 || opened[0] == opened[1] || len(closed) != 2 || closed[1] != opened[1] {
		t.Errorf("opened %v closed %v: want a new target per step, each closed after it", opened, closed)
	}
}
