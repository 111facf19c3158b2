package capacity

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WorksheetSection is one part of the worked calculation.
type WorksheetSection struct {
	Title string
	Rows  []WorksheetRow
}

// WorksheetRow states one input or assumption and the figure derived from it.
type WorksheetRow struct {
	Step   string // what is done, with the input or assumption
	Figure string // the result
}

// Worksheet lays the plan out as a worked calculation a planner can
// follow line by line; WriteText and WriteHTML both render it.
func (r *PlanResult) Worksheet() []WorksheetSection {
	in := r.Input
	b, p := r.Baseline, r.Planned
	var out []WorksheetSection

	vol := WorksheetSection{Title: "Volume"}
	add := func(s *WorksheetSection, step, figure string) {
		s.Rows = append(s.Rows, WorksheetRow{step, figure})
	}
	add(&vol, fmt.Sprintf("Online dossiers a month today (DOMAIN.md §0: April 2025, %s services)", thousands(float64(in.Services))), thousands(b.MonthlyDossiers))
	add(&vol, fmt.Sprintf("÷ %s working days a month", num(in.WorkingDaysPerMonth, 1)), thousands(b.DailySubmissions)+" submissions a working day")
	add(&vol, fmt.Sprintf("× growth %s (%s)", num(r.Growth, 3), r.GrowthBasis), thousands(p.MonthlyDossiers)+" a month")
	add(&vol, "= planned submissions a working day", thousands(p.DailySubmissions))
	if r.GrowthUpper > 0 {
		add(&vol, fmt.Sprintf("Upper case: online records grow with full-process coverage %.1f%% → %.0f%%", in.FullProcessShare*100, in.TargetFullProcessShare*100),
			fmt.Sprintf("growth %s (--growth %s)", num(r.GrowthUpper, 2), num(r.GrowthUpper, 2)))
	}
	out = append(out, vol)

	web := WorksheetSection{Title: "Web tier (today → planned)"}
	pair := func(x, y float64, prec int) string { return num(x, prec) + " → " + num(y, prec) }
	add(&web, fmt.Sprintf("%.0f%% of a day's submissions arrive in %s busy hours (%s s): average submission journeys/s", in.BusyShare*100, num(in.BusyHours, 1), thousands(in.BusyHours*3600)),
		pair(b.AvgJourneysPerS, p.AvgJourneysPerS, 2))
	add(&web, fmt.Sprintf("× peak factor %s (Monday morning, filing deadline): peak submission journeys/s", num(in.PeakFactor, 1)),
		pair(b.PeakJourneysPerS, p.PeakJourneysPerS, 2))
	add(&web, fmt.Sprintf("× %s requests per journey (%s): average submission requests/s", num(in.RequestsPerJourney, 1), in.RequestsSource),
		pair(b.AvgSubmissionRequestsPerS, p.AvgSubmissionRequestsPerS, 1))
	add(&web, "  peak submission requests/s", pair(b.PeakSubmissionRequestsPerS, p.PeakSubmissionRequestsPerS, 1))
	add(&web, fmt.Sprintf("× %s reads per submission (status, browsing, login): average read requests/s", num(in.ReadsPerSubmission, 1)),
		pair(b.AvgReadRequestsPerS, p.AvgReadRequestsPerS, 1))
	add(&web, "  peak read requests/s", pair(b.PeakReadRequestsPerS, p.PeakReadRequestsPerS, 1))
	add(&web, "All requests/s, average", pair(b.AvgRequestsPerS, p.AvgRequestsPerS, 1))
	add(&web, "All requests/s, peak", pair(b.PeakRequestsPerS, p.PeakRequestsPerS, 1))
	out = append(out, web)

	inst := WorksheetSection{Title: "Portal instances (sized on the planned peak)"}
	if ip := r.Instances; ip != nil {
		src := in.CapacitySource
		if src == "" {
			src = "given"
		}
		add(&inst, fmt.Sprintf("Capacity per instance %s journeys/s (%s) × %s requests per journey", num(ip.CapacityJourneysPerS, 2), src, num(ip.CapacityRequestsPerS/ip.CapacityJourneysPerS, 1)),
			num(ip.CapacityRequestsPerS, 1)+" requests/s")
		add(&inst, fmt.Sprintf("× (1 − headroom %.0f%%)", in.Headroom*100), num(ip.UsableRequestsPerS, 1)+" usable requests/s")
		add(&inst, fmt.Sprintf("Peak %s requests/s (%s journey-equivalents/s) ÷ usable, rounded up", num(p.PeakRequestsPerS, 1), num(ip.PeakJourneyEquivalentsPerS, 2)),
			fmt.Sprintf("%d instances (%s)", ip.Needed, num(p.PeakRequestsPerS/ip.UsableRequestsPerS, 2)))
		add(&inst, fmt.Sprintf("+ %d spare (redundancy)", ip.Redundancy), fmt.Sprintf("%d instances", ip.Total))
		add(&inst, "Peak utilisation of all instances' maximum", pct(ip.PeakUtilisation))
	} else {
		add(&inst, "No capacity per instance given (--capacity or --capacity-from a capacity run's summary.json)", "not sized")
	}
	out = append(out, inst)

	s := r.BackOffice
	bo := WorksheetSection{Title: "Back office (M/M/c queue in working time, Erlang C)"}
	add(&bo, fmt.Sprintf("Planned submissions a working day × peak-day factor %s", num(in.PeakDayFactor, 2)), thousands(s.DailyDossiers)+" dossiers")
	add(&bo, fmt.Sprintf("÷ %s working hours: arrival rate λ", num(in.WorkingHoursPerDay, 1)), num(s.ArrivalPerS, 3)+" dossiers/s of working time")
	add(&bo, fmt.Sprintf("Handling %s min × %s h ÷ %s productive h: effective handling 1/μ", num(in.HandlingMinutes, 1), num(in.WorkingHoursPerDay, 1), num(in.OfficerProductiveHours, 1)),
		dur(s.EffectiveHandlingS))
	add(&bo, "Offered load a = λ ÷ μ (officers busy on average)", num(s.OfferedLoad, 1)+" Erlangs")
	if in.AllowedWait > 0 {
		add(&bo, "Allowed wait (given)", dur(s.AllowedWaitS)+" of working time")
	} else {
		add(&bo, fmt.Sprintf("Allowed wait: %s statutory working days − one effective handling", num(in.StatutoryDays, 1)),
			fmt.Sprintf("%s of working time (%s working days)", dur(s.AllowedWaitS), num(s.AllowedWaitS/in.workingSecondsPerDay(), 2)))
	}
	pools := ""
	if s.Pools > 1 {
		pools = fmt.Sprintf(", %d equal pools", s.Pools)
	}
	add(&bo, fmt.Sprintf("Erlang C: smallest c with P(wait ≤ allowed) = 1 − C(c,a)·e^{−(cμ−λ)t} ≥ %s%s", pct(in.OnTimeTarget), pools), thousands(float64(s.ErlangCOfficers))+" officers")
	add(&bo, fmt.Sprintf("Occupancy cap %s: c ≥ a ÷ %s", pct(in.MaxOccupancy), num(in.MaxOccupancy, 2)), thousands(float64(s.OccupancyOfficers))+" officers")
	add(&bo, "Officers needed (the larger)", thousands(float64(s.Officers)))
	add(&bo, "  at that staffing: utilisation, P(wait > 0), mean wait, on time",
		fmt.Sprintf("%s, %s, %s, %s", pct(s.Utilisation), pct(s.ProbWait), dur(s.MeanWaitS), pct(s.OnTimeShare)))
	if sim := s.Simulation; sim != nil {
		trunc := ""
		if sim.Truncated {
			trunc = ", stopped at the event bound"
		}
		add(&bo, fmt.Sprintf("Cross-check: simulation of %s working days, %s dossiers, exponential handling, seed %d%s", num(sim.SimulatedS/in.workingSecondsPerDay(), 1), thousands(float64(sim.Arrivals)), in.Seed, trunc),
			fmt.Sprintf("%s, %s, %s, %s", pct(sim.Utilisation), pct(sim.WaitedShare), dur(sim.MeanWaitS), pct(sim.OnTimeShare)))
	}
	out = append(out, bo)

	if len(r.Procedures) > 0 {
		ps := WorksheetSection{Title: "Per procedure (each its own pool)"}
		total := 0
		for _, x := range r.Procedures {
			add(&ps, fmt.Sprintf("%s: %s of dossiers, λ %s/s, handling %s, allowed wait %s", x.Code, pct(x.Share), num(x.ArrivalPerS, 4), dur(x.HandlingS), dur(x.AllowedWaitS)),
				fmt.Sprintf("%s officers (utilisation %s, on time %s)", thousands(float64(x.Officers)), pct(x.Utilisation), pct(x.OnTimeShare)))
			total += x.Officers
		}
		add(&ps, "Total over procedure pools", thousands(float64(total))+" officers")
		out = append(out, ps)
	}
	return out
}

