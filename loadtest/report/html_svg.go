package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Inline SVG charts for report.html. They are drawn here rather than by a
// JavaScript library so the report is one offline file that renders the
// same in any browser, in print and in a screenshot; vegeta's own uPlot
// plot (plot.html) covers the interactive per-request view.

// Chart colours (colour-blind safe Okabe–Ito hues).
const (
	colBlue   = "#0072b2"
	colOrange = "#e69f00"
	colGreen  = "#009e73"
	colRed    = "#d55e00"
	colPurple = "#cc79a7"
	colSky    = "#56b4e9"
	colGrey   = "#999999"
	colYellow = "#f0e442"
)

// lineSeries is one line of a lineChart; NaN values leave a gap.
type lineSeries struct {
	Name   string
	Color  string
	Dash   string // SVG stroke-dasharray, "" for solid
	Values []float64
}

// lineChart is values over time (X in seconds from the start of the run).
type lineChart struct {
	Title  string
	YLabel string
	X      []float64
	Series []lineSeries
	Format func(float64) string // axis labels
	// Bands shade time windows, e.g. when a fault was injected.
	Bands []timeBand
}

// timeBand is a shaded window from From to To seconds.
type timeBand struct {
	From, To float64
	Label    string
}

const (
	chartW      = 860
	lineChartH  = 260
	chartLeft   = 62
	chartRight  = 16
	chartTop    = 30
	chartBottom = 40
)

// niceStep returns a 1, 2 or 5 × 10^k step so that about n steps cover span.
func niceStep(span float64, n int) float64 {
	if span <= 0 || math.IsNaN(span) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow10(int(math.Floor(math.Log10(raw))))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*mag {
			return m * mag
		}
	}
	return 10 * mag
}

func esc(s string) string { return html.EscapeString(s) }

func fmtAxis(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 10000:
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func fmtSeconds(v float64) string {
	if v >= 120 && math.Mod(v, 60) == 0 {
		return strconv.FormatFloat(v/60, 'f', -1, 64) + "m"
	}
	return strconv.FormatFloat(v, 'f', -1, 64) + "s"
}

// legend draws coloured keys in one row above the plot area.
func legend(b *strings.Builder, names, colors, dashes []string) {
	x := chartLeft
	for i, name := range names {
		dash := ""
		if dashes != nil && dashes[i] != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, dashes[i])
		}
		fmt.Fprintf(b, `<line x1="%d" y1="12" x2="%d" y2="12" stroke="%s" stroke-width="3"%s/>`, x, x+18, colors[i], dash)
		fmt.Fprintf(b, `<text x="%d" y="16" class="legend">%s</text>`, x+23, esc(name))
		x += 40 + 8*len([]rune(name))
	}
}

