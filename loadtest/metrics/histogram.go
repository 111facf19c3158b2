// Package metrics aggregates a load-test run online, with memory that stays
// flat however long the run: latency histograms per step, per journey and
// per procedure (service time, response time from the intended send, and
// lateness), HTTP status and error breakdowns, journey outcomes with the
// funnel of where each journey stopped, and a capped per-interval time
// series. Summary is the versioned summary.json the rest of the harness
// reads.
package metrics

import (
	"math"
	"math/bits"
	"time"
)

// subBuckets is the number of linear buckets per power of two; 128 gives
// every recorded value a relative error below 1/128 (0.8%).
const (
	subBucketBits = 7
	subBuckets    = 1 << subBucketBits
)

// Histogram is an HDR-style log-linear histogram of durations at microsecond
// resolution: bounded memory (it grows only to the largest value seen, about
// 20 KiB for values up to a minute), exact count, min, max and sum, quantiles
// within 0.8%, and exact merging, so shards and time slices add up.
// The zero value is ready to use.
type Histogram struct {
	counts []uint64
	n      uint64
	sumUS  float64
	minUS  uint64
	maxUS  uint64
}

func bucketOf(us uint64) int {
	if us < subBuckets {
		return int(us)
	}
	shift := bits.Len64(us) - subBucketBits - 1 // us>>shift is in [128, 255]
	return subBuckets + shift*subBuckets + int(us>>shift) - subBuckets
}

// bucketRange returns the smallest and largest microsecond value of bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < subBuckets {
		return uint64(i), uint64(i)
	}
	j := i - subBuckets
	shift := j / subBuckets
	base := uint64(subBuckets + j%subBuckets)
	lo = base << shift
	return lo, lo + (1 << shift) - 1
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	us := uint64(0)
	if d > 0 {
		us = uint64(d / time.Microsecond)
	}
	i := bucketOf(us)
	if i >= len(h.counts) {
		grown := make([]uint64, i+1+subBuckets)
		copy(grown, h.counts)
		h.counts = grown
	}
	h.counts[i]++
	if h.n == 0 || us < h.minUS {
		h.minUS = us
	}
	if us > h.maxUS {
		h.maxUS = us
	}
	h.n++
	h.sumUS += float64(us)
}

// Merge adds every value of o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if len(o.counts) > len(h.counts) {
		grown := make([]uint64, len(o.counts))
		copy(grown, h.counts)
		h.counts = grown
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.minUS < h.minUS {
		h.minUS = o.minUS
	}
	h.maxUS = max(h.maxUS, o.maxUS)
	h.n += o.n
	h.sumUS += o.sumUS
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest recorded value (exact, to the microsecond).
func (h *Histogram) Max() time.Duration { return time.Duration(h.maxUS) * time.Microsecond }

// Min is the smallest recorded value.
func (h *Histogram) Min() time.Duration { return time.Duration(h.minUS) * time.Microsecond }

// Mean is the arithmetic mean of the recorded values.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sumUS/float64(h.n)) * time.Microsecond
}

// Quantile returns the value at quantile q (0..1): the midpoint of the
// bucket holding the ceil(q·n)-th smallest value, clamped to [min, max].
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			v := min(max(lo+(hi-lo)/2, h.minUS), h.maxUS)
			return time.Duration(v) * time.Microsecond
		}
	}
	return h.Max()
}

// Reset empties h, keeping its memory.
func (h *Histogram) Reset() {
	clear(h.counts)
	h.n, h.sumUS, h.minUS, h.maxUS = 0, 0, 0, 0
}
