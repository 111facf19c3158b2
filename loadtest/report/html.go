package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
)

// HTMLFile is the offline HTML report inside a run folder.
const HTMLFile = "report.html"

//go:embed templates/report.html.tmpl templates/report.css templates/compare.html.tmpl
var templateFS embed.FS

// HTMLOptions are links the report makes to other files of the run folder.
type HTMLOptions struct {
	// PlotFile, when set, is linked as the interactive per-request latency
	// plot (vegeta's plot.html), relative to the report.
	PlotFile string
	// Files lists the run folder's other files to link (relative names).
	Files []string
}

// HTML renders the offline report of s: one self-contained file with
// inline CSS and SVG charts, no scripts and no network requests.
func HTML(w io.Writer, s *metrics.Summary, o HTMLOptions) error {
	t, err := parseTemplate("templates/report.html.tmpl")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, newHTMLView(s, o)); err != nil {
		return fmt.Errorf("render report.html: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// WriteHTML writes dir/report.html, linking plot.html and the folder's
// other files when they are there.
func WriteHTML(dir string, s *metrics.Summary) error {
	var o HTMLOptions
	if _, err := os.Stat(filepath.Join(dir, PlotFile)); err == nil {
		o.PlotFile = PlotFile
	}
	for _, f := range []string{ReportFile, SummaryFile, JourneysFile, ResultsFile, ScenarioFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			o.Files = append(o.Files, f)
		}
	}
	return writeFile(filepath.Join(dir, HTMLFile), func(w io.Writer) error { return HTML(w, s, o) })
}

func writeFile(path string, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func parseTemplate(name string) (*template.Template, error) {
	css, err := templateFS.ReadFile("templates/report.css")
	if err != nil {
		return nil, fmt.Errorf("report template: %w", err)
	}
	t, err := template.New(filepath.Base(name)).Funcs(template.FuncMap{
		"pct":   pct,
		"num":   num,
		"u":     u,
		"css":   func() template.CSS { return template.CSS(css) },
		"time":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"secs":  secs,
		"ratio": func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) },
		"signed": func(v float64, unit string) string {
			s := num(math.Abs(v))
			if unit == "pp" {
				s = strconv.FormatFloat(math.Abs(v)*100, 'f', 2, 64)
			}
			sign := "+"
			if v < 0 {
				sign = "−"
			}
			if v == 0 {
				sign = "±"
			}
			return sign + s
		},
	}).ParseFS(templateFS, name)
	if err != nil {
		return nil, fmt.Errorf("report template: %w", err)
	}
	return t, nil
}

// htmlView is what report.html.tmpl renders: the summary plus the charts
// and derived figures the template cannot compute itself.
type htmlView struct {
	S           *metrics.Summary
	Opt         HTMLOptions
	Description []string // paragraphs
	Machine     string
	Tiles       []tile
	SLOs        []sloRow
	Faults      []faultRow
	LateWarning bool

	ArrivalChart  template.HTML
	RequestChart  template.HTML
	LatencyChart  template.HTML
	LatenessChart template.HTML
	IntervalS     float64

	Funnels     []funnelView
	StepChart   template.HTML
	StatusRows  []statusRow
	StatusChart template.HTML

	Portal        *metrics.Portal
	PortalChart   template.HTML
	Indicators    []indicatorRow
	DossierStates []statusRow
}

type tile struct {
	Label, Value, Detail string
	Bad                  bool
}

type sloRow struct {
	Expr, Measured string
	OK             bool
	Error          string
}

type faultRow struct {
	Targets, What string
	From, To      float64
	Applied       bool
}

// faultWhat says what a fault did, e.g. "latency 200 ms, 10% errors".
func faultWhat(f metrics.FaultRecord) string {
	var parts []string
	if f.Outage {
		parts = append(parts, "outage")
	}
	if f.LatencyMS > 0 {
		parts = append(parts, "latency "+trimFloat(f.LatencyMS, 1)+" ms")
	}
	if f.ErrorRate > 0 {
		parts = append(parts, pct(f.ErrorRate)+" errors")
	}
	what := strings.Join(parts, ", ")
	if f.Route != "" {
		return f.Route + ": " + what
	}
	return f.Dependency + ": " + what
}

