package journey

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

// sampler draws durations from a scenario.Dist.
type sampler struct {
	kind              string
	value, min, max   float64 // nanoseconds
	mean, median, cap float64
	sigma             float64
}

func newSampler(d scenario.Dist) sampler {
	return sampler{
		kind: d.Dist, value: float64(d.Value), min: float64(d.Min), max: float64(d.Max),
		mean: float64(d.Mean), median: float64(d.Median), sigma: d.Sigma, cap: float64(d.Cap),
	}
}

// Sample returns one duration; the zero sampler always returns 0.
func (s sampler) Sample(rng *rand.Rand) time.Duration {
	var ns float64
	switch s.kind {
	case scenario.DistConstant:
		ns = s.value
	case scenario.DistUniform:
		ns = s.min + rng.Float64()*(s.max-s.min)
	case scenario.DistExponential:
		ns = rng.ExpFloat64() * s.mean
	case scenario.DistLogNormal:
		ns = s.median * math.Exp(s.sigma*rng.NormFloat64())
	default:
		return 0
	}
	if s.cap > 0 && ns > s.cap {
		ns = s.cap
	}
	if ns > math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(ns)
}
