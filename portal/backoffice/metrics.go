package backoffice

import "github.com/prometheus/client_golang/prometheus"

// Metric descriptions; the values come from Stats at scrape time, so the
// pool keeps no second set of counters.
var (
	descOfficers = prometheus.NewDesc("portalsim_backoffice_officers",
		"Simulated officers in the back-office pool.", nil, nil)
	descUtilisation = prometheus.NewDesc("portalsim_backoffice_officer_utilisation",
		"Share of working time (simulated) an officer spent on dossiers since the pool started.", []string{"officer"}, nil)
	descBusy = prometheus.NewDesc("portalsim_backoffice_officer_busy_seconds_total",
		"Simulated working seconds an officer spent on dossiers.", []string{"officer"}, nil)
	descQueue = prometheus.NewDesc("portalsim_backoffice_queue",
		"Dossiers needing the back office: waiting (claimable at the last scan), unpaid (held at intake for the fee), in_progress (claimed).",
		[]string{"state"}, nil)
	descDecisions = prometheus.NewDesc("portalsim_backoffice_decisions_total",
		"Lifecycle moves made by simulated officers, by kind.", []string{"kind"}, nil)
	descResults = prometheus.NewDesc("portalsim_backoffice_results_total",
		"E-results the portal tried to issue, by outcome (issued, signer_failed).", []string{"outcome"}, nil)
	descConflicts = prometheus.NewDesc("portalsim_backoffice_conflicts_total",
		"Officer steps lost to someone else's change (human officer, withdrawal).", nil, nil)
	descErrors = prometheus.NewDesc("portalsim_backoffice_errors_total",
		"Officer and simulated-citizen steps that failed.", nil, nil)
	descTruncated = prometheus.NewDesc("portalsim_backoffice_intake_truncated",
		"1 when the last intake scan stopped at its limit, so newer dossiers may be hidden behind unpaid ones.", nil, nil)
	descCitizen = prometheus.NewDesc("portalsim_backoffice_citizen_supplements_total",
		"Supplement requests answered by simulated citizens.", nil, nil)
)

// Describe implements prometheus.Collector.
func (p *Pool) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOfficers, descUtilisation, descBusy, descQueue,
		descDecisions, descResults, descConflicts, descErrors, descTruncated, descCitizen} {
		ch <- d
	}
}

// Collect implements prometheus.Collector from a Stats snapshot.
func (p *Pool) Collect(ch chan<- prometheus.Metric) {
	s := p.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(descOfficers, float64(len(s.Officers)))
	var received, refused, supps, rejected, approved int
	for _, o := range s.Officers {
		gauge(descUtilisation, o.Utilisation, o.ID)
		counter(descBusy, o.Busy.Seconds(), o.ID)
		received += o.Received
		refused += o.Refused
		supps += o.Supplements
		rejected += o.Rejected
		approved += o.Approved
	}
	gauge(descQueue, float64(s.Waiting), "waiting")
	gauge(descQueue, float64(s.Unpaid), "unpaid")
	gauge(descQueue, float64(s.InProgress), "in_progress")
	truncated := 0.0
	if s.IntakeTruncated {
		truncated = 1
	}
	gauge(descTruncated, truncated)
	counter(descDecisions, float64(received), "received")
	counter(descDecisions, float64(refused), "refused")
	counter(descDecisions, float64(supps), "supplement_requested")
	counter(descDecisions, float64(rejected), "rejected")
	counter(descDecisions, float64(approved), "approved")
	counter(descResults, float64(s.ResultsIssued), "issued")
	counter(descResults, float64(s.ResultFailures), "signer_failed")
	counter(descConflicts, float64(s.Conflicts))
	counter(descErrors, float64(s.Errors))
	counter(descCitizen, float64(s.CitizenSupplements))
}
