package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
)

func cloneSummary(t *testing.T, s *metrics.Summary) *metrics.Summary {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out metrics.Summary
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// regressedPair is the synthetic run and a later one that is worse in
// known ways: lower completion, a slower submit step, fewer arrivals, one
// step gone and one added.
func regressedPair(t *testing.T) (*metrics.Summary, *metrics.Summary) {
	base := syntheticSummary(t)
	next := cloneSummary(t, base)
	next.StartedAt = base.StartedAt.Add(time.Hour)
	next.CompletionRate -= 0.05
	next.Requests.ErrorRate += 0.005 // within the 1-point threshold
	next.Arrivals.AchievedRate *= 0.85
	var steps []metrics.StepStats
	for _, st := range next.Steps {
		switch st.Journey + "/" + st.Step {
		case "apply/submit":
			st.Service.P95MS *= 1.5
			st.Service.P99MS *= 1.5
		case "apply/login":
			st.Service.P50MS += 0.5 // +3% and under the floor: noise
		case "apply/create":
			st.Service.P99MS /= 2
		case "lookup/status":
			continue // missing in the new run
		}
		steps = append(steps, st)
	}
	steps = append(steps, metrics.StepStats{Journey: "apply", Step: "pay", Index: 3, Requests: 9,
		Service: metrics.Percentiles{Count: 9, P50MS: 30, P95MS: 40, P99MS: 41}})
	next.Steps = steps
	return base, next
}

func testThresholds() Thresholds {
	th := DefaultThresholds()
	th.MinTailSamples = 0 // the synthetic run is small: judge every percentile
	return th
}

func TestCompareTextGolden(t *testing.T) {
	base, next := regressedPair(t)
	c := Compare("results/base", base, "results/new", next, testThresholds())
	var b bytes.Buffer
	if err := CompareText(&b, c); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.txt.golden", b.Bytes())
}

func TestCompareJUnitGolden(t *testing.T) {
	base, next := regressedPair(t)
	var b bytes.Buffer
	if err := WriteJUnit(&b, CompareJUnit(Compare("results/base", base, "results/new", next, testThresholds()))); err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.junit.xml.golden", b.Bytes())
}

func TestRunJUnitGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, RunJUnit(syntheticSummary(t))); err != nil {
		t.Fatal(err)
	}
	golden(t, "run.junit.xml.golden", b.Bytes())
}

func TestCompareVerdicts(t *testing.T) {
	base, next := regressedPair(t)
	c := Compare("base", base, "new", next, testThresholds())
	want := map[string]Verdict{
		"completion_rate":                 VerdictRegression,
		"journey(lookup).completion_rate": VerdictOK,
		"http.error_rate":                 VerdictOK,
		"arrivals.achieved_rate":          VerdictRegression,
		"step(apply/submit).p95":          VerdictRegression,
		"step(apply/submit).p50":          VerdictOK,
		"step(apply/login).p50":           VerdictOK,
		"step(apply/create).p99":          VerdictImproved,
		"step(lookup/status).p95":         VerdictMissing,
		"step(apply/pay).p95":             VerdictNew,
		"journey(apply).completion_rate":  VerdictOK,
		"step(apply/otp).p95":             "", // no such step
		"step(apply/submit).p99":          VerdictRegression,
	}
	got := map[string]Verdict{}
	for _, ch := range c.Changes {
		got[ch.Metric] = ch.Verdict
	}
	for metric, v := range want {
		if got[metric] != v {
			t.Errorf("%s: verdict %q, want %q", metric, got[metric], v)
		}
	}

	quiet, busy := cloneSummary(t, base), cloneSummary(t, base)
	quiet.Latency.Lateness.P99MS, busy.Latency.Lateness.P99MS = 20, 180
	if w := Compare("quiet", quiet, "busy", busy, DefaultThresholds()).Warnings; len(w) != 1 || !strings.Contains(w[0], "ran late in NEW (lateness p99 180.0 ms") {
		t.Errorf("no warning about a late generator: %q", w)
	}

	same := Compare("base", base, "again", cloneSummary(t, base), DefaultThresholds())
	if r := same.Regressions(); len(r) != 0 {
		t.Errorf("a run compared with itself regressed: %+v", r)
	}
	if n := same.Count(VerdictOK); n != len(same.Changes) {
		t.Errorf("%d of %d metrics ok comparing a run with itself", n, len(same.Changes))
	}
	// By default the tails of the small synthetic steps are shown but not
	// judged: 15 requests leave under 5 above the p95.
	small := Compare("base", base, "new", next, DefaultThresholds())
	for _, ch := range small.Changes {
		if ch.Metric == "step(apply/submit).p95" && (ch.Verdict != VerdictOK || !strings.Contains(ch.Note, "leave under 5 above the p95")) {
			t.Errorf("a tail of few requests judged: %+v", ch)
		}
	}
}

