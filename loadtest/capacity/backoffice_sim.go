package capacity

import (
	"container/heap"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// HandlingDist is the distribution of an officer's handling time for one
// dossier, in seconds of working time.
type HandlingDist interface {
	// Sample draws one handling time in seconds.
	Sample(rng *rand.Rand) float64
	// Mean is the expected handling time in seconds.
	Mean() float64
	// String names the distribution for reports.
	String() string
}

// ExponentialHandling has mean MeanSeconds; with Poisson arrivals it makes
// the officer queue exactly M/M/c, which is what Erlang C assumes.
type ExponentialHandling struct{ MeanSeconds float64 }

// Sample implements HandlingDist.
func (d ExponentialHandling) Sample(rng *rand.Rand) float64 { return rng.ExpFloat64() * d.MeanSeconds }

// Mean implements HandlingDist.
func (d ExponentialHandling) Mean() float64 { return d.MeanSeconds }

func (d ExponentialHandling) String() string {
	return fmt.Sprintf("exponential(mean %s)", secondsDuration(d.MeanSeconds))
}

// FixedHandling always takes Seconds (M/D/c: waits are shorter than Erlang C predicts).
type FixedHandling struct{ Seconds float64 }

// Sample implements HandlingDist.
func (d FixedHandling) Sample(*rand.Rand) float64 { return d.Seconds }

// Mean implements HandlingDist.
func (d FixedHandling) Mean() float64 { return d.Seconds }

func (d FixedHandling) String() string { return fmt.Sprintf("fixed(%s)", secondsDuration(d.Seconds)) }

// LogNormalHandling has median MedianSeconds and shape Sigma: the skewed
// shape of real case work (most dossiers quick, a few very long).
type LogNormalHandling struct{ MedianSeconds, Sigma float64 }

// Sample implements HandlingDist.
func (d LogNormalHandling) Sample(rng *rand.Rand) float64 {
	return d.MedianSeconds * math.Exp(d.Sigma*rng.NormFloat64())
}

// Mean implements HandlingDist.
func (d LogNormalHandling) Mean() float64 { return d.MedianSeconds * math.Exp(d.Sigma*d.Sigma/2) }

func (d LogNormalHandling) String() string {
	return fmt.Sprintf("lognormal(median %s, sigma %.2f)", secondsDuration(d.MedianSeconds), d.Sigma)
}

// OfficerSim configures a discrete-event simulation of the back-office
// queue: dossiers arrive as a Poisson process, wait first come first
// served, and the first free officer handles each one. All times are
// working time (the clock stops outside office hours).
type OfficerSim struct {
	ArrivalRate float64 // dossiers per second of working time
	Handling    HandlingDist
	Officers    int
	// Horizon is how much working time to simulate; WarmUp at its start is
	// excluded from the figures (the queue starts empty). Default WarmUp:
	// a tenth of Horizon.
	Horizon time.Duration
	WarmUp  time.Duration
	// AllowedWait decides on-time: a dossier is on time if its wait is at most this.
	AllowedWait time.Duration
	Seed        uint64
	// MaxArrivals bounds the work (default 5,000,000); the simulation stops
	// early, and says so, when it is reached.
	MaxArrivals int
}

// OfficerSimResult is what the simulation measured after the warm-up.
type OfficerSimResult struct {
	Arrivals    int     `json:"arrivals"`      // dossiers counted (after warm-up)
	OnTimeShare float64 `json:"on_time_share"` // share with wait ≤ AllowedWait
	WaitedShare float64 `json:"waited_share"`  // share that waited at all: P(W>0)
	MeanWaitS   float64 `json:"mean_wait_s"`
	Utilisation float64 `json:"utilisation"` // officer busy time ÷ (officers × measured time)
	SimulatedS  float64 `json:"simulated_s"` // working seconds actually simulated
	Truncated   bool    `json:"truncated"`   // stopped at MaxArrivals before Horizon
}

// officerFreeAt is a min-heap of the times at which each officer becomes free.
type officerFreeAt []float64

func (h officerFreeAt) Len() int           { return len(h) }
func (h officerFreeAt) Less(i, j int) bool { return h[i] < h[j] }
func (h officerFreeAt) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *officerFreeAt) Push(x any)        { *h = append(*h, x.(float64)) }
func (h *officerFreeAt) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// SimulateOfficers runs the back-office queue simulation. It is
// deterministic for a given Seed. With FCFS and identical officers, the
// dossier that arrives next always goes to the officer who frees up first,
// so each arrival is one heap operation: O(arrivals · log officers).
func SimulateOfficers(s OfficerSim) (OfficerSimResult, error) {
	var errs []error
	if !(s.ArrivalRate > 0) || math.IsInf(s.ArrivalRate, 0) {
		errs = append(errs, fmt.Errorf("arrival rate %v must be positive", s.ArrivalRate))
	}
	if s.Handling == nil || !(s.Handling.Mean() > 0) {
		errs = append(errs, errors.New("handling distribution must have a positive mean"))
	}
	if s.Officers <= 0 {
		errs = append(errs, fmt.Errorf("officers %d must be positive", s.Officers))
	}
	if s.Horizon <= 0 {
		errs = append(errs, fmt.Errorf("horizon %s must be positive", s.Horizon))
	}
	if s.WarmUp < 0 || (s.Horizon > 0 && s.WarmUp >= s.Horizon) {
		errs = append(errs, fmt.Errorf("warm-up %s must be in [0, horizon %s)", s.WarmUp, s.Horizon))
	}
	if s.MaxArrivals < 0 {
		errs = append(errs, fmt.Errorf("max arrivals %d must not be negative", s.MaxArrivals))
	}
	if len(errs) > 0 {
		return OfficerSimResult{}, fmt.Errorf("simulate officers: %w", errors.Join(errs...))
	}
	maxArrivals := s.MaxArrivals
	if maxArrivals == 0 {
		maxArrivals = 5_000_000
	}
	warm := s.WarmUp.Seconds()
	if s.WarmUp == 0 {
		warm = s.Horizon.Seconds() / 10
	}
	horizon := s.Horizon.Seconds()
	allowed := s.AllowedWait.Seconds()

	rng := rand.New(rand.NewPCG(s.Seed, 0x6f6666696365727)) // "officer"
	free := make(officerFreeAt, s.Officers)
	heap.Init(&free)

	var (
		res          OfficerSimResult
		onTime, wait int
		sumWait      float64
		busy         float64 // busy officer-seconds after warm (cut at the end below)
		now          float64
		n            int
	)
	for n = 0; n < maxArrivals; n++ {
		now += rng.ExpFloat64() / s.ArrivalRate
		if now >= horizon {
			break
		}
		start := math.Max(now, free[0])
		finish := start + s.Handling.Sample(rng)
		free[0] = finish
		heap.Fix(&free, 0)
		busy += math.Max(0, finish-math.Max(start, warm))
		if now < warm {
			continue
		}
		res.Arrivals++
		w := start - now
		sumWait += w
		if w > 0 {
			wait++
		}
		if w <= allowed {
			onTime++
		}
	}
	end := math.Min(now, horizon)
	res.Truncated = n == maxArrivals
	res.SimulatedS = end
	// Cut work that runs past the end. An officer whose free time is past
	// the end has been busy without a break since before the end (FCFS
	// hands a backlogged officer the next dossier the moment it frees up),
	// so the excess is exactly free−end.
	for _, f := range free {
		if f > end {
			busy -= f - end
		}
	}
	if res.Arrivals > 0 {
		res.OnTimeShare = float64(onTime) / float64(res.Arrivals)
		res.WaitedShare = float64(wait) / float64(res.Arrivals)
		res.MeanWaitS = sumWait / float64(res.Arrivals)
	}
	if window := end - warm; window > 0 {
		res.Utilisation = math.Max(0, busy) / (float64(s.Officers) * window)
	}
	return res, nil
}

func secondsDuration(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Second)
}
