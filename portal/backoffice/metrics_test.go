package backoffice

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestMetricsFollowStats(t *testing.T) {
	f := newFixture(monday(8, 0))
	pool, _ := New(f.svc, f.stepConfig(Profile{IntakeMean: 30 * time.Minute, HandlingMean: 90 * time.Minute}))
	reg := prometheus.NewRegistry()
	if err := reg.Register(pool); err != nil {
		t.Fatal(err)
	}
	f.submit(t, citizen(1), "T.FEE") // unpaid: held at intake
	f.submit(t, citizen(2), "T.FIVE")
	mustWork(t, pool, StepIssued)
	f.clock.Set(monday(12, 0)) // lunch: on duty 08:00–11:30
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "/" + l.GetValue()
			}
			values[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	// officers, 1 utilisation, 1 busy, 3 queue, truncated, 5 decisions, 2 results, conflicts, errors, citizen
	if len(values) != 17 {
		t.Errorf("gathered %d series, want 17: %v", len(values), values)
	}
	want := map[string]float64{
		"portalsim_backoffice_officers":                                  1,
		"portalsim_backoffice_officer_busy_seconds_total/sim-officer-01": 2 * 3600,
		"portalsim_backoffice_officer_utilisation/sim-officer-01":        2 / 3.5,
		"portalsim_backoffice_decisions_total/approved":                  1,
		"portalsim_backoffice_decisions_total/received":                  1,
		"portalsim_backoffice_results_total/issued":                      1,
		"portalsim_backoffice_queue/unpaid":                              1,
	}
	for k, v := range want {
		if values[k] != v {
			t.Errorf("%s = %v, want %v", k, values[k], v)
		}
	}
}
