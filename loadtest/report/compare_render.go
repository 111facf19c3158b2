package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// CompareText renders the comparison as a table, one row per metric, and
// a closing RESULT line.
func CompareText(w io.Writer, c *Comparison) error {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("portalsim compare\n")
	for _, r := range []struct {
		label string
		run   RunRef
	}{{"base", c.Base}, {"new ", c.New}} {
		p("%s  %s  (%s)\n", r.label, r.run.Path, runLine(r.run))
	}
	p("thresholds  %s\n", thresholdLine(c.Thresholds))
	for _, warn := range c.Warnings {
		p("WARNING: %s\n", warn)
	}
	p("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tbase\tnew\tchange\tverdict")
	for _, ch := range c.Changes {
		verdict := string(ch.Verdict)
		if ch.Verdict == VerdictRegression {
			verdict = "REGRESSION"
		}
		if ch.Note != "" {
			verdict += " (" + ch.Note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", ch.Metric, changeValue(ch.Kind, ch.Base), changeValue(ch.Kind, ch.New), changeDelta(ch), verdict)
	}
	tw.Flush()
	p("\n%s\n", resultLine(c))
	_, err := w.Write(b.Bytes())
	return err
}

func runLine(r RunRef) string {
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s, seed %d, %s, %s, SLOs %s", r.Scenario, r.Seed, r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"), secs(math.Round(r.DurationS*10)/10), verdict)
}

func thresholdLine(t Thresholds) string {
	return fmt.Sprintf("latency +%s and +%s ms (judged with ≥%d requests above the percentile), completion −%s points, error rate +%s points, achieved rate −%s",
		pctRule(t.MaxLatencyIncrease), trimFloat(t.LatencyFloorMS, 3), t.MinTailSamples, pp(t.MaxCompletionDrop), pp(t.MaxErrorRateIncrease), pctRule(t.MaxRateDrop))
}

func resultLine(c *Comparison) string {
	regs := c.Regressions()
	counts := fmt.Sprintf("%d improved, %d new, %d missing, %d within thresholds", c.Count(VerdictImproved), c.Count(VerdictNew), c.Count(VerdictMissing), c.Count(VerdictOK))
	if len(regs) == 0 {
		return "RESULT: no regression (" + counts + ")"
	}
	names := make([]string, 0, len(regs))
	for _, r := range regs {
		names = append(names, r.Metric)
	}
	noun := "regressions"
	if len(regs) == 1 {
		noun = "regression"
	}
	return fmt.Sprintf("RESULT: %d %s: %s (%s)", len(regs), noun, strings.Join(names, ", "), counts)
}

// changeValue prints a metric value in its unit.
func changeValue(kind string, v *float64) string {
	if v == nil {
		return "—"
	}
	switch kind {
	case KindCompletion, KindErrorRate:
		return strconv.FormatFloat(*v*100, 'f', 2, 64) + "%"
	case KindRate:
		return strconv.FormatFloat(*v, 'f', 2, 64) + "/s"
	}
	return num(*v) + " ms"
}

// changeDelta prints New − Base: percentage points for ratios, the unit
// and the relative change otherwise.
func changeDelta(ch Change) string {
	if ch.Base == nil || ch.New == nil {
		return "—"
	}
	sign := func(v float64) string {
		switch {
		case v > 0:
			return "+"
		case v < 0:
			return "−"
		}
		return "±"
	}
	d := ch.Delta
	switch ch.Kind {
	case KindCompletion, KindErrorRate:
		return sign(d) + strconv.FormatFloat(math.Abs(d)*100, 'f', 2, 64) + " pp"
	}
	rel := ""
	if *ch.Base != 0 {
		rel = fmt.Sprintf(" (%s%s%%)", sign(ch.Relative), strconv.FormatFloat(math.Abs(ch.Relative)*100, 'f', 1, 64))
	}
	if ch.Kind == KindRate {
		return sign(d) + strconv.FormatFloat(math.Abs(d), 'f', 2, 64) + "/s" + rel
	}
	return sign(d) + num(math.Abs(d)) + " ms" + rel
}

// CompareHTML renders the comparison as an offline HTML page: the table
// with coloured verdicts and a chart of each step's p95 in both runs.
func CompareHTML(w io.Writer, c *Comparison) error {
	t, err := parseTemplate("templates/compare.html.tmpl")
	if err != nil {
		return err
	}
	type row struct {
		Change
		BaseText, NewText, DeltaText string
	}
	view := struct {
		C          *Comparison
		Thresholds string
		Result     string
		Regressed  bool
		Rows       []row
		Chart      template.HTML
		BaseStart  string
		NewStart   string
	}{C: c, Thresholds: thresholdLine(c.Thresholds), Result: resultLine(c), Regressed: len(c.Regressions()) > 0,
		BaseStart: c.Base.StartedAt.UTC().Format(time.RFC3339), NewStart: c.New.StartedAt.UTC().Format(time.RFC3339)}
	var bars []barRow
	for _, ch := range c.Changes {
		view.Rows = append(view.Rows, row{Change: ch, BaseText: changeValue(ch.Kind, ch.Base), NewText: changeValue(ch.Kind, ch.New), DeltaText: changeDelta(ch)})
		if ch.Kind == KindLatency && strings.HasSuffix(ch.Metric, ".p95") {
			var b, n float64
			if ch.Base != nil {
				b = *ch.Base
			}
			if ch.New != nil {
				n = *ch.New
			}
			label := strings.TrimSuffix(strings.TrimPrefix(ch.Metric, "step("), ").p95")
			verdict := string(ch.Verdict)
			if ch.Note != "" {
				verdict = "not judged (few requests)"
			}
			bars = append(bars, barRow{Label: label, Values: []float64{b, n}, Note: fmt.Sprintf("%s → %s ms  %s", num(b), num(n), verdict)})
		}
	}
	view.Chart = barChart{Title: "Service time p95 per step, base vs new (ms)", Unit: " ms",
		Series: []string{"base p95", "new p95"}, Colors: []string{colGrey, colBlue}, Rows: bars}.SVG()
	var b bytes.Buffer
	if err := t.Execute(&b, view); err != nil {
		return fmt.Errorf("render comparison: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}
