// Package backoffice is the simulated back office: a pool of officers who
// work the dossier queue on the (usually accelerated) simulated clock,
// during working hours only, through portal.DossierService like any human
// officer, so every lifecycle rule applies to them too.
package backoffice

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/mock"
)

// Step is what one call of Pool.Work did.
type Step string

// Steps of an officer.
const (
	StepOffDuty          Step = "off_duty"          // outside working hours: nothing touched
	StepIdle             Step = "idle"              // no dossier to work on
	StepRefused          Step = "refused"           // refused at intake, with a reason
	StepIntakeSupplement Step = "intake_supplement" // supplement asked at intake
	StepSupplement       Step = "supplement"        // supplement asked during processing
	StepRejected         Step = "rejected"          // rejected after processing
	StepApproved         Step = "approved"          // approved; the e-result could not be issued yet
	StepIssued           Step = "issued"            // result issued (and completed with CompleteOnIssue)
	StepSkipped          Step = "skipped"           // someone else changed the dossier first
)

// Reasons officers give; the service requires one for refusals, rejections
// and supplement requests.
const (
	NoteReceived   = "Tiếp nhận hồ sơ, hẹn trả kết quả (mẫu 01) / received, appointment slip issued"
	NoteProcessing = "Chuyển xử lý / passed for processing"
	NoteRefused    = "Từ chối tiếp nhận: không thuộc thẩm quyền giải quyết (mẫu 03) / refused at intake: not within this agency's competence"
	NoteIntakeSupp = "Yêu cầu bổ sung (mẫu 02): bản chụp giấy tờ chưa rõ nét / supplement: the attached copy is illegible"
	NoteSupplement = "Yêu cầu bổ sung (mẫu 02): thiếu thông tin xác minh / supplement: verification details are missing"
	NoteRejected   = "Không giải quyết: không đủ điều kiện theo quy định / rejected: the conditions of the procedure are not met"
	NoteApproved   = "Phê duyệt / approved"
	NoteCompleted  = "Trả kết quả vào kho dữ liệu điện tử của công dân / returned to the citizen's e-data store"
	NoteCitizen    = "Đã bổ sung hồ sơ / supplement provided"
)

// systemPrincipal is the portal itself, which issues and returns results.
func systemPrincipal() portal.Principal {
	return portal.Principal{UserID: "system", Role: portal.RoleSystem, Name: "Cổng Dịch vụ công"}
}

// Pool is the simulated back office.
type Pool struct {
	cfg      Config
	svc      *portal.DossierService
	sleep    Sleeper
	log      *slog.Logger
	since    time.Time // simulated: utilisation counts working time from here
	officers []*officer
	queue    queue

	wakeMu sync.Mutex
	wakeCh chan struct{}

	mu     sync.Mutex // counters below
	totals totals

	runMu   sync.Mutex
	started bool
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type officer struct {
	who portal.Principal
	rng *rand.Rand // used only by this officer's goroutine

	// guarded by Pool.mu
	busy                                                  time.Duration
	handled, received, refused, supps, rejected, approved int
	current                                               string
}

type totals struct {
	issued, issueFailures, completed, conflicts, errors, citizenSupplements int
}

// New returns a pool of officers working through svc, whose Clock and
// Calendar give the simulated time and working hours.
func New(svc *portal.DossierService, cfg Config) (*Pool, error) {
	if svc == nil || svc.Store == nil || svc.Clock == nil || svc.Calendar == nil || svc.Catalog == nil {
		return nil, errors.New("back office: the dossier service needs a store, catalog, clock and calendar")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("back office config: %w", err)
	}
	p := &Pool{cfg: cfg, svc: svc, sleep: cfg.Sleep, log: cfg.Logger, since: svc.Clock.Now(),
		wakeCh: make(chan struct{})}
	if p.sleep == nil {
		p.sleep = RealSleeper(svc.Clock)
	}
	if p.log == nil {
		p.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	p.queue.claimed = map[string]string{}
	for i := range cfg.Officers {
		who := portal.Principal{
			UserID: fmt.Sprintf("%s-%02d", cfg.OfficerIDPrefix, i+1),
			Role:   portal.RoleOfficer,
			Name:   fmt.Sprintf("Cán bộ mô phỏng %d", i+1),
		}
		p.officers = append(p.officers, &officer{who: who, rng: rand.New(rand.NewPCG(cfg.Seed, uint64(i)))})
	}
	return p, nil
}

// Officers returns the principals the simulated officers act as.
func (p *Pool) Officers() []portal.Principal {
	out := make([]portal.Principal, len(p.officers))
	for i, o := range p.officers {
		out[i] = o.who
	}
	return out
}

// Start runs every officer (and the simulated citizens, if configured) in
// the background until ctx ends or Stop is called.
func (p *Pool) Start(ctx context.Context) error {
	p.runMu.Lock()
	defer p.runMu.Unlock()
	if p.started {
		return errors.New("back office already started")
	}
	p.started = true
	ctx, p.cancel = context.WithCancel(ctx)
	for i := range p.officers {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.runOfficer(ctx, i)
		}()
	}
	if p.cfg.Citizen != nil {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.runCitizens(ctx)
		}()
	}
	return nil
}

