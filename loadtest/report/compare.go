package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
)

// Thresholds decide when a change between two runs is a regression (or an
// improvement) rather than noise. Relative thresholds are fractions (0.2 =
// 20%); absolute ones are in the metric's unit (ratios 0..1).
type Thresholds struct {
	// MaxLatencyIncrease: a step percentile that grew by more than this
	// fraction of the base value, and by more than LatencyFloorMS, regressed.
	MaxLatencyIncrease float64 `json:"max_latency_increase" yaml:"max_latency_increase"`
	// LatencyFloorMS: latency changes smaller than this many milliseconds are
	// noise whatever their percentage (1 ms → 1.5 ms is +50% and nothing).
	LatencyFloorMS float64 `json:"latency_floor_ms" yaml:"latency_floor_ms"`
	// MinTailSamples: a percentile is judged only when, in both runs, at
	// least this many requests lie above it; otherwise it is shown but not
	// judged. A p99 of 23 requests is their maximum, one slow request; at
	// the default of 5 a p95 needs 100 requests and a p99 500.
	MinTailSamples uint64 `json:"min_tail_samples" yaml:"min_tail_samples"`
	// MaxCompletionDrop: a completion rate that fell by more than this
	// (absolute, 0.02 = 2 percentage points) regressed.
	MaxCompletionDrop float64 `json:"max_completion_drop" yaml:"max_completion_drop"`
	// MaxErrorRateIncrease: an error rate that rose by more than this
	// (absolute) regressed.
	MaxErrorRateIncrease float64 `json:"max_error_rate_increase" yaml:"max_error_rate_increase"`
	// MaxRateDrop: an achieved arrival rate that fell by more than this
	// fraction regressed.
	MaxRateDrop float64 `json:"max_rate_drop" yaml:"max_rate_drop"`
}

// DefaultThresholds are what `portalsim compare` uses unless told otherwise.
func DefaultThresholds() Thresholds {
	return Thresholds{
		MaxLatencyIncrease:   0.20,
		LatencyFloorMS:       2,
		MinTailSamples:       5,
		MaxCompletionDrop:    0.02,
		MaxErrorRateIncrease: 0.01,
		MaxRateDrop:          0.10,
	}
}

// Validate reports every threshold out of range at once.
func (t Thresholds) Validate() error {
	var problems []string
	check := func(name string, v, max float64) {
		if v < 0 || math.IsNaN(v) || v > max {
			problems = append(problems, fmt.Sprintf("%s: %v is out of range 0..%v", name, v, max))
		}
	}
	check("max_latency_increase", t.MaxLatencyIncrease, 100)
	check("latency_floor_ms", t.LatencyFloorMS, 1e6)
	check("max_completion_drop", t.MaxCompletionDrop, 1)
	check("max_error_rate_increase", t.MaxErrorRateIncrease, 1)
	check("max_rate_drop", t.MaxRateDrop, 1)
	if len(problems) > 0 {
		return fmt.Errorf("thresholds: %s", strings.Join(problems, "; "))
	}
	return nil
}

// Verdict of one metric's change.
type Verdict string

const (
	VerdictOK         Verdict = "ok"         // within the thresholds (or too few samples to judge)
	VerdictImproved   Verdict = "improved"   // better by more than the threshold
	VerdictRegression Verdict = "regression" // worse by more than the threshold
	VerdictNew        Verdict = "new"        // only in the new run
	VerdictMissing    Verdict = "missing"    // only in the base run
)

// Metric kinds, which decide the unit and the rule.
const (
	KindCompletion = "completion" // ratio, higher is better
	KindErrorRate  = "error_rate" // ratio, lower is better
	KindRate       = "rate"       // per second, higher is better
	KindLatency    = "latency"    // ms, lower is better
)

// Change is one metric in both runs.
type Change struct {
	// Metric names it the way SLOs do: completion_rate,
	// journey(apply).completion_rate, http.error_rate, arrivals.achieved_rate,
	// step(apply/submit).p95.
	Metric string `json:"metric"`
	Kind   string `json:"kind"`
	// Base and New are nil when the metric is missing from that run.
	Base *float64 `json:"base"`
	New  *float64 `json:"new"`
	// Delta is New − Base; Relative is Delta / Base (0 when Base is 0).
	Delta    float64 `json:"delta"`
	Relative float64 `json:"relative"`
	Verdict  Verdict `json:"verdict"`
	// Rule says what would have made it a regression, Note why it was not
	// judged (e.g. too few requests).
	Rule string `json:"rule"`
	Note string `json:"note,omitempty"`
}

// RunRef identifies a compared run.
type RunRef struct {
	Path      string    `json:"path"`
	Scenario  string    `json:"scenario"`
	StartedAt time.Time `json:"started_at"`
	Seed      int64     `json:"seed"`
	DurationS float64   `json:"duration_s"`
	Target    string    `json:"target"`
	Passed    bool      `json:"passed"`
}

