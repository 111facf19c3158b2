package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/backoffice"
)

// Dashboard stream settings: one event a second, indicators every three,
// and each stream ends before the request timeout and the server's write
// timeout (the browser's EventSource reconnects by itself).
const (
	dashboardTick        = time.Second
	indicatorEvery       = 3
	dashboardStreamLimit = 25 * time.Second // under the portal's 30 s request timeout
	// maxIndicatorDossiers bounds the fallback indicator tally to the most
	// recent dossiers, so a big store does not stall the dashboard.
	maxIndicatorDossiers = 2000
)

// dashboardPrincipal reads the store for the public dashboard.
var dashboardPrincipal = portal.Principal{UserID: "ui-dashboard", Role: portal.RoleAdmin, Name: "dashboard"}

// snapshot is one dashboard update, as sent on the event stream.
type snapshot struct {
	At         time.Time             `json:"at"`
	Counts     map[portal.Status]int `json:"counts"`
	Queue      int                   `json:"queue"`
	Arrivals   int                   `json:"arrivals"`   // submissions since the previous update
	Throughput int                   `json:"throughput"` // decisions since the previous update
	Indicators *indicatorSummary     `json:"indicators,omitempty"`
	BackOffice *backoffice.Stats     `json:"backoffice,omitempty"`
}

// indicatorSummary is what the dashboard shows of the Decision 766 report.
type indicatorSummary struct {
	OnTime           string `json:"on_time"`
	OnlinePayment    string `json:"online_payment"`
	Satisfaction     string `json:"satisfaction"`
	DigitisedResults string `json:"digitised_results"`
	OnlineSubmission string `json:"online_submission"`
	FullProcess      string `json:"full_process"`
	Score            string `json:"score"`
	Band             string `json:"band"`
	Submitted        int64  `json:"submitted"`
	Settled          int64  `json:"settled"`
}

type dashboardData struct {
	Snapshot  *snapshot
	Statuses  []portal.Status
	Catalogue int
}

func (s *server) dashboard(c *gin.Context) {
	snap, err := s.snapshot(c.Request.Context(), nil, true)
	if err != nil {
		s.failErr(c, err)
		return
	}
	v := s.newView(c, "dashboard.title", dashboardData{Snapshot: snap, Statuses: portal.Statuses, Catalogue: s.d.Catalog.Len()})
	v.Nav = "dashboard"
	s.render(c, http.StatusOK, "dashboard", v)
}

// dashboardEvents streams snapshots as Server-Sent Events.
func (s *server) dashboardEvents(c *gin.Context) {
	ctx := c.Request.Context()
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Accel-Buffering", "no")
	w := c.Writer
	fmt.Fprint(w, "retry: 1000\n\n")
	w.Flush()
	tick := time.NewTicker(dashboardTick)
	defer tick.Stop()
	end := time.After(dashboardStreamLimit)
	stopping := s.stopping(c.Request)
	var prev *snapshot
	for n := 0; ; n++ {
		snap, err := s.snapshot(ctx, prev, n%indicatorEvery == 0)
		if err != nil {
			fmt.Fprintf(w, "event: problem\ndata: %q\n\n", s.errText(s.lang(c), err))
		} else {
			b, _ := json.Marshal(snap)
			fmt.Fprintf(w, "event: snapshot\ndata: %s\n\n", b)
			prev = snap
		}
		w.Flush()
		select {
		case <-ctx.Done():
			return
		case <-end:
			return
		case <-stopping:
			return
		case <-tick.C:
		}
	}
}

func (s *server) snapshot(ctx context.Context, prev *snapshot, withIndicators bool) (*snapshot, error) {
	counts, err := s.d.Dossiers.Store.CountByStatus(ctx)
	if err != nil {
		return nil, err
	}
	snap := &snapshot{At: s.d.Dossiers.Clock.Now(), Counts: map[portal.Status]int{}}
	for _, st := range portal.Statuses {
		snap.Counts[st] = counts[st]
	}
	snap.Queue = counts[portal.StatusSubmitted] + counts[portal.StatusReceived] + counts[portal.StatusProcessing]
	if prev != nil {
		snap.Arrivals = max(0, submittedTotal(snap.Counts)-submittedTotal(prev.Counts))
		snap.Throughput = max(0, decidedTotal(snap.Counts)-decidedTotal(prev.Counts))
	}
	if s.d.BackOffice != nil {
		st := s.d.BackOffice()
		snap.BackOffice = &st
	}
	if withIndicators {
		rep, err := s.indicators(ctx)
		if err != nil {
			return nil, err
		}
		snap.Indicators = summarize(rep)
	}
	return snap, nil
}

// submittedTotal counts dossiers that were ever submitted and are still
// on record as such (everything but drafts and withdrawals).
func submittedTotal(c map[portal.Status]int) int {
	n := 0
	for st, k := range c {
		if st != portal.StatusDraft && st != portal.StatusWithdrawn {
			n += k
		}
	}
	return n
}

func decidedTotal(c map[portal.Status]int) int {
	return c[portal.StatusApproved] + c[portal.StatusRejected] + c[portal.StatusResultIssued] + c[portal.StatusCompleted]
}

func (s *server) indicators(ctx context.Context) (portal.IndicatorReport, error) {
	if s.d.Indicators != nil {
		counts, err := s.d.Indicators.IndicatorCounts(ctx, portal.Period{}, "")
		if err != nil {
			return portal.IndicatorReport{}, err
		}
		return portal.ComputeIndicators(portal.Period{}, counts, s.catalogue), nil
	}
	var all []*portal.Dossier
	for off := 0; off < maxIndicatorDossiers; off += portal.MaxPerPage {
		page, total, err := s.d.Dossiers.List(ctx, dashboardPrincipal, portal.DossierFilter{Offset: off, Limit: portal.MaxPerPage})
		if err != nil {
			return portal.IndicatorReport{}, err
		}
		all = append(all, page...)
		if off+len(page) >= total || len(page) == 0 {
			break
		}
	}
	full := func(code string) bool {
		p, ok := s.d.Catalog.Procedure(code)
		return ok && p.FullProcess
	}
	return portal.ComputeIndicators(portal.Period{}, portal.CountIndicators(all, portal.Period{}, full), s.catalogue), nil
}

func summarize(r portal.IndicatorReport) *indicatorSummary {
	pct := func(x portal.Ratio) string {
		v, ok := x.Value()
		if !ok {
			return "—"
		}
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	sum := &indicatorSummary{
		OnTime: pct(r.Overall.OnTime), OnlinePayment: pct(r.Overall.OnlinePayment), Satisfaction: pct(r.Overall.Satisfaction),
		DigitisedResults: pct(r.Overall.DigitisedResults), OnlineSubmission: pct(r.Overall.OnlineSubmission),
		FullProcess: pct(r.FullProcessProcedures), Score: "—", Band: r.Score.Band,
		Submitted: r.Overall.Submitted, Settled: r.Overall.Settled,
	}
	if r.Score.Total != nil {
		sum.Score = fmt.Sprintf("%.1f", *r.Score.Total)
	}
	return sum
}
