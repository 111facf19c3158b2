package scenario

import (
	"strings"
	"testing"
)

func TestParseSLO(t *testing.T) {
	tests := []struct {
		in   string
		want SLO
	}{
		{"completion_rate >= 0.95", SLO{Metric: "completion_rate", Op: ">=", Value: 0.95}},
		{"failure_rate<0.01", SLO{Metric: "failure_rate", Op: "<", Value: 0.01}},
		{"abandon_rate <= 0.2", SLO{Metric: "abandon_rate", Op: "<=", Value: 0.2}},
		{"http.error_rate < 0.01", SLO{Metric: "http.error_rate", Stat: "error_rate", Op: "<", Value: 0.01}},
		{"http.p99 < 2s", SLO{Metric: "http.p99", Stat: "p99", Op: "<", Value: 2, Duration: true}},
		{"http.max <= 1m", SLO{Metric: "http.max", Stat: "max", Op: "<=", Value: 60, Duration: true}},
		{"step(submit).p95 < 800ms", SLO{Metric: "step.p95", Step: "submit", Stat: "p95", Op: "<", Value: 0.8, Duration: true}},
		{"step( login ).error_rate < 0.05", SLO{Metric: "step.error_rate", Step: "login", Stat: "error_rate", Op: "<", Value: 0.05}},
		{"journey(apply).completion_rate > 0.9", SLO{Metric: "journey.completion_rate", Journey: "apply", Stat: "completion_rate", Op: ">", Value: 0.9}},
		{"lateness.p99 < 50ms", SLO{Metric: "lateness.p99", Stat: "p99", Op: "<", Value: 0.05, Duration: true}},
		{"achieved_rate_ratio >= 0.98", SLO{Metric: "achieved_rate_ratio", Op: ">=", Value: 0.98}},
	}
	for _, tt := range tests {
		got, err := ParseSLO(tt.in)
		if err != nil {
			t.Errorf("ParseSLO(%q): %v", tt.in, err)
			continue
		}
		tt.want.Expr = strings.TrimSpace(tt.in)
		if got != tt.want {
			t.Errorf("ParseSLO(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseSLOErrors(t *testing.T) {
	tests := map[string]string{
		"":                            "want METRIC OP VALUE",
		"completion_rate":             "want METRIC OP VALUE",
		"completion_rate = 1":         "want METRIC OP VALUE",
		"< 3":                         "want METRIC OP VALUE",
		"latency < 3s":                `unknown metric "latency"`,
		"http.p95 < 3":                "is a time",
		"completion_rate > 1s":        "is a ratio",
		"step(submit.p95 < 1s":        "no closing parenthesis",
		"step().p95 < 1s":             "needs a name",
		"step(submit).p90 < 1s":       `unknown metric "step(submit).p90"`,
		"journey(a).p95 < 1s":         "unknown metric",
		"http.error_rate < lots":      `threshold "lots" is neither a number nor a duration`,
		"http.error_rate <= < 0.1":    "neither a number nor a duration",
		"completion_rate >= 0.9 0.95": "neither a number nor a duration",
	}
	for in, want := range tests {
		_, err := ParseSLO(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSLO(%q) error = %v, want it to contain %q", in, err, want)
		}
	}
}

func TestSLOHolds(t *testing.T) {
	tests := []struct {
		expr string
		v    float64
		want bool
	}{
		{"completion_rate >= 0.95", 0.95, true},
		{"completion_rate >= 0.95", 0.9499, false},
		{"completion_rate > 0.95", 0.95, false},
		{"http.p95 < 800ms", 0.799, true},
		{"http.p95 < 800ms", 0.8, false},
		{"http.p95 <= 800ms", 0.8, true},
	}
	for _, tt := range tests {
		slo, err := ParseSLO(tt.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := slo.Holds(tt.v); got != tt.want {
			t.Errorf("%s holds for %g = %v, want %v", tt.expr, tt.v, got, tt.want)
		}
	}
}
