package metrics

import (
	"cmp"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxPoints caps the time series of a run; longer runs get wider intervals.
const MaxPoints = 3600

// maxDistinctErrors bounds the error-message tables; rarer messages beyond
// it are counted under "other".
const maxDistinctErrors = 200

// Outcome kinds as recorded; they match loadtest/journey's plus Interrupted.
const (
	Completed   = "completed"
	Abandoned   = "abandoned"
	Failed      = "failed"
	Interrupted = "interrupted"
)

// RunInfo describes the run for the summary header and sizes the time series.
type RunInfo struct {
	Scenario    string
	Description string
	Scale       string
	Target      string
	Seed        int64
	Start       time.Time
	Duration    time.Duration // arrival window
	Drain       time.Duration
	PeakRate    float64
	// Settle is how long after a request's send its result may still arrive
	// (the HTTP timeout); older time-series intervals are then final.
	Settle time.Duration
	// Steps lists each journey's step names in order, for funnels and
	// stable table order.
	Steps map[string][]string
}

// Request is one HTTP request's result, as the engine saw it.
type Request struct {
	Journey   string
	Procedure string
	Step      string
	// First is true for the first request of a journey (its arrival).
	First    bool
	Intended time.Time // when it was meant to leave
	Sent     time.Time // vegeta's result timestamp
	Latency  time.Duration
	Status   int
	// Error is the transport error or HTTP status text ("" on success).
	Error    string
	BytesIn  uint64
	BytesOut uint64
	// Interrupted requests were cut off by the end of the run.
	Interrupted bool
}

// JourneyEnd is how one journey ended.
type JourneyEnd struct {
	Journey   string
	Procedure string
	Persona   string
	Kind      string // Completed, Abandoned, Failed or Interrupted
	Step      string // where it stopped (abandoned, failed, interrupted)
	Reason    string
	// Reached lists the steps it sent at least once, Passed those it got past.
	Reached []string
	Passed  []string
	End     time.Time
	Total   time.Duration // intended arrival to end
	Active  time.Duration // sum of response times
}

type latencies struct{ service, response, lateness Histogram }

func (l *latencies) record(r *Request) {
	lateness := r.Sent.Sub(r.Intended)
	l.service.Record(r.Latency)
	l.response.Record(lateness + r.Latency)
	l.lateness.Record(lateness)
}

type counts struct {
	started, completed, abandoned, failed, interrupted uint64
}

func (c *counts) add(kind string) {
	switch kind {
	case Completed:
		c.started++
		c.completed++
	case Abandoned:
		c.started++
		c.abandoned++
	case Failed:
		c.started++
		c.failed++
	default:
		c.interrupted++
	}
}

func (c counts) export() JourneyCounts {
	return JourneyCounts{Started: c.started, Completed: c.completed, Abandoned: c.abandoned, Failed: c.failed, Interrupted: c.interrupted}
}

type stepKey struct{ journey, step string }

type stepAgg struct {
	latencies
	requests, errors uint64
	status           map[int]uint64
}

type funnelAgg struct{ reached, passed, abandoned, failed, interrupted uint64 }

type journeyAgg struct {
	counts
	total, active Histogram
	funnel        map[string]*funnelAgg
	failures      errorTable
}

type procedureAgg struct {
	counts
	latencies
	requests, errors uint64
	total, active    Histogram
}

type point struct {
	Point
	service, response, lateness *Histogram
}

// errorTable counts messages, bounded to maxDistinctErrors.
type errorTable map[string]uint64

func (t errorTable) add(msg string) {
	if _, ok := t[msg]; !ok && len(t) >= maxDistinctErrors {
		msg = "other"
	}
	t[msg]++
}

func (t errorTable) top(n int) []ErrorCount {
	out := make([]ErrorCount, 0, len(t))
	for e, c := range t {
		out = append(out, ErrorCount{Error: e, Count: c})
	}
	slices.SortFunc(out, func(a, b ErrorCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), strings.Compare(a.Error, b.Error))
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Recorder aggregates a run online. It is not safe for concurrent use: the
// engine calls it under its own lock.
type Recorder struct {
	info     RunInfo
	interval time.Duration

	all                  latencies
	arrivalLateness      Histogram
	requests, errors     uint64
	interruptedRequests  uint64
	bytesIn, bytesOut    uint64
	status               map[int]uint64
	errs                 errorTable
	intended, achieved   uint64
	lateArrivals         uint64
	overall              counts
	total, active        Histogram
	steps                map[stepKey]*stepAgg
	journeys             map[string]*journeyAgg
	procedures           map[string]*procedureAgg
	personas             map[string]*counts
	points               []*point
	settled              int // points before this index are final
	journeyRequests      uint64
	lastRequestAt, endAt time.Time
}

// NewRecorder starts aggregating a run.
func NewRecorder(info RunInfo) *Recorder {
	span := info.Duration + info.Drain
	interval := time.Second
	if n := int64(math.Ceil(span.Seconds())); n > MaxPoints {
		interval = time.Duration(math.Ceil(float64(n)/MaxPoints)) * time.Second
	}
	return &Recorder{
		info:       info,
		interval:   interval,
		status:     map[int]uint64{},
		errs:       errorTable{},
		steps:      map[stepKey]*stepAgg{},
		journeys:   map[string]*journeyAgg{},
		procedures: map[string]*procedureAgg{},
		personas:   map[string]*counts{},
	}
}

// Interval is the width of one time-series point.
func (r *Recorder) Interval() time.Duration { return r.interval }

func (r *Recorder) point(at time.Time) *point {
	i := int(at.Sub(r.info.Start) / r.interval)
	if i < 0 {
		i = 0
	}
	for len(r.points) <= i {
		r.points = append(r.points, &point{
			Point:   Point{T: (time.Duration(len(r.points)) * r.interval).Seconds()},
			service: &Histogram{}, response: &Histogram{}, lateness: &Histogram{},
		})
	}
	return r.points[i]
}

// settle turns points that can get no more results into plain numbers and
// drops their histograms, so memory stays flat.
func (r *Recorder) settle(now time.Time, all bool) {
	for ; r.settled < len(r.points); r.settled++ {
		p := r.points[r.settled]
		end := r.info.Start.Add(time.Duration(r.settled+1) * r.interval)
		if !all && now.Sub(end) < r.info.Settle+r.interval {
			return
		}
		if p.service != nil {
			p.P50MS = ms(p.service.Quantile(0.5))
			p.P95MS = ms(p.service.Quantile(0.95))
			p.P99MS = ms(p.service.Quantile(0.99))
			p.ResponseP95MS = ms(p.response.Quantile(0.95))
			p.LatenessP99MS = ms(p.lateness.Quantile(0.99))
			p.service, p.response, p.lateness = nil, nil, nil
		}
	}
}

// IntendedArrival counts a journey arrival at its intended time.
func (r *Recorder) IntendedArrival(at time.Time) {
	r.intended++
	r.point(at).IntendedArrivals++
}

func (r *Recorder) step(journey, step string) *stepAgg {
	k := stepKey{journey, step}
	s := r.steps[k]
	if s == nil {
		s = &stepAgg{status: map[int]uint64{}}
		r.steps[k] = s
	}
	return s
}

func (r *Recorder) journey(name string) *journeyAgg {
	j := r.journeys[name]
	if j == nil {
		j = &journeyAgg{funnel: map[string]*funnelAgg{}, failures: errorTable{}}
		r.journeys[name] = j
	}
	return j
}

func (r *Recorder) procedure(code string) *procedureAgg {
	p := r.procedures[code]
	if p == nil {
		p = &procedureAgg{}
		r.procedures[code] = p
	}
	return p
}

// Request records one request's result.
func (r *Recorder) Request(q Request) {
	if q.Interrupted {
		r.interruptedRequests++
		return
	}
	r.requests++
	r.bytesIn += q.BytesIn
	r.bytesOut += q.BytesOut
	r.status[q.Status]++
	r.all.record(&q)
	if q.Sent.After(r.lastRequestAt) {
		r.lastRequestAt = q.Sent
	}
	s := r.step(q.Journey, q.Step)
	s.requests++
	s.status[q.Status]++
	s.record(&q)
	pr := r.procedure(q.Procedure)
	pr.requests++
	pr.record(&q)
	p := r.point(q.Sent)
	p.Requests++
	if p.service != nil {
		p.service.Record(q.Latency)
		p.response.Record(q.Sent.Sub(q.Intended) + q.Latency)
		p.lateness.Record(q.Sent.Sub(q.Intended))
	}
	if q.First {
		r.achieved++
		p.Arrivals++
		late := q.Sent.Sub(q.Intended)
		r.arrivalLateness.Record(late)
		if late > time.Second {
			r.lateArrivals++
		}
	}
	if q.Error != "" || q.Status == 0 || q.Status >= 400 {
		r.errors++
		s.errors++
		pr.errors++
		p.Errors++
		msg := q.Error
		if msg == "" {
			msg = "status " + strconv.Itoa(q.Status)
		}
		r.errs.add(msg)
	}
	r.settle(q.Sent, false)
}

// JourneyEnded records a journey's outcome and funnel.
func (r *Recorder) JourneyEnded(e JourneyEnd) {
	r.overall.add(e.Kind)
	j := r.journey(e.Journey)
	j.add(e.Kind)
	pr := r.procedure(e.Procedure)
	pr.counts.add(e.Kind)
	pe := r.personas[e.Persona]
	if pe == nil {
		pe = &counts{}
		r.personas[e.Persona] = pe
	}
	pe.add(e.Kind)
	funnel := func(step string) *funnelAgg {
		f := j.funnel[step]
		if f == nil {
			f = &funnelAgg{}
			j.funnel[step] = f
		}
		return f
	}
	for _, s := range e.Reached {
		funnel(s).reached++
	}
	for _, s := range e.Passed {
		funnel(s).passed++
	}
	switch e.Kind {
	case Abandoned:
		funnel(e.Step).abandoned++
	case Failed:
		funnel(e.Step).failed++
		reason := e.Reason
		if reason == "" {
			reason = "failed"
		}
		j.failures.add(e.Step + ": " + reason)
	case Interrupted:
		if e.Step != "" {
			funnel(e.Step).interrupted++
		}
		return // durations of cut-off journeys would bias the percentiles
	}
	p := r.point(e.End)
	switch e.Kind {
	case Completed:
		p.Completed++
	case Failed:
		p.Failed++
	}
	if e.Kind == Completed {
		for _, h := range []*Histogram{&r.total, &j.total, &pr.total} {
			h.Record(e.Total)
		}
		for _, h := range []*Histogram{&r.active, &j.active, &pr.active} {
			h.Record(e.Active)
		}
	}
	if e.End.After(r.endAt) {
		r.endAt = e.End
	}
}

// Progress is a cheap snapshot for live progress lines.
type Progress struct {
	Requests, Errors           uint64
	Arrivals, IntendedArrivals uint64
	Journeys                   JourneyCounts
	CompletionRate             float64
	P95                        time.Duration // response time, whole run so far
}

// Progress returns counters so far.
func (r *Recorder) Progress() Progress {
	return Progress{
		Requests: r.requests, Errors: r.errors,
		Arrivals: r.achieved, IntendedArrivals: r.intended,
		Journeys:       r.overall.export(),
		CompletionRate: ratio(r.overall.completed, r.overall.started),
		P95:            r.all.response.Quantile(0.95),
	}
}

// Summary finishes the aggregation. SLOs and Passed are left for the
// report package to fill.
func (r *Recorder) Summary(end time.Time, interrupted bool) *Summary {
	r.settle(end, true)
	wall := end.Sub(r.info.Start)
	secs := max(wall.Seconds(), 1e-9)
	window := max(r.info.Duration.Seconds(), 1e-9)
	s := &Summary{
		SchemaVersion:    SchemaVersion,
		Scenario:         r.info.Scenario,
		Description:      r.info.Description,
		Scale:            r.info.Scale,
		Target:           r.info.Target,
		Seed:             r.info.Seed,
		StartedAt:        r.info.Start.UTC(),
		EndedAt:          end.UTC(),
		DurationS:        round(wall.Seconds(), 3),
		PlannedDurationS: r.info.Duration.Seconds(),
		DrainS:           r.info.Drain.Seconds(),
		Interrupted:      interrupted,
		CompletionRate:   ratio(r.overall.completed, r.overall.started),
		Journeys:         r.overall.export(),
		Requests: Requests{
			Count:       r.requests,
			Rate:        round(float64(r.requests)/secs, 3),
			SuccessRate: ratio(r.requests-r.errors, r.requests),
			ErrorRate:   ratio(r.errors, r.requests),
			Errors:      r.errors,
			Interrupted: r.interruptedRequests,
			BytesIn:     r.bytesIn,
			BytesOut:    r.bytesOut,
			StatusCodes: statusMap(r.status),
			TopErrors:   r.errs.top(10),
		},
		Arrivals: Arrivals{
			Intended:     r.intended,
			Achieved:     r.achieved,
			IntendedRate: round(float64(r.intended)/window, 3),
			AchievedRate: round(float64(r.achieved)/window, 3),
			PeakRate:     r.info.PeakRate,
			LateOver1s:   r.lateArrivals,
			Lateness:     PercentilesOf(&r.arrivalLateness),
		},
		Latency: Latency{
			Service:  PercentilesOf(&r.all.service),
			Response: PercentilesOf(&r.all.response),
			Lateness: PercentilesOf(&r.all.lateness),
		},
		JourneyDuration: Durations{Total: PercentilesOf(&r.total), Active: PercentilesOf(&r.active)},
		TimeSeries:      TimeSeries{IntervalS: r.interval.Seconds(), Points: []Point{}},
		SLOs:            []SLOResult{},
		Passed:          true,
	}
	s.RequestsPerJourney = round(ratio(r.requests, r.achieved), 3)
	for _, p := range r.points {
		s.TimeSeries.Points = append(s.TimeSeries.Points, p.Point)
	}

	// Journeys in plan order first, then any unknown ones by name.
	names := slices.Sorted(maps.Keys(r.info.Steps))
	for _, n := range slices.Sorted(maps.Keys(r.journeys)) {
		if _, ok := r.info.Steps[n]; !ok {
			names = append(names, n)
		}
	}
	s.Steps = []StepStats{}
	s.ByJourney = []JourneyStats{}
	for _, name := range names {
		stepNames := slices.Clone(r.info.Steps[name])
		for k := range r.steps {
			if k.journey == name && !slices.Contains(stepNames, k.step) {
				stepNames = append(stepNames, k.step)
			}
		}
		j := r.journeys[name]
		if j == nil {
			j = &journeyAgg{funnel: map[string]*funnelAgg{}, failures: errorTable{}}
		}
		js := JourneyStats{
			Journey:        name,
			Counts:         j.export(),
			CompletionRate: ratio(j.completed, j.started),
			Duration:       Durations{Total: PercentilesOf(&j.total), Active: PercentilesOf(&j.active)},
			Funnel:         []FunnelStep{},
			TopFailures:    j.failures.top(5),
		}
		for i, step := range stepNames {
			f := j.funnel[step]
			if f == nil {
				f = &funnelAgg{}
			}
			js.Funnel = append(js.Funnel, FunnelStep{Step: step, Reached: f.reached, Passed: f.passed, Abandoned: f.abandoned, Failed: f.failed, Interrupted: f.interrupted})
			st := r.steps[stepKey{name, step}]
			if st == nil {
				continue
			}
			s.Steps = append(s.Steps, StepStats{
				Journey: name, Step: step, Index: i,
				Requests: st.requests, Errors: st.errors, ErrorRate: ratio(st.errors, st.requests),
				StatusCodes: statusMap(st.status),
				Service:     PercentilesOf(&st.service),
				Response:    PercentilesOf(&st.response),
				Lateness:    PercentilesOf(&st.lateness),
			})
		}
		s.ByJourney = append(s.ByJourney, js)
	}
	s.ByProcedure = []ProcedureStats{}
	for _, code := range slices.Sorted(maps.Keys(r.procedures)) {
		p := r.procedures[code]
		s.ByProcedure = append(s.ByProcedure, ProcedureStats{
			Procedure: code, Counts: p.export(), CompletionRate: ratio(p.completed, p.started),
			Requests: p.requests, Errors: p.errors,
			Service: PercentilesOf(&p.service), Response: PercentilesOf(&p.response),
			Duration: Durations{Total: PercentilesOf(&p.total), Active: PercentilesOf(&p.active)},
		})
	}
	s.ByPersona = []PersonaStats{}
	for _, name := range slices.Sorted(maps.Keys(r.personas)) {
		c := r.personas[name]
		s.ByPersona = append(s.ByPersona, PersonaStats{Persona: name, Counts: c.export(), CompletionRate: ratio(c.completed, c.started)})
	}
	return s
}

func statusMap(m map[int]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(m))
	for code, n := range m {
		out[strconv.Itoa(code)] = n
	}
	return out
}

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}
