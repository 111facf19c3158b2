// Package engine replays journeys on vegeta. One event queue holds intended
// send times: journey arrivals from the arrival profile, and each journey's
// next step after its delay. A custom vegeta.Pacer releases events when due
// (one Pace return is one hit), a vegeta.Targeter hands over the target the
// scheduler already rendered, and the consumer of Attacker.Attack's results
// correlates each result to its journey by a URL fragment (#j=<id>&s=<seq>,
// which Go's HTTP client never sends), feeds the response to the journey,
// schedules its next step, aggregates metrics and streams the result to
// results.bin. Lateness (result timestamp minus intended send) is recorded
// for every request, so a generator that cannot keep up shows it instead of
// quietly lowering the rate.
package engine

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/portalsim/portalsim/loadtest/journey"
	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/scenario"
)

// Defaults for HTTP options a scenario leaves out.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultMaxWorkers = 512
	DefaultWorkers    = 32
	DefaultMaxBody    = 1 << 20
	DefaultDrain      = 30 * time.Second
	// DefaultConnections is the idle connections kept per host.
	DefaultConnections = 10000
)

// Journey is one virtual citizen's journey as the engine drives it;
// *journey.Instance satisfies it. Not goroutine-safe: the engine calls it
// under its lock.
type Journey interface {
	Next() journey.Action
	Handle(journey.Response)
	Outcome() journey.Outcome
	Journey() string
	Procedure() string
	Persona() string
}

// StartFunc starts journey id with its own random source (seeded from the
// run's seed and id, so a journey's choices do not depend on timing).
type StartFunc func(id uint64, rng *rand.Rand) Journey

// Plan lists the scenario's journeys and their steps in order (funnels);
// *journey.Plan satisfies it.
type Plan interface {
	Journeys() []string
	Steps(journey string) []string
}

