package backoffice

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/mock"
	"github.com/portalsim/portalsim/portal/sqlite"
)

// testCatalog holds three procedures with known deadlines and fees.
type testCatalog map[string]*portal.Procedure

func (c testCatalog) Procedure(code string) (*portal.Procedure, bool)         { p, ok := c[code]; return p, ok }
func (c testCatalog) Search(portal.ProcedureQuery) ([]*portal.Procedure, int) { return nil, 0 }
func (c testCatalog) Len() int                                                { return len(c) }

func newTestCatalog() testCatalog {
	fields := []portal.FormField{{Name: "ho_ten", Type: portal.FieldText, Required: true, Prefill: "full_name"}}
	proc := func(code string, days, cutoff int, fee int64) *portal.Procedure {
		return &portal.Procedure{Code: code, NameVI: "Thủ tục " + code, NameEN: "Procedure " + code,
			AgencyVI: "UBND xã Thử Nghiệm", AgencyCode: "000.00.13.H56", ProcessingDays: days,
			CutoffMinutes: cutoff, Fee: fee, FullProcess: true, Fields: fields}
	}
	return testCatalog{
		"T.SAMEDAY": proc("T.SAMEDAY", 0, 15*60, 0), // civil status: after 15:00 counts from the next day
		"T.FIVE":    proc("T.FIVE", 5, 0, 0),
		"T.FEE":     proc("T.FEE", 3, 0, 10000),
	}
}

// monday is 24 Nov 2025, an ordinary working Monday.
func monday(hour, minute int) time.Time {
	return time.Date(2025, 11, 24, hour, minute, 0, 0, portal.VietnamTime)
}

type fixture struct {
	store  portal.DossierStore
	svc    *portal.DossierService
	clock  *portal.ManualClock
	signer *mock.Signer
}

func newFixture(start time.Time) *fixture { return newFixtureWith(newMemStore(), start) }

// sqliteStore opens the real store in a temporary directory.
func sqliteStore(t testing.TB) portal.DossierStore {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "portal.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// stores are the DossierStores the pool is tested on.
func stores() map[string]func(t testing.TB) portal.DossierStore {
	return map[string]func(t testing.TB) portal.DossierStore{
		"memory": func(testing.TB) portal.DossierStore { return newMemStore() },
		"sqlite": sqliteStore,
	}
}

func newFixtureWith(store portal.DossierStore, start time.Time) *fixture {
	f := &fixture{store: store, clock: portal.NewManualClock(start),
		signer: mock.NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))}
	f.svc = &portal.DossierService{Store: f.store, Catalog: newTestCatalog(), Clock: f.clock, Calendar: portal.DefaultCalendar()}
	return f
}

// stepConfig is one officer on the manual clock with exact times and no randomness left in the outcome.
func (f *fixture) stepConfig(prof Profile) Config {
	cfg := DefaultConfig()
	cfg.Officers, cfg.Profile, cfg.MinRealPoll = 1, prof, -1
	cfg.Signer, cfg.Sleep = f.signer, JumpSleeper(f.clock)
	return cfg
}

func citizen(i int) portal.Principal {
	return portal.Principal{UserID: fmt.Sprintf("001090%06d", i), Role: portal.RoleCitizen}
}

