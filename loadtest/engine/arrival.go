package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

// defaultDaily is the relative demand per hour of a working day when a
// daily profile gives none: quiet night, a morning peak around 9–10,
// a lunch dip and a smaller afternoon peak.
var defaultDaily = [24]float64{
	0.02, 0.01, 0.01, 0.01, 0.01, 0.03, 0.08, 0.25, 0.65, 1.0, 0.95, 0.8,
	0.45, 0.6, 0.8, 0.75, 0.6, 0.4, 0.25, 0.2, 0.15, 0.1, 0.06, 0.03,
}

// RateFunc is an arrival profile as journeys per second at offset t into
// the run.
type RateFunc func(t time.Duration) float64

// Rate turns an arrival profile over a run of length d into a rate function.
func Rate(a scenario.Arrival, d time.Duration) (RateFunc, error) {
	switch a.Profile {
	case scenario.ProfileConstant, "":
		r := a.Rate
		return func(time.Duration) float64 { return r }, nil
	case scenario.ProfileRamp:
		from, to := a.From, a.To
		return func(t time.Duration) float64 {
			if d <= 0 {
				return to
			}
			return from + (to-from)*t.Seconds()/d.Seconds()
		}, nil
	case scenario.ProfileStages:
		if len(a.Stages) == 0 {
			return nil, fmt.Errorf("arrival: stages profile needs at least one stage")
		}
		stages, from := a.Stages, a.From
		return func(t time.Duration) float64 {
			prev := from
			for _, s := range stages {
				sd := s.Duration.D()
				if t < sd {
					return prev + (s.Rate-prev)*t.Seconds()/sd.Seconds()
				}
				t -= sd
				prev = s.Rate
			}
			return prev // hold the last stage's rate
		}, nil
	case scenario.ProfileSpike:
		if a.Spike == nil {
			return nil, fmt.Errorf("arrival: spike profile needs spike")
		}
		s := *a.Spike
		return func(t time.Duration) float64 {
			if t >= s.At.D() && t < s.At.D()+s.Length.D() {
				return s.Peak
			}
			return s.Base
		}, nil
	case scenario.ProfileDaily:
		if a.Daily == nil {
			return nil, fmt.Errorf("arrival: daily profile needs daily")
		}
		hourly := a.Daily.Hourly
		if len(hourly) == 0 {
			hourly = defaultDaily[:]
		}
		if len(hourly) != 24 {
			return nil, fmt.Errorf("arrival: daily.hourly has %d weights, want 24", len(hourly))
		}
		top := 0.0
		for _, w := range hourly {
			top = max(top, w)
		}
		if top <= 0 {
			return nil, fmt.Errorf("arrival: daily.hourly weights are all zero")
		}
		peak := a.Daily.PeakRate
		return func(t time.Duration) float64 {
			h := 0
			if d > 0 {
				h = min(int(24*t.Seconds()/d.Seconds()), 23)
			}
			return peak * hourly[h] / top
		}, nil
	}
	return nil, fmt.Errorf("arrival: unknown profile %q", a.Profile)
}

// PeakRate is the highest rate of the profile over the run, sampled every
// 10 ms (profiles are piecewise linear, so this is exact at the corners
// that matter to within the sampling step).
func PeakRate(a scenario.Arrival, d time.Duration) (float64, error) {
	rate, err := Rate(a, d)
	if err != nil {
		return 0, err
	}
	peak := 0.0
	for t := time.Duration(0); t <= d; t += sampleStep(d) {
		peak = max(peak, rate(t))
	}
	return peak, nil
}

func sampleStep(d time.Duration) time.Duration {
	return max(10*time.Millisecond, d/100000)
}

// ScaleArrival multiplies every rate of the profile by factor (used by
// `run --rate` to set the peak rate).
func ScaleArrival(a scenario.Arrival, factor float64) scenario.Arrival {
	a.Rate *= factor
	a.From *= factor
	a.To *= factor
	if a.Stages != nil {
		stages := make([]scenario.Stage, len(a.Stages))
		for i, s := range a.Stages {
			s.Rate *= factor
			stages[i] = s
		}
		a.Stages = stages
	}
	if a.Spike != nil {
		s := *a.Spike
		s.Base *= factor
		s.Peak *= factor
		a.Spike = &s
	}
	if a.Daily != nil {
		d := *a.Daily
		d.PeakRate *= factor
		a.Daily = &d
	}
	return a
}

// arrivals generates intended arrival offsets from a rate function: each
// arrival is where the integral of the rate since the previous one reaches
// a mass of 1 (uniform: evenly spaced at the current rate) or an
// exponential sample (poisson: a non-homogeneous Poisson process by
// inversion). The integral is taken in 1 ms steps, linear within a step.
type arrivals struct {
	rate    RateFunc
	end     time.Duration
	poisson bool
	rng     *rand.Rand
	t       time.Duration
	started bool
}

const arrivalStep = time.Millisecond

func newArrivals(a scenario.Arrival, d time.Duration, rng *rand.Rand) (*arrivals, error) {
	rate, err := Rate(a, d)
	if err != nil {
		return nil, err
	}
	switch a.Process {
	case "", "poisson", "uniform":
	default:
		return nil, fmt.Errorf("arrival: unknown process %q (want poisson or uniform)", a.Process)
	}
	return &arrivals{rate: rate, end: d, poisson: a.Process != "uniform", rng: rng}, nil
}

// next returns the offset of the next arrival, or false when the run's
// arrival window is over.
func (g *arrivals) next() (time.Duration, bool) {
	mass := 1.0
	if g.poisson {
		mass = g.rng.ExpFloat64()
	} else if !g.started && g.rate(0) > 0 {
		g.started = true // uniform: the first arrival at the start
		return 0, true
	}
	g.started = true
	t := g.t
	for t < g.end {
		step := min(arrivalStep-t%arrivalStep, g.end-t)
		r0, r1 := math.Max(g.rate(t), 0), math.Max(g.rate(t+step), 0)
		area := (r0 + r1) / 2 * step.Seconds()
		if area >= mass-1e-9 { // tolerance: float sums of equal steps
			// Solve within the step assuming the rate is linear.
			frac := min(mass/area, 1)
			if r0 > 0 && math.Abs(r1-r0) > 1e-12 {
				k := (r1 - r0) / step.Seconds()
				x := (-r0 + math.Sqrt(r0*r0+2*k*mass)) / k
				frac = x / step.Seconds()
			}
			t += time.Duration(math.Round(frac * float64(step)))
			g.t = t
			// Within a microsecond of the end is the end: rates like 1/3 per
			// second do not divide nanoseconds exactly.
			return t, t < g.end-time.Microsecond
		}
		mass -= area
		t += step
	}
	g.t = g.end
	return 0, false
}