// SVG renders the chart. An empty chart says so instead of drawing axes.
func (c lineChart) SVG() template.HTML {
	format := c.Format
	if format == nil {
		format = fmtAxis
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" width="%d" height="%d" viewBox="0 0 %d %d"><title>%s</title>`, chartW, lineChartH, chartW, lineChartH, esc(c.Title))
	if len(c.X) == 0 {
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="empty">no data</text></svg>`, chartW/2, lineChartH/2)
		return template.HTML(b.String())
	}
	xMax := c.X[len(c.X)-1]
	if len(c.X) > 1 {
		xMax += c.X[1] - c.X[0] // the last interval's end
	} else {
		xMax = math.Max(xMax+1, 1)
	}
	yMax := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			if !math.IsNaN(v) && v > yMax {
				yMax = v
			}
		}
	}
	yStep := niceStep(yMax, 5)
	yTop := math.Max(yStep, math.Ceil(yMax/yStep)*yStep)
	plotW := float64(chartW - chartLeft - chartRight)
	plotH := float64(lineChartH - chartTop - chartBottom)
	px := func(x float64) float64 { return chartLeft + x/xMax*plotW }
	py := func(y float64) float64 { return chartTop + plotH - y/yTop*plotH }

	// Grid and axes.
	for y := 0.0; y <= yTop+yStep/2; y += yStep {
		fmt.Fprintf(&b, `<line class="grid" x1="%d" x2="%d" y1="%.1f" y2="%.1f"/>`, chartLeft, chartW-chartRight, py(y), py(y))
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, chartLeft-6, py(y)+4, esc(format(y)))
	}
	xStep := niceStep(xMax, 8)
	for x := 0.0; x <= xMax+xStep/100; x += xStep {
		fmt.Fprintf(&b, `<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%.1f"/>`, px(x), px(x), chartTop, chartTop+plotH)
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, px(x), chartTop+plotH+16, esc(fmtSeconds(x)))
	}
	for _, band := range c.Bands {
		from, to := math.Max(0, band.From), math.Min(xMax, band.To)
		if to <= from {
			continue
		}
		fmt.Fprintf(&b, `<rect class="band" x="%.1f" y="%d" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.12"><title>%s</title></rect>`,
			px(from), chartTop, px(to)-px(from), plotH, colRed, esc(band.Label))
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d">%s</text>`, px(from)+3, chartTop+12, esc(truncate(band.Label, 40)))
	}
	fmt.Fprintf(&b, `<text class="axis" x="14" y="%.1f" transform="rotate(-90 14 %.1f)" text-anchor="middle">%s</text>`,
		chartTop+plotH/2, chartTop+plotH/2, esc(c.YLabel))
	fmt.Fprintf(&b, `<text class="axis" x="%.1f" y="%d" text-anchor="middle">time since the start of the run</text>`, chartLeft+plotW/2, lineChartH-4)

	var names, colors, dashes []string
	for _, s := range c.Series {
		names, colors, dashes = append(names, s.Name), append(colors, s.Color), append(dashes, s.Dash)
		dash := ""
		if s.Dash != "" {
			dash = fmt.Sprintf(` stroke-dasharray="%s"`, s.Dash)
		}
		// Each value is drawn at the middle of its interval.
		half := 0.0
		if len(c.X) > 1 {
			half = (c.X[1] - c.X[0]) / 2
		}
		var pts []string
		flush := func() {
			switch len(pts) {
			case 0:
			case 1:
				xy := strings.Split(pts[0], ",")
				fmt.Fprintf(&b, `<circle class="series" cx="%s" cy="%s" r="2.5" fill="%s"/>`, xy[0], xy[1], s.Color)
			default:
				fmt.Fprintf(&b, `<polyline class="series" fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`, s.Color, dash, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for i, v := range s.Values {
			if i >= len(c.X) {
				break
			}
			if math.IsNaN(v) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(c.X[i]+half), py(v)))
		}
		flush()
	}
	legend(&b, names, colors, dashes)
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

// barChart draws horizontal bars, one row per label: grouped (one bar per
// series side by side) or stacked (segments of one bar).
type barChart struct {
	Title   string
	Unit    string // appended to value labels, e.g. " ms"
	Series  []string
	Colors  []string
	Rows    []barRow
	Stacked bool
	Format  func(float64) string
}

type barRow struct {
	Label  string
	Values []float64 // one per series
	Note   string    // right of the bar(s); default: the values
}

const (
	barLabelW = 230
	barNoteW  = 250
	barH      = 14
)

func (c barChart) SVG() template.HTML {
	format := c.Format
	if format == nil {
		format = num
	}
	perRow := len(c.Series)
	if c.Stacked {
		perRow = 1
	}
	rowH := perRow*barH + 10
	height := chartTop + len(c.Rows)*rowH + 10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" width="%d" height="%d" viewBox="0 0 %d %d"><title>%s</title>`, chartW, height, chartW, height, esc(c.Title))
	max := 0.0
	for _, r := range c.Rows {
		total := 0.0
		for _, v := range r.Values {
			if c.Stacked {
				total += v
			} else {
				total = math.Max(total, v)
			}
		}
		max = math.Max(max, total)
	}
	if max <= 0 {
		max = 1
	}
	plotW := float64(chartW - barLabelW - barNoteW)
	for i, r := range c.Rows {
		y := chartTop + i*rowH
		fmt.Fprintf(&b, `<text class="label" x="%d" y="%d" text-anchor="end">%s</text>`, barLabelW-8, y+perRow*barH/2+4, esc(truncate(r.Label, 34)))
		x := float64(barLabelW)
		var notes []string
		for k, v := range r.Values {
			w := v / max * plotW
			by := y
			if !c.Stacked {
				x = barLabelW
				by = y + k*barH
			}
			if w > 0 {
				fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s%s</title></rect>`,
					x, by, math.Max(w, 1), barH-2, c.Colors[k], esc(c.Series[k]), esc(format(v)), esc(c.Unit))
			}
			if c.Stacked {
				x += w
			} else {
				notes = append(notes, format(v))
			}
		}
		note := r.Note
		if note == "" {
			note = strings.Join(notes, " / ") + c.Unit
		}
		fmt.Fprintf(&b, `<text class="note" x="%d" y="%d">%s</text>`, chartW-barNoteW+8, y+perRow*barH/2+4, esc(note))
	}
	if len(c.Series) > 1 {
		legend(&b, c.Series, c.Colors, nil)
	}
	b.WriteString("</svg>")
	return template.HTML(b.String())
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
