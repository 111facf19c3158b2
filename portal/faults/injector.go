package faults

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portalsim/portalsim/portal"
)

// Injector holds the active faults and applies them. It is safe for
// concurrent use: readers load an immutable snapshot with one atomic load,
// writers copy it under a mutex. Random draws come from a counter-based
// generator per fault, so they need no lock and a given seed gives the
// same sequence of draws per target.
type Injector struct {
	clock  portal.Clock
	logger *slog.Logger
	seed   uint64

	mu       sync.Mutex // serialises writers
	faults   atomic.Pointer[map[string]*entry]
	setCount uint64 // guarded by mu; varies the stream of a re-set fault

	activeDesc *prometheus.Desc
	injected   *prometheus.CounterVec
}

type entry struct {
	fault  Fault
	stream uint64
	draws  atomic.Uint64
}

// Option configures an Injector.
type Option func(*Injector)

// WithClock sets the clock that decides fault windows (default: the wall clock).
func WithClock(c portal.Clock) Option { return func(inj *Injector) { inj.clock = c } }

// WithLogger sets where fault changes are logged (default: slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(inj *Injector) { inj.logger = l } }

// WithSeed makes the random draws reproducible (default seed 1).
func WithSeed(seed uint64) Option { return func(inj *Injector) { inj.seed = seed } }

// NewInjector returns an injector with no faults.
func NewInjector(opts ...Option) *Injector {
	inj := &Injector{
		clock: portal.SystemClock{}, logger: slog.Default(), seed: 1,
		activeDesc: prometheus.NewDesc("portalsim_fault_active",
			"1 for each kind of fault (latency, error_rate, outage) active on a target.",
			[]string{"target", "kind"}, nil),
		injected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portalsim_fault_injected_total",
			Help: "Calls affected by an injected fault, by target and kind.",
		}, []string{"target", "kind"}),
	}
	for _, o := range opts {
		o(inj)
	}
	empty := map[string]*entry{}
	inj.faults.Store(&empty)
	return inj
}

// Set validates f, resolves a relative window (After, For) against the
// clock, and makes it the fault of its target, replacing any other.
func (inj *Injector) Set(f Fault) error {
	f, err := resolveWindow(f, inj.clock.Now())
	if err != nil {
		return err
	}
	inj.mu.Lock()
	defer inj.mu.Unlock()
	prev := *inj.faults.Load()
	next := maps.Clone(prev)
	inj.put(next, prev, f)
	inj.faults.Store(&next)
	return nil
}

// Replace validates every fault and, only if all are valid, makes them the
// complete set of faults (the admin API's PUT). When a target appears more
// than once the last fault wins, as with repeated Set.
func (inj *Injector) Replace(fs ...Fault) error {
	now := inj.clock.Now()
	resolved := make([]Fault, 0, len(fs))
	for _, f := range fs {
		f, err := resolveWindow(f, now)
		if err != nil {
			return err
		}
		resolved = append(resolved, f)
	}
	inj.mu.Lock()
	defer inj.mu.Unlock()
	prev := *inj.faults.Load()
	next := make(map[string]*entry, len(resolved))
	for _, f := range resolved {
		inj.put(next, prev, f)
	}
	for target := range prev {
		if _, ok := next[target]; !ok {
			inj.logger.LogAttrs(context.Background(), slog.LevelInfo, "fault cleared", slog.String("target", target))
		}
	}
	inj.faults.Store(&next)
	return nil
}

// put sets f in next; an unchanged fault keeps its entry so its draws go on.
// The caller holds mu.
func (inj *Injector) put(next, prev map[string]*entry, f Fault) {
	if old, ok := prev[f.Target]; ok && old.fault == f {
		next[f.Target] = old
		return
	}
	inj.setCount++
	next[f.Target] = &entry{fault: f, stream: streamOf(inj.seed, f.Target, inj.setCount)}
	inj.logger.LogAttrs(context.Background(), slog.LevelWarn, "fault set", faultAttrs(f)...)
}

func resolveWindow(f Fault, now time.Time) (Fault, error) {
	if err := f.Validate(); err != nil {
		return f, err
	}
	if f.After > 0 {
		f.Start = now.Add(f.After)
	}
	if f.For > 0 {
		from := now
		if !f.Start.IsZero() {
			from = f.Start
		}
		f.End = from.Add(f.For)
	}
	f.After, f.For = 0, 0
	if f.ExpiredAt(now) {
		return f, portal.ValidationError(fmt.Sprintf("fault %s: window already ended at %s", f.Target, f.End.Format(time.RFC3339)),
			[]portal.FieldError{{Field: "end", Message: "is in the past"}})
	}
	return f, nil
}

// Clear removes the fault of a target; it reports whether there was one.
func (inj *Injector) Clear(target string) bool {
	inj.mu.Lock()
	defer inj.mu.Unlock()
	prev := *inj.faults.Load()
	if _, ok := prev[target]; !ok {
		return false
	}
	next := maps.Clone(prev)
	delete(next, target)
	inj.faults.Store(&next)
	inj.logger.LogAttrs(context.Background(), slog.LevelInfo, "fault cleared", slog.String("target", target))
	return true
}

