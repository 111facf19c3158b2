package metrics

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketsAreContiguous(t *testing.T) {
	prevHi := uint64(0)
	for i := 0; i < 3000; i++ {
		lo, hi := bucketRange(i)
		if i > 0 && lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ended at %d", i, lo, prevHi)
		}
		if bucketOf(lo) != i || bucketOf(hi) != i {
			t.Fatalf("bucket %d range [%d,%d] maps to %d,%d", i, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		if lo >= subBuckets && float64(hi-lo+1)/float64(lo) > 1.0/128+1e-9 {
			t.Fatalf("bucket %d [%d,%d] is wider than 1/128 of its value", i, lo, hi)
		}
		prevHi = hi
	}
}

func TestQuantilesMatchExactWithinOnePercent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dists := map[string]func() time.Duration{
		"uniform 20-40ms": func() time.Duration {
			return 20*time.Millisecond + time.Duration(rng.Int64N(int64(20*time.Millisecond)))
		},
		"exponential 5ms": func() time.Duration { return time.Duration(rng.ExpFloat64() * float64(5*time.Millisecond)) },
		"lognormal 300ms": func() time.Duration {
			return time.Duration(float64(300*time.Millisecond) * (1 + rng.NormFloat64()*0.3) * (1 + rng.NormFloat64()*0.3))
		},
		"sub-millisecond": func() time.Duration { return time.Duration(50+rng.IntN(900)) * time.Microsecond },
	}
	for name, draw := range dists {
		t.Run(name, func(t *testing.T) {
			var h Histogram
			var vals []time.Duration
			for range 100000 {
				v := draw().Truncate(time.Microsecond)
				if v < 0 {
					v = 0
				}
				vals = append(vals, v)
				h.Record(v)
			}
			slices.Sort(vals)
			for _, q := range []float64{0.5, 0.9, 0.95, 0.99, 0.999} {
				exact := vals[int(q*float64(len(vals)))-1]
				got := h.Quantile(q)
				if diff := (got - exact).Abs(); diff > exact/100+2*time.Microsecond {
					t.Errorf("q%.3f = %v, exact %v", q, got, exact)
				}
			}
			if h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
				t.Errorf("min/max %v/%v, want %v/%v", h.Min(), h.Max(), vals[0], vals[len(vals)-1])
			}
		})
	}
}

func TestMergeEqualsRecordingEverything(t *testing.T) {
	var a, b, all Histogram
	for i := range 5000 {
		v := time.Duration(i*i) * time.Microsecond
		all.Record(v)
		if i%3 == 0 {
			a.Record(v)
		} else {
			b.Record(v)
		}
	}
	a.Merge(&b)
	for _, q := range []float64{0.1, 0.5, 0.99, 1} {
		if a.Quantile(q) != all.Quantile(q) {
			t.Errorf("q%v merged %v, direct %v", q, a.Quantile(q), all.Quantile(q))
		}
	}
	if a.Count() != all.Count() || a.Mean() != all.Mean() || a.Max() != all.Max() || a.Min() != all.Min() {
		t.Errorf("merged stats differ")
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i%100000) * time.Microsecond)
	}
}

// BenchmarkMetricsAdd is the cost of recording one request in the
// recorder (overall, step, procedure and time-series histograms).
func BenchmarkMetricsAdd(b *testing.B) {
	start := time.Now()
	rec := NewRecorder(RunInfo{Scenario: "bench", Start: start, Duration: time.Hour, Settle: 10 * time.Second,
		Steps: map[string][]string{"apply": {"login", "create", "submit"}}})
	steps := []string{"login", "create", "submit"}
	for i := 0; b.Loop(); i++ {
		sent := start.Add(time.Duration(i) * 50 * time.Microsecond)
		rec.Request(Request{Journey: "apply", Procedure: "1.001612", Step: steps[i%3], First: i%3 == 0,
			Intended: sent, Sent: sent.Add(time.Duration(i%1000) * time.Microsecond), Latency: time.Duration(i%50000) * time.Microsecond, Status: 200})
	}
}
