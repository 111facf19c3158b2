package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/portalsim/portalsim/loadtest/engine"
	"github.com/portalsim/portalsim/loadtest/journey"
	"github.com/portalsim/portalsim/loadtest/scenario"
)

// trivialServer is a net/http server answering {"ok":true} to everything,
// counting the requests it served.
type trivialServer struct {
	srv    *http.Server
	url    string
	served atomic.Uint64
}

func startTrivial() (*trivialServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	t := &trivialServer{url: "http://" + ln.Addr().String()}
	body := []byte(`{"ok":true}`)
	t.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
		t.served.Add(1)
	})}
	go func() { _ = t.srv.Serve(ln) }()
	return t, nil
}

func (t *trivialServer) close() { _ = t.srv.Close() }

// trivialScenario is the simple journey both generators run: one GET that
// must answer 200, no think time.
func trivialScenario(rate float64, d time.Duration, workers, maxWorkers uint64) string {
	return fmt.Sprintf(`name: bench-trivial
description: One GET per journey against a trivial server (bench/sidebyside).
duration: %s
drain: 2s
seed: 1
http: {workers: %d, max_workers: %d}
arrival: {profile: constant, rate: %g, process: uniform}
personas:
  - {name: client, share: 1}
mix:
  - {journey: hit, weight: 1}
journeys:
  hit:
    steps:
      - {name: hit, method: GET, path: /a, expect: [200]}
`, d, workers, maxWorkers, rate)
}

// engineVsVegeta offers the same saturating rate to the engine (a 1-step
// journey compiled from a real scenario) and to plain vegeta (static
// targeter, constant pacer), with the same worker limits, both streaming
// results to a discarding encoder, against the same trivial server.
func engineVsVegeta(ctx context.Context, o options) (row, error) {
	srv, err := startTrivial()
	if err != nil {
		return row{}, err
	}
	defer srv.close()
	const workers, maxWorkers = engine.DefaultWorkers, engine.DefaultMaxWorkers
	s, err := scenario.Parse([]byte(trivialScenario(float64(o.rate), o.round, workers, maxWorkers)), "bench-trivial.yaml")
	if err != nil {
		return row{}, err
	}
	plan, err := journey.Compile(s)
	if err != nil {
		return row{}, err
	}
	engineRound := func() (round, error) {
		start := time.Now()
		sum, err := engine.Run(ctx, engine.Config{
			Scenario: s.Name, Plan: plan,
			Start:   func(id uint64, rng *rand.Rand) engine.Journey { return plan.Start(id, rng) },
			BaseURL: srv.url, Arrival: s.Arrival, Duration: s.Duration.D(),
			// A short drain: at saturation the backlog would keep it
			// busy, and the rate is what counts, not the backlog.
			Drain: 50 * time.Millisecond, Seed: s.Seed, HTTP: s.HTTP,
			Results: vegeta.NewEncoder(io.Discard),
		})
		took := time.Since(start)
		if err != nil {
			return round{}, err
		}
		// The stop aborts the requests in flight (at most maxWorkers):
		// a fraction of a percent of a round, within interleave's 99%.
		return round{rate: float64(sum.Requests.Count) / took.Seconds(), success: sum.Requests.SuccessRate,
			n: uint64(sum.Requests.Count), p99ms: sum.Latency.Service.P99MS}, nil
	}
	vegetaRound := func() (round, error) {
		atk := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(maxWorkers), vegeta.MaxBody(engine.DefaultMaxBody))
		tr := staticTarget(http.MethodGet, srv.url+"/a", nil)
		enc := vegeta.NewEncoder(io.Discard)
		var m vegeta.Metrics
		start := time.Now()
		for res := range atk.Attack(tr, vegeta.ConstantPacer{Freq: o.rate, Per: time.Second}, o.round, "plain") {
			m.Add(res)
			res.Body = nil
			_ = enc(res)
		}
		took := time.Since(start)
		m.Close()
		return round{rate: float64(m.Requests) / took.Seconds(), success: m.Success, n: m.Requests,
			p99ms: ms(m.Latencies.P99), errs: m.Errors}, nil
	}
	ra, rb, err := interleave(o.rounds, engineRound, vegetaRound)
	if err != nil {
		return row{}, fmt.Errorf("engine pair: %w", err)
	}
	if o.profile && o.out != "" {
		// One more round of each, profiled, for the owners of the engine.
		if err := profiled(o.out, "engine", func() { _, _ = engineRound() }); err != nil {
			return row{}, err
		}
		if err := profiled(o.out, "vegeta", func() { _, _ = vegetaRound() }); err != nil {
			return row{}, err
		}
	}
	offered := float64(o.rate)
	r := ratioRow("max request rate, trivial server", "engine (1-step journey)", "plain vegeta", ra, rb, 0.85,
		fmt.Sprintf("both offered %.0f req/s with %d–%d workers, results streamed to a discarding encoder", offered, workers, maxWorkers))
	return r, nil
}