// Config is one run.
type Config struct {
	Scenario    string
	Description string
	Scale       string
	Plan        Plan
	Start       StartFunc
	// BaseURL is prefixed to every step's relative path.
	BaseURL  string
	Arrival  scenario.Arrival
	Duration time.Duration // arrival window
	Drain    time.Duration // then in-flight journeys may finish; 0 = DefaultDrain
	Seed     int64
	HTTP     scenario.HTTPOptions
	// Transport replaces the HTTP transport (tests, benchmarks); nil uses a
	// transport configured like vegeta's own.
	Transport http.RoundTripper
	// Results receives every vegeta result with its body cleared and the
	// correlation fragment removed (vegeta.NewEncoder for results.bin).
	Results vegeta.Encoder
	// JourneyLog receives one JSON line per journey (journeys.jsonl).
	JourneyLog io.Writer
	// Progress is called every ProgressEvery (default 1 s) from its own
	// goroutine.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is a live view of a run.
type Progress struct {
	// Elapsed since the start; ArrivalWindow is the configured duration and
	// Total adds the drain (the longest the run can take).
	Elapsed, ArrivalWindow, Total time.Duration
	// TargetRate is the profile's arrival rate now; AchievedRate the journeys
	// started per second over the last interval; RequestRate likewise.
	TargetRate, AchievedRate, RequestRate float64
	InFlight                              int
	metrics.Progress
}

// JourneyRecord is one line of journeys.jsonl.
type JourneyRecord struct {
	ID        uint64    `json:"id"`
	Journey   string    `json:"journey"`
	Procedure string    `json:"procedure"`
	Persona   string    `json:"persona"`
	Outcome   string    `json:"outcome"`
	Step      string    `json:"step,omitempty"`
	Reason    string    `json:"reason,omitempty"`
	Arrival   time.Time `json:"arrival"`
	End       time.Time `json:"end"`
	// DurationMS is from the intended arrival to the end; ActiveMS is the sum
	// of response times (the journey without think time).
	DurationMS float64 `json:"duration_ms"`
	ActiveMS   float64 `json:"active_ms"`
	Requests   int     `json:"requests"`
}

// event is an intended send: a journey arrival (f == nil) or a step.
type event struct {
	at     time.Time
	f      *flight
	seq    uint64
	target vegeta.Target
}

type eventQueue []*event

func (q eventQueue) Len() int           { return len(q) }
func (q eventQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q eventQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)        { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}

// flight is a journey in progress.
type flight struct {
	id       uint64
	j        Journey
	arrival  time.Time
	seq      uint64 // of the request in flight
	step     string // current step
	intended time.Time
	requests int
	active   time.Duration
	reached  []string
	passed   []string
}

type engine struct {
	cfg     Config
	base    string
	start   time.Time
	end     time.Time // arrivals stop
	stopAt  time.Time // drain over
	rate    RateFunc
	gen     *arrivals
	attack  *vegeta.Attacker
	abort   context.CancelFunc
	wake    chan struct{}
	journal *bufio.Writer

	// readyMu guards only ready, so vegeta's workers taking targets never
	// wait for the consumer's bookkeeping under mu. Lock order: mu, readyMu.
	readyMu sync.Mutex
	ready   []*event

	mu           sync.Mutex
	queue        eventQueue
	flights      map[uint64]*flight
	nextID       uint64
	arrivalsDone bool
	stopped      bool
	interrupted  bool
	rec          *metrics.Recorder
	journalErr   error
}

// Run replays the configured journeys and returns the run's summary. When
// ctx is cancelled it stops arrivals and aborts in-flight requests at once;
// unfinished journeys count as interrupted, and the summary is still
// consistent (Summary.Interrupted is set). The error is non-nil only when
// the run could not start or its outputs could not be written.
func Run(ctx context.Context, cfg Config) (*metrics.Summary, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	cfg = e.cfg // with defaults
	runCtx, abort := context.WithCancel(context.Background())
	defer abort()
	e.abort = abort

	h := cfg.HTTP
	client := &http.Client{Transport: &abortableTransport{ctx: runCtx, next: transport(cfg.Transport, h), timeout: h.Timeout.D()}}
	e.attack = vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Workers(h.Workers),
		vegeta.MaxWorkers(h.MaxWorkers),
		vegeta.MaxBody(h.MaxBody),
	)

	e.start = time.Now()
	e.end = e.start.Add(cfg.Duration)
	e.stopAt = e.end.Add(cfg.Drain)
	peak, _ := PeakRate(cfg.Arrival, cfg.Duration)
	steps := map[string][]string{}
	if cfg.Plan != nil {
		for _, j := range cfg.Plan.Journeys() {
			steps[j] = cfg.Plan.Steps(j)
		}
	}
	e.rec = metrics.NewRecorder(metrics.RunInfo{
		Scenario: cfg.Scenario, Description: cfg.Description, Scale: cfg.Scale,
		Target: cfg.BaseURL, Seed: cfg.Seed, Start: e.start,
		Duration: cfg.Duration, Drain: cfg.Drain, PeakRate: peak,
		Settle: h.Timeout.D(), Steps: steps,
	})
	e.scheduleArrival()

	// Stop on Ctrl-C or when the drain is over, whichever comes first.
	watchDone := make(chan struct{})
	defer close(watchDone)
	go func() {
		t := time.NewTimer(time.Until(e.stopAt))
		defer t.Stop()
		select {
		case <-ctx.Done():
			e.stop(true)
		case <-t.C:
			e.stop(false)
		case <-watchDone:
		}
	}()

	progressDone := make(chan struct{})
	var progressWG sync.WaitGroup
	if cfg.Progress != nil {
		progressWG.Add(1)
		go func() {
			defer progressWG.Done()
			e.reportProgress(progressDone)
		}()
	}

	var encodeErr error
	for res := range e.attack.Attack(e.target, e, 0, cfg.Scenario) {
		e.consume(res)
		res.Body = nil
		if cfg.Results != nil && encodeErr == nil {
			if err := cfg.Results(res); err != nil {
				encodeErr = fmt.Errorf("write results: %w", err)
				e.stop(false)
			}
		}
	}
	close(progressDone)
	progressWG.Wait()

	e.mu.Lock()
	defer e.mu.Unlock()
	end := time.Now()
	for _, f := range e.flights {
		e.finish(f, e.cutOutcome(f), end)
	}
	var errs []error
	errs = append(errs, encodeErr, e.journalErr)
	if e.journal != nil {
		if err := e.journal.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("write journeys: %w", err))
		}
	}
	return e.rec.Summary(end, e.interrupted), errors.Join(errs...)
}

