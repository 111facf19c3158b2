package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// IndicatorSource tallies the Decision 766 indicator counts per procedure
// from the store with one aggregate query; *sqlite.DB implements it.
type IndicatorSource interface {
	IndicatorCounts(ctx context.Context, p portal.Period, procedureCode string) ([]portal.IndicatorCounts, error)
}

// indicators answers GET /api/v1/indicators?from=&to=&procedure=: the
// service-quality indicators overall and per procedure, with the score and
// ranking band. from and to are RFC 3339 instants or dates (Vietnam time;
// a date as to includes that whole day).
func (a *api) indicators(c *gin.Context) {
	if a.indicatorSource == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "indicators are not configured"))
		return
	}
	q := c.Request.URL.Query()
	var problems []string
	var p portal.Period
	var err error
	if v := q.Get("from"); v != "" {
		if p.From, err = parseBound(v, false); err != nil {
			problems = append(problems, "from: "+err.Error())
		}
	}
	if v := q.Get("to"); v != "" {
		if p.To, err = parseBound(v, true); err != nil {
			problems = append(problems, "to: "+err.Error())
		}
	}
	if !p.From.IsZero() && !p.To.IsZero() && !p.To.After(p.From) {
		problems = append(problems, "to must be after from")
	}
	procedure := strings.TrimSpace(q.Get("procedure"))
	if procedure != "" {
		if _, ok := a.catalog.Procedure(procedure); !ok {
			problems = append(problems, fmt.Sprintf("procedure %q is not in the catalogue", procedure))
		}
	}
	if len(problems) > 0 {
		writeError(c, queryProblem(problems))
		return
	}
	counts, err := a.indicatorSource.IndicatorCounts(c.Request.Context(), p, procedure)
	if err != nil {
		writeError(c, fmt.Errorf("indicators: %w", err))
		return
	}
	for i := range counts {
		if proc, ok := a.catalog.Procedure(counts[i].ProcedureCode); ok {
			counts[i].FullProcess = proc.FullProcess
		}
	}
	c.JSON(http.StatusOK, portal.ComputeIndicators(p, counts, a.catalogSummary))
}

// parseBound reads an RFC 3339 instant or a YYYY-MM-DD date in Vietnam
// time; an end date means the end of that day.
func parseBound(v string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, portal.VietnamTime)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a date (2026-11-25) nor an RFC 3339 time", v)
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}
