// Package report turns a run's metrics.Summary into its outputs: it
// evaluates the scenario's SLOs against the summary, writes summary.json
// and renders report.txt.
package report

import (
	"fmt"
	"math"

	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/scenario"
)

// Evaluate checks every SLO against s, records the results in s.SLOs and
// sets s.Passed (true when every SLO holds). An SLO naming a step or
// journey the run never saw fails with an error saying so.
//
// Times: http.* and step(NAME).* are service times (vegeta's latency);
// lateness.p99 guards the generator itself; for step(NAME) the worst value
// over journeys having a step of that name is used.
func Evaluate(s *metrics.Summary, slos []scenario.SLO) {
	s.SLOs = make([]metrics.SLOResult, 0, len(slos))
	s.Passed = true
	for _, slo := range slos {
		r := metrics.SLOResult{Expr: slo.Expr}
		v, unit, err := Value(s, slo)
		r.Unit = unit
		if err != nil {
			r.Error = err.Error()
		} else {
			r.Value = roundTo(v, 6)
			measured := v
			if slo.Duration {
				measured = v / 1000 // ms → seconds, SLO thresholds are seconds
			}
			r.OK = slo.Holds(measured)
		}
		if !r.OK {
			s.Passed = false
		}
		s.SLOs = append(s.SLOs, r)
	}
}

// Value is the measured value of slo's metric in s: milliseconds for times
// (unit "ms"), otherwise a ratio.
func Value(s *metrics.Summary, slo scenario.SLO) (float64, string, error) {
	ratio := func(a, b uint64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	pick := func(p metrics.Percentiles, stat string) (float64, string, error) {
		switch stat {
		case "p50":
			return p.P50MS, "ms", nil
		case "p90":
			return p.P90MS, "ms", nil
		case "p95":
			return p.P95MS, "ms", nil
		case "p99":
			return p.P99MS, "ms", nil
		case "max":
			return p.MaxMS, "ms", nil
		}
		return 0, "", fmt.Errorf("unknown statistic %q", stat)
	}
	j := s.Journeys
	switch slo.Metric {
	case "completion_rate":
		return s.CompletionRate, "ratio", nil
	case "failure_rate":
		return ratio(j.Failed, j.Started), "ratio", nil
	case "abandon_rate":
		return ratio(j.Abandoned, j.Started), "ratio", nil
	case "achieved_rate_ratio":
		return ratio(s.Arrivals.Achieved, s.Arrivals.Intended), "ratio", nil
	case "http.error_rate":
		return s.Requests.ErrorRate, "ratio", nil
	case "lateness.p99":
		return s.Latency.Lateness.P99MS, "ms", nil
	case "journey.completion_rate":
		for _, js := range s.ByJourney {
			if js.Journey == slo.Journey {
				return js.CompletionRate, "ratio", nil
			}
		}
		return 0, "ratio", fmt.Errorf("no journey named %q in this run", slo.Journey)
	}
	if len(slo.Metric) > 5 && slo.Metric[:5] == "http." {
		return pick(s.Latency.Service, slo.Stat)
	}
	if len(slo.Metric) > 5 && slo.Metric[:5] == "step." {
		var found bool
		var worst float64
		var requests, errors uint64
		unit := "ms"
		for _, st := range s.Steps {
			if st.Step != slo.Step || (slo.Journey != "" && st.Journey != slo.Journey) {
				continue
			}
			found = true
			requests += st.Requests
			errors += st.Errors
			if slo.Stat == "error_rate" {
				continue
			}
			v, u, err := pick(st.Service, slo.Stat)
			if err != nil {
				return 0, u, err
			}
			worst = math.Max(worst, v)
		}
		if !found {
			return 0, "", fmt.Errorf("no requests for step %q in this run", slo.Step)
		}
		if slo.Stat == "error_rate" {
			return ratio(errors, requests), "ratio", nil
		}
		return worst, unit, nil
	}
	return 0, "", fmt.Errorf("unknown metric %q", slo.Metric)
}

func roundTo(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}