func newEngine(cfg Config) (*engine, error) {
	if cfg.Start == nil {
		return nil, errors.New("engine: config has no Start function")
	}
	if cfg.Duration <= 0 {
		return nil, fmt.Errorf("engine: duration %v must be positive", cfg.Duration)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("engine: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	h := &cfg.HTTP
	if h.Timeout <= 0 {
		h.Timeout = scenario.Duration(DefaultTimeout)
	}
	if h.MaxWorkers == 0 {
		h.MaxWorkers = DefaultMaxWorkers
	}
	if h.Workers == 0 {
		h.Workers = min(DefaultWorkers, h.MaxWorkers)
	}
	if h.MaxBody == 0 {
		h.MaxBody = DefaultMaxBody
	}
	if cfg.Drain == 0 {
		cfg.Drain = DefaultDrain
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = time.Second
	}
	rate, err := Rate(cfg.Arrival, cfg.Duration)
	if err != nil {
		return nil, err
	}
	gen, err := newArrivals(cfg.Arrival, cfg.Duration, rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5eed_a771_0a15)))
	if err != nil {
		return nil, err
	}
	e := &engine{
		cfg: cfg, base: base, rate: rate, gen: gen,
		wake:    make(chan struct{}, 1),
		flights: map[uint64]*flight{},
	}
	if cfg.JourneyLog != nil {
		e.journal = bufio.NewWriterSize(cfg.JourneyLog, 64<<10)
	}
	return e, nil
}

// transport is next, or a transport configured like vegeta's default
// (which its KeepAlive and Connections options would set; we build it
// ourselves because requests must be abortable, see abortableTransport).
func transport(next http.RoundTripper, h scenario.HTTPOptions) http.RoundTripper {
	if next != nil {
		return next
	}
	keepAlive := h.KeepAlive == nil || *h.KeepAlive
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	if !keepAlive {
		dialer.KeepAlive = 0
	}
	return &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: DefaultConnections,
		DisableKeepAlives:   !keepAlive,
	}
}

// abortableTransport gives every request a context that expires after the
// timeout and is cancelled when the run stops: vegeta builds requests
// without a context, and Ctrl-C must not wait for slow responses.
type abortableTransport struct {
	ctx     context.Context
	next    http.RoundTripper
	timeout time.Duration
}

func (t *abortableTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(t.ctx, t.timeout)
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelOnClose) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// cutOutcome is how a journey still in flight when the run stops ends. A
// user's Ctrl-C interrupts it (left out of started, like k6's interrupted
// iterations); a journey the portal did not let finish within the drain is a
// failure, so a slow portal cannot hide its unfinished journeys.
func (e *engine) cutOutcome(f *flight) journey.Outcome {
	if e.interrupted {
		return journey.Outcome{Kind: metrics.Interrupted, FailedStep: f.step, Reason: "run interrupted"}
	}
	return journey.Outcome{Kind: metrics.Failed, FailedStep: f.step, Reason: "unfinished when the drain ended"}
}

// stop ends the run: no more hits, in-flight requests aborted.
func (e *engine) stop(interrupted bool) {
	e.mu.Lock()
	if !e.stopped {
		e.stopped = true
		e.interrupted = interrupted
	}
	e.mu.Unlock()
	e.attack.Stop()
	e.abort()
	e.poke()
}

func (e *engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// scheduleArrival queues the next journey arrival. Called with mu held (or
// before the attack starts).
func (e *engine) scheduleArrival() {
	off, ok := e.gen.next()
	if !ok {
		e.arrivalsDone = true
		return
	}
	heap.Push(&e.queue, &event{at: e.start.Add(off)})
}

// Pace implements vegeta.Pacer: it blocks until the earliest event is due
// and returns zero wait, so vegeta fires exactly one hit for it; it returns
// stop when arrivals are over and no journey is in flight, when the drain
// is over, or when the run was stopped.
func (e *engine) Pace(time.Duration, uint64) (time.Duration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if e.stopped {
			return 0, true
		}
		now := time.Now()
		if !now.Before(e.stopAt) {
			e.stopped = true
			return 0, true
		}
		if len(e.queue) > 0 && !e.queue[0].at.After(now) {
			ev := heap.Pop(&e.queue).(*event)
			if ev.f == nil {
				e.arrive(ev.at)
				continue
			}
			e.readyMu.Lock()
			e.ready = append(e.ready, ev)
			e.readyMu.Unlock()
			return 0, false
		}
		if e.arrivalsDone && len(e.flights) == 0 {
			e.stopped = true
			return 0, true
		}
		wait := e.stopAt.Sub(now)
		if len(e.queue) > 0 {
			wait = e.queue[0].at.Sub(now)
		}
		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		e.mu.Unlock()
		select {
		case <-timer.C:
		case <-e.wake:
		}
		e.mu.Lock()
	}
}

