package report

import (
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
)

// Text renders the human report (report.txt): header, completion, journeys,
// funnels, per-step latency, lateness, status codes, top errors and SLOs.
func Text(w io.Writer, s *metrics.Summary) error {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	table := func(header string, rows [][]string) {
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, header+"\t")
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
		}
		tw.Flush()
	}

	p("portalsim run: %s\n", s.Scenario)
	if s.Description != "" {
		p("%s\n", strings.TrimSpace(s.Description))
	}
	p("target    %s\n", s.Target)
	p("seed      %d\n", s.Seed)
	p("started   %s\n", s.StartedAt.UTC().Format(time.RFC3339))
	p("duration  %.1fs (arrivals for %s, drain up to %s)\n", s.DurationS, secs(s.PlannedDurationS), secs(s.DrainS))
	if s.Scale != "" {
		p("scale     %s\n", s.Scale)
	}
	if s.Interrupted {
		p("INTERRUPTED: the run was stopped early; unfinished journeys are counted as interrupted\n")
	}
	p("\n")

	j := s.Journeys
	p("Completion rate  %s  (%d completed of %d started; %d abandoned, %d failed, %d interrupted and not counted)\n",
		pct(s.CompletionRate), j.Completed, j.Started, j.Abandoned, j.Failed, j.Interrupted)
	p("Requests         %d at %.1f/s, %s errors (%d), %.1f per journey\n",
		s.Requests.Count, s.Requests.Rate, pct(s.Requests.ErrorRate), s.Requests.Errors, s.RequestsPerJourney)
	if s.Requests.Interrupted > 0 {
		p("                 %d more requests cut off by the end of the run (not counted)\n", s.Requests.Interrupted)
	}
	a := s.Arrivals
	p("Arrivals         intended %d (%.2f/s, peak %.2f/s), achieved %d (%.2f/s), %d late by over 1s\n",
		a.Intended, a.IntendedRate, a.PeakRate, a.Achieved, a.AchievedRate, a.LateOver1s)
	p("Latency (ms)     service  %s\n", pcts(s.Latency.Service))
	p("                 response %s\n", pcts(s.Latency.Response))
	p("                 lateness %s\n", pcts(s.Latency.Lateness))
	if a.LateOver1s > 0 || s.Latency.Lateness.P99MS > 100 {
		p("WARNING: the generator fell behind its schedule (lateness p99 %s ms, %d arrivals late by over 1s):\n"+
			"         response times include that wait; raise http.max_workers or lower the rate.\n", num(s.Latency.Lateness.P99MS), a.LateOver1s)
	}
	p("Journey time (ms) total  %s\n", pcts(s.JourneyDuration.Total))
	p("                  active %s  (without think time)\n", pcts(s.JourneyDuration.Active))

	if len(s.ByJourney) > 0 {
		p("\nJourneys\n")
		var rows [][]string
		for _, js := range s.ByJourney {
			c := js.Counts
			rows = append(rows, []string{js.Journey, u(c.Started), u(c.Completed), u(c.Abandoned), u(c.Failed), u(c.Interrupted), pct(js.CompletionRate),
				num(js.Duration.Total.P50MS), num(js.Duration.Total.P95MS), num(js.Duration.Active.P50MS), num(js.Duration.Active.P95MS)})
		}
		table("journey\tstarted\tcompleted\tabandoned\tfailed\tinterrupted\tcompletion\ttotal p50 ms\ttotal p95 ms\tactive p50 ms\tactive p95 ms", rows)

		for _, js := range s.ByJourney {
			p("\nFunnel: %s\n", js.Journey)
			rows = rows[:0]
			for _, f := range js.Funnel {
				rows = append(rows, []string{f.Step, u(f.Reached), u(f.Passed), u(f.Abandoned), u(f.Failed), u(f.Interrupted)})
			}
			table("step\treached\tpassed\tabandoned\tfailed\tinterrupted", rows)
			for _, f := range js.TopFailures {
				p("  failed %d× at %s\n", f.Count, f.Error)
			}
		}
	}

	if len(s.ByProcedure) > 0 {
		p("\nProcedures\n")
		var rows [][]string
		for _, pr := range s.ByProcedure {
			c := pr.Counts
			code := pr.Procedure
			if code == "" {
				code = "(none)"
			}
			rows = append(rows, []string{code, u(c.Started), u(c.Completed), u(c.Failed), pct(pr.CompletionRate), u(pr.Requests), u(pr.Errors), num(pr.Service.P95MS), num(pr.Response.P95MS)})
		}
		table("procedure\tstarted\tcompleted\tfailed\tcompletion\trequests\terrors\tservice p95 ms\tresponse p95 ms", rows)
	}

	if len(s.Steps) > 0 {
		p("\nSteps (ms; service = sent to response read, response = from the intended send)\n")
		var rows [][]string
		for _, st := range s.Steps {
			rows = append(rows, []string{st.Journey, st.Step, u(st.Requests), u(st.Errors), pct(st.ErrorRate),
				num(st.Service.P50MS), num(st.Service.P95MS), num(st.Service.P99MS), num(st.Service.MaxMS),
				num(st.Response.P50MS), num(st.Response.P95MS), num(st.Response.P99MS)})
		}
		table("journey\tstep\tcount\terrors\terror %\tsvc p50\tsvc p95\tsvc p99\tsvc max\tresp p50\tresp p95\tresp p99", rows)
	}

	if len(s.Requests.StatusCodes) > 0 {
		p("\nStatus codes  ")
		codes := slices.Sorted(maps.Keys(s.Requests.StatusCodes))
		var parts []string
		for _, c := range codes {
			label := c
			if c == "0" {
				label = "0 (no response)"
			}
			parts = append(parts, fmt.Sprintf("%s: %d", label, s.Requests.StatusCodes[c]))
		}
		p("%s\n", strings.Join(parts, "  "))
	}
	if len(s.Requests.TopErrors) > 0 {
		p("\nTop errors\n")
		for _, e := range s.Requests.TopErrors {
			p("  %8d  %s\n", e.Count, e.Error)
		}
	}

	if len(s.SLOs) > 0 {
		p("\nSLOs\n")
		var rows [][]string
		for _, r := range s.SLOs {
			verdict := "PASS"
			if !r.OK {
				verdict = "FAIL"
			}
			measured := num(r.Value)
			switch {
			case r.Error != "":
				measured = r.Error
			case r.Unit == "ms":
				measured += " ms"
			case r.Unit == "ratio":
				measured = strconv.FormatFloat(r.Value, 'f', 4, 64)
			}
			rows = append(rows, []string{verdict, r.Expr, measured})
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, r := range rows {
			fmt.Fprintln(tw, "  "+strings.Join(r, "\t"))
		}
		tw.Flush()
	}
	if s.Passed {
		p("\nRESULT: PASS\n")
	} else {
		p("\nRESULT: FAIL (SLOs not met)\n")
	}
	_, err := w.Write(b.Bytes())
	return err
}

func u(v uint64) string { return strconv.FormatUint(v, 10) }

func pct(r float64) string { return strconv.FormatFloat(r*100, 'f', 1, 64) + "%" }

// num prints a number with precision that suits its size.
func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func pcts(p metrics.Percentiles) string {
	return fmt.Sprintf("p50 %s  p90 %s  p95 %s  p99 %s  max %s  (n=%d)", num(p.P50MS), num(p.P90MS), num(p.P95MS), num(p.P99MS), num(p.MaxMS), p.Count)
}

func secs(s float64) string { return (time.Duration(s * float64(time.Second))).String() }
