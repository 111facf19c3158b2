package capacity

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/report"
)

// File names a capacity run adds to its folder (summary.json and
// report.txt as for `run`).
const (
	StepsFile     = "steps.jsonl"
	ChartFile     = "capacity.svg"
	ChartPageFile = "capacity.html"
)

// Summary is summary.json of a capacity run: the summary of the step at
// MaxRate (so requests_per_journey, completion_rate and the rest describe
// the highest passing rate), with the search result under "capacity".
// When no step passed it is the lowest-rate step's summary, and
// capacity.max_rate is 0.
func (r *SearchResult) Summary() (*metrics.Summary, error) {
	step := r.Best()
	if step == nil {
		for i := range r.Steps {
			if step == nil || r.Steps[i].OfferedRate < step.OfferedRate {
				step = &r.Steps[i]
			}
		}
	}
	var sum metrics.Summary
	if step != nil && step.Summary != nil {
		sum = *step.Summary
	} else {
		sum.SchemaVersion = metrics.SchemaVersion
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode capacity result: %w", err)
	}
	sum.Capacity = raw
	return &sum, nil
}

// WriteResults writes the capacity run folder: steps.jsonl (every step
// with its full summary), summary.json, report.txt, capacity.svg and
// capacity.html.
func WriteResults(dir string, r *SearchResult) error {
	sum, err := r.Summary()
	if err != nil {
		return err
	}
	var errs []error
	errs = append(errs, writeFile(dir, StepsFile, r.WriteSteps))
	errs = append(errs, report.WriteSummary(dir, sum))
	errs = append(errs, writeFile(dir, report.ReportFile, func(w io.Writer) error {
		if err := r.WriteText(w); err != nil {
			return err
		}
		if b := r.Best(); b != nil && b.Summary != nil {
			fmt.Fprintf(w, "\nSTEP AT THE MAXIMUM RATE (%s journeys/s)\n\n", fmtRate(b.OfferedRate))
			return report.Text(w, b.Summary)
		}
		return nil
	}))
	errs = append(errs, writeFile(dir, ChartFile, r.WriteChart))
	errs = append(errs, writeFile(dir, ChartPageFile, r.WriteHTML))
	return errors.Join(errs...)
}