type funnelView struct {
	Journey string
	Stats   metrics.JourneyStats
	Chart   template.HTML
}

type statusRow struct {
	Code  string
	Label string
	Count uint64
	Share float64
}

type indicatorRow struct {
	Name  string
	Value float64
}

func newHTMLView(s *metrics.Summary, o HTMLOptions) *htmlView {
	v := &htmlView{S: s, Opt: o}
	for _, p := range strings.Split(strings.TrimSpace(s.Description), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			v.Description = append(v.Description, p)
		}
	}
	if m := s.Machine; m != nil {
		v.Machine = fmt.Sprintf("%s (%s/%s, %d CPUs, %s)", m.Hostname, m.GOOS, m.GOARCH, m.CPUs, m.GoVersion)
	}
	j := s.Journeys
	a := s.Arrivals
	v.Tiles = []tile{
		{Label: "Completion rate", Value: pct(s.CompletionRate), Detail: fmt.Sprintf("%d of %d journeys", j.Completed, j.Started)},
		{Label: "Abandoned / failed", Value: fmt.Sprintf("%d / %d", j.Abandoned, j.Failed), Detail: fmt.Sprintf("%d interrupted, not counted", j.Interrupted), Bad: j.Failed > 0},
		{Label: "Arrivals achieved", Value: fmt.Sprintf("%.2f/s", a.AchievedRate), Detail: fmt.Sprintf("intended %.2f/s (peak %.2f/s)", a.IntendedRate, a.PeakRate),
			Bad: a.Intended > 0 && float64(a.Achieved) < 0.95*float64(a.Intended)},
		{Label: "Requests", Value: fmt.Sprintf("%.1f/s", s.Requests.Rate), Detail: fmt.Sprintf("%d in all, %.1f per journey", s.Requests.Count, s.RequestsPerJourney)},
		{Label: "Error rate", Value: pct(s.Requests.ErrorRate), Detail: fmt.Sprintf("%d requests", s.Requests.Errors), Bad: s.Requests.Errors > 0},
		{Label: "Service time p95", Value: num(s.Latency.Service.P95MS) + " ms", Detail: "p99 " + num(s.Latency.Service.P99MS) + " ms"},
		{Label: "Response time p95", Value: num(s.Latency.Response.P95MS) + " ms", Detail: "from the intended send; p99 " + num(s.Latency.Response.P99MS) + " ms"},
		{Label: "Lateness p99", Value: num(s.Latency.Lateness.P99MS) + " ms", Detail: fmt.Sprintf("%d arrivals late by over 1 s", a.LateOver1s), Bad: a.LateOver1s > 0},
	}
	v.LateWarning = a.LateOver1s > 0 || s.Latency.Lateness.P99MS > 100
	for _, r := range s.SLOs {
		measured := num(r.Value)
		switch r.Unit {
		case "ms":
			measured += " ms"
		case "ratio":
			measured = strconv.FormatFloat(r.Value, 'f', 4, 64)
		}
		v.SLOs = append(v.SLOs, sloRow{Expr: r.Expr, Measured: measured, OK: r.OK, Error: r.Error})
	}

	var bands []timeBand
	for _, f := range s.Faults {
		v.Faults = append(v.Faults, faultRow{Targets: strings.Join(f.Targets, ", "), What: faultWhat(f), From: f.StartS, To: f.EndS, Applied: f.AppliedAt != nil})
		bands = append(bands, timeBand{From: f.StartS, To: f.EndS, Label: "fault: " + faultWhat(f)})
	}

	ts := s.TimeSeries
	v.IntervalS = ts.IntervalS
	per := ts.IntervalS
	if per <= 0 {
		per = 1
	}
	x := make([]float64, len(ts.Points))
	col := func(f func(metrics.Point) float64) []float64 {
		out := make([]float64, len(ts.Points))
		for i, p := range ts.Points {
			out[i] = f(p)
		}
		return out
	}
	for i, p := range ts.Points {
		x[i] = p.T
	}
	// Latency points of intervals without requests are gaps, not zeros.
	lat := func(f func(metrics.Point) float64) []float64 {
		return col(func(p metrics.Point) float64 {
			if p.Requests == 0 {
				return math.NaN()
			}
			return f(p)
		})
	}
	v.ArrivalChart = lineChart{
		Title: "Journey arrivals per second: intended by the profile vs achieved", YLabel: "journeys / s", X: x, Bands: bands,
		Series: []lineSeries{
			{Name: "intended", Color: colGrey, Dash: "6 4", Values: col(func(p metrics.Point) float64 { return float64(p.IntendedArrivals) / per })},
			{Name: "achieved (first request sent)", Color: colBlue, Values: col(func(p metrics.Point) float64 { return float64(p.Arrivals) / per })},
			{Name: "completed", Color: colGreen, Values: col(func(p metrics.Point) float64 { return float64(p.Completed) / per })},
			{Name: "failed", Color: colRed, Values: col(func(p metrics.Point) float64 { return float64(p.Failed) / per })},
		},
	}.SVG()
	v.RequestChart = lineChart{
		Title: "Requests and errors per second", YLabel: "requests / s", X: x, Bands: bands,
		Series: []lineSeries{
			{Name: "requests", Color: colBlue, Values: col(func(p metrics.Point) float64 { return float64(p.Requests) / per })},
			{Name: "errors", Color: colRed, Values: col(func(p metrics.Point) float64 { return float64(p.Errors) / per })},
		},
	}.SVG()
	v.LatencyChart = lineChart{
		Title: "Service time percentiles per interval (ms)", YLabel: "ms", X: x, Bands: bands,
		Series: []lineSeries{
			{Name: "p50", Color: colGreen, Values: lat(func(p metrics.Point) float64 { return p.P50MS })},
			{Name: "p95", Color: colOrange, Values: lat(func(p metrics.Point) float64 { return p.P95MS })},
			{Name: "p99", Color: colRed, Values: lat(func(p metrics.Point) float64 { return p.P99MS })},
			{Name: "response p95 (from intended send)", Color: colPurple, Dash: "5 3", Values: lat(func(p metrics.Point) float64 { return p.ResponseP95MS })},
		},
	}.SVG()
	v.LatenessChart = lineChart{
		Title: "Lateness p99 per interval (ms): how far the generator was behind its schedule", YLabel: "ms", X: x,
		Series: []lineSeries{
			{Name: "lateness p99", Color: colPurple, Values: lat(func(p metrics.Point) float64 { return p.LatenessP99MS })},
		},
	}.SVG()

	for _, js := range s.ByJourney {
		v.Funnels = append(v.Funnels, funnelView{Journey: js.Journey, Stats: js, Chart: funnelChart(js)})
	}

	var stepRows []barRow
	for _, st := range s.Steps {
		stepRows = append(stepRows, barRow{Label: st.Journey + " · " + st.Step, Values: []float64{st.Service.P95MS, st.Response.P95MS}})
	}
	v.StepChart = barChart{
		Title: "p95 per step: service time vs response time from the intended send (ms)", Unit: " ms",
		Series: []string{"service time p95", "response time p95"}, Colors: []string{colBlue, colPurple}, Rows: stepRows,
	}.SVG()

	var statusBars []barRow
	codes := slices.Collect(maps.Keys(s.Requests.StatusCodes))
	slices.SortFunc(codes, func(a, b string) int {
		ai, _ := strconv.Atoi(a)
		bi, _ := strconv.Atoi(b)
		return ai - bi
	})
	for _, c := range codes {
		n := s.Requests.StatusCodes[c]
		label := c
		if c == "0" {
			label = "0 (no response)"
		}
		v.StatusRows = append(v.StatusRows, statusRow{Code: c, Label: label, Count: n, Share: ratioOf(n, s.Requests.Count)})
		statusBars = append(statusBars, barRow{Label: label, Values: []float64{float64(n)}, Note: fmt.Sprintf("%d (%s)", n, pct(ratioOf(n, s.Requests.Count)))})
	}
	v.StatusChart = barChart{Title: "Requests by HTTP status code", Series: []string{"requests"}, Colors: []string{colBlue}, Rows: statusBars,
		Format: func(f float64) string { return strconv.FormatFloat(f, 'f', 0, 64) }}.SVG()

	if p := s.Portal; p != nil {
		v.Portal = p
		px := make([]float64, len(p.Samples))
		queue := make([]float64, len(p.Samples))
		util := make([]float64, len(p.Samples))
		inFlight := make([]float64, len(p.Samples))
		for i, sm := range p.Samples {
			px[i], queue[i], util[i], inFlight[i] = sm.T, sm.QueueLength, sm.OfficerUtilisation*100, sm.InFlight
		}
		if len(p.Samples) > 0 {
			v.PortalChart = lineChart{
				Title: "Portal gauges during the run", YLabel: "dossiers / requests / %", X: px,
				Series: []lineSeries{
					{Name: "officer queue length", Color: colOrange, Values: queue},
					{Name: "officer utilisation %", Color: colGreen, Values: util},
					{Name: "requests in flight", Color: colBlue, Values: inFlight},
				},
			}.SVG()
		}
		for _, k := range slices.Sorted(maps.Keys(p.Indicators)) {
			v.Indicators = append(v.Indicators, indicatorRow{Name: strings.ReplaceAll(k, "_", " "), Value: p.Indicators[k]})
		}
		var total uint64
		for _, n := range p.Dossiers {
			total += n
		}
		for _, k := range slices.Sorted(maps.Keys(p.Dossiers)) {
			v.DossierStates = append(v.DossierStates, statusRow{Label: k, Count: p.Dossiers[k], Share: ratioOf(p.Dossiers[k], total)})
		}
	}
	return v
}

