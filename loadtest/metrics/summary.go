package metrics

import (
	"encoding/json"
	"time"
)

// SchemaVersion is the version of summary.json this package writes. Fields
// may be added within a version; renaming or removing one bumps it.
const SchemaVersion = 1

// Summary is summary.json: everything a run measured, aggregated. Every
// field is documented in results/README.md. Durations are milliseconds
// (fields ending in _ms) or seconds (_s); rates are per second; ratios are
// 0..1.
type Summary struct {
	SchemaVersion int    `json:"schema_version"`
	Scenario      string `json:"scenario"`
	Description   string `json:"description,omitempty"`
	Scale         string `json:"scale,omitempty"`
	Target        string `json:"target"`
	Seed          int64  `json:"seed"`

	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at"`
	// DurationS is the wall time of the run; PlannedDurationS the arrival
	// window and DrainS the time allowed after it for journeys to finish.
	DurationS        float64 `json:"duration_s"`
	PlannedDurationS float64 `json:"planned_duration_s"`
	DrainS           float64 `json:"drain_s"`
	// Interrupted is true when the run was stopped early (Ctrl-C).
	Interrupted bool `json:"interrupted"`

	// CompletionRate = journeys.completed / journeys.started, where
	// interrupted journeys are left out of started (see README).
	CompletionRate     float64       `json:"completion_rate"`
	Journeys           JourneyCounts `json:"journeys"`
	RequestsPerJourney float64       `json:"requests_per_journey"`
	Requests           Requests      `json:"requests"`
	Arrivals           Arrivals      `json:"arrivals"`
	Latency            Latency       `json:"latency"`
	// JourneyDuration: end to end from the intended arrival (Total) and the
	// same without think time, i.e. the sum of response times (Active).
	JourneyDuration Durations        `json:"journey_duration"`
	Steps           []StepStats      `json:"steps"`
	ByJourney       []JourneyStats   `json:"by_journey"`
	ByProcedure     []ProcedureStats `json:"by_procedure"`
	ByPersona       []PersonaStats   `json:"by_persona"`
	TimeSeries      TimeSeries       `json:"timeseries"`

	SLOs   []SLOResult `json:"slos"`
	Passed bool        `json:"passed"`

	// Capacity is filled by the capacity command only.
	Capacity json.RawMessage `json:"capacity,omitempty"`

	// Faults is the scenario's fault schedule as the run applied it to the
	// target portal through its admin API (absent without faults).
	Faults []FaultRecord `json:"faults,omitempty"`

	// Version is the portalsim version that ran, Machine where it ran; both
	// are set by the run command (absent in summaries written before them).
	Version string   `json:"portalsim_version,omitempty"`
	Machine *Machine `json:"machine,omitempty"`
	// Portal holds what the embedded portal reported about itself during
	// the run (scraped from its /metrics and /api/v1/indicators); absent
	// for other targets or when nothing could be scraped.
	Portal *Portal `json:"portal,omitempty"`
}

