package journey

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
)

// The shipped scenarios' journeys complete (or are abandoned by their
// persona) against the real portal: every form they fill passes the
// procedure's validation, and journeys that wait for the agency's decision
// get one from the scenario's simulated officers. Requests go straight to
// the portal's handler (no sockets): this checks the journeys, not the
// engine. Journeys run concurrently; think times are skipped, poll
// intervals are waited.
func TestShippedJourneysCompleteOnEmbeddedPortal(t *testing.T) {
	for _, file := range []string{"../../scenarios/smoke.yaml", "../../scenarios/weekday.yaml"} {
		t.Run(file, func(t *testing.T) { runOnPortal(t, file) })
	}
}

// mondayMorning is the first Monday 08:00 (Vietnam time) on or after the
// next working-day morning that is a working day: a simulated week that
// starts on Monday lets decisions come without a weekend in between. It is
// close to now because forms carry dates relative to the wall clock.
func mondayMorning(cal *portal.Calendar) time.Time {
	day := app.SimulationStart(time.Now(), cal)
	for i := 0; i < 60 && (day.Weekday() != time.Monday || !cal.IsWorkingDay(day)); i++ {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

func runOnPortal(t *testing.T, file string) {
	s, err := scenario.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Simulator: true,
		Speed: s.Portal.Speed, Officers: s.Portal.Officers}
	if cfg.Speed > 1 {
		cfg.SimStart = mondayMorning(portal.DefaultCalendar())
	}
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	h := a.Handler()
	var (
		mu       sync.Mutex
		outcomes = map[string]int{}
		wg       sync.WaitGroup
	)
	for id := uint64(0); id < uint64(3*len(s.Mix)); id++ {
		wg.Go(func() {
			in := p.Start(id, rng(id))
			steps := 0
			for {
				act := in.Next()
				if act.Done {
					break
				}
				if act.Attempt > 1 {
					time.Sleep(act.Delay) // the poll interval
				}
				steps++
				req := httptest.NewRequest(act.Request.Method, act.Request.Path, bytes.NewReader(act.Request.Body))
				req.Header = act.Request.Header.Clone()
				if req.Header == nil {
					req.Header = http.Header{}
				}
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, req)
				in.Handle(Response{Status: rec.Code, Body: rec.Body.Bytes(), Latency: time.Since(start), At: time.Now()})
			}
			o := in.Outcome()
			mu.Lock()
			outcomes[o.Kind]++
			mu.Unlock()
			if o.Kind != Completed && o.Kind != Abandoned {
				t.Errorf("%s %s: %s at %s after %d requests: %s", in.Journey(), in.Procedure(), o.Kind, o.FailedStep, steps, o.Reason)
			}
		})
	}
	wg.Wait()
	if outcomes[Completed] == 0 {
		t.Errorf("no journey completed: %v", outcomes)
	}
	t.Logf("%s: %v", file, outcomes)
}