// funnelChart draws one bar per step: journeys that passed it, failed at
// it or were interrupted on it, and — after them — those whose persona
// abandoned just before it.
func funnelChart(js metrics.JourneyStats) template.HTML {
	rows := []barRow{{Label: "started", Values: []float64{float64(js.Counts.Started), 0, 0, 0}, Note: fmt.Sprintf("%d started", js.Counts.Started)}}
	for _, f := range js.Funnel {
		note := fmt.Sprintf("%d reached, %d passed", f.Reached, f.Passed)
		if f.Abandoned > 0 {
			note += fmt.Sprintf(", %d abandoned", f.Abandoned)
		}
		if f.Failed > 0 {
			note += fmt.Sprintf(", %d failed", f.Failed)
		}
		if f.Interrupted > 0 {
			note += fmt.Sprintf(", %d interrupted", f.Interrupted)
		}
		rows = append(rows, barRow{Label: f.Step, Note: note,
			Values: []float64{float64(f.Passed), float64(f.Failed), float64(f.Interrupted), float64(f.Abandoned)}})
	}
	rows = append(rows, barRow{Label: "completed", Values: []float64{float64(js.Counts.Completed), 0, 0, 0},
		Note: fmt.Sprintf("%d completed (%s)", js.Counts.Completed, pct(js.CompletionRate))})
	return barChart{
		Title:   "Funnel of journey " + js.Journey,
		Series:  []string{"passed", "failed here", "interrupted here", "abandoned before this step"},
		Colors:  []string{colGreen, colRed, colGrey, colOrange},
		Rows:    rows,
		Stacked: true,
	}.SVG()
}

func ratioOf(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