func TestCompareRules(t *testing.T) {
	th := DefaultThresholds()
	for _, c := range []struct {
		name       string
		kind       string
		base, next float64
		q          float64
		n          uint64
		want       Verdict
	}{
		{"latency +50% but 1 ms is under the floor", KindLatency, 2, 3, 0.5, 100, VerdictOK},
		{"latency +25% and 5 ms", KindLatency, 20, 25, 0.5, 100, VerdictRegression},
		{"latency +15% and 15 ms", KindLatency, 100, 115, 0.5, 100, VerdictOK},
		{"latency −30% and 30 ms", KindLatency, 100, 70, 0.5, 100, VerdictImproved},
		{"latency from zero", KindLatency, 0, 5, 0.5, 100, VerdictRegression},
		{"p99 +100% on 400 requests", KindLatency, 20, 40, 0.99, 400, VerdictOK},
		{"p99 +100% on 500 requests", KindLatency, 20, 40, 0.99, 500, VerdictRegression},
		{"latency +100% on 10 requests", KindLatency, 20, 40, 0.95, 10, VerdictOK},
		{"completion −2 points exactly", KindCompletion, 0.99, 0.97, 0, 0, VerdictOK},
		{"completion −3 points", KindCompletion, 0.99, 0.96, 0, 0, VerdictRegression},
		{"completion +5 points", KindCompletion, 0.90, 0.95, 0, 0, VerdictImproved},
		{"errors +0.5 points", KindErrorRate, 0, 0.005, 0, 0, VerdictOK},
		{"errors +2 points", KindErrorRate, 0.01, 0.03, 0, 0, VerdictRegression},
		{"rate −11%", KindRate, 10, 8.9, 0, 0, VerdictRegression},
		{"rate −10%", KindRate, 10, 9, 0, 0, VerdictOK},
		{"rate +20%", KindRate, 10, 12, 0, 0, VerdictImproved},
	} {
		cmp := &Comparison{Thresholds: th}
		cmp.add(Change{Metric: "m", Kind: c.kind}, ptr(c.base), ptr(c.next), c.q, c.n, c.n)
		if got := cmp.Changes[0].Verdict; got != c.want {
			t.Errorf("%s: %q, want %q (%+v)", c.name, got, c.want, cmp.Changes[0])
		}
	}
}

func TestThresholdsValidate(t *testing.T) {
	if err := DefaultThresholds().Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Thresholds{MaxLatencyIncrease: -1, MaxCompletionDrop: 2, MaxRateDrop: 1.5}
	err := bad.Validate()
	if err == nil {
		t.Fatal("bad thresholds accepted")
	}
	for _, want := range []string{"max_latency_increase", "max_completion_drop", "max_rate_drop"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v does not name %s", err, want)
		}
	}
}

func TestCompareHTMLIsSelfContained(t *testing.T) {
	base, next := regressedPair(t)
	base.Scenario, next.Scenario = "Đăng ký khai sinh", "Đăng ký khai sinh"
	var b bytes.Buffer
	if err := CompareHTML(&b, Compare("base", base, "new", next, testThresholds())); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{`<meta charset="utf-8">`, `lang="en"`, "portalsim compare: Đăng ký khai sinh", "REGRESSION",
		`<tr class="regression"><td class="l"><code>completion_rate</code>`, "step(apply/submit).p95"} {
		if !strings.Contains(page, want) {
			t.Errorf("compare page lacks %q", want)
		}
	}
	if m := externalRef.FindString(page); m != "" {
		t.Errorf("compare page refers to something outside the file: %q", m)
	}
	checkSVGs(t, page, 1)
}
