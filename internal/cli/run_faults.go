package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal/faults"
)

// The fault schedule of a scenario is applied to the target portal through
// its admin API (PUT /api/v1/admin/faults), as an operator would: signed in
// as the demo admin, outside the engine's request stream, so these calls are
// neither paced nor counted as journey traffic. Every fault is sent with its
// own absolute window (start and end on the wall clock, which is the clock
// the portal's fault injector uses), so the portal switches it on and off
// itself, to the millisecond, whatever happens to this process meanwhile.
// The portal holds one fault per target, so a later fault of the same target
// is sent when the earlier one's window has ended.

// AdminPersonalID is the portal's demo admin account (simulator mode).
const AdminPersonalID = "001080000001"

// faultAdminTimeout bounds each admin call.
const faultAdminTimeout = 10 * time.Second

// scheduledFault is one entry of the schedule, resolved against the run's start.
type scheduledFault struct {
	index int // in the scenario's faults list
	spec  scenario.Fault
	// targets are the portal fault targets: the dependency, or one
	// "METHOD /pattern" per method of the route.
	targets    []string
	start, end time.Time
	applied    []time.Time // when the portal accepted each target's fault
}

// faultSchedule applies a scenario's faults to one portal during a run.
type faultSchedule struct {
	base   string
	client *http.Client
	token  string
	log    io.Writer
	t0     time.Time

	mu      sync.Mutex
	entries []*scheduledFault
	errs    []error

	stopOnce sync.Once
	cancel   context.CancelFunc
	done     chan struct{}
}

// startFaults signs in as admin on the portal at base, resolves the
// scenario's faults (route patterns against the portal's OpenAPI document),
// sends every fault whose target is free with its window counted from now,
// and schedules the rest. It returns when the first faults are set, so the
// run should start right after. Progress lines go to log.
func startFaults(ctx context.Context, base string, specs []scenario.Fault, log io.Writer) (*faultSchedule, error) {
	fs := &faultSchedule{base: strings.TrimSuffix(base, "/"), client: &http.Client{Timeout: faultAdminTimeout}, log: log, done: make(chan struct{})}
	if err := fs.login(ctx); err != nil {
		return nil, fmt.Errorf("fault schedule: sign in as admin %s on %s: %w", AdminPersonalID, base, err)
	}
	var routes map[string][]string
	for _, f := range specs {
		if f.Route != "" {
			var err error
			if routes, err = fs.routeMethods(ctx); err != nil {
				return nil, fmt.Errorf("fault schedule: %w", err)
			}
			break
		}
	}
	fs.t0 = time.Now()
	for i, f := range specs {
		e := &scheduledFault{index: i, spec: f, start: fs.t0.Add(f.At.D()), end: fs.t0.Add(f.At.D() + f.Duration.D())}
		switch {
		case f.Dependency != "":
			e.targets = []string{f.Dependency}
		default:
			pattern := ginPattern(f.Route)
			methods := routes[pattern]
			if len(methods) == 0 {
				return nil, fmt.Errorf("fault schedule: faults[%d].route %q is not a route of %s (its OpenAPI document lists no such path)", i, f.Route, base)
			}
			for _, m := range methods {
				e.targets = append(e.targets, faults.RouteTarget(m, pattern))
			}
		}
		fs.entries = append(fs.entries, e)
	}
	if err := checkOverlaps(fs.entries); err != nil {
		return nil, fmt.Errorf("fault schedule: %w", err)
	}
	// Send order: per target, in window order; a fault waits for the
	// previous fault of its target to end.
	sort.SliceStable(fs.entries, func(i, j int) bool { return fs.entries[i].start.Before(fs.entries[j].start) })
	var first, later []*scheduledFault
	busy := map[string]time.Time{}
	for _, e := range fs.entries {
		var after time.Time
		for _, t := range e.targets {
			if b, ok := busy[t]; ok && b.After(after) {
				after = b
			}
			busy[t] = e.end
		}
		if after.IsZero() {
			first = append(first, e)
		} else {
			later = append(later, e)
		}
	}
	for _, e := range first {
		if err := fs.apply(ctx, e); err != nil {
			return nil, err
		}
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	fs.cancel = cancel
	go fs.run(rctx, later)
	return fs, nil
}

// run logs each window as it opens and closes, and sends the faults that
// had to wait for their target to be free.
func (fs *faultSchedule) run(ctx context.Context, later []*scheduledFault) {
	defer close(fs.done)
	type event struct {
		at   time.Time
		what func()
	}
	var events []event
	for _, e := range fs.entries {
		events = append(events,
			event{e.start, func() { fs.logf("fault %s active (%s of the run)", describeFault(e), fs.since(e.start)) }},
			event{e.end, func() { fs.logf("fault %s over (%s of the run)", describeFault(e), fs.since(e.end)) }})
	}
	for _, e := range later {
		// Just after the previous window of the target ended (the portal
		// sweeps expired faults on use), well before this one starts.
		prevEnd := fs.t0
		for _, o := range fs.entries {
			if o != e && sharesTarget(o, e) && !o.end.After(e.start) && o.end.After(prevEnd) {
				prevEnd = o.end
			}
		}
		events = append(events, event{prevEnd.Add(time.Millisecond), func() {
			if err := fs.apply(ctx, e); err != nil {
				fs.mu.Lock()
				fs.errs = append(fs.errs, err)
				fs.mu.Unlock()
				fs.logf("%v", err)
			}
		}})
	}
	sort.SliceStable(events, func(i, j int) bool { return events[i].at.Before(events[j].at) })
	for _, ev := range events {
		if d := time.Until(ev.at); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
		}
		ev.what()
	}
}