// Stop interrupts waiting and handling, lets a store action in flight
// finish, and returns when every officer has stopped. A dossier whose
// handling was interrupted stays in its last saved state, unclaimed, and
// is picked up again by the next pool.
func (p *Pool) Stop() {
	p.runMu.Lock()
	cancel := p.cancel
	p.runMu.Unlock()
	if cancel != nil {
		cancel()
	}
	p.wg.Wait()
}

// Wake tells idle officers that new work may be queued (a submission, a
// payment, a supplement), so they look now instead of at their next poll.
func (p *Pool) Wake() {
	p.queue.mu.Lock()
	p.queue.nextScan = time.Time{}
	p.queue.mu.Unlock()
	p.wakeMu.Lock()
	close(p.wakeCh)
	p.wakeCh = make(chan struct{})
	p.wakeMu.Unlock()
}

func (p *Pool) wakeChan() <-chan struct{} {
	p.wakeMu.Lock()
	defer p.wakeMu.Unlock()
	return p.wakeCh
}

func (p *Pool) runOfficer(ctx context.Context, i int) {
	cal := p.svc.Calendar
	for ctx.Err() == nil {
		now := p.svc.Clock.Now()
		if !cal.IsWorkingTime(now) {
			_ = p.sleep(ctx, cal.NextWorkingTime(now))
			continue
		}
		wake := p.wakeChan()
		step, err := p.Work(ctx, i)
		if err != nil && ctx.Err() == nil {
			p.count(func(t *totals) { t.errors++ })
			p.log.Warn("back office step failed", "officer", p.officers[i].who.UserID, "err", err)
		}
		// An approval whose e-result could not be issued means the signer is
		// down: back off like an idle officer instead of retrying at once.
		if step == StepIdle || step == StepApproved || err != nil {
			p.idle(ctx, wake)
		}
	}
}

// idle waits one poll interval (simulated, with the real-time floor) or
// until woken.
func (p *Pool) idle(ctx context.Context, wake <-chan struct{}) {
	wait := p.cfg.PollInterval
	if floor := time.Duration(float64(p.cfg.MinRealPoll) * speedOf(p.svc.Clock)); floor > wait {
		wait = floor
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-wake:
			cancel()
		case <-ctx.Done():
		}
	}()
	_ = p.sleep(ctx, p.svc.Clock.Now().Add(wait))
}

// Work has officer i do one step: claim the oldest dossier that needs an
// officer and work it until it waits for someone else (the citizen, the
// signer) or is settled. Outside working hours it does nothing. Calls for
// the same officer must not overlap; the pool's own loop uses it the same
// way tests drive it step by step.
func (p *Pool) Work(ctx context.Context, i int) (Step, error) {
	if i < 0 || i >= len(p.officers) {
		return "", fmt.Errorf("officer %d: the pool has %d officers", i, len(p.officers))
	}
	if !p.svc.Calendar.IsWorkingTime(p.svc.Clock.Now()) {
		return StepOffDuty, nil
	}
	o := p.officers[i]
	d, err := p.claim(ctx, o)
	if err != nil || d == nil {
		return StepIdle, err
	}
	defer p.release(o, d.ID)
	step, err := p.handle(ctx, o, d)
	if code := portal.ErrorCode(err); code == portal.ECONFLICT || code == portal.ENOTFOUND {
		// A human officer or the citizen (withdrawal) moved it first.
		p.count(func(t *totals) { t.conflicts++ })
		return StepSkipped, nil
	}
	if err == nil {
		p.mu.Lock()
		o.handled++
		p.mu.Unlock()
	}
	return step, err
}

