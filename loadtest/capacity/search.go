package capacity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/scenario"
)

// StepRunner runs one step of the capacity search: journeys arrive at a
// constant rate (journeys per second) and the step reports what it
// measured. The engine-backed runner is NewEngineStepRunner; tests plug in
// a function with a known answer.
type StepRunner func(ctx context.Context, rate float64) (StepResult, error)

// StepResult is what one step measured. Summary holds the step's figures
// with its SLOs already evaluated (Summary.SLOs, Summary.Passed); the
// warm-up is not in it.
type StepResult struct {
	Summary *metrics.Summary
	// Resources used while the step ran (zero when not measured).
	Resources Resources
}

// Resources is what the generator's process used during one step,
// measured with getrusage(RUSAGE_SELF) before and after the step. With the
// embedded portal this is the portal and the generator together.
type Resources struct {
	CPUSeconds  float64 `json:"cpu_s"`
	WallSeconds float64 `json:"wall_s"`
	// Requests sent during the step, warm-up included (the CPU covers it too).
	Requests uint64 `json:"requests"`
	// CPUPerRequestMS is CPUSeconds per request, in milliseconds.
	CPUPerRequestMS float64 `json:"cpu_per_request_ms"`
	// Cores is GOMAXPROCS; CPUUtilisation is CPUSeconds / (WallSeconds × Cores).
	Cores          int     `json:"cores"`
	CPUUtilisation float64 `json:"cpu_utilisation"`
	// MachineCPUBusy is the share of the whole machine's CPU time that was
	// busy during the step (all processes, from /proc/stat; 0 when not
	// available). High while CPUUtilisation is low: other processes held
	// the cores.
	MachineCPUBusy float64 `json:"machine_cpu_busy,omitempty"`
	// Officers is the embedded portal's back-office queue over the
	// measured run (nil when not visible).
	Officers *OfficerQueue `json:"officers,omitempty"`
}

// OfficerQueue samples the back office's queue at the start and the end of
// a step's measured run.
type OfficerQueue struct {
	WaitingStart int `json:"waiting_start"`
	WaitingEnd   int `json:"waiting_end"`
	// GrowthPerS is (WaitingEnd − WaitingStart) per second of the step.
	GrowthPerS float64 `json:"growth_per_s"`
	// Utilisation of the officers at the end (0..1).
	Utilisation float64 `json:"utilisation"`
}

// SearchConfig bounds the search.
type SearchConfig struct {
	// Min is the first offered rate and Max the highest one tried
	// (journeys per second, 0 < Min ≤ Max).
	Min, Max float64
	// Growth multiplies the rate between phase-1 steps (default 2).
	Growth float64
	// Precision ends the bisection when the first failing rate is within
	// this fraction of the last passing one (default 0.05).
	Precision float64
	// MaxTime bounds the whole search (default 5 minutes): after the first
	// step, a step is only started when the longest step so far still
	// fits, and the step in progress at the deadline is cancelled and
	// discarded.
	MaxTime time.Duration
	// OnStep is called after every step (progress); it may be nil.
	OnStep func(Step)
	// Confirm re-runs a failing step once (phase "confirm") and lets the
	// rate pass if the re-run passes. For machines whose noise only adds
	// failures — a stalled generator releases late arrivals in a burst —
	// it trades time for fewer false failures; it would bias the answer
	// upwards where noise also adds passes.
	Confirm bool
}

// Defaults of SearchConfig.
const (
	DefaultGrowth    = 2.0
	DefaultPrecision = 0.05
	DefaultMaxTime   = 5 * time.Minute
	// KneeFactor: the knee is the first offered rate whose p95 exceeds
	// KneeFactor × the p95 at the lowest rate (and by at least KneeFloor).
	KneeFactor = 2.0
	KneeFloor  = time.Millisecond
)