// stop ends the schedule: faults not applied yet are never sent, and the
// windows still open or ahead are cleared on the portal (a Ctrl-C must not
// leave a portal faulted). It returns the errors the schedule met.
func (fs *faultSchedule) stop() error {
	fs.stopOnce.Do(func() {
		if fs.cancel != nil {
			fs.cancel()
			<-fs.done
		}
		now := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), faultAdminTimeout)
		defer cancel()
		fs.mu.Lock()
		defer fs.mu.Unlock()
		for _, e := range fs.entries {
			if len(e.applied) == 0 || !e.end.After(now) {
				continue
			}
			for _, t := range e.targets {
				if err := fs.clear(ctx, t); err != nil {
					fs.errs = append(fs.errs, err)
				}
			}
			fs.logf("fault %s cleared early (run ended at %s)", describeFault(e), fs.since(now))
		}
	})
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return errors.Join(fs.errs...)
}

// records returns the schedule as summary.json shows it, times relative to
// the run's start (the engine's started_at).
func (fs *faultSchedule) records(runStart time.Time) []metrics.FaultRecord {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]metrics.FaultRecord, 0, len(fs.entries))
	for _, e := range fs.entries {
		r := metrics.FaultRecord{
			Dependency: e.spec.Dependency, Route: e.spec.Route, Targets: append([]string(nil), e.targets...),
			Outage: e.spec.Outage, ErrorRate: e.spec.ErrorRate, LatencyMS: float64(e.spec.Latency.D()) / float64(time.Millisecond),
			Start: e.start, End: e.end,
			StartS: e.start.Sub(runStart).Seconds(), EndS: e.end.Sub(runStart).Seconds(),
		}
		if len(e.applied) > 0 {
			at := e.applied[0]
			r.AppliedAt = &at
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// apply sends one scheduled fault (each of its targets) to the portal.
func (fs *faultSchedule) apply(ctx context.Context, e *scheduledFault) error {
	for _, target := range e.targets {
		f := portalFault(e.spec, target, e.start, e.end)
		body, err := json.Marshal(f)
		if err != nil {
			return fmt.Errorf("fault schedule: faults[%d]: %w", e.index, err)
		}
		if err := fs.call(ctx, http.MethodPut, "/api/v1/admin/faults", body, http.StatusOK, nil); err != nil {
			return fmt.Errorf("fault schedule: set faults[%d] (%s): %w", e.index, target, err)
		}
		fs.mu.Lock()
		e.applied = append(e.applied, time.Now())
		fs.mu.Unlock()
	}
	fs.logf("fault %s set for %s–%s of the run", describeFault(e), fs.since(e.start), fs.since(e.end))
	return nil
}

func (fs *faultSchedule) clear(ctx context.Context, target string) error {
	err := fs.call(ctx, http.MethodDelete, "/api/v1/admin/faults/"+url.PathEscape(target), nil, http.StatusNoContent, nil)
	var se *statusError
	if errors.As(err, &se) && se.status == http.StatusNotFound {
		return nil // already over and swept
	}
	if err != nil {
		return fmt.Errorf("fault schedule: clear %s: %w", target, err)
	}
	return nil
}

// portalFault is the admin API's fault for one target of a scenario fault.
func portalFault(f scenario.Fault, target string, start, end time.Time) faults.Fault {
	out := faults.Fault{Target: target, ErrorRate: f.ErrorRate, Outage: f.Outage, Start: start, End: end}
	if f.Latency > 0 {
		out.Latency = faults.Latency{Dist: faults.Fixed, Mean: f.Latency.D()}
	}
	return out
}

// login signs in as the demo admin with the simulator's dev OTP.
func (fs *faultSchedule) login(ctx context.Context) error {
	var challenge struct {
		ChallengeID string `json:"challenge_id"`
		DevOTP      string `json:"dev_otp"`
	}
	body, _ := json.Marshal(map[string]string{"personal_id": AdminPersonalID})
	if err := fs.call(ctx, http.MethodPost, "/api/v1/auth/otp", body, http.StatusOK, &challenge); err != nil {
		return err
	}
	if challenge.DevOTP == "" {
		return errors.New("the portal gives no dev_otp: fault schedules need a portal in simulator mode")
	}
	var session struct {
		Token string `json:"token"`
		Role  string `json:"role"`
	}
	body, _ = json.Marshal(map[string]string{"challenge_id": challenge.ChallengeID, "otp": challenge.DevOTP})
	if err := fs.call(ctx, http.MethodPost, "/api/v1/auth/login", body, http.StatusOK, &session); err != nil {
		return err
	}
	if session.Role != "admin" {
		return fmt.Errorf("signed in with role %q, want admin", session.Role)
	}
	fs.token = session.Token
	return nil
}

// routeMethods reads the portal's OpenAPI document: gin pattern → methods.
func (fs *faultSchedule) routeMethods(ctx context.Context) (map[string][]string, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := fs.call(ctx, http.MethodGet, "/openapi.json", nil, http.StatusOK, &doc); err != nil {
		return nil, fmt.Errorf("read the portal's routes: %w", err)
	}
	out := map[string][]string{}
	for path, item := range doc.Paths {
		for m := range item {
			switch m = strings.ToUpper(m); m {
			case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
				out[ginPattern(path)] = append(out[ginPattern(path)], m)
			}
		}
	}
	for _, ms := range out {
		sort.Strings(ms)
	}
	return out, nil
}

var openAPIParam = regexp.MustCompile(`\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// ginPattern turns an OpenAPI path (/dossiers/{id}) into a gin pattern
// (/dossiers/:id); gin patterns pass through.
func ginPattern(path string) string { return openAPIParam.ReplaceAllString(path, ":$1") }

type statusError struct {
	status int
	body   string
}

func (e *statusError) Error() string { return fmt.Sprintf("status %d: %s", e.status, e.body) }

// call sends one admin request and decodes the JSON answer into out.
func (fs *faultSchedule) call(ctx context.Context, method, path string, body []byte, want int, out any) error {
	ctx, cancel := context.WithTimeout(ctx, faultAdminTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, fs.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if fs.token != "" {
		req.Header.Set("Authorization", "Bearer "+fs.token)
	}
	resp, err := fs.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %w", method, path, &statusError{status: resp.StatusCode, body: strings.TrimSpace(string(b))})
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, path, err)
		}
	}
	return nil
}

// checkOverlaps refuses two faults on one target at once: the portal holds
// one fault per target, so the second would silently replace the first.
func checkOverlaps(entries []*scheduledFault) error {
	for i, a := range entries {
		for _, b := range entries[i+1:] {
			if sharesTarget(a, b) && a.start.Before(b.end) && b.start.Before(a.end) {
				return fmt.Errorf("faults[%d] and faults[%d] overlap on %s: the portal holds one fault per target, so give them separate windows (or one fault with both effects)", a.index, b.index, strings.Join(commonTargets(a, b), ", "))
			}
		}
	}
	return nil
}

func sharesTarget(a, b *scheduledFault) bool { return len(commonTargets(a, b)) > 0 }

func commonTargets(a, b *scheduledFault) []string {
	var out []string
	for _, x := range a.targets {
		for _, y := range b.targets {
			if x == y {
				out = append(out, x)
			}
		}
	}
	return out
}

// describeFault is a fault for log lines: "payment outage", "POST /x error_rate 0.5".
func describeFault(e *scheduledFault) string {
	what := e.spec.Dependency
	if what == "" {
		what = e.spec.Route
	}
	var kinds []string
	if e.spec.Outage {
		kinds = append(kinds, "outage")
	}
	if e.spec.ErrorRate > 0 {
		kinds = append(kinds, fmt.Sprintf("error_rate %g", e.spec.ErrorRate))
	}
	if e.spec.Latency > 0 {
		kinds = append(kinds, "latency "+e.spec.Latency.D().String())
	}
	return fmt.Sprintf("faults[%d] %s %s", e.index, what, strings.Join(kinds, " + "))
}

func (fs *faultSchedule) since(t time.Time) string {
	return t.Sub(fs.t0).Round(100 * time.Millisecond).String()
}

func (fs *faultSchedule) logf(format string, args ...any) {
	if fs.log == nil {
		return
	}
	fmt.Fprintf(fs.log, "portalsim: "+format+"\n", args...)
}