func (p *Pool) handle(ctx context.Context, o *officer, d *portal.Dossier) (Step, error) {
	prof := p.profile(d.ProcedureCode)
	switch d.Status {
	case portal.StatusSubmitted:
		return p.intake(ctx, o, d, prof)
	case portal.StatusReceived:
		if _, err := p.act(ctx, o, d.ID, portal.StatusProcessing, NoteProcessing); err != nil {
			return "", err
		}
		return p.process(ctx, o, d, prof, 1)
	case portal.StatusProcessing:
		// Resumed after a supplement: checking what was added takes about
		// half a first examination.
		return p.process(ctx, o, d, prof, 0.5)
	case portal.StatusApproved:
		if _, err := p.IssueResult(ctx, d.ID); err != nil {
			if portal.ErrorCode(err) == portal.EUNAVAILABLE {
				return StepApproved, nil
			}
			return "", err
		}
		return StepIssued, nil
	}
	return StepSkipped, nil
}

func (p *Pool) intake(ctx context.Context, o *officer, d *portal.Dossier, prof Profile) (Step, error) {
	if err := p.work(ctx, o, draw(o.rng, prof.IntakeMean, prof.Sigma)); err != nil {
		return "", err
	}
	r := o.rng.Float64()
	switch {
	case r < prof.PIntakeRefuse:
		if _, err := p.act(ctx, o, d.ID, portal.StatusRejected, NoteRefused); err != nil {
			return "", err
		}
		p.tally(o, func(o *officer) { o.refused++ })
		return StepRefused, nil
	case r < prof.PIntakeRefuse+prof.PIntakeSupplement && d.Supplements == 0:
		if _, err := p.act(ctx, o, d.ID, portal.StatusSupplementRequested, NoteIntakeSupp); err != nil {
			return "", err
		}
		p.tally(o, func(o *officer) { o.supps++ })
		return StepIntakeSupplement, nil
	}
	if _, err := p.act(ctx, o, d.ID, portal.StatusReceived, NoteReceived); err != nil {
		return "", err
	}
	p.tally(o, func(o *officer) { o.received++ })
	if _, err := p.act(ctx, o, d.ID, portal.StatusProcessing, NoteProcessing); err != nil {
		return "", err
	}
	return p.process(ctx, o, d, prof, 1)
}

func (p *Pool) process(ctx context.Context, o *officer, d *portal.Dossier, prof Profile, share float64) (Step, error) {
	mean := prof.HandlingMean
	if mean == 0 {
		if proc, ok := p.svc.Catalog.Procedure(d.ProcedureCode); ok {
			mean = DefaultHandlingMean(proc)
		} else {
			mean = DefaultHandlingMean(&portal.Procedure{})
		}
	}
	if err := p.work(ctx, o, time.Duration(float64(draw(o.rng, mean, prof.Sigma))*share)); err != nil {
		return "", err
	}
	// Two draws every time, so one officer's sequence does not depend on
	// the dossier's supplement history.
	supp, rej := o.rng.Float64(), o.rng.Float64()
	switch {
	case supp < prof.PSupplement && d.Supplements == 0:
		if _, err := p.act(ctx, o, d.ID, portal.StatusSupplementRequested, NoteSupplement); err != nil {
			return "", err
		}
		p.tally(o, func(o *officer) { o.supps++ })
		return StepSupplement, nil
	case rej < prof.PReject:
		if _, err := p.act(ctx, o, d.ID, portal.StatusRejected, NoteRejected); err != nil {
			return "", err
		}
		p.tally(o, func(o *officer) { o.rejected++ })
		return StepRejected, nil
	}
	if _, err := p.act(ctx, o, d.ID, portal.StatusApproved, NoteApproved); err != nil {
		return "", err
	}
	p.tally(o, func(o *officer) { o.approved++ })
	if _, err := p.IssueResult(ctx, d.ID); err != nil {
		if portal.ErrorCode(err) == portal.EUNAVAILABLE {
			return StepApproved, nil // retried from the queue at a later poll
		}
		return StepApproved, err
	}
	return StepIssued, nil
}

