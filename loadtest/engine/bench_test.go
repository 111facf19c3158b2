package engine

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

// noopTransport answers every request at once, in process: what is left
// of a request's cost is the engine and vegeta.
type noopTransport struct{}

func (noopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Status: "200 OK", Body: io.NopCloser(strings.NewReader(`{"ok":true}`)), Header: http.Header{}, Request: r}, nil
}

// BenchmarkEngineOverhead is the engine's cost per request (scheduler,
// pacer, targeter, consumer, metrics, result encoding) with an in-process
// no-op transport: 3-step journeys offered far above what can be served.
func BenchmarkEngineOverhead(b *testing.B) {
	steps := []string{"a", "b", "c"}
	const rate = 1e6 // journeys/s offered: saturates, so this measures throughput
	duration := time.Duration(float64(b.N) / 3 / rate * float64(time.Second))
	duration = max(duration, time.Millisecond)
	b.ResetTimer()
	start := time.Now()
	sum, err := Run(context.Background(), Config{
		Scenario: "bench", Plan: stepPlan(steps), Start: starter(steps, 0),
		BaseURL: "http://127.0.0.1:1", Duration: duration, Drain: time.Hour,
		Arrival:   scenario.Arrival{Profile: "constant", Rate: rate, Process: "uniform"},
		Transport: noopTransport{},
		Results:   vegeta.NewEncoder(io.Discard),
	})
	took := time.Since(start)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(took.Nanoseconds())/float64(max(sum.Requests.Count, 1)), "ns/request")
	b.ReportMetric(float64(sum.Requests.Count)/took.Seconds(), "requests/s")
}

// BenchmarkPlainVegetaOverhead is the same with plain vegeta (static
// targeter, unthrottled pacer, same transport and encoder): the baseline the
// engine is judged against.
func BenchmarkPlainVegetaOverhead(b *testing.B) {
	client := &http.Client{Transport: noopTransport{}}
	atk := vegeta.NewAttacker(vegeta.Client(client), vegeta.Workers(DefaultWorkers), vegeta.MaxWorkers(DefaultMaxWorkers), vegeta.MaxBody(DefaultMaxBody))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: "http://127.0.0.1:1/a"})
	enc := vegeta.NewEncoder(io.Discard)
	b.ResetTimer()
	start := time.Now()
	var n int
	// Unthrottled: as fast as vegeta can go, b.N hits.
	for res := range atk.Attack(tr, countPacer(b.N), 0, "bench") {
		res.Body = nil
		_ = enc(res)
		n++
	}
	took := time.Since(start)
	b.ReportMetric(float64(took.Nanoseconds())/float64(max(n, 1)), "ns/request")
	b.ReportMetric(float64(n)/took.Seconds(), "requests/s")
}

// countPacer fires n hits as fast as vegeta can.
type countPacer int

func (n countPacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, hits >= uint64(n)
}
func (countPacer) Rate(time.Duration) float64 { return 0 }

// BenchmarkLoopbackCeiling runs plain vegeta and the engine one after the
// other against the same trivial net/http server on loopback, each offered
// PORTALSIM_BENCH_RATE requests/s (default 30000: above this machine's
// ceiling) for 3 s with 512 workers, and reports what each achieved. Run
// with -benchtime 1x; the engine/vegeta ratio is the figure that matters.
func BenchmarkLoopbackCeiling(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	rate := 30000.0
	if v, err := strconv.ParseFloat(benchEnv("PORTALSIM_BENCH_RATE"), 64); err == nil && v > 0 {
		rate = v
	}
	const d = 3 * time.Second
	b.Run("vegeta", func(b *testing.B) {
		for b.Loop() {
			atk := vegeta.NewAttacker(vegeta.Workers(DefaultWorkers), vegeta.MaxWorkers(DefaultMaxWorkers), vegeta.MaxBody(DefaultMaxBody))
			tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: srv.URL + "/a"})
			var m vegeta.Metrics
			enc := vegeta.NewEncoder(io.Discard)
			start := time.Now()
			for res := range atk.Attack(tr, vegeta.ConstantPacer{Freq: int(rate), Per: time.Second}, d, "ceiling") {
				m.Add(res)
				res.Body = nil
				_ = enc(res)
			}
			took := time.Since(start)
			m.Close()
			b.ReportMetric(float64(m.Requests)/took.Seconds(), "requests/s")
			b.ReportMetric(m.Success, "success")
			b.ReportMetric(float64(m.Latencies.P99.Microseconds())/1000, "p99-ms")
		}
	})
	b.Run("engine", func(b *testing.B) {
		steps := []string{"a", "b", "c"}
		for b.Loop() {
			start := time.Now()
			sum, err := Run(context.Background(), Config{
				Scenario: "ceiling", Plan: stepPlan(steps), Start: starter(steps, 0),
				BaseURL: srv.URL, Duration: d, Drain: 2 * time.Second,
				Arrival: scenario.Arrival{Profile: "constant", Rate: rate / 3, Process: "uniform"},
				Results: vegeta.NewEncoder(io.Discard),
			})
			took := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(sum.Requests.Count)/took.Seconds(), "requests/s")
			b.ReportMetric(sum.Requests.SuccessRate, "success")
			b.ReportMetric(sum.Latency.Service.P99MS, "p99-ms")
			b.ReportMetric(sum.Latency.Lateness.P99MS, "lateness-p99-ms")
			b.ReportMetric(float64(sum.Journeys.Completed)/d.Seconds(), "journeys/s")
		}
	})
}

func benchEnv(name string) string { return os.Getenv(name) }