// Phases of the search.
const (
	PhaseRamp    = "ramp"    // geometric steps upward from Min
	PhaseBisect  = "bisect"  // between the last passing and the first failing rate
	PhaseConfirm = "confirm" // a failing step run again (SearchConfig.Confirm)
)

// Why the search stopped.
const (
	StopPrecision   = "precision"    // bisection reached the precision
	StopMaxRate     = "max-rate"     // every step passed up to Max
	StopFirstFailed = "first-failed" // the first step (Min) failed
	StopMaxTime     = "max-time"     // the time budget ran out
	StopInterrupted = "interrupted"  // the context was cancelled
)

// Step is one step of the search as reported.
type Step struct {
	Index       int     `json:"index"`
	Phase       string  `json:"phase"`
	OfferedRate float64 `json:"offered_rate"`
	// AchievedRate: journeys started per second (arrivals.achieved_rate).
	AchievedRate       float64 `json:"achieved_rate"`
	RequestRate        float64 `json:"request_rate"`
	RequestsPerJourney float64 `json:"requests_per_journey"`
	CompletionRate     float64 `json:"completion_rate"`
	ErrorRate          float64 `json:"error_rate"`
	// ShedShare is the share of requests answered 503 (load shedding).
	ShedShare float64 `json:"shed_share"`
	// P95MS and P99MS are service-time percentiles of all requests;
	// ResponseP95MS adds lateness (from the intended send); LatenessP99MS is
	// the generator's own delay.
	P95MS         float64   `json:"p95_ms"`
	P99MS         float64   `json:"p99_ms"`
	ResponseP95MS float64   `json:"response_p95_ms"`
	LatenessP99MS float64   `json:"lateness_p99_ms"`
	Passed        bool      `json:"passed"`
	BrokenSLOs    []string  `json:"broken_slos,omitempty"`
	Resources     Resources `json:"resources"`
	// Summary is the step's full summary (steps.jsonl), not repeated in
	// summary.json.
	Summary *metrics.Summary `json:"-"`
}