// Comparison is the result of Compare.
type Comparison struct {
	Base, New  RunRef
	Thresholds Thresholds
	Changes    []Change
	// Warnings say why the two runs may not be comparable (different
	// scenario, intended rate or duration).
	Warnings []string
}

// Regressions returns the changes judged regressions.
func (c *Comparison) Regressions() []Change {
	var out []Change
	for _, ch := range c.Changes {
		if ch.Verdict == VerdictRegression {
			out = append(out, ch)
		}
	}
	return out
}

// Count returns how many changes have verdict v.
func (c *Comparison) Count(v Verdict) int {
	n := 0
	for _, ch := range c.Changes {
		if ch.Verdict == v {
			n++
		}
	}
	return n
}

func ref(path string, s *metrics.Summary) RunRef {
	return RunRef{Path: path, Scenario: s.Scenario, StartedAt: s.StartedAt, Seed: s.Seed, DurationS: s.DurationS, Target: s.Target, Passed: s.Passed}
}

// Compare judges every compared metric of next against base: overall and
// per-journey completion rate, the request error rate, the achieved
// arrival rate, and service-time p50, p95 and p99 over all requests and
// per step.
func Compare(basePath string, base *metrics.Summary, nextPath string, next *metrics.Summary, th Thresholds) *Comparison {
	c := &Comparison{Base: ref(basePath, base), New: ref(nextPath, next), Thresholds: th}
	if base.Scenario != next.Scenario {
		c.Warnings = append(c.Warnings, fmt.Sprintf("different scenarios: %q vs %q", base.Scenario, next.Scenario))
	}
	if b, n := base.Arrivals.IntendedRate, next.Arrivals.IntendedRate; b > 0 && math.Abs(n-b)/b > 0.01 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("different intended arrival rates: %.2f/s vs %.2f/s (rates and latencies are not like for like)", b, n))
	}
	if b, n := base.PlannedDurationS, next.PlannedDurationS; b != n {
		c.Warnings = append(c.Warnings, fmt.Sprintf("different arrival windows: %s vs %s", secs(b), secs(n)))
	}
	// A generator running late means the machine was starved (other work on
	// it, or the run itself saturating it): latencies then include that, so
	// say so rather than let a busy machine pass for a slower portal.
	if b, n := base.Latency.Lateness.P99MS, next.Latency.Lateness.P99MS; math.Max(b, n) > 50 && (n > 2*b || b > 2*n) {
		busier := "NEW"
		if b > n {
			busier = "BASE"
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("the load generator ran late in %s (lateness p99 %s ms vs %s ms): that machine was busier, which inflates latencies; re-run before trusting latency verdicts",
			busier, num(math.Max(b, n)), num(math.Min(b, n))))
	}
	if base.Interrupted || next.Interrupted {
		c.Warnings = append(c.Warnings, "a run was interrupted; its figures cover part of the scenario")
	}

	c.add(Change{Metric: "completion_rate", Kind: KindCompletion}, ptr(base.CompletionRate), ptr(next.CompletionRate), 0, 0, 0)
	type journeyRates struct{ base, next *float64 }
	journeys := map[string]*journeyRates{}
	var order []string
	for _, js := range base.ByJourney {
		journeys[js.Journey] = &journeyRates{base: ptr(js.CompletionRate)}
		order = append(order, js.Journey)
	}
	for _, js := range next.ByJourney {
		r, ok := journeys[js.Journey]
		if !ok {
			r = &journeyRates{}
			journeys[js.Journey] = r
			order = append(order, js.Journey)
		}
		r.next = ptr(js.CompletionRate)
	}
	for _, name := range order {
		r := journeys[name]
		c.add(Change{Metric: "journey(" + name + ").completion_rate", Kind: KindCompletion}, r.base, r.next, 0, 0, 0)
	}
	c.add(Change{Metric: "http.error_rate", Kind: KindErrorRate}, ptr(base.Requests.ErrorRate), ptr(next.Requests.ErrorRate), 0, 0, 0)
	c.add(Change{Metric: "arrivals.achieved_rate", Kind: KindRate}, ptr(base.Arrivals.AchievedRate), ptr(next.Arrivals.AchievedRate), 0, 0, 0)
	for _, stat := range quantiles() {
		c.add(Change{Metric: "http." + stat.name, Kind: KindLatency}, ptr(stat.of(base.Latency.Service)), ptr(stat.of(next.Latency.Service)),
			stat.q, base.Latency.Service.Count, next.Latency.Service.Count)
	}

	type stepPair struct{ base, next *metrics.StepStats }
	steps := map[string]*stepPair{}
	var stepOrder []string
	for i := range base.Steps {
		st := &base.Steps[i]
		key := st.Journey + "/" + st.Step
		steps[key] = &stepPair{base: st}
		stepOrder = append(stepOrder, key)
	}
	for i := range next.Steps {
		st := &next.Steps[i]
		key := st.Journey + "/" + st.Step
		p, ok := steps[key]
		if !ok {
			p = &stepPair{}
			steps[key] = p
			stepOrder = append(stepOrder, key)
		}
		p.next = st
	}
	for _, key := range stepOrder {
		p := steps[key]
		for _, stat := range quantiles() {
			get := func(st *metrics.StepStats) (*float64, uint64) {
				if st == nil {
					return nil, 0
				}
				return ptr(stat.of(st.Service)), st.Service.Count
			}
			b, bn := get(p.base)
			n, nn := get(p.next)
			c.add(Change{Metric: "step(" + key + ")." + stat.name, Kind: KindLatency}, b, n, stat.q, bn, nn)
		}
	}
	return c
}

