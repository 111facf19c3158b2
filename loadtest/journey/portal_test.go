package journey

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal/app"
)

// The shipped scenarios' journeys complete (or are abandoned by their
// persona) against the real portal: every form they fill passes the
// procedure's validation. Requests go straight to the portal's handler (no
// sockets): this checks the journeys, not the engine.
func TestShippedJourneysCompleteOnEmbeddedPortal(t *testing.T) {
	for _, file := range []string{"../../scenarios/smoke.yaml", "../../scenarios/weekday.yaml"} {
		t.Run(file, func(t *testing.T) { runOnPortal(t, file) })
	}
}

func runOnPortal(t *testing.T, file string) {
	a, err := app.New(app.Config{DataDir: t.TempDir(), Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Store.Close() })
	s, err := scenario.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	h := a.Handler()
	outcomes := map[string]int{}
	for id := uint64(0); id < uint64(3*len(s.Mix)); id++ {
		in := p.Start(id, rng(id))
		steps := 0
		for {
			act := in.Next()
			if act.Done {
				break
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
		outcomes[o.Kind]++
		if o.Kind != Completed && o.Kind != Abandoned {
			t.Errorf("%s %s: %s at %s after %d requests: %s", in.Journey(), in.Procedure(), o.Kind, o.FailedStep, steps, o.Reason)
		}
	}
	if outcomes[Completed] == 0 {
		t.Errorf("no journey completed: %v", outcomes)
	}
	t.Logf("%s: %v", file, outcomes)
}