// IssueResult issues the e-result of an approved dossier as the portal
// (RoleSystem): the signer must sign it first, so a signer outage
// (EUNAVAILABLE) leaves the dossier approved, to be retried. With
// CompleteOnIssue the dossier is then completed. The signed document is
// not stored: mock.NewResultDocument rebuilds it from the dossier and
// signing is deterministic. The officer API's approve handler may call
// this too; whoever comes second gets ECONFLICT.
func (p *Pool) IssueResult(ctx context.Context, id string) (*portal.Dossier, error) {
	signCtx := ctx                   // a slow signer is interrupted by Stop: the dossier stays approved
	ctx = context.WithoutCancel(ctx) // store actions started during shutdown finish
	d, err := p.svc.Get(ctx, systemPrincipal(), id)
	if err != nil {
		return nil, err
	}
	if d.Status != portal.StatusApproved {
		return nil, portal.Errorf(portal.ECONFLICT, "dossier %s is %s; only approved dossiers get a result", d.Code, d.Status)
	}
	if p.cfg.Issue != nil {
		if _, err := p.cfg.Issue(signCtx, id); err != nil {
			if portal.ErrorCode(err) == portal.EUNAVAILABLE {
				p.count(func(t *totals) { t.issueFailures++ })
			}
			return nil, fmt.Errorf("issue result of %s: %w", d.Code, err)
		}
		return p.afterIssue(ctx, id)
	}
	note := "Cấp kết quả điện tử / e-result issued"
	if p.cfg.Signer != nil {
		proc, ok := p.svc.Catalog.Procedure(d.ProcedureCode)
		if !ok {
			return nil, portal.Errorf(portal.ECONFLICT, "procedure %s is no longer in the catalogue", d.ProcedureCode)
		}
		preview := *d
		now := p.svc.Clock.Now()
		preview.ResultAt, preview.Status = &now, portal.StatusResultIssued
		doc, err := mock.NewResultDocument(&preview, proc)
		if err != nil {
			return nil, err
		}
		signed, err := p.cfg.Signer.SignContext(signCtx, doc)
		if err != nil {
			p.count(func(t *totals) { t.issueFailures++ })
			return nil, fmt.Errorf("issue result of %s: %w", d.Code, err)
		}
		note = fmt.Sprintf("Cấp kết quả điện tử %s, ký số %s khóa %s / e-result issued and signed", doc.DocumentNumber, signed.Algorithm, signed.KeyID)
	}
	if _, err = p.svc.Act(ctx, systemPrincipal(), id, portal.StatusResultIssued, note); err != nil {
		return nil, err
	}
	return p.afterIssue(ctx, id)
}

// afterIssue counts an issued result and, with CompleteOnIssue, completes the dossier.
func (p *Pool) afterIssue(ctx context.Context, id string) (*portal.Dossier, error) {
	p.count(func(t *totals) { t.issued++ })
	if !p.cfg.CompleteOnIssue {
		return p.svc.Get(ctx, systemPrincipal(), id)
	}
	d, err := p.svc.Act(ctx, systemPrincipal(), id, portal.StatusCompleted, NoteCompleted)
	if err != nil {
		return nil, err
	}
	p.count(func(t *totals) { t.completed++ })
	return d, nil
}

// act moves a dossier as the officer. Store actions are not cancelled by
// Stop: the step in flight finishes, only waiting is interrupted.
func (p *Pool) act(ctx context.Context, o *officer, id string, to portal.Status, note string) (*portal.Dossier, error) {
	d, err := p.svc.Act(context.WithoutCancel(ctx), o.who, id, to, note)
	if err != nil {
		return nil, fmt.Errorf("%s moves %s to %s: %w", o.who.UserID, id, to, err)
	}
	p.log.Debug("back office", "officer", o.who.UserID, "dossier", d.Code, "status", to)
	return d, nil
}

// work spends d of working time on the current dossier: the clock only
// counts inside working shifts, so a task not finished at 17:00 goes on
// the next working morning.
func (p *Pool) work(ctx context.Context, o *officer, d time.Duration) error {
	cal := p.svc.Calendar
	for d > 0 {
		now := p.svc.Clock.Now()
		if !cal.IsWorkingTime(now) {
			if err := p.sleep(ctx, cal.NextWorkingTime(now)); err != nil {
				return err
			}
			continue
		}
		chunk := min(d, shiftEnd(cal, now).Sub(now))
		if err := p.sleep(ctx, now.Add(chunk)); err != nil {
			return err
		}
		p.mu.Lock()
		o.busy += chunk
		p.mu.Unlock()
		d -= chunk
	}
	return nil
}

// draw returns a log-normal duration with the given mean (capped at ten
// times the mean so one unlucky draw cannot stall an officer for a month).
func draw(rng *rand.Rand, mean time.Duration, sigma float64) time.Duration {
	if mean <= 0 {
		return 0
	}
	if sigma == 0 {
		return mean
	}
	mu := math.Log(float64(mean)) - sigma*sigma/2
	x := math.Exp(mu + sigma*rng.NormFloat64())
	return time.Duration(min(x, 10*float64(mean)))
}

func (p *Pool) profile(code string) Profile {
	if prof, ok := p.cfg.Procedures[code]; ok {
		return prof
	}
	return p.cfg.Profile
}

func (p *Pool) count(f func(t *totals)) {
	p.mu.Lock()
	f(&p.totals)
	p.mu.Unlock()
}

func (p *Pool) tally(o *officer, f func(o *officer)) {
	p.mu.Lock()
	f(o)
	p.mu.Unlock()
}
