package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// sample is one side's figures over its rounds.
type sample struct {
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Rounds []float64 `json:"rounds"`
}

func newSample(xs []float64) sample {
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return sample{Median: m, Min: s[0], Max: s[len(s)-1], Rounds: xs}
}

func (s sample) format(unit string) string {
	switch unit {
	case "req/s":
		if len(s.Rounds) == 1 {
			return fmt.Sprintf("%.0f req/s", s.Median)
		}
		return fmt.Sprintf("%.0f req/s (%.0f–%.0f)", s.Median, s.Min, s.Max)
	case "MB":
		return fmt.Sprintf("%.1f MB", s.Median)
	case "cpu-s/1k":
		return fmt.Sprintf("%.3f CPU-s/1k req", s.Median)
	}
	return fmt.Sprintf("%.3g %s", s.Median, unit)
}

// round is one timed run of one side: requests/s achieved and the share of
// them that succeeded.
type round struct {
	rate    float64
	success float64
	p50ms   float64
	p99ms   float64
	n       uint64
	errs    []string
}

// interleave runs a, b, a, b, … rounds times and returns each side's rates.
// A side whose success rate falls under 99% fails the measurement: a rate
// of errors is not a rate.
func interleave(rounds int, a, b func() (round, error)) (ra, rb []round, err error) {
	for range rounds {
		for _, side := range []struct {
			f   func() (round, error)
			out *[]round
		}{{a, &ra}, {b, &rb}} {
			r, err := side.f()
			if err != nil {
				return nil, nil, err
			}
			if r.success < 0.99 {
				return nil, nil, fmt.Errorf("only %.1f%% of %d requests succeeded (errors: %v)", 100*r.success, r.n, r.errs)
			}
			*side.out = append(*side.out, r)
		}
	}
	return ra, rb, nil
}

func rates(rs []round) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.rate
	}
	return out
}

// maxRate runs plain vegeta in max-rate mode (no pacing: a fixed pool of
// workers, each sending its next request as soon as the last one is
// answered) for d and reports what it achieved. Every side of the portal
// pairs is driven this way, so the generator's cost is the same on both.
func maxRate(tr vegeta.Targeter, workers uint64, d time.Duration) round {
	atk := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(workers), vegeta.KeepAlive(true))
	var m vegeta.Metrics
	start := time.Now()
	for res := range atk.Attack(tr, vegeta.ConstantPacer{Freq: 0}, d, "max") {
		m.Add(res)
	}
	took := time.Since(start)
	m.Close()
	return round{rate: float64(m.Requests) / took.Seconds(), success: m.Success, n: m.Requests,
		p50ms: ms(m.Latencies.P50), p99ms: ms(m.Latencies.P99), errs: m.Errors}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// staticTarget is one request, always the same.
func staticTarget(method, url string, header http.Header) vegeta.Targeter {
	return vegeta.NewStaticTargeter(vegeta.Target{Method: method, URL: url, Header: header})
}

// profiled runs f with the CPU profiler on, writing dir/name.pprof.
func profiled(dir, name string, f func()) error {
	path := filepath.Join(dir, name+".pprof")
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	defer file.Close()
	if err := pprof.StartCPUProfile(file); err != nil {
		return fmt.Errorf("start CPU profile: %w", err)
	}
	f()
	pprof.StopCPUProfile()
	return nil
}

// warm sends traffic for a moment, so the first timed round does not pay
// for connections, page faults and the first GC cycles.
func warm(tr vegeta.Targeter, workers uint64) {
	maxRate(tr, workers, 500*time.Millisecond)
}