// SLOBreak says by how much an SLO was missed.
type SLOBreak struct {
	Expr      string  `json:"expr"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// Unit of Value and Threshold: "ms", "ratio", ...
	Unit string `json:"unit"`
	// Relative is how far past the threshold Value is, as a fraction of
	// the threshold (0.5: 50% over a ceiling, or 50% under a floor).
	Relative float64 `json:"relative"`
	// AtRate is the offered rate of the step where it broke.
	AtRate float64 `json:"at_rate"`
	Error  string  `json:"error,omitempty"`
}

// SearchResult is the outcome of a capacity search: the capacity object of
// summary.json.
type SearchResult struct {
	// MaxRate is the highest offered rate (journeys/s) whose step met every
	// SLO; 0 when none did.
	MaxRate float64 `json:"max_rate"`
	Found   bool    `json:"found"`
	// LowerBound is true when every step passed up to --max: the real
	// capacity is higher.
	LowerBound bool `json:"lower_bound"`
	// FirstFailRate is the lowest offered rate whose step broke an SLO
	// (0 when none did); the capacity lies between MaxRate and it.
	FirstFailRate float64 `json:"first_fail_rate,omitempty"`
	// MaxRequestRate is the request rate achieved at MaxRate.
	MaxRequestRate float64 `json:"max_request_rate"`
	// KneeRate is the first offered rate where p95 rose past KneeRule; 0
	// when p95 never did.
	KneeRate       float64   `json:"knee_rate"`
	KneeRule       string    `json:"knee_rule"`
	FirstBrokenSLO string    `json:"first_broken_slo,omitempty"`
	BrokenBy       *SLOBreak `json:"broken_by,omitempty"`
	StoppedBy      string    `json:"stopped_by"`
	// Precision reached: (FirstFailRate - MaxRate) / MaxRate.
	Precision     float64        `json:"precision,omitempty"`
	ElapsedS      float64        `json:"elapsed_s"`
	Settings      SearchSettings `json:"settings"`
	Steps         []Step         `json:"steps"`
	LimitingHints []Hint         `json:"limiting_hints"`
	Notes         []string       `json:"notes,omitempty"`
}

// SearchSettings records how the search was run. Search fills the rates,
// growth, precision and max time; the caller adds the step shape.
type SearchSettings struct {
	MinRate    float64 `json:"min_rate"`
	MaxRate    float64 `json:"max_rate"`
	Growth     float64 `json:"growth"`
	Precision  float64 `json:"precision"`
	MaxTimeS   float64 `json:"max_time_s"`
	StepS      float64 `json:"step_s,omitempty"`
	WarmupS    float64 `json:"warmup_s,omitempty"`
	DrainS     float64 `json:"drain_s,omitempty"`
	Process    string  `json:"process,omitempty"`
	TargetNote string  `json:"target_note,omitempty"`
}

// Best returns the step at MaxRate (nil when no step passed).
func (r *SearchResult) Best() *Step {
	var best *Step
	for i := range r.Steps {
		s := &r.Steps[i]
		if s.Passed && s.OfferedRate == r.MaxRate && (best == nil || s.Index > best.Index) {
			best = s
		}
	}
	return best
}

// Worst returns the step at FirstFailRate, or nil.
func (r *SearchResult) Worst() *Step {
	for i := range r.Steps {
		s := &r.Steps[i]
		if !s.Passed && s.OfferedRate == r.FirstFailRate {
			return s
		}
	}
	return nil
}

func (c *SearchConfig) withDefaults() (SearchConfig, error) {
	cfg := *c
	if cfg.Growth == 0 {
		cfg.Growth = DefaultGrowth
	}
	if cfg.Precision == 0 {
		cfg.Precision = DefaultPrecision
	}
	if cfg.MaxTime == 0 {
		cfg.MaxTime = DefaultMaxTime
	}
	var errs []error
	if !(cfg.Min > 0) || math.IsInf(cfg.Min, 0) {
		errs = append(errs, fmt.Errorf("min rate %v must be a positive number of journeys per second", cfg.Min))
	}
	if !(cfg.Max >= cfg.Min) || math.IsInf(cfg.Max, 0) {
		errs = append(errs, fmt.Errorf("max rate %v must be a number at least the min rate %v", cfg.Max, cfg.Min))
	}
	if !(cfg.Growth > 1) {
		errs = append(errs, fmt.Errorf("growth %v must be more than 1", cfg.Growth))
	}
	if !(cfg.Precision > 0 && cfg.Precision < 1) {
		errs = append(errs, fmt.Errorf("precision %v must be between 0 and 1 (e.g. 0.05 for 5%%)", cfg.Precision))
	}
	if cfg.MaxTime < 0 {
		errs = append(errs, fmt.Errorf("max time %v must not be negative", cfg.MaxTime))
	}
	return cfg, errors.Join(errs...)
}

// Search finds the highest constant arrival rate whose step meets every
// SLO. Phase 1 multiplies the rate by Growth from Min until a step fails
// or Max passes; phase 2 bisects between the last passing and the first
// failing rate until they are within Precision. Each step's verdict is
// taken as it comes: a noisy pass above a failure simply moves the bounds.
//
// Search returns an error only for a bad config or a step that could not
// run; a search cut short by MaxTime or ctx still returns its result.
func Search(ctx context.Context, sc SearchConfig, run StepRunner) (*SearchResult, error) {
	cfg, err := sc.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("capacity search: %w", err)
	}
	start := time.Now()
	deadline := start.Add(cfg.MaxTime)
	runCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()

	r := &SearchResult{KneeRule: fmt.Sprintf("first offered rate whose http p95 exceeds %g× the p95 at the lowest rate (and by at least %s)", KneeFactor, KneeFloor)}
	r.Settings = SearchSettings{MinRate: cfg.Min, MaxRate: cfg.Max, Growth: cfg.Growth, Precision: cfg.Precision, MaxTimeS: cfg.MaxTime.Seconds()}
	var longest time.Duration
	lo, hi := 0.0, 0.0 // last passing, first failing (0: none yet)

	// step runs one step; ok is false when the search must stop.
	var step func(phase string, rate float64) (passed, ok bool, err error)
	step = func(phase string, rate float64) (passed, ok bool, err error) {
		if len(r.Steps) > 0 && time.Until(deadline) < longest {
			r.StoppedBy = StopMaxTime
			return false, false, nil
		}
		t0 := time.Now()
		res, err := run(runCtx, rate)
		took := time.Since(t0)
		if ctx.Err() != nil {
			r.StoppedBy = StopInterrupted
			return false, false, nil
		}
		if runCtx.Err() != nil {
			r.StoppedBy = StopMaxTime
			r.Notes = append(r.Notes, fmt.Sprintf("the step at %s journeys/s was cut off by --max-time and is not counted", fmtRate(rate)))
			return false, false, nil
		}
		if err != nil {
			return false, false, fmt.Errorf("capacity step at %s journeys/s: %w", fmtRate(rate), err)
		}
		if res.Summary == nil {
			return false, false, fmt.Errorf("capacity step at %s journeys/s: no summary", fmtRate(rate))
		}
		longest = max(longest, took)
		s := stepOf(len(r.Steps)+1, phase, rate, res)
		r.Steps = append(r.Steps, s)
		if cfg.OnStep != nil {
			cfg.OnStep(s)
		}
		if !s.Passed && cfg.Confirm && phase != PhaseConfirm {
			return step(PhaseConfirm, rate)
		}
		return s.Passed, true, nil
	}

	// Phase 1: geometric steps upward.
	for rate := cfg.Min; ; rate = min(rate*cfg.Growth, cfg.Max) {
		passed, ok, err := step(PhaseRamp, rate)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if !passed {
			hi = rate
			if lo == 0 {
				r.StoppedBy = StopFirstFailed
			}
			break
		}
		lo = rate
		if rate >= cfg.Max {
			r.StoppedBy = StopMaxRate
			break
		}
	}
	// Phase 2: bisection.
	for r.StoppedBy == "" && lo > 0 && hi > 0 {
		if (hi-lo)/lo <= cfg.Precision {
			r.StoppedBy = StopPrecision
			break
		}
		mid := (lo + hi) / 2
		passed, ok, err := step(PhaseBisect, mid)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if passed {
			lo = mid
		} else {
			hi = mid
		}
	}
	r.ElapsedS = time.Since(start).Seconds()
	finish(r, lo, hi, cfg)
	return r, nil
}

// finish fills the verdict fields from the steps and the final bounds.
func finish(r *SearchResult, lo, hi float64, cfg SearchConfig) {
	r.MaxRate, r.FirstFailRate, r.Found = lo, hi, lo > 0
	if b := r.Best(); b != nil {
		r.MaxRequestRate = b.RequestRate
	}
	switch {
	case len(r.Steps) == 0:
		r.Notes = append(r.Notes, "no step completed: --max-time is too short for one step")
	case !r.Found:
		r.Notes = append(r.Notes, fmt.Sprintf("no rate passed: the first step, at %s journeys/s (--min), already broke an SLO; lower --min", fmtRate(cfg.Min)))
	case hi == 0 && r.StoppedBy == StopMaxRate:
		r.LowerBound = true
		r.Notes = append(r.Notes, fmt.Sprintf("every step passed up to --max %s journeys/s: the capacity is at least that (a lower bound); raise --max to find it", fmtRate(cfg.Max)))
	case hi == 0:
		r.LowerBound = true
		r.Notes = append(r.Notes, fmt.Sprintf("no step failed before the search stopped (%s): %s journeys/s is a lower bound", r.StoppedBy, fmtRate(lo)))
	default:
		r.Precision = (hi - lo) / lo
		if r.StoppedBy != StopPrecision {
			r.Notes = append(r.Notes, fmt.Sprintf("stopped (%s) at precision %.1f%%, short of the %.1f%% asked for", r.StoppedBy, r.Precision*100, cfg.Precision*100))
		}
	}
	r.KneeRate = Knee(r.Steps)
	if w := r.Worst(); w != nil {
		r.BrokenBy = firstBreak(w)
		if r.BrokenBy != nil {
			r.FirstBrokenSLO = r.BrokenBy.Expr
		}
	}
	r.LimitingHints = Hints(r)
}

// Knee is the lowest offered rate whose service-time p95 exceeds
// KneeFactor × the p95 at the lowest offered rate, and exceeds it by at
// least KneeFloor (so that sub-millisecond noise on loopback is not a
// knee); 0 when there is none or fewer than two rates were measured.
func Knee(steps []Step) float64 {
	if len(steps) < 2 {
		return 0
	}
	sorted := slices.Clone(steps)
	slices.SortStableFunc(sorted, func(a, b Step) int {
		switch {
		case a.OfferedRate < b.OfferedRate:
			return -1
		case a.OfferedRate > b.OfferedRate:
			return 1
		}
		return 0
	})
	base := sorted[0].P95MS
	limit := max(KneeFactor*base, base+float64(KneeFloor)/float64(time.Millisecond))
	for _, s := range sorted[1:] {
		if s.OfferedRate > sorted[0].OfferedRate && s.P95MS > limit {
			return s.OfferedRate
		}
	}
	return 0
}

// firstBreak is the first SLO (in scenario order) that step s broke.
func firstBreak(s *Step) *SLOBreak {
	if s.Summary == nil {
		return nil
	}
	for _, res := range s.Summary.SLOs {
		if res.OK {
			continue
		}
		b := &SLOBreak{Expr: res.Expr, Value: res.Value, Unit: res.Unit, AtRate: s.OfferedRate, Error: res.Error}
		if slo, err := scenario.ParseSLO(res.Expr); err == nil {
			b.Threshold = slo.Value
			if slo.Duration && res.Unit == "ms" {
				b.Threshold = slo.Value * 1000
			}
			if b.Threshold != 0 && res.Error == "" {
				b.Relative = math.Abs(b.Value-b.Threshold) / math.Abs(b.Threshold)
			}
		}
		return b
	}
	return nil
}

// stepOf turns a runner's result into a reported step.
func stepOf(index int, phase string, rate float64, res StepResult) Step {
	sum := res.Summary
	s := Step{
		Index: index, Phase: phase, OfferedRate: rate,
		AchievedRate:       sum.Arrivals.AchievedRate,
		RequestRate:        sum.Requests.Rate,
		RequestsPerJourney: sum.RequestsPerJourney,
		CompletionRate:     sum.CompletionRate,
		ErrorRate:          sum.Requests.ErrorRate,
		P95MS:              sum.Latency.Service.P95MS,
		P99MS:              sum.Latency.Service.P99MS,
		ResponseP95MS:      sum.Latency.Response.P95MS,
		LatenessP99MS:      sum.Latency.Lateness.P99MS,
		Passed:             sum.Passed,
		Resources:          res.Resources,
		Summary:            sum,
	}
	if sum.Requests.Count > 0 {
		s.ShedShare = float64(sum.Requests.StatusCodes["503"]) / float64(sum.Requests.Count)
	}
	for _, slo := range sum.SLOs {
		if !slo.OK {
			s.BrokenSLOs = append(s.BrokenSLOs, slo.Expr)
		}
	}
	return s
}

// fmtRate prints a rate with as many digits as it needs, up to 3 decimals.
func fmtRate(r float64) string {
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f", r)
	case r >= 10:
		return trimZeros(fmt.Sprintf("%.1f", r))
	default:
		return trimZeros(fmt.Sprintf("%.3f", r))
	}
}

func trimZeros(s string) string {
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