func (f *fixture) submit(t testing.TB, who portal.Principal, code string) *portal.Dossier {
	t.Helper()
	ctx := context.Background()
	d, err := f.svc.CreateDraft(ctx, who, code, map[string]string{"ho_ten": "Nguyễn Văn An"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = f.svc.Submit(ctx, who, d.ID); err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *fixture) get(t testing.TB, id string) *portal.Dossier {
	t.Helper()
	d, err := f.store.Dossier(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustWork(t *testing.T, p *Pool, want Step) {
	t.Helper()
	got, err := p.Work(context.Background(), 0)
	if err != nil || got != want {
		t.Fatalf("Work = %q, %v; want %q", got, err, want)
	}
}

func TestDossierThroughEveryStateWithSupplement(t *testing.T) {
	for name, store := range stores() {
		t.Run(name, func(t *testing.T) { testEveryState(t, newFixtureWith(store(t), monday(8, 0))) })
	}
}

func testEveryState(t *testing.T, f *fixture) {
	pool, err := New(f.svc, f.stepConfig(Profile{IntakeMean: 30 * time.Minute, HandlingMean: 2 * time.Hour, PSupplement: 1}))
	if err != nil {
		t.Fatal(err)
	}
	owner := citizen(123)
	d := f.submit(t, owner, "T.FIVE")
	cal := f.svc.Calendar
	if want := cal.AppointmentDate(monday(8, 0), 5, 0); !d.AppointmentAt.Equal(want) {
		t.Fatalf("appointment %v, want %v", d.AppointmentAt, want)
	}

	mustWork(t, pool, StepSupplement) // intake 30 min, examination 2 h, supplement asked at 10:30
	d = f.get(t, d.ID)
	if d.Status != portal.StatusSupplementRequested || d.Supplements != 1 || !f.clock.Now().Equal(monday(10, 30)) {
		t.Fatalf("after processing: %s, %d supplements at %v", d.Status, d.Supplements, f.clock.Now())
	}
	mustWork(t, pool, StepIdle) // the dossier waits for the citizen

	f.clock.Set(monday(8, 0).AddDate(0, 0, 1).Add(time.Hour)) // Tuesday 09:00
	if _, err := f.svc.Supplement(context.Background(), owner, d.ID, "đã bổ sung"); err != nil {
		t.Fatal(err)
	}
	mustWork(t, pool, StepIssued) // half an examination, approved, issued, completed

	d = f.get(t, d.ID)
	var got []string
	for _, h := range d.History {
		got = append(got, string(h.To)+"/"+string(h.ActorRole))
	}
	want := "submitted/citizen received/officer processing/officer supplement_requested/officer processing/citizen " +
		"approved/officer result_issued/system completed/system"
	if strings.Join(got, " ") != want {
		t.Fatalf("history\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	tuesday10 := monday(10, 0).AddDate(0, 0, 1)
	if !d.DecidedAt.Equal(tuesday10) || !d.ResultAt.Equal(tuesday10) || !d.CompletedAt.Equal(tuesday10) {
		t.Errorf("decided %v, result %v, completed %v; want all %v", d.DecidedAt, d.ResultAt, d.CompletedAt, tuesday10)
	}
	// The deadline restarts from the completed dossier.
	if want := cal.AppointmentDate(tuesday10.Add(-time.Hour), 5, 0); !d.AppointmentAt.Equal(want) {
		t.Errorf("appointment after the supplement %v, want %v", d.AppointmentAt, want)
	}
	if d.OnTime == nil || !*d.OnTime {
		t.Errorf("on_time = %v, want true", d.OnTime)
	}
	if d.AssigneeID != "sim-officer-01" {
		t.Errorf("assignee %q", d.AssigneeID)
	}
	for _, h := range d.History {
		if (h.To == portal.StatusSupplementRequested || h.To == portal.StatusRejected) && h.Note == "" {
			t.Errorf("%s without a reason", h.To)
		}
	}
	if note := d.History[6].Note; !strings.Contains(note, mock.ResultDocumentNumber(d.Code)) || !strings.Contains(note, f.signer.KeyID()) {
		t.Errorf("issue note %q does not name the document and key", note)
	}
	// The download endpoint rebuilds and re-signs the document; it verifies.
	doc, err := mock.NewResultDocument(d, newTestCatalog()["T.FIVE"])
	if err != nil {
		t.Fatal(err)
	}
	signed, err := f.signer.Sign(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.signer.Verify(signed); err != nil || doc.ApplicantName != "Nguyễn Văn An" || !doc.IssuedAt.Equal(tuesday10) {
		t.Errorf("e-result %+v: %v", doc, err)
	}

	s := pool.Stats()
	if o := s.Officers[0]; o.Busy != 3*time.Hour+30*time.Minute || o.Received != 1 || o.Approved != 1 || o.Supplements != 1 {
		t.Errorf("officer stats %+v", o)
	}
	if s.ResultsIssued != 1 || s.Completed != 1 || s.Conflicts != 0 || s.InProgress != 0 {
		t.Errorf("pool stats %+v", s)
	}
}

func TestOnTimeAgainstAppointment(t *testing.T) {
	tests := []struct {
		name        string
		submitAt    time.Time
		handling    time.Duration
		wantDecided time.Time
		wantOnTime  bool
	}{
		// Same-day procedure submitted after the 15:00 cut-off: due Tuesday 17:00.
		// Intake 16:00–16:30; handling continues only in working hours.
		{"decided next morning", monday(16, 0), time.Hour, monday(8, 0).AddDate(0, 0, 1), true},
		{"decided on the due day's last minute", monday(16, 0), 30*time.Minute + 8*time.Hour, monday(17, 0).AddDate(0, 0, 1), true},
		{"decided the day after", monday(16, 0), 10 * time.Hour, monday(9, 0).AddDate(0, 0, 2), false},
		// Before the cut-off it is due the same day.
		{"same day before cut-off", monday(9, 0), time.Hour, monday(10, 30), true},
		{"same day, finished after closing", monday(14, 0), 3 * time.Hour, monday(8, 0).AddDate(0, 0, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(tt.submitAt)
			pool, err := New(f.svc, f.stepConfig(Profile{IntakeMean: 30 * time.Minute, HandlingMean: tt.handling}))
			if err != nil {
				t.Fatal(err)
			}
			d := f.submit(t, citizen(1), "T.SAMEDAY")
			mustWork(t, pool, StepIssued)
			d = f.get(t, d.ID)
			if !d.DecidedAt.Equal(tt.wantDecided) {
				t.Errorf("decided %v, want %v (appointment %v)", d.DecidedAt, tt.wantDecided, d.AppointmentAt)
			}
			if d.OnTime == nil || *d.OnTime != tt.wantOnTime {
				t.Errorf("on_time %v, want %v (decided %v, appointment %v)", d.OnTime, tt.wantOnTime, d.DecidedAt, d.AppointmentAt)
			}
		})
	}
}

func TestUnpaidFeeWaitsAtIntake(t *testing.T) {
	f := newFixture(monday(8, 0))
	pool, _ := New(f.svc, f.stepConfig(Profile{IntakeMean: 10 * time.Minute, HandlingMean: time.Hour}))
	d := f.submit(t, citizen(2), "T.FEE")
	if d.PaymentStatus != portal.PaymentUnpaid {
		t.Fatalf("payment status %q", d.PaymentStatus)
	}
	mustWork(t, pool, StepIdle)
	if s := pool.Stats(); s.Unpaid != 1 || s.Waiting != 0 {
		t.Fatalf("stats %+v, want one unpaid and none waiting", s)
	}
	if _, err := f.store.UpdateDossier(context.Background(), d.ID, func(d *portal.Dossier) error {
		d.PaymentStatus = portal.PaymentPaid
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	mustWork(t, pool, StepIssued)
	if d = f.get(t, d.ID); d.Status != portal.StatusCompleted {
		t.Fatalf("status %s", d.Status)
	}
}

func TestUnpaidWallAtIntakeIsReported(t *testing.T) {
	f := newFixture(monday(8, 0))
	cfg := f.stepConfig(Profile{HandlingMean: time.Hour})
	cfg.ScanLimit = 3
	pool, _ := New(f.svc, cfg)
	for i := range 4 {
		f.submit(t, citizen(200+i), "T.FEE") // abandoned at the payment step
	}
	f.clock.Advance(time.Minute)
	paid := f.submit(t, citizen(300), "T.FIVE")
	mustWork(t, pool, StepIdle)
	if s := pool.Stats(); !s.IntakeTruncated || s.Unpaid != 3 {
		t.Fatalf("stats %+v, want the truncated intake scan reported", s)
	}
	cfg.ScanLimit = 10
	pool, _ = New(f.svc, cfg)
	mustWork(t, pool, StepIssued)
	if s := pool.Stats(); s.IntakeTruncated || s.Unpaid != 4 {
		t.Fatalf("stats %+v", s)
	}
	if d := f.get(t, paid.ID); d.Status != portal.StatusCompleted {
		t.Fatalf("%s", d.Status)
	}
}

func TestHumanOfficersWorkIsLeftAlone(t *testing.T) {
	f := newFixture(monday(8, 0))
	pool, _ := New(f.svc, f.stepConfig(Profile{HandlingMean: time.Hour}))
	human := portal.Principal{UserID: "001085000001", Role: portal.RoleOfficer, Name: "Cán bộ 1"}
	d := f.submit(t, citizen(7), "T.FIVE")
	if _, err := f.svc.Act(context.Background(), human, d.ID, portal.StatusReceived, "tiếp nhận"); err != nil {
		t.Fatal(err)
	}
	mustWork(t, pool, StepIdle)
	// Once the human approves, the portal issues the result whoever decided.
	for _, to := range []portal.Status{portal.StatusProcessing, portal.StatusApproved} {
		if _, err := f.svc.Act(context.Background(), human, d.ID, to, "ok"); err != nil {
			t.Fatal(err)
		}
	}
	mustWork(t, pool, StepIssued)
	if d = f.get(t, d.ID); d.Status != portal.StatusCompleted || d.AssigneeID != human.UserID {
		t.Fatalf("%s assigned to %q", d.Status, d.AssigneeID)
	}
}

func TestIntakeSupplementAnsweredBySimulatedCitizen(t *testing.T) {
	f := newFixture(monday(8, 0))
	cfg := f.stepConfig(Profile{IntakeMean: 10 * time.Minute, HandlingMean: time.Hour, PIntakeSupplement: 1})
	cfg.Citizen = &CitizenConfig{Delay: 2 * time.Hour}
	pool, _ := New(f.svc, cfg)
	d := f.submit(t, citizen(3), "T.FIVE")
	mustWork(t, pool, StepIntakeSupplement)
	if n, err := pool.AnswerSupplements(context.Background()); n != 0 || err != nil {
		t.Fatalf("answered %d, %v before the delay", n, err)
	}
	f.clock.Advance(2 * time.Hour)
	if n, err := pool.AnswerSupplements(context.Background()); n != 1 || err != nil {
		t.Fatalf("answered %d, %v after the delay", n, err)
	}
	if d = f.get(t, d.ID); d.Status != portal.StatusSubmitted {
		t.Fatalf("after the answer: %s, want back at intake", d.Status)
	}
	mustWork(t, pool, StepIssued) // a second supplement is never asked
	if d = f.get(t, d.ID); d.Supplements != 1 || d.Status != portal.StatusCompleted {
		t.Fatalf("%s with %d supplements", d.Status, d.Supplements)
	}
}

func TestSignerOutageLeavesDossierApproved(t *testing.T) {
	f := newFixture(monday(8, 0))
	pool, _ := New(f.svc, f.stepConfig(Profile{IntakeMean: 10 * time.Minute, HandlingMean: time.Hour}))
	var mu sync.Mutex
	down := true
	f.signer.Fail = func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return portal.Errorf(portal.EUNAVAILABLE, "signer outage")
		}
		return nil
	}
	d := f.submit(t, citizen(4), "T.FIVE")
	mustWork(t, pool, StepApproved)
	if d = f.get(t, d.ID); d.Status != portal.StatusApproved {
		t.Fatalf("status %s during the outage", d.Status)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	mustWork(t, pool, StepIssued) // retried from the queue
	if s := pool.Stats(); s.ResultFailures != 1 || s.ResultsIssued != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestSignerOutageDoesNotSpin(t *testing.T) {
	f := newFixture(monday(8, 0))
	var mu sync.Mutex
	calls := 0
	f.signer.Fail = func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return portal.Errorf(portal.EUNAVAILABLE, "signer outage")
	}
	for i := range 3 {
		f.submit(t, citizen(100+i), "T.FIVE")
	}
	f.svc.Clock = portal.NewAcceleratedClock(monday(8, 0), 14400)
	cfg := DefaultConfig()
	cfg.Officers, cfg.Signer = 2, f.signer
	cfg.Profile = Profile{IntakeMean: time.Minute, HandlingMean: time.Minute}
	pool, _ := New(f.svc, cfg) // idle officers poll every 100 ms real
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return calls
	}
	for deadline := time.Now().Add(10 * time.Second); count() < 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("signer asked %d times in 10 s; want every dossier tried", count())
		}
	}
	before := count()
	time.Sleep(300 * time.Millisecond)
	pool.Stop()
	// Each officer retries at most once per 100 ms poll.
	if more := count() - before; more > 10 {
		t.Fatalf("signer asked %d more times in 300 ms by 2 officers; want a back-off between tries", more)
	}
	if n, _ := f.store.CountByStatus(context.Background()); n[portal.StatusApproved] != 3 {
		t.Fatalf("statuses %v, want 3 approved", n)
	}
}

func TestOffDutyOutsideWorkingHours(t *testing.T) {
	saturday := monday(10, 0).AddDate(0, 0, -2)
	f := newFixture(saturday)
	pool, _ := New(f.svc, f.stepConfig(DefaultProfile()))
	d := f.submit(t, citizen(5), "T.FIVE")
	mustWork(t, pool, StepOffDuty)
	if got := f.get(t, d.ID); got.Status != portal.StatusSubmitted || !f.clock.Now().Equal(saturday) {
		t.Fatalf("off duty but %s at %v", got.Status, f.clock.Now())
	}

	// Running for real on a Saturday: the officers sleep until Monday and Stop wakes them.
	cfg := DefaultConfig()
	cfg.Officers = 3
	run, _ := New(f.svc, cfg)
	if err := run.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := f.get(t, d.ID); got.Status != portal.StatusSubmitted {
		t.Errorf("worked on a Saturday: %s", got.Status)
	}
	for _, o := range run.Stats().Officers {
		if o.Busy != 0 || o.Handled != 0 {
			t.Errorf("officer %s busy %v on a Saturday", o.ID, o.Busy)
		}
	}
	start := time.Now()
	run.Stop()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Stop took %v", took)
	}
}

func TestStopInterruptsHandlingPromptly(t *testing.T) {
	f := newFixture(monday(8, 0))
	cfg := DefaultConfig()
	cfg.Officers = 2
	cfg.Profile = Profile{HandlingMean: 8 * time.Hour} // a clock that does not move: handling never ends
	pool, _ := New(f.svc, cfg)
	d := f.submit(t, citizen(6), "T.FIVE")
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.get(t, d.ID).Status != portal.StatusProcessing {
		if time.Now().After(deadline) {
			t.Fatalf("never started processing: %s", f.get(t, d.ID).Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := pool.Stats(); s.InProgress != 1 {
		t.Fatalf("in progress %d", s.InProgress)
	}
	start := time.Now()
	pool.Stop()
	if took := time.Since(start); took > time.Second {
		t.Errorf("Stop took %v", took)
	}
	if s := pool.Stats(); s.InProgress != 0 || s.Errors != 0 {
		t.Errorf("after Stop: %+v", s)
	}
	if got := f.get(t, d.ID); got.Status != portal.StatusProcessing {
		t.Errorf("after Stop: %s, want the last saved state", got.Status)
	}
	// The next pool, even with one officer, picks the interrupted dossier up again.
	next, _ := New(f.svc, f.stepConfig(Profile{HandlingMean: time.Hour}))
	mustWork(t, next, StepIssued)
}

func TestNoDoubleProcessingUnderConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pool for about a second of real time")
	}
	for name, store := range stores() {
		t.Run(name, func(t *testing.T) { testNoDoubleProcessing(t, store(t)) })
	}
}

func testNoDoubleProcessing(t *testing.T, store portal.DossierStore) {
	const dossiers, officers = 200, 8
	start := monday(7, 30)
	f := newFixtureWith(store, start)
	for i := range dossiers {
		f.submit(t, citizen(i), "T.FIVE")
	}
	clock := portal.NewAcceleratedClock(start, 14400) // 8 simulated hours ≈ 2 s
	f.svc.Clock = clock
	// Store latency is multiplied by the speed in simulated time (1 ms real
	// = 14.4 s simulated), so on a loaded machine the run can spill past
	// 17:00, and a night costs 3.6 s real. This test is about claims, not
	// hours: the counter is open all day on weekdays.
	f.svc.Calendar.MorningStart, f.svc.Calendar.MorningEnd = 0, 12*60
	f.svc.Calendar.AfternoonStart, f.svc.Calendar.AfternoonEnd = 12*60, 24*60
	cfg := DefaultConfig()
	cfg.Officers = officers
	cfg.Profile = Profile{IntakeMean: 2 * time.Minute, HandlingMean: 6 * time.Minute, Sigma: 0.5, PIntakeRefuse: 0.05, PReject: 0.1}
	cfg.Signer = f.signer
	pool, err := New(f.svc, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pool.Stop()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, _ := f.store.CountByStatus(context.Background())
		if n[portal.StatusCompleted]+n[portal.StatusRejected] == dossiers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done after 60 s: %v, stats %+v", n, pool.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	pool.Stop()

	ds, _, _ := f.store.Dossiers(context.Background(), portal.DossierFilter{Limit: dossiers})
	for _, d := range ds {
		d = f.get(t, d.ID)
		officer := ""
		for _, h := range d.History {
			if h.ActorRole != portal.RoleOfficer {
				continue
			}
			if officer != "" && h.ActorID != officer {
				t.Fatalf("dossier %s handled by %s and %s", d.Code, officer, h.ActorID)
			}
			officer = h.ActorID
		}
		if officer == "" {
			t.Fatalf("dossier %s settled by no officer", d.Code)
		}
	}
	s := pool.Stats()
	handled, busy := 0, 0
	for _, o := range s.Officers {
		handled += o.Handled
		if o.Handled > 0 {
			busy++
		}
	}
	if handled != dossiers || s.Conflicts != 0 || s.Errors != 0 {
		t.Errorf("handled %d of %d, conflicts %d, errors %d", handled, dossiers, s.Conflicts, s.Errors)
	}
	if busy < officers/2 {
		t.Errorf("only %d of %d officers did any work", busy, officers)
	}
	if s.Utilisation <= 0 || s.Utilisation > 1 {
		t.Errorf("utilisation %v", s.Utilisation)
	}
	t.Logf("simulated %v of working time, utilisation %.2f", s.OnDuty, s.Utilisation)
}

func TestConfigValidateListsEveryProblem(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Officers, cfg.PollInterval = -1, 0
	cfg.Profile.PReject = 1.5
	cfg.Procedures = map[string]Profile{"X": {PIntakeRefuse: 0.6, PIntakeSupplement: 0.6}}
	err := cfg.Validate()
	for _, want := range []string{"officers: -1", "poll_interval", "profile.p_reject: 1.5", "procedures[X]: p_intake_refuse + p_intake_supplement"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v; want it to mention %q", err, want)
		}
	}
}

func TestWorkingDuration(t *testing.T) {
	cal := portal.DefaultCalendar()
	friday := monday(0, 0).AddDate(0, 0, -3)
	tests := []struct {
		from, to time.Time
		want     time.Duration
	}{
		{monday(7, 0), monday(18, 0), 8 * time.Hour},
		{monday(11, 0), monday(13, 30), time.Hour},
		{friday.Add(16 * time.Hour), monday(8, 30), 2 * time.Hour},
		{monday(18, 0), monday(7, 0), 0},
	}
	for _, tt := range tests {
		if got := workingDuration(cal, tt.from, tt.to); got != tt.want {
			t.Errorf("workingDuration(%v, %v) = %v, want %v", tt.from, tt.to, got, tt.want)
		}
	}
}