func ptr(v float64) *float64 { return &v }

// latencyStat is one compared latency statistic.
type latencyStat struct {
	name string
	q    float64
	of   func(metrics.Percentiles) float64
}

// quantiles are the latency statistics compared.
func quantiles() []latencyStat {
	return []latencyStat{
		{"p50", 0.50, func(p metrics.Percentiles) float64 { return p.P50MS }},
		{"p95", 0.95, func(p metrics.Percentiles) float64 { return p.P95MS }},
		{"p99", 0.99, func(p metrics.Percentiles) float64 { return p.P99MS }},
	}
}

func quantileName(q float64) string { return "p" + strconv.FormatFloat(q*100, 'f', -1, 64) }

// add judges one metric and appends it. For latencies q is the quantile
// (0.95 for p95) and baseN and nextN the sample counts behind it.
func (c *Comparison) add(ch Change, base, next *float64, q float64, baseN, nextN uint64) {
	th := c.Thresholds
	ch.Base, ch.New = base, next
	switch ch.Kind {
	case KindCompletion:
		ch.Rule = fmt.Sprintf("regression if it drops by more than %s points", pp(th.MaxCompletionDrop))
	case KindErrorRate:
		ch.Rule = fmt.Sprintf("regression if it rises by more than %s points", pp(th.MaxErrorRateIncrease))
	case KindRate:
		ch.Rule = fmt.Sprintf("regression if it drops by more than %s", pctRule(th.MaxRateDrop))
	case KindLatency:
		ch.Rule = fmt.Sprintf("regression if it grows by more than %s and %s ms", pctRule(th.MaxLatencyIncrease), trimFloat(th.LatencyFloorMS, 3))
	}
	switch {
	case base == nil && next == nil:
		return
	case base == nil:
		ch.Verdict = VerdictNew
		c.Changes = append(c.Changes, ch)
		return
	case next == nil:
		ch.Verdict = VerdictMissing
		c.Changes = append(c.Changes, ch)
		return
	}
	b, n := *base, *next
	ch.Delta = n - b
	if b != 0 {
		ch.Relative = ch.Delta / b
	}
	// worse and better are the change's size in the bad and good direction.
	worse, better := false, false
	switch ch.Kind {
	case KindCompletion:
		worse, better = -ch.Delta > th.MaxCompletionDrop+1e-12, ch.Delta > th.MaxCompletionDrop+1e-12
	case KindErrorRate:
		worse, better = ch.Delta > th.MaxErrorRateIncrease+1e-12, -ch.Delta > th.MaxErrorRateIncrease+1e-12
	case KindRate:
		worse = b > 0 && -ch.Delta/b > th.MaxRateDrop+1e-12
		better = b > 0 && ch.Delta/b > th.MaxRateDrop+1e-12
	case KindLatency:
		if tail := float64(min(baseN, nextN)) * (1 - q); tail < float64(th.MinTailSamples) {
			ch.Note = fmt.Sprintf("not judged: %d and %d requests leave under %d above the %s", baseN, nextN, th.MinTailSamples, quantileName(q))
			break
		}
		big := math.Abs(ch.Delta) > th.LatencyFloorMS
		worse = big && ch.Delta > 0 && (b == 0 || ch.Delta/b > th.MaxLatencyIncrease+1e-12)
		better = big && ch.Delta < 0 && b > 0 && -ch.Delta/b > th.MaxLatencyIncrease+1e-12
	}
	switch {
	case worse:
		ch.Verdict = VerdictRegression
	case better:
		ch.Verdict = VerdictImproved
	default:
		ch.Verdict = VerdictOK
	}
	c.Changes = append(c.Changes, ch)
}

// pp prints a ratio difference in percentage points.
func pp(r float64) string { return trimFloat(r*100, 2) }

func pctRule(r float64) string { return trimFloat(r*100, 1) + "%" }

func trimFloat(v float64, prec int) string {
	s := fmt.Sprintf("%.*f", prec, v)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