// Rate implements vegeta.Pacer with the profile's arrival rate (journeys,
// not requests, per second).
func (e *engine) Rate(elapsed time.Duration) float64 { return e.rate(elapsed) }

// target implements vegeta.Targeter: it hands over the next target the
// scheduler released. It renders nothing, because vegeta counts the
// targeter's time as latency, and it never fails for a journey's sake,
// because a targeter error stops the whole attack.
func (e *engine) target(t *vegeta.Target) error {
	e.readyMu.Lock()
	defer e.readyMu.Unlock()
	if len(e.ready) == 0 {
		return errors.New("engine: targeter called with no released event (pacer/targeter out of step)")
	}
	ev := e.ready[0]
	e.ready[0] = nil
	e.ready = e.ready[1:]
	*t = ev.target
	return nil
}

// arrive starts a journey intended to arrive at at. mu held.
func (e *engine) arrive(at time.Time) {
	e.nextID++
	id := e.nextID
	j := e.cfg.Start(id, rand.New(rand.NewPCG(uint64(e.cfg.Seed), id)))
	e.rec.IntendedArrival(at)
	f := &flight{id: id, j: j, arrival: at}
	e.flights[id] = f
	e.advance(f, at)
	e.scheduleArrival()
}

// advance asks the journey for its next action and queues it Delay after
// from, or finishes the journey. mu held.
func (e *engine) advance(f *flight, from time.Time) {
	a := f.j.Next()
	if a.Done {
		e.finish(f, f.j.Outcome(), from)
		return
	}
	if a.Step != f.step {
		if f.step != "" {
			f.passed = append(f.passed, f.step)
		}
		f.step = a.Step
	}
	f.seq++
	path := a.Request.Path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		path = e.base + path
	}
	if i := strings.IndexByte(path, '#'); i >= 0 {
		path = path[:i] // a fragment is never sent; ours must be the only one
	}
	method := a.Request.Method
	if method == "" {
		method = http.MethodGet
	}
	ev := &event{
		at:  from.Add(a.Delay),
		f:   f,
		seq: f.seq,
		target: vegeta.Target{
			Method: method,
			URL:    path + "#j=" + strconv.FormatUint(f.id, 10) + "&s=" + strconv.FormatUint(f.seq, 10),
			Body:   a.Request.Body,
			Header: a.Request.Header,
		},
	}
	f.intended = ev.at
	heap.Push(&e.queue, ev)
	if e.queue[0] == ev {
		e.poke()
	}
}