// List returns the faults that are active or scheduled, by target.
// Faults whose window has ended are removed (and logged) first.
func (inj *Injector) List() []Fault {
	inj.sweep(inj.clock.Now())
	m := *inj.faults.Load()
	out := make([]Fault, 0, len(m))
	for _, e := range m {
		out = append(out, e.fault)
	}
	slices.SortFunc(out, func(a, b Fault) int { return cmpString(a.Target, b.Target) })
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Apply injects the target's fault into one call: it waits the latency
// (returning early with ctx's error if ctx ends), then returns an
// EUNAVAILABLE error if the target is in outage or, with probability
// ErrorRate, anyway. Without an active fault it returns nil at once.
// A nil Injector injects nothing.
func (inj *Injector) Apply(ctx context.Context, target string) error {
	if inj == nil {
		return nil
	}
	e := (*inj.faults.Load())[target]
	if e == nil {
		return nil
	}
	now := inj.clock.Now()
	if !e.fault.ActiveAt(now) {
		if e.fault.ExpiredAt(now) {
			inj.sweep(now)
		}
		return nil
	}
	f := e.fault
	if !f.Latency.IsZero() {
		if d := f.Latency.sample(e.uniform()); d > 0 {
			inj.injected.WithLabelValues(target, "latency").Inc()
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%s: waiting out injected latency: %w", target, ctx.Err())
			}
		}
	}
	if f.Outage {
		inj.injected.WithLabelValues(target, "outage").Inc()
		return unavailable(target)
	}
	if f.ErrorRate > 0 && e.uniform() < f.ErrorRate {
		inj.injected.WithLabelValues(target, "error_rate").Inc()
		return unavailable(target)
	}
	return nil
}

// Empty reports whether no fault is set; middleware uses it to skip work.
func (inj *Injector) Empty() bool { return inj == nil || len(*inj.faults.Load()) == 0 }

// Check returns a function that applies the target's fault, for call sites
// that take a func(ctx) error (PaymentService.GatewayAvailable, the signer).
func (inj *Injector) Check(target string) func(ctx context.Context) error {
	return func(ctx context.Context) error { return inj.Apply(ctx, target) }
}

func unavailable(target string) error {
	return portal.Errorf(portal.EUNAVAILABLE, "%s is unavailable (injected fault)", target)
}

// sweep removes faults whose window has ended at now.
func (inj *Injector) sweep(now time.Time) {
	m := *inj.faults.Load()
	expired := false
	for _, e := range m {
		if e.fault.ExpiredAt(now) {
			expired = true
			break
		}
	}
	if !expired {
		return
	}
	inj.mu.Lock()
	defer inj.mu.Unlock()
	next := maps.Clone(*inj.faults.Load())
	for target, e := range next {
		if e.fault.ExpiredAt(now) {
			delete(next, target)
			inj.logger.LogAttrs(context.Background(), slog.LevelInfo, "fault expired",
				slog.String("target", target), slog.Time("end", e.fault.End))
		}
	}
	inj.faults.Store(&next)
}

// Describe implements prometheus.Collector.
func (inj *Injector) Describe(ch chan<- *prometheus.Desc) {
	ch <- inj.activeDesc
	inj.injected.Describe(ch)
}

// Collect implements prometheus.Collector: portalsim_fault_active is 1 for
// each kind of each fault active now, so scheduled faults appear when their
// window opens and vanish when it ends.
func (inj *Injector) Collect(ch chan<- prometheus.Metric) {
	now := inj.clock.Now()
	inj.sweep(now)
	for target, e := range *inj.faults.Load() {
		if !e.fault.ActiveAt(now) {
			continue
		}
		for _, kind := range e.fault.Kinds() {
			ch <- prometheus.MustNewConstMetric(inj.activeDesc, prometheus.GaugeValue, 1, target, kind)
		}
	}
	inj.injected.Collect(ch)
}

// uniform returns the next draw in [0, 1) of this fault's stream.
func (e *entry) uniform() float64 {
	x := splitmix64(e.stream + e.draws.Add(1)*0x9e3779b97f4a7c15)
	return float64(x>>11) / (1 << 53)
}

func streamOf(seed uint64, target string, n uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(target))
	return splitmix64(seed ^ h.Sum64() ^ splitmix64(n))
}

// splitmix64 is a fast, well-mixed 64-bit hash (Steele et al.).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func faultAttrs(f Fault) []slog.Attr {
	a := []slog.Attr{slog.String("target", f.Target)}
	if !f.Latency.IsZero() {
		a = append(a, slog.String("latency", f.Latency.String()))
	}
	if f.ErrorRate > 0 {
		a = append(a, slog.Float64("error_rate", f.ErrorRate))
	}
	if f.Outage {
		a = append(a, slog.Bool("outage", true))
	}
	if !f.Start.IsZero() {
		a = append(a, slog.Time("start", f.Start))
	}
	if !f.End.IsZero() {
		a = append(a, slog.Time("end", f.End))
	}
	return a
}
