package sqlite

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// TestIndicatorCountsMatchDomain fills the store with random dossiers in
// every state and checks that the aggregate query gives exactly what
// portal.CountIndicators computes from the same dossiers, for several
// periods and a procedure filter.
func TestIndicatorCountsMatchDomain(t *testing.T) {
	db := openTest(t, Options{})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(7, 9))
	base := time.Date(2026, 3, 2, 8, 0, 0, 0, portal.VietnamTime)
	day := func(n float64) *time.Time {
		t := base.Add(time.Duration(n * 24 * float64(time.Hour)))
		return &t
	}
	statuses := []portal.Status{portal.StatusDraft, portal.StatusSubmitted, portal.StatusProcessing,
		portal.StatusApproved, portal.StatusRejected, portal.StatusResultIssued, portal.StatusCompleted, portal.StatusWithdrawn}
	var all []*portal.Dossier
	for i := range 300 {
		d := newDossier(fmt.Sprintf("owner-%d", i%17), *day(rng.Float64() * 20))
		d.ProcedureCode = []string{"A", "B", "C"}[rng.IntN(3)]
		d.Status = statuses[rng.IntN(len(statuses))]
		d.Online = rng.IntN(4) > 0
		d.PaymentStatus = portal.PaymentNone
		if rng.IntN(2) == 0 {
			d.Fee = 20000
			d.PaymentStatus = []string{portal.PaymentUnpaid, portal.PaymentPaid, portal.PaymentFailed}[rng.IntN(3)]
		}
		if d.Status != portal.StatusDraft {
			d.SubmittedAt = day(rng.Float64() * 20)
		}
		switch d.Status {
		case portal.StatusApproved, portal.StatusRejected, portal.StatusResultIssued, portal.StatusCompleted:
			d.DecidedAt = day(rng.Float64()*20 + 2)
			if rng.IntN(5) > 0 { // some decided without an appointment (counter dossiers)
				ok := rng.IntN(3) > 0
				d.OnTime = &ok
			}
			if d.Status != portal.StatusRejected && rng.IntN(3) > 0 {
				d.ResultAt = d.DecidedAt
			}
			d.Rating = rng.IntN(6)
		}
		if err := db.CreateDossier(ctx, d, "000.00.13.H56"); err != nil {
			t.Fatal(err)
		}
		all = append(all, d)
	}
	for _, tc := range []struct {
		name      string
		period    portal.Period
		procedure string
	}{
		{"all time", portal.Period{}, ""},
		{"first week", portal.Period{From: *day(0), To: *day(7)}, ""},
		{"open start", portal.Period{To: *day(10)}, ""},
		{"open end", portal.Period{From: *day(12.5)}, ""},
		{"one procedure", portal.Period{From: *day(3), To: *day(15)}, "B"},
		{"empty", portal.Period{From: *day(100), To: *day(101)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.IndicatorCounts(ctx, tc.period, tc.procedure)
			if err != nil {
				t.Fatal(err)
			}
			var ds []*portal.Dossier
			for _, d := range all {
				if tc.procedure == "" || d.ProcedureCode == tc.procedure {
					ds = append(ds, d)
				}
			}
			want := portal.CountIndicators(ds, tc.period, nil)
			if len(got) != len(want) {
				t.Fatalf("got %d procedures %+v, want %d %+v", len(got), got, len(want), want)
			}
			for i := range want {
				g, w := got[i], want[i]
				if math.Abs(g.ProcessingDaysSum-w.ProcessingDaysSum) > 1e-6 {
					t.Errorf("%s: processing days %v, want %v", w.ProcedureCode, g.ProcessingDaysSum, w.ProcessingDaysSum)
				}
				g.ProcessingDaysSum = w.ProcessingDaysSum
				if g != w {
					t.Errorf("procedure %s:\n got %+v\nwant %+v", w.ProcedureCode, g, w)
				}
			}
		})
	}
}