// FaultRecord is one fault of the scenario's schedule as the run applied it.
type FaultRecord struct {
	Dependency string `json:"dependency,omitempty"`
	Route      string `json:"route,omitempty"`
	// Targets are the portal's fault targets: the dependency, or
	// "METHOD /pattern" for each method of the route.
	Targets   []string `json:"targets"`
	Outage    bool     `json:"outage,omitempty"`
	ErrorRate float64  `json:"error_rate,omitempty"`
	LatencyMS float64  `json:"latency_ms,omitempty"`
	// StartS and EndS bound the window in seconds since started_at; Start
	// and End are the same instants on the wall clock, the portal's
	// fault clock.
	StartS float64   `json:"start_s"`
	EndS   float64   `json:"end_s"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	// AppliedAt is when the portal accepted the fault; absent when the run
	// ended before it was sent.
	AppliedAt *time.Time `json:"applied_at,omitempty"`
}

// Machine describes the computer that generated the load (and, for the
// embedded target, served it): figures are only comparable on the same one.
type Machine struct {
	Hostname  string `json:"hostname"`
	GOOS      string `json:"goos"`
	GOARCH    string `json:"goarch"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"go_version"`
}

// Portal is the portal's own view of the run: periodic samples of its
// gauges, totals at the end and the service-quality indicators.
type Portal struct {
	// Source is the base URL that was scraped.
	Source  string         `json:"source"`
	Samples []PortalSample `json:"samples"`
	// QueueLengthMax and OfficerUtilisationMean summarise the samples.
	QueueLengthMax         float64 `json:"queue_length_max"`
	OfficerUtilisationMean float64 `json:"officer_utilisation_mean"`
	// ShedRequests is how many requests the portal refused with 503 to
	// protect itself (load shedding), over the whole run.
	ShedRequests uint64 `json:"shed_requests"`
	// Dossiers counts dossiers by lifecycle status at the end of the run.
	Dossiers map[string]uint64 `json:"dossiers,omitempty"`
	// Indicators are the national service-quality indicators at the end
	// of the run as ratios 0..1 (on_time, online_submission, online_payment,
	// digitised_results, satisfaction, ...); an indicator with nothing to
	// judge yet (zero denominator) is left out.
	Indicators map[string]float64 `json:"indicators,omitempty"`
	// Errors lists scrapes that failed (e.g. a route missing), so an
	// empty section is explained.
	Errors []string `json:"errors,omitempty"`
}

// PortalSample is one scrape of the portal's gauges, T seconds after the
// run started.
type PortalSample struct {
	T                  float64 `json:"t"`
	QueueLength        float64 `json:"queue_length"`
	OfficerUtilisation float64 `json:"officer_utilisation"`
	InFlight           float64 `json:"in_flight"`
	ShedTotal          float64 `json:"shed_total"`
}

// JourneyCounts counts journeys by outcome. Started excludes interrupted
// ones, so started = completed + abandoned + failed.
type JourneyCounts struct {
	Started     uint64 `json:"started"`
	Completed   uint64 `json:"completed"`
	Abandoned   uint64 `json:"abandoned"`
	Failed      uint64 `json:"failed"`
	Interrupted uint64 `json:"interrupted"`
}

// Requests describes every HTTP request sent.
type Requests struct {
	Count       uint64  `json:"count"`
	Rate        float64 `json:"rate"`
	SuccessRate float64 `json:"success_rate"`
	ErrorRate   float64 `json:"error_rate"`
	Errors      uint64  `json:"errors"`
	// Interrupted requests were cut off by Ctrl-C or the end of the drain;
	// they are in results.bin but not in these statistics.
	Interrupted uint64            `json:"interrupted"`
	BytesIn     uint64            `json:"bytes_in"`
	BytesOut    uint64            `json:"bytes_out"`
	StatusCodes map[string]uint64 `json:"status_codes"`
	TopErrors   []ErrorCount      `json:"top_errors"`
}

// ErrorCount is one error message and how often it happened.
type ErrorCount struct {
	Error string `json:"error"`
	Count uint64 `json:"count"`
}

// Arrivals compares the arrival profile with what the engine achieved.
type Arrivals struct {
	Intended     uint64  `json:"intended"`
	Achieved     uint64  `json:"achieved"`
	IntendedRate float64 `json:"intended_rate"`
	AchievedRate float64 `json:"achieved_rate"`
	PeakRate     float64 `json:"peak_rate"`
	// LateOver1s counts journeys whose first request left more than a second
	// after its intended time: the generator could not keep up.
	LateOver1s uint64 `json:"late_over_1s"`
	// Lateness of each journey's first request.
	Lateness Percentiles `json:"lateness"`
}

// Latency of all requests: Service is vegeta's latency (request sent to
// response read), Response adds Lateness (intended send to actual send).
type Latency struct {
	Service  Percentiles `json:"service"`
	Response Percentiles `json:"response"`
	Lateness Percentiles `json:"lateness"`
}

// Durations of whole journeys.
type Durations struct {
	Total  Percentiles `json:"total"`
	Active Percentiles `json:"active"`
}

// Percentiles summarises one histogram, in milliseconds.
type Percentiles struct {
	Count  uint64  `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P95MS  float64 `json:"p95_ms"`
	P99MS  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// StepStats is one step of one journey.
type StepStats struct {
	Journey     string            `json:"journey"`
	Step        string            `json:"step"`
	Index       int               `json:"index"`
	Requests    uint64            `json:"requests"`
	Errors      uint64            `json:"errors"`
	ErrorRate   float64           `json:"error_rate"`
	StatusCodes map[string]uint64 `json:"status_codes"`
	Service     Percentiles       `json:"service"`
	Response    Percentiles       `json:"response"`
	Lateness    Percentiles       `json:"lateness"`
}

// JourneyStats is one journey (scenario journey name) with its funnel.
type JourneyStats struct {
	Journey        string        `json:"journey"`
	Counts         JourneyCounts `json:"counts"`
	CompletionRate float64       `json:"completion_rate"`
	Duration       Durations     `json:"duration"`
	Funnel         []FunnelStep  `json:"funnel"`
	TopFailures    []ErrorCount  `json:"top_failures"`
}

// FunnelStep says how many journeys reached a step (sent it at least once),
// passed it, and stopped there by abandonment, failure or interruption.
type FunnelStep struct {
	Step        string `json:"step"`
	Reached     uint64 `json:"reached"`
	Passed      uint64 `json:"passed"`
	Abandoned   uint64 `json:"abandoned"`
	Failed      uint64 `json:"failed"`
	Interrupted uint64 `json:"interrupted"`
}

// ProcedureStats is every journey run for one procedure code.
type ProcedureStats struct {
	Procedure      string        `json:"procedure"`
	Counts         JourneyCounts `json:"counts"`
	CompletionRate float64       `json:"completion_rate"`
	Requests       uint64        `json:"requests"`
	Errors         uint64        `json:"errors"`
	Service        Percentiles   `json:"service"`
	Response       Percentiles   `json:"response"`
	Duration       Durations     `json:"duration"`
}

// PersonaStats counts journeys by persona.
type PersonaStats struct {
	Persona        string        `json:"persona"`
	Counts         JourneyCounts `json:"counts"`
	CompletionRate float64       `json:"completion_rate"`
}

// TimeSeries holds one point per IntervalS seconds of the run (1 s, or
// longer so that there are at most MaxPoints points).
type TimeSeries struct {
	IntervalS float64 `json:"interval_s"`
	Points    []Point `json:"points"`
}

// Point is one interval: counts by intended time (IntendedArrivals) or by
// actual send time (the rest), and latency percentiles of its requests.
type Point struct {
	T                float64 `json:"t"` // seconds since the start, at the interval's start
	IntendedArrivals uint64  `json:"intended_arrivals"`
	Arrivals         uint64  `json:"arrivals"`
	Requests         uint64  `json:"requests"`
	Errors           uint64  `json:"errors"`
	Completed        uint64  `json:"completed"`
	Failed           uint64  `json:"failed"`
	P50MS            float64 `json:"p50_ms"`
	P95MS            float64 `json:"p95_ms"`
	P99MS            float64 `json:"p99_ms"`
	ResponseP95MS    float64 `json:"response_p95_ms"`
	LatenessP99MS    float64 `json:"lateness_p99_ms"`
}

// SLOResult is one SLO evaluated against the summary.
type SLOResult struct {
	Expr  string  `json:"expr"`
	OK    bool    `json:"ok"`
	Value float64 `json:"value"`
	// Unit of Value: "ms", "ratio", "count" or "rate".
	Unit  string `json:"unit,omitempty"`
	Error string `json:"error,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// PercentilesOf summarises h.
func PercentilesOf(h *Histogram) Percentiles {
	if h.Count() == 0 {
		return Percentiles{}
	}
	return Percentiles{
		Count:  h.Count(),
		MeanMS: ms(h.Mean()),
		P50MS:  ms(h.Quantile(0.50)),
		P90MS:  ms(h.Quantile(0.90)),
		P95MS:  ms(h.Quantile(0.95)),
		P99MS:  ms(h.Quantile(0.99)),
		MaxMS:  ms(h.Max()),
	}
}

func ratio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
