package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/backoffice"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/faults"
	"github.com/portalsim/portalsim/portal/mock"
)

// temporaryResidence has an online fee (7,000 VND), three working days and
// no required attachment: it exercises payment without uploads.
const temporaryResidence = "1.004194"

func startWith(t testing.TB, cfg app.Config) *app.App {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Addr, cfg.Simulator = "127.0.0.1:0", true
	a, err := app.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return a
}

type fullDossier struct {
	ID              string `json:"id"`
	Code            string `json:"code"`
	ProcedureCode   string `json:"procedure_code"`
	Status          string `json:"status"`
	PaymentStatus   string `json:"payment_status"`
	AppointmentDate string `json:"appointment_date"`
	AppointmentAt   string `json:"appointment_at"`
	DecidedAt       string `json:"decided_at"`
	OnTime          *bool  `json:"on_time"`
	AssigneeID      string `json:"assignee_id"`
	Supplements     int    `json:"supplements"`
	History         []struct {
		From, To  string
		ActorID   string `json:"actor_id"`
		ActorRole string `json:"actor_role"`
		At        string `json:"at"`
	} `json:"history"`
}

// waitFor polls the dossier until it reaches status (real time bounded).
func waitFor(t *testing.T, c *apiClient, token, id, status string) fullDossier {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var d fullDossier
	for {
		c.expect(c.do("GET", "/api/v1/dossiers/"+id, token, nil), 200, "poll").JSON(t, &d)
		if d.Status == status {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("dossier %s is %s after 15 s, want %s; history %+v", d.Code, d.Status, status, d.History)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBackOfficeJourney walks one dossier through every state on the
// simulated clock with the back office running: submitted unpaid (held at
// intake), paid through the gateway, received, processing, a supplement
// requested and answered, processing again, approved, e-result issued and
// signed, downloaded (completed), verified, rated, counted in the
// indicators. Officers' probabilities are forced so the path is certain.
func TestBackOfficeJourney(t *testing.T) {
	prof := backoffice.Profile{IntakeMean: 10 * time.Minute, HandlingMean: 30 * time.Minute, PSupplement: 1}
	bcfg := backoffice.DefaultConfig()
	bcfg.Profile, bcfg.CompleteOnIssue, bcfg.MinRealPoll = prof, false, 10*time.Millisecond
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, portal.VietnamTime) // a Monday morning
	a := startWith(t, app.Config{Speed: 20000, SimStart: start, Officers: 2, BackOffice: &bcfg})
	c := newAPIClient(t, a.URL())
	cat, _ := catalog.Load()
	proc, _ := cat.Procedure(temporaryResidence)

	citizenID := mock.CitizenID(31)
	s := login(t, c, citizenID)
	person, err := a.Population.Person(context.Background(), citizenID)
	if err != nil {
		t.Fatal(err)
	}
	var d fullDossier
	c.expect(c.do("POST", "/api/v1/dossiers", s.Token, map[string]any{
		"procedure_code": temporaryResidence, "form": catalog.SampleForm(proc, person, a.Clock.Now())}), 201, "create").JSON(t, &d)
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/submit", s.Token, nil), 200, "submit").JSON(t, &d)
	if d.Status != "submitted" || d.PaymentStatus != "unpaid" {
		t.Fatalf("submitted %+v, want submitted with the fee unpaid", d)
	}
	// Unpaid, the dossier waits at intake however long the officers look.
	time.Sleep(150 * time.Millisecond) // ≈ 50 simulated minutes
	c.expect(c.do("GET", "/api/v1/dossiers/"+d.ID, s.Token, nil), 200, "unpaid").JSON(t, &d)
	if d.Status != "submitted" {
		t.Fatalf("an unpaid dossier was moved to %s", d.Status)
	}

	// Pay through the mock gateway: confirm, then the signed callback arrives.
	var pay struct {
		PaymentID  string `json:"payment_id"`
		ConfirmURL string `json:"confirm_url"`
	}
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/payments", s.Token, nil), 201, "start payment").JSON(t, &pay)
	confirm, err := url.Parse(pay.ConfirmURL)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", a.URL()+confirm.Path+"?"+confirm.RawQuery, strings.NewReader("action=pay"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("gateway confirm: %d", resp.StatusCode)
	}

	// The officers take it from here: intake, processing, a supplement request.
	d = waitFor(t, c, s.Token, d.ID, "supplement_requested")
	if d.PaymentStatus != "paid" || d.Supplements != 1 {
		t.Fatalf("at the supplement request %+v", d)
	}
	form := catalog.SampleForm(proc, person, a.Clock.Now())
	c.expect(c.do("PATCH", "/api/v1/dossiers/"+d.ID, s.Token, map[string]any{"form": form}), 200, "edit for the supplement")
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/supplement", s.Token, map[string]string{"note": "đã bổ sung"}), 200, "supplement").JSON(t, &d)
	if d.Status != "processing" {
		t.Fatalf("after the supplement the dossier is %s, want processing", d.Status)
	}
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/supplement", s.Token, nil), 409, "supplement twice")

	d = waitFor(t, c, s.Token, d.ID, "result_issued")
	want := []string{"draft>submitted", "submitted>received", "received>processing", "processing>supplement_requested",
		"supplement_requested>processing", "processing>approved", "approved>result_issued"}
	var got []string
	var supplementedAt time.Time
	for _, h := range d.History {
		got = append(got, h.From+">"+h.To)
		if h.From == "supplement_requested" {
			supplementedAt, _ = time.Parse(time.RFC3339, h.At)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("history %v,\nwant %v", got, want)
	}
	for _, h := range d.History[1:5] {
		if h.ActorRole == "officer" && !strings.HasPrefix(h.ActorID, "sim-officer-") {
			t.Errorf("transition %s>%s by %s, want a simulated officer", h.From, h.To, h.ActorID)
		}
	}
	// The processing time restarted from the completed dossier (Decree 61):
	// the appointment is three working days after the supplement.
	wantAppointment := portal.DefaultCalendar().AppointmentDate(supplementedAt, proc.ProcessingDays, proc.CutoffMinutes)
	if gotAt, _ := time.Parse(time.RFC3339, d.AppointmentAt); !gotAt.Equal(wantAppointment) {
		t.Errorf("appointment %s, want %s (3 working days after the supplement at %s)", d.AppointmentAt, wantAppointment, supplementedAt)
	}
	if d.OnTime == nil || !*d.OnTime {
		t.Errorf("on_time %v, want true: decided %s before the appointment %s", d.OnTime, d.DecidedAt, d.AppointmentAt)
	}
	if !a.Clock.Now().After(start.Add(time.Hour)) {
		t.Errorf("simulated clock at %s: it should have run hours ahead of %s", a.Clock.Now(), start)
	}

	// Download completes it; the signed result verifies.
	c.expect(c.do("GET", "/api/v1/results/"+d.Code, s.Token, nil), 200, "download result")
	var verified map[string]any
	c.expect(c.do("GET", "/api/v1/results/"+d.Code+"/verify", "", nil), 200, "verify").JSON(t, &verified)
	if verified["valid"] != true {
		t.Errorf("verification %v, want valid", verified)
	}
	d = waitFor(t, c, s.Token, d.ID, "completed")
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/rating", s.Token, map[string]any{"rating": 5, "comment": "nhanh"}), 200, "rate")

	var ind struct {
		Overall struct {
			Submitted        int                    `json:"submitted"`
			OnTime           struct{ Num, Den int } `json:"on_time"`
			OnlinePayment    struct{ Num, Den int } `json:"online_payment"`
			DigitisedResults struct{ Num, Den int } `json:"digitised_results"`
			Satisfaction     struct{ Num, Den int } `json:"satisfaction"`
			MeanRating       *float64               `json:"mean_rating"`
		} `json:"overall"`
		Score struct {
			Total *float64 `json:"total"`
			Band  string   `json:"band"`
		} `json:"score"`
		Procedures []struct {
			ProcedureCode string `json:"procedure_code"`
		} `json:"procedures"`
	}
	c.expect(c.do("GET", "/api/v1/indicators?procedure="+temporaryResidence, "", nil), 200, "indicators").JSON(t, &ind)
	o := ind.Overall
	if o.Submitted != 1 || o.OnTime.Num != 1 || o.OnTime.Den != 1 || o.OnlinePayment.Num != 1 || o.DigitisedResults.Num != 1 ||
		o.Satisfaction.Num != 1 || o.MeanRating == nil || *o.MeanRating != 5 || len(ind.Procedures) != 1 || ind.Score.Total == nil {
		t.Errorf("indicators %+v", ind)
	}
	from := start.Format(time.DateOnly)
	c.expect(c.do("GET", "/api/v1/indicators?from="+from+"&to="+from, "", nil), 200, "indicators for the first day")
	c.expect(c.do("GET", "/api/v1/indicators?from=yesterday", "", nil), 400, "bad indicator period")

	metrics := string(c.expect(c.do("GET", "/metrics", "", nil), 200, "metrics").Body)
	for _, series := range []string{
		`portalsim_http_request_duration_seconds_bucket{method="POST",route="/api/v1/dossiers/:id/submit",le="0.1"}`,
		`portalsim_http_requests_total{method="POST",route="/api/v1/dossiers/:id/submit",status="200"} 1`,
		`portalsim_http_in_flight`, `portalsim_http_shed_total 0`,
		`portalsim_dossiers{status="completed"} 1`,
		`portalsim_officer_queue_length`, `portalsim_officer_utilisation`,
		`portalsim_backoffice_officers 2`, `portalsim_backoffice_decisions_total{kind="supplement_requested"} 1`,
		`portalsim_payments_total{outcome="paid"} 1`,
	} {
		if !strings.Contains(metrics, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
}

// TestOfficerAPI: a human officer works a dossier through the officer
// API; citizens are refused; claims keep two officers apart.
func TestOfficerAPI(t *testing.T) {
	a := startWith(t, app.Config{})
	c := newAPIClient(t, a.URL())
	cat, _ := catalog.Load()
	proc, _ := cat.Procedure("1.004873") // marital-status certificate: free, no attachments
	citizenID := mock.CitizenID(41)
	person, _ := a.Population.Person(context.Background(), citizenID)
	s := login(t, c, citizenID)
	newSubmitted := func() fullDossier {
		var d fullDossier
		c.expect(c.do("POST", "/api/v1/dossiers", s.Token, map[string]any{
			"procedure_code": proc.Code, "form": catalog.SampleForm(proc, person, a.Clock.Now())}), 201, "create").JSON(t, &d)
		c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/submit", s.Token, nil), 200, "submit").JSON(t, &d)
		return d
	}
	d := newSubmitted()
	officer1, officer2 := login(t, c, "001085000001"), login(t, c, "001085000002")
	admin := login(t, c, "001080000001")

	act := func(token, id, action string, body any, want int) fullDossier {
		t.Helper()
		var out fullDossier
		r := c.expect(c.do("POST", "/api/v1/officer/dossiers/"+id+"/"+action, token, body), want, action)
		if want == 200 {
			r.JSON(t, &out)
		}
		return out
	}
	// Citizens are refused everywhere on the desk.
	c.expect(c.do("GET", "/api/v1/officer/queue", s.Token, nil), 403, "citizen queue")
	for _, action := range []string{"claim", "receive", "process", "approve"} {
		act(s.Token, d.ID, action, nil, 403)
	}
	act(s.Token, d.ID, "reject", map[string]string{"note": "x"}, 403)
	act(s.Token, d.ID, "request-supplement", map[string]string{"note": "x"}, 403)
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/supplement", officer1.Token, nil), 403, "officer answers a supplement")
	c.expect(c.do("GET", "/api/v1/officer/queue", "", nil), 401, "queue without a token")

	var queue struct {
		Items []fullDossier `json:"items"`
		Total int           `json:"total"`
	}
	c.expect(c.do("GET", "/api/v1/officer/queue?procedure="+proc.Code+"&page=1&per_page=10", officer1.Token, nil), 200, "queue").JSON(t, &queue)
	if queue.Total != 1 || queue.Items[0].ID != d.ID {
		t.Fatalf("queue %+v, want the submitted dossier", queue)
	}
	c.expect(c.do("GET", "/api/v1/officer/queue?status=bogus", officer1.Token, nil), 400, "bad queue status")

	if got := act(officer1.Token, d.ID, "claim", nil, 200); got.AssigneeID != "001085000001" {
		t.Errorf("claimed by %q, want officer 1", got.AssigneeID)
	}
	act(officer1.Token, d.ID, "claim", nil, 200) // claiming again is harmless
	act(officer2.Token, d.ID, "claim", nil, 409)
	act(officer2.Token, d.ID, "receive", nil, 409)
	act(officer1.Token, d.ID, "receive", map[string]string{"note": "tiếp nhận"}, 200)
	act(officer1.Token, d.ID, "approve", nil, 409) // not processing yet
	act(officer1.Token, d.ID, "process", nil, 200)
	act(officer1.Token, d.ID, "request-supplement", map[string]string{}, 422)
	act(officer1.Token, d.ID, "request-supplement", map[string]string{"note": "  "}, 422)
	act(officer1.Token, d.ID, "request-supplement", map[string]string{"note": "thiếu giấy tờ"}, 200)
	act(officer1.Token, d.ID, "request-supplement", map[string]string{"note": "lần hai"}, 409)
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/supplement", s.Token, map[string]string{"note": "đã bổ sung"}), 200, "supplement")
	act(officer1.Token, d.ID, "reject", map[string]string{}, 422)
	got := act(officer1.Token, d.ID, "approve", map[string]string{"note": "đồng ý"}, 200)
	if got.Status != "result_issued" && got.Status != "completed" {
		t.Errorf("approved dossier is %s, want its e-result issued at approval", got.Status)
	}
	// A second dossier: an admin refuses it at intake, over nobody's claim.
	d2 := newSubmitted()
	if got := act(admin.Token, d2.ID, "reject", map[string]string{"note": "không thuộc thẩm quyền"}, 200); got.Status != "rejected" {
		t.Errorf("admin rejection left %s", got.Status)
	}
	act(officer1.Token, d2.ID, "claim", nil, 409) // nothing left to do
}

// TestFaultsAtRuntime turns faults on and off through the admin API and
// sees them in responses, /metrics and the fault list.
func TestFaultsAtRuntime(t *testing.T) {
	a := startWith(t, app.Config{})
	c := newAPIClient(t, a.URL())
	admin := login(t, c, "001080000001")
	citizen := login(t, c, mock.CitizenID(51))
	const route = "GET /api/v1/procedures/:code"
	procedure := "/api/v1/procedures/" + birthRegistration

	c.expect(c.do("PUT", "/api/v1/admin/faults", citizen.Token, map[string]any{"target": "database", "outage": true}), 403, "citizen sets a fault")
	c.expect(c.do("GET", "/api/v1/admin/faults", citizen.Token, nil), 403, "citizen lists faults")

	c.expect(c.do("PUT", "/api/v1/admin/faults", admin.Token, map[string]any{"target": route, "latency": "300ms"}), 200, "latency on")
	began := time.Now()
	c.expect(c.do("GET", procedure, "", nil), 200, "slow procedure")
	if took := time.Since(began); took < 300*time.Millisecond {
		t.Errorf("faulted route answered in %v, want ≥ 300ms", took)
	}
	c.expect(c.do("PUT", "/api/v1/admin/faults", admin.Token, map[string]any{"target": route, "error_rate": 1}), 200, "errors on")
	r := c.expect(c.do("GET", procedure, "", nil), 503, "failing procedure")
	if r.Header.Get("Retry-After") == "" {
		t.Error("injected 503 without Retry-After")
	}
	metrics := string(c.expect(c.do("GET", "/metrics", "", nil), 200, "metrics").Body)
	if !strings.Contains(metrics, `portalsim_fault_active{kind="error_rate",target="GET /api/v1/procedures/:code"} 1`) {
		t.Errorf("/metrics does not show the active fault:\n%s", grep(metrics, "portalsim_fault"))
	}

	// The database fault reaches every service through the store wrapper.
	var list struct {
		Faults []map[string]any `json:"faults"`
	}
	c.expect(c.do("PUT", "/api/v1/admin/faults", admin.Token, map[string]any{"faults": []map[string]any{
		{"target": route, "error_rate": 1}, {"target": "database", "outage": true}}}), 200, "replace the set").JSON(t, &list)
	if len(list.Faults) != 2 {
		t.Errorf("fault list %v, want 2", list.Faults)
	}
	c.expect(c.do("GET", "/api/v1/dossiers", citizen.Token, nil), 503, "database down")
	c.expect(c.do("DELETE", "/api/v1/admin/faults/database", admin.Token, nil), 204, "database back")
	c.expect(c.do("DELETE", "/api/v1/admin/faults/database", admin.Token, nil), 404, "clear twice")
	c.expect(c.do("GET", "/api/v1/dossiers", citizen.Token, nil), 200, "database works again")

	// A route target is URL-encoded in the path.
	req, _ := http.NewRequest("DELETE", a.URL()+"/api/v1/admin/faults/"+url.PathEscape(route), nil)
	req.Header.Set("Authorization", "Bearer "+admin.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("DELETE encoded route target: %d", resp.StatusCode)
	}
	began = time.Now()
	c.expect(c.do("GET", procedure, "", nil), 200, "procedure after the fault")
	if took := time.Since(began); took > 250*time.Millisecond {
		t.Errorf("cleared route still slow: %v", took)
	}
	c.expect(c.do("GET", "/api/v1/admin/faults", admin.Token, nil), 200, "list").JSON(t, &list)
	if len(list.Faults) != 0 {
		t.Errorf("faults left: %v", list.Faults)
	}
	metrics = string(c.expect(c.do("GET", "/metrics", "", nil), 200, "metrics").Body)
	if strings.Contains(metrics, "portalsim_fault_active{") {
		t.Errorf("/metrics still shows a fault:\n%s", grep(metrics, "portalsim_fault_active"))
	}
	c.expect(c.do("PUT", "/api/v1/admin/faults", admin.Token, map[string]any{"target": "teapot", "outage": true}), 422, "unknown target")
	c.expect(c.do("PUT", "/api/v1/admin/faults", admin.Token, `raw:{"target": "eid", "error_rate": 2}`), 422, "bad rate")
}

// TestLoadShedding: with one request allowed in flight, a second one is
// shed at once with 503 + Retry-After and counted; probes still answer.
func TestLoadShedding(t *testing.T) {
	a := startWith(t, app.Config{MaxInFlight: 1, QueueWait: -1})
	c := newAPIClient(t, a.URL())
	if err := a.Faults.Set(mustFault(t, "route=GET /api/v1/procedures/:code:latency=500ms")); err != nil {
		t.Fatal(err)
	}
	slow := make(chan int, 1)
	go func() {
		resp, err := http.Get(a.URL() + "/api/v1/procedures/" + birthRegistration)
		if err != nil {
			slow <- -1
			return
		}
		resp.Body.Close()
		slow <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond) // the slow request holds the only slot
	r := c.expect(c.do("GET", "/api/v1/procedures?q=khai+sinh", "", nil), 503, "shed")
	if r.Header.Get("Retry-After") != "1" {
		t.Errorf("shed response Retry-After %q, want 1", r.Header.Get("Retry-After"))
	}
	if code, _ := r.ErrorCode(t); code != "unavailable" {
		t.Errorf("shed code %q", code)
	}
	c.expect(c.do("GET", "/healthz", "", nil), 200, "liveness under overload")
	if code := <-slow; code != 200 {
		t.Errorf("admitted request: %d", code)
	}
	metrics := string(c.expect(c.do("GET", "/metrics", "", nil), 200, "metrics").Body)
	if !strings.Contains(metrics, "portalsim_http_shed_total 1") ||
		!strings.Contains(metrics, `portalsim_http_requests_total{method="GET",route="/api/v1/procedures",status="503"} 1`) {
		t.Errorf("shed request not counted:\n%s", grep(metrics, "shed|status=\"503\""))
	}
}

func TestSimulationStart(t *testing.T) {
	cal := portal.DefaultCalendar()
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct{ now, want string }{
		{"2026-11-25T07:00:00+07:00", "2026-11-25T08:00:00+07:00"}, // Wednesday before 08:00: today
		{"2026-11-25T08:00:00+07:00", "2026-11-26T08:00:00+07:00"}, // at 08:00: the next morning
		{"2026-11-25T13:00:00Z", "2026-11-26T08:00:00+07:00"},      // 20:00 ICT
		{"2026-11-27T10:00:00+07:00", "2026-11-30T08:00:00+07:00"}, // Friday → Monday
		{"2026-04-29T09:00:00+07:00", "2026-05-04T08:00:00+07:00"}, // 30 April and 1 May holidays, weekend
	} {
		if got := app.SimulationStart(at(tc.now), cal); !got.Equal(at(tc.want)) {
			t.Errorf("SimulationStart(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
}

func grep(text, what string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		for _, w := range strings.Split(what, "|") {
			if strings.Contains(l, w) {
				out = append(out, l)
				break
			}
		}
	}
	return fmt.Sprint(strings.Join(out, "\n"))
}

func mustFault(t *testing.T, spec string) faults.Fault {
	t.Helper()
	f, err := faults.FromFlag(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