// WriteText writes the worked calculation as aligned plain text.
func (r *PlanResult) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "National-volume plan")
	for _, s := range r.Worksheet() {
		fmt.Fprintf(tw, "\n%s\n", s.Title)
		for _, row := range s.Rows {
			fmt.Fprintf(tw, "  %s\t%s\n", row.Step, row.Figure)
		}
	}
	fmt.Fprintf(tw, "\nSummary: planned peak %s submission journeys/s and %s requests/s; %s; %s officers.\n",
		num(r.Planned.PeakJourneysPerS, 2), num(r.Planned.PeakRequestsPerS, 1), r.instancesPhrase(), thousands(float64(r.BackOffice.Officers)))
	return tw.Flush()
}

func (r *PlanResult) instancesPhrase() string {
	if r.Instances == nil {
		return "instances not sized (no capacity given)"
	}
	return fmt.Sprintf("%d portal instances (%d + %d spare)", r.Instances.Total, r.Instances.Needed, r.Instances.Redundancy)
}

var planPage = template.Must(template.New("plan").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>portalsim plan</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
th,td{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
td.fig{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.sum{background:#f3f7fb;padding:.8em 1em;border-left:4px solid #2a6cb0}
</style></head><body>
<h1>National-volume plan</h1>
<p class="sum">{{.Summary}}</p>
{{range .Sections}}<h2>{{.Title}}</h2>
<table><thead><tr><th>Input, assumption, step</th><th>Figure</th></tr></thead><tbody>
{{range .Rows}}<tr><td>{{.Step}}</td><td class="fig">{{.Figure}}</td></tr>
{{end}}</tbody></table>
{{end}}</body></html>
`))

// WriteHTML writes the worked calculation as a small self-contained page.
func (r *PlanResult) WriteHTML(w io.Writer) error {
	summary := fmt.Sprintf("Planned peak %s submission journeys/s and %s requests/s; %s; %s officers.",
		num(r.Planned.PeakJourneysPerS, 2), num(r.Planned.PeakRequestsPerS, 1), r.instancesPhrase(), thousands(float64(r.BackOffice.Officers)))
	return planPage.Execute(w, struct {
		Summary  string
		Sections []WorksheetSection
	}{summary, r.Worksheet()})
}

// num formats x with prec decimals and thousands separators.
func num(x float64, prec int) string {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	s := strconv.FormatFloat(x, 'f', prec, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, ch := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "." + frac
	}
	return out
}

func thousands(x float64) string { return num(math.Round(x), 0) }

func pct(x float64) string {
	if x > 0.9999 && x < 1 {
		return ">99.99%"
	}
	return num(x*100, 2) + "%"
}

func dur(seconds float64) string {
	if math.IsInf(seconds, 0) {
		return "∞"
	}
	d := time.Duration(seconds * float64(time.Second))
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Minute:
		return d.Round(time.Second).String()
	default:
		return d.Round(time.Millisecond).String()
	}
}