// finish records how a journey ended. mu held.
func (e *engine) finish(f *flight, o journey.Outcome, end time.Time) {
	delete(e.flights, f.id)
	if len(e.flights) == 0 {
		e.poke() // the pacer may be waiting only to find that the run is over
	}
	if f.step != "" && (o.Kind == journey.Completed || (o.Kind == journey.Abandoned && o.FailedStep != f.step)) {
		f.passed = append(f.passed, f.step)
	}
	total := end.Sub(f.arrival)
	e.rec.JourneyEnded(metrics.JourneyEnd{
		Journey: f.j.Journey(), Procedure: f.j.Procedure(), Persona: f.j.Persona(),
		Kind: o.Kind, Step: o.FailedStep, Reason: o.Reason,
		Reached: f.reached, Passed: f.passed,
		End: end, Total: total, Active: f.active,
	})
	if e.journal == nil || e.journalErr != nil {
		return
	}
	line, err := json.Marshal(JourneyRecord{
		ID: f.id, Journey: f.j.Journey(), Procedure: f.j.Procedure(), Persona: f.j.Persona(),
		Outcome: o.Kind, Step: o.FailedStep, Reason: o.Reason,
		Arrival: f.arrival.UTC(), End: end.UTC(),
		DurationMS: msOf(total), ActiveMS: msOf(f.active), Requests: f.requests,
	})
	if err == nil {
		line = append(line, '\n')
		_, err = e.journal.Write(line)
	}
	if err != nil {
		e.journalErr = fmt.Errorf("write journeys: %w", err)
	}
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// splitFragment removes the correlation fragment from a result URL.
func splitFragment(u string) (clean string, id, seq uint64, ok bool) {
	i := strings.LastIndex(u, "#j=")
	if i < 0 {
		return u, 0, 0, false
	}
	frag := u[i+3:]
	js, ss, found := strings.Cut(frag, "&s=")
	if !found {
		return u, 0, 0, false
	}
	id, err1 := strconv.ParseUint(js, 10, 64)
	seq, err2 := strconv.ParseUint(ss, 10, 64)
	if err1 != nil || err2 != nil {
		return u, 0, 0, false
	}
	return u[:i], id, seq, true
}

// consume correlates one result to its journey, records it, hands the
// response to the journey and schedules what comes next.
func (e *engine) consume(res *vegeta.Result) {
	full := res.URL
	clean, id, seq, ok := splitFragment(full)
	res.URL = clean
	if res.Error != "" {
		res.Error = strings.ReplaceAll(res.Error, full, clean)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var f *flight
	if ok {
		f = e.flights[id]
	}
	if f == nil || f.seq != seq {
		return // cannot happen unless a result is duplicated; nothing to attribute it to
	}
	cut := e.stopped && res.Code == 0 && res.Error != ""
	transportErr := ""
	errMsg := ""
	if res.Code == 0 {
		transportErr = res.Error
		errMsg = res.Method + " " + f.step + ": " + stripURL(res.Error, clean)
	} else if res.Error != "" {
		errMsg = res.Error // vegeta's status text for codes outside 200–399
	}
	lateness := res.Timestamp.Sub(f.intended)
	e.rec.Request(metrics.Request{
		Journey: f.j.Journey(), Procedure: f.j.Procedure(), Step: f.step,
		First: f.requests == 0, Intended: f.intended, Sent: res.Timestamp,
		Latency: res.Latency, Status: int(res.Code), Error: errMsg,
		BytesIn: res.BytesIn, BytesOut: res.BytesOut, Interrupted: cut,
	})
	f.requests++
	f.active += lateness + res.Latency
	if n := len(f.reached); n == 0 || f.reached[n-1] != f.step {
		f.reached = append(f.reached, f.step) // reached = sent at least once
	}
	at := res.Timestamp.Add(res.Latency)
	if e.stopped {
		e.finish(f, e.cutOutcome(f), at)
		return
	}
	f.j.Handle(journey.Response{Status: int(res.Code), Body: res.Body, Error: transportErr, Latency: res.Latency, At: at})
	e.advance(f, at)
}

// stripURL shortens Go's `Get "URL": cause` errors to the cause, so the
// error table groups by cause rather than by dossier id.
func stripURL(msg, u string) string {
	if i := strings.Index(msg, `"`+u+`": `); i >= 0 {
		return msg[i+len(u)+4:]
	}
	return msg
}

func (e *engine) reportProgress(done <-chan struct{}) {
	t := time.NewTicker(e.cfg.ProgressEvery)
	defer t.Stop()
	var last metrics.Progress
	lastAt := e.start
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			e.mu.Lock()
			p := Progress{
				Elapsed:       now.Sub(e.start),
				ArrivalWindow: e.cfg.Duration,
				Total:         e.cfg.Duration + e.cfg.Drain,
				InFlight:      len(e.flights),
				Progress:      e.rec.Progress(),
			}
			e.mu.Unlock()
			if p.Elapsed < e.cfg.Duration {
				p.TargetRate = e.rate(p.Elapsed)
			}
			secs := now.Sub(lastAt).Seconds()
			p.AchievedRate = float64(p.Arrivals-last.Arrivals) / secs
			p.RequestRate = float64(p.Requests-last.Requests) / secs
			last, lastAt = p.Progress, now
			e.cfg.Progress(p)
		}
	}
}
