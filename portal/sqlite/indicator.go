package sqlite

import (
	"context"
	"fmt"
	"math"

	"github.com/portalsim/portalsim/portal"
)

// indicatorCounts tallies, per procedure, the cohorts of
// portal.CountIndicators in one pass: dossiers submitted in the period
// (sub) and dossiers decided in it (dec). The SQLite boolean expressions
// are 0 or 1, so SUM counts them.
const indicatorCounts = `
SELECT procedure_code,
	SUM(sub),
	SUM(sub AND online),
	SUM(sub AND fee > 0),
	SUM(sub AND fee > 0 AND payment_status = 'paid'),
	SUM(dec AND on_time IS NOT NULL),
	SUM(dec AND on_time = 1),
	SUM(dec AND status <> 'rejected'),
	SUM(dec AND status <> 'rejected' AND result_at IS NOT NULL),
	TOTAL(CASE WHEN dec AND on_time IS NOT NULL AND submitted_at IS NOT NULL
		THEN (decided_at - submitted_at) / 86400e9 END), -- days of 24 h, as a real: no overflow
	SUM(dec AND rating BETWEEN 1 AND 5),
	SUM(dec AND rating BETWEEN 4 AND 5),
	SUM(CASE WHEN dec AND rating BETWEEN 1 AND 5 THEN rating ELSE 0 END)
FROM (
	SELECT procedure_code, online, fee, payment_status, on_time, status, result_at, rating,
		submitted_at, decided_at,
		COALESCE(submitted_at >= ?1 AND submitted_at < ?2, 0) AS sub,
		COALESCE(decided_at >= ?1 AND decided_at < ?2, 0) AS dec
	FROM dossiers
	WHERE ((submitted_at >= ?1 AND submitted_at < ?2) OR (decided_at >= ?1 AND decided_at < ?2))
		AND (?3 = '' OR procedure_code = ?3)
)
GROUP BY procedure_code
ORDER BY procedure_code`

// IndicatorCounts tallies the Decision 766 indicator counts per procedure
// for dossiers submitted or decided in the period (procedureCode narrows it
// to one procedure when not empty), with one aggregate query: no dossier
// is loaded. The result matches portal.CountIndicators over the same
// dossiers, except FullProcess, which the catalogue decides.
func (db *DB) IndicatorCounts(ctx context.Context, p portal.Period, procedureCode string) ([]portal.IndicatorCounts, error) {
	from, to := int64(math.MinInt64), int64(math.MaxInt64)
	if !p.From.IsZero() {
		from = p.From.UnixNano()
	}
	if !p.To.IsZero() {
		to = p.To.UnixNano()
	}
	rows, err := db.reader.QueryContext(ctx, indicatorCounts, from, to, procedureCode)
	if err != nil {
		return nil, fmt.Errorf("count indicators: %w", err)
	}
	defer rows.Close()
	out := []portal.IndicatorCounts{}
	for rows.Next() {
		var c portal.IndicatorCounts
		if err := rows.Scan(&c.ProcedureCode, &c.Submitted, &c.SubmittedOnline, &c.WithFee, &c.PaidOnline,
			&c.Settled, &c.SettledOnTime, &c.Approved, &c.EResults, &c.ProcessingDaysSum,
			&c.Ratings, &c.RatingsSatisfied, &c.RatingSum); err != nil {
			return nil, fmt.Errorf("count indicators: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count indicators: %w", err)
	}
	return out, nil
}
