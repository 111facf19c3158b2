package scenario

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SLO is a parsed threshold such as "step(submit).p95 < 800ms". Metric is
// the metric without its argument ("completion_rate", "http.p95",
// "step.p95", "journey.completion_rate", "lateness.p99", ...); Step or
// Journey holds the argument of step(NAME) / journey(NAME); Stat is the part
// after the last dot for http/step/journey/lateness metrics ("p95",
// "error_rate"). Value is in seconds when the threshold was a duration.
type SLO struct {
	Expr    string  `json:"expr"`
	Metric  string  `json:"metric"`
	Step    string  `json:"step,omitempty"`
	Journey string  `json:"journey,omitempty"`
	Stat    string  `json:"stat,omitempty"`
	Op      string  `json:"op"`
	Value   float64 `json:"value"`
	// Duration is true when Value came from a duration ("800ms" → 0.8).
	Duration bool `json:"duration,omitempty"`
}

// Metrics SLOs can name, with whether their value is a duration.
var sloMetrics = map[string]bool{
	"completion_rate":         false,
	"failure_rate":            false,
	"abandon_rate":            false,
	"achieved_rate_ratio":     false,
	"http.error_rate":         false,
	"http.p50":                true,
	"http.p90":                true,
	"http.p95":                true,
	"http.p99":                true,
	"http.max":                true,
	"step.p50":                true,
	"step.p95":                true,
	"step.p99":                true,
	"step.error_rate":         false,
	"journey.completion_rate": false,
	"lateness.p99":            true,
}

// ParseSLO parses "METRIC OP VALUE" with OP one of < <= > >=.
func ParseSLO(s string) (SLO, error) {
	slo := SLO{Expr: strings.TrimSpace(s)}
	expr := slo.Expr
	opAt, opLen := -1, 0
	for i := 0; i < len(expr); i++ {
		if expr[i] == '<' || expr[i] == '>' {
			opAt, opLen = i, 1
			if i+1 < len(expr) && expr[i+1] == '=' {
				opLen = 2
			}
			break
		}
	}
	if opAt < 0 {
		return SLO{}, fmt.Errorf("%q: want METRIC OP VALUE with OP one of < <= > >=", s)
	}
	slo.Op = expr[opAt : opAt+opLen]
	lhs := strings.TrimSpace(expr[:opAt])
	rhs := strings.TrimSpace(expr[opAt+opLen:])
	if lhs == "" || rhs == "" {
		return SLO{}, fmt.Errorf("%q: want METRIC OP VALUE with OP one of < <= > >=", s)
	}
	metric := lhs
	for _, fn := range []string{"step", "journey"} {
		if !strings.HasPrefix(lhs, fn+"(") {
			continue
		}
		end := strings.Index(lhs, ")")
		if end < 0 {
			return SLO{}, fmt.Errorf("%q: %s( has no closing parenthesis", s, fn)
		}
		arg := strings.TrimSpace(lhs[len(fn)+1 : end])
		if arg == "" {
			return SLO{}, fmt.Errorf("%q: %s() needs a name", s, fn)
		}
		if fn == "step" {
			slo.Step = arg
		} else {
			slo.Journey = arg
		}
		metric = fn + lhs[end+1:]
	}
	isDuration, ok := sloMetrics[metric]
	if !ok {
		return SLO{}, fmt.Errorf("%q: unknown metric %q (known: completion_rate, failure_rate, abandon_rate, achieved_rate_ratio, http.error_rate, http.p50|p90|p95|p99|max, step(NAME).p50|p95|p99|error_rate, journey(NAME).completion_rate, lateness.p99)", s, lhs)
	}
	slo.Metric = metric
	if i := strings.LastIndexByte(metric, '.'); i >= 0 {
		slo.Stat = metric[i+1:]
	}
	if v, err := strconv.ParseFloat(rhs, 64); err == nil {
		if isDuration {
			return SLO{}, fmt.Errorf("%q: %s is a time: write the threshold with a unit, e.g. %sms", s, lhs, rhs)
		}
		slo.Value = v
	} else if d, err := time.ParseDuration(rhs); err == nil {
		if !isDuration {
			return SLO{}, fmt.Errorf("%q: %s is a ratio, not a time: write a number such as 0.95", s, lhs)
		}
		slo.Value, slo.Duration = d.Seconds(), true
	} else {
		return SLO{}, fmt.Errorf("%q: threshold %q is neither a number nor a duration", s, rhs)
	}
	return slo, nil
}

// Holds reports whether the measured value v (seconds for times) meets the SLO.
func (s SLO) Holds(v float64) bool {
	switch s.Op {
	case "<":
		return v < s.Value
	case "<=":
		return v <= s.Value
	case ">":
		return v > s.Value
	case ">=":
		return v >= s.Value
	}
	return false
}

// String returns the expression as written.
func (s SLO) String() string { return s.Expr }