func writeFile(dir, name string, write func(io.Writer) error) error {
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	bw := bufio.NewWriter(f)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteSteps writes one JSON line per step: the step's figures and its
// full summary.
func (r *SearchResult) WriteSteps(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, s := range r.Steps {
		line := struct {
			Step
			Summary *metrics.Summary `json:"summary"`
		}{s, s.Summary}
		if err := enc.Encode(line); err != nil {
			return fmt.Errorf("step %d: %w", s.Index, err)
		}
	}
	return nil
}

// WriteText renders the search as the capacity part of report.txt.
func (r *SearchResult) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	name, target := "", ""
	for _, s := range r.Steps {
		if s.Summary != nil {
			name, target = s.Summary.Scenario, s.Summary.Target
			break
		}
	}
	st := r.Settings
	fmt.Fprintf(ew, "CAPACITY SEARCH  %s against %s\n", name, target)
	fmt.Fprintf(ew, "  steps of %s after a %s warm-up (excluded), %s arrivals; rates %s to %s journeys/s, ×%g then bisection to %.0f%%; max time %s\n",
		secs(st.StepS), secs(st.WarmupS), orDefault(st.Process, "poisson"), fmtRate(st.MinRate), fmtRate(st.MaxRate), st.Growth, st.Precision*100, secs(st.MaxTimeS))
	fmt.Fprintf(ew, "  stopped: %s after %s, %d steps\n\n", r.StoppedBy, secs(math.Round(r.ElapsedS)), len(r.Steps))

	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "#\tphase\toffered j/s\tachieved j/s\treq/s\tp95 ms\tp99 ms\tlate p99 ms\terrors\t503\tcompleted\tCPU ms/req\tCPU\t result")
	for _, s := range r.Steps {
		verdict := "pass"
		if !s.Passed {
			verdict = "FAIL " + strings.Join(s.BrokenSLOs, "; ")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.0f\t%.1f\t%.1f\t%.1f\t%s\t%s\t%s\t%.3f\t%.0f%%\t %s\n",
			s.Index, s.Phase, fmtRate(s.OfferedRate), fmtRate(s.AchievedRate), s.RequestRate,
			s.P95MS, s.P99MS, s.LatenessP99MS, pct(s.ErrorRate), pct(s.ShedShare), pct(s.CompletionRate),
			s.Resources.CPUPerRequestMS, s.Resources.CPUUtilisation*100, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(ew)
	switch {
	case r.Found:
		b := r.Best()
		rpj := 0.0
		if b != nil {
			rpj = b.RequestsPerJourney
		}
		bound := ""
		if r.LowerBound {
			bound = " (a lower bound: no step failed)"
		}
		fmt.Fprintf(ew, "MAX SUSTAINABLE RATE: %s journeys/s%s — %.0f requests/s, %.1f requests per journey\n",
			fmtRate(r.MaxRate), bound, r.MaxRequestRate, rpj)
		if r.FirstFailRate > 0 {
			fmt.Fprintf(ew, "  lowest failing rate %s journeys/s (bounds %.1f%% apart)\n", fmtRate(r.FirstFailRate), r.Precision*100)
		}
	default:
		fmt.Fprintln(ew, "MAX SUSTAINABLE RATE: none — no step met the SLOs")
	}
	if r.KneeRate > 0 {
		fmt.Fprintf(ew, "Knee: %s journeys/s (%s)\n", fmtRate(r.KneeRate), r.KneeRule)
	} else {
		fmt.Fprintf(ew, "Knee: not seen (%s)\n", r.KneeRule)
	}
	if b := r.BrokenBy; b != nil {
		if b.Error != "" {
			fmt.Fprintf(ew, "First broken SLO: %s at %s journeys/s: %s\n", b.Expr, fmtRate(b.AtRate), b.Error)
		} else {
			fmt.Fprintf(ew, "First broken SLO: %s at %s journeys/s: measured %s against %s (%.0f%% past the threshold)\n",
				b.Expr, fmtRate(b.AtRate), withUnit(b.Value, b.Unit), withUnit(b.Threshold, b.Unit), b.Relative*100)
		}
	}
	if len(r.LimitingHints) > 0 {
		fmt.Fprintln(ew, "Limiting resource hints:")
		for _, h := range r.LimitingHints {
			mark := "not limiting"
			switch {
			case !h.Measured:
				mark = "not measured"
			case h.Limiting:
				mark = "LIMITING"
			}
			fmt.Fprintf(ew, "  %-14s %-12s %s\n", h.Resource, mark, h.Detail)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(ew, "Note: %s\n", n)
	}
	return ew.err
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func secs(s float64) string { return time.Duration(s * float64(time.Second)).String() }

func withUnit(v float64, unit string) string {
	switch unit {
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	case "ratio":
		return fmt.Sprintf("%.4g (%.2f%%)", v, v*100)
	}
	return fmt.Sprintf("%.4g", v)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// chart geometry (SVG user units).
const (
	chartW, chartH                     = 760, 420
	padLeft, padRight, padTop, padBott = 70, 70, 50, 60
)

// WriteChart writes capacity.svg: achieved journey rate (left axis, with
// the offered = achieved diagonal) and service-time p95 (right axis)
// against the offered rate; failing steps are drawn hollow in red, and
// the maximum rate and the knee are marked.
func (r *SearchResult) WriteChart(w io.Writer) error {
	ew := &errWriter{w: w}
	steps := slices.Clone(r.Steps)
	slices.SortStableFunc(steps, func(a, b Step) int {
		return cmpFloat(a.OfferedRate, b.OfferedRate)
	})
	xMax, yMax, pMax := 1.0, 1.0, 1.0
	for _, s := range steps {
		xMax = max(xMax, s.OfferedRate)
		yMax = max(yMax, s.AchievedRate, s.OfferedRate)
		pMax = max(pMax, s.P95MS)
	}
	xMax, yMax, pMax = niceCeil(xMax*1.05), niceCeil(yMax*1.05), niceCeil(pMax*1.1)
	plotW, plotH := float64(chartW-padLeft-padRight), float64(chartH-padTop-padBott)
	px := func(x float64) float64 { return padLeft + x/xMax*plotW }
	py := func(y float64) float64 { return padTop + plotH - y/yMax*plotH }
	pp := func(p float64) float64 { return padTop + plotH - p/pMax*plotH }

	fmt.Fprintf(ew, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(ew, `<rect width="%d" height="%d" fill="white"/>`+"\n", chartW, chartH)
	fmt.Fprintf(ew, `<text x="%d" y="20" font-size="14" font-weight="bold">Capacity: achieved rate and p95 versus offered rate</text>`+"\n", padLeft)
	// Grid and axes.
	for i := 0; i <= 5; i++ {
		f := float64(i) / 5
		y := padTop + plotH - f*plotH
		x := padLeft + f*plotW
		fmt.Fprintf(ew, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#e5e5e5"/>`+"\n", padLeft, y, chartW-padRight, y)
		fmt.Fprintf(ew, `<text x="%d" y="%.1f" text-anchor="end" fill="#1f5fbf">%s</text>`+"\n", padLeft-6, y+4, axisNum(f*yMax))
		fmt.Fprintf(ew, `<text x="%d" y="%.1f" fill="#d9731a">%s</text>`+"\n", chartW-padRight+6, y+4, axisNum(f*pMax))
		fmt.Fprintf(ew, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, chartH-padBott+18, axisNum(f*xMax))
	}
	fmt.Fprintf(ew, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`+"\n", padLeft, padTop, plotW, plotH)
	fmt.Fprintf(ew, `<text x="%.1f" y="%d" text-anchor="middle">offered rate (journeys/s)</text>`+"\n", padLeft+plotW/2, chartH-padBott+40)
	fmt.Fprintf(ew, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle" fill="#1f5fbf">achieved rate (journeys/s)</text>`+"\n", padTop+plotH/2)
	fmt.Fprintf(ew, `<text transform="translate(%d %.1f) rotate(90)" text-anchor="middle" fill="#d9731a">p95 service time (ms)</text>`+"\n", chartW-18, padTop+plotH/2)
	// offered = achieved, up to the plot's corner.
	diag := min(xMax, yMax)
	fmt.Fprintf(ew, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#1f5fbf" stroke-dasharray="4 4" opacity="0.5"/>`+"\n", px(0), py(0), px(diag), py(diag))
	// Markers for the maximum rate and the knee.
	if r.Found {
		fmt.Fprintf(ew, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.0f" stroke="#2a9d3a" stroke-width="2"/>`+"\n", px(r.MaxRate), padTop, px(r.MaxRate), padTop+plotH)
		fmt.Fprintf(ew, `<text x="%.1f" y="%d" fill="#2a9d3a">max %s</text>`+"\n", px(r.MaxRate)+4, padTop+14, fmtRate(r.MaxRate))
	}
	if r.KneeRate > 0 {
		fmt.Fprintf(ew, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.0f" stroke="#666" stroke-dasharray="6 3"/>`+"\n", px(r.KneeRate), padTop, px(r.KneeRate), padTop+plotH)
		fmt.Fprintf(ew, `<text x="%.1f" y="%d" fill="#666">knee %s</text>`+"\n", px(r.KneeRate)+4, padTop+28, fmtRate(r.KneeRate))
	}
	// Series.
	series := func(color string, y func(Step) float64) {
		var pts []string
		for _, s := range steps {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(s.OfferedRate), y(s)))
		}
		fmt.Fprintf(ew, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", strings.Join(pts, " "), color)
		for _, s := range steps {
			fill, stroke := color, color
			if !s.Passed {
				fill, stroke = "white", "#c0392b"
			}
			fmt.Fprintf(ew, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s" stroke="%s" stroke-width="2"><title>step %d: offered %s, achieved %s j/s, p95 %.1f ms, %s</title></circle>`+"\n",
				px(s.OfferedRate), y(s), fill, stroke, s.Index, fmtRate(s.OfferedRate), fmtRate(s.AchievedRate), s.P95MS, passWord(s.Passed))
		}
	}
	series("#1f5fbf", func(s Step) float64 { return py(s.AchievedRate) })
	series("#d9731a", func(s Step) float64 { return pp(s.P95MS) })
	// Legend, above the plot where it hides no point.
	fmt.Fprintf(ew, `<g transform="translate(%d 36)">`, padLeft)
	fmt.Fprint(ew, `<circle cx="5" cy="-4" r="4" fill="#1f5fbf"/><text x="14" y="0">achieved journeys/s (dashed: achieved = offered)</text>`)
	fmt.Fprint(ew, `<circle cx="320" cy="-4" r="4" fill="#d9731a"/><text x="329" y="0">p95 ms</text>`)
	fmt.Fprint(ew, `<circle cx="395" cy="-4" r="4" fill="white" stroke="#c0392b" stroke-width="2"/><text x="404" y="0">SLO broken</text></g>`+"\n")
	fmt.Fprint(ew, "</svg>\n")
	return ew.err
}

func passWord(ok bool) string {
	if ok {
		return "SLOs met"
	}
	return "SLO broken"
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// niceCeil rounds v up to a round axis maximum (1, 1.5, 2, 2.5, 3, 4, 5,
// 6 or 8 times a power of ten), so that fifths of it are readable.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

func axisNum(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return trimZeros(fmt.Sprintf("%.2f", v))
}

var chartPage = template.Must(template.New("capacity").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Capacity — {{.Name}}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:64em}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:12px}</style>
</head><body>
<h1>Capacity search — {{.Name}}</h1>
{{.Chart}}
<pre>{{.Text}}</pre>
</body></html>
`))

// WriteHTML writes capacity.html: the chart inline and the text report,
// self-contained (no scripts, no external files).
func (r *SearchResult) WriteHTML(w io.Writer) error {
	var chart, text strings.Builder
	if err := r.WriteChart(&chart); err != nil {
		return err
	}
	if err := r.WriteText(&text); err != nil {
		return err
	}
	name := "capacity"
	for _, s := range r.Steps {
		if s.Summary != nil {
			name = s.Summary.Scenario
			break
		}
	}
	return chartPage.Execute(w, struct {
		Name  string
		Chart template.HTML // built above from numbers and fixed strings only
		Text  string
	}{name, template.HTML(chart.String()), text.String()})
}
