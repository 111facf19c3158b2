package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/mock"
	"github.com/portalsim/portalsim/portal/web"
)

// portalHarness is the whole assembled portal (app.New) served in-process,
// with a manual clock for sessions so token expiry is testable.
type portalHarness struct {
	t     testing.TB
	app   *app.App
	h     http.Handler
	clock *portal.ManualClock
	// remote is the client address of every request; not loopback, so the
	// login limits apply as they would on a real network.
	remote string
}

func newPortalHarness(t testing.TB) *portalHarness {
	t.Helper()
	a, err := app.New(app.Config{DataDir: t.TempDir(), Simulator: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	clock := portal.NewManualClock(time.Now())
	a.Auth.Clock = clock // sessions only: dossiers keep the real clock
	return &portalHarness{t: t, app: a, h: a.Handler(), clock: clock, remote: "192.0.2.10:4321"}
}

// request is one HTTP request to the portal.
type request struct {
	method, path string
	token        string // bearer token
	cookie       string // session cookie (trainer UI)
	ui           bool   // a trainer-UI request: carries the CSRF cookie
	header       map[string]string
	contentType  string
	body         []byte
}

type response struct {
	*httptest.ResponseRecorder
	req request
}

func (r response) String() string {
	b := r.Body.String()
	if len(b) > 300 {
		b = b[:300] + "…"
	}
	return fmt.Sprintf("%s %s → %d %s", r.req.method, r.req.path, r.Code, b)
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
		t.Fatalf("%v: decode: %v", r, err)
	}
}

// errorMessage returns the message of the JSON error body.
func (r response) errorMessage() string {
	var body struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body.Bytes(), &body)
	return body.Error.Message
}

// errorCode returns the code of the JSON error body, or "" if it has none.
func (r response) errorCode() string {
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body.Bytes(), &body)
	return body.Error.Code
}

func (p *portalHarness) do(rq request) response {
	var body *bytes.Reader
	if rq.body != nil {
		body = bytes.NewReader(rq.body)
	} else {
		body = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(rq.method, rq.path, body)
	// A stream (the dashboard's server-sent events) ends with its request.
	wait := 5 * time.Second
	if strings.HasSuffix(rq.path, "/events") {
		wait = 200 * time.Millisecond
	}
	ctx, cancel := context.WithTimeout(req.Context(), wait)
	defer cancel()
	req = req.WithContext(ctx)
	if rq.body == nil {
		req.Body = http.NoBody
		req.ContentLength = 0
	}
	req.RemoteAddr = p.remote
	if rq.contentType != "" {
		req.Header.Set("Content-Type", rq.contentType)
	}
	if rq.token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.token)
	}
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	if rq.cookie != "" {
		req.AddCookie(&http.Cookie{Name: "portalsim_session", Value: rq.cookie})
	}
	if rq.ui {
		req.AddCookie(&http.Cookie{Name: "portalsim_csrf", Value: csrfToken})
	}
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, req)
	return response{w, rq}
}

// csrfToken is the double-submit token the UI requests carry (cookie and
// form field), so that the UI's role checks, not CSRF, decide.
const csrfToken = "0123456789abcdef0123456789abcdef"

func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// call sends a JSON request and fails the test unless the status is want.
func (p *portalHarness) call(method, path, token string, body any, want int) response {
	p.t.Helper()
	rq := request{method: method, path: path, token: token}
	if body != nil {
		rq.contentType, rq.body = "application/json", jsonBody(body)
	}
	r := p.do(rq)
	if r.Code != want {
		p.t.Fatalf("%v, want %d", r, want)
	}
	return r
}

// login signs personalID in with the simulator's dev_otp.
func (p *portalHarness) login(personalID string) string {
	p.t.Helper()
	var ch struct {
		ChallengeID string `json:"challenge_id"`
		DevOTP      string `json:"dev_otp"`
	}
	p.call(http.MethodPost, "/api/v1/auth/otp", "", map[string]string{"personal_id": personalID}, 200).json(p.t, &ch)
	var s struct {
		Token string `json:"token"`
	}
	p.call(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"challenge_id": ch.ChallengeID, "otp": ch.DevOTP}, 200).json(p.t, &s)
	return s.Token
}

type dossierView struct {
	ID            string            `json:"id"`
	Code          string            `json:"code"`
	Status        string            `json:"status"`
	OwnerID       string            `json:"owner_id"`
	Form          map[string]string `json:"form"`
	PaymentStatus string            `json:"payment_status"`
	UpdatedAt     string            `json:"updated_at"`
	History       []map[string]any  `json:"history"`
	Attachments   []struct {
		ID       string `json:"id"`
		FileName string `json:"file_name"`
	} `json:"attachments"`
}

// Temporary residence: a fee paid online and an optional attachment.
const temporaryResidence = "1.004194"

func residenceForm() map[string]string {
	return map[string]string{
		"temporary_address": "25 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội",
		"stay_from":         time.Now().In(portal.VietnamTime).Format("2006-01-02"),
		"stay_months":       "12",
		"purpose":           "Lao động",
	}
}

// draft creates a filled draft of temporary residence for token's citizen.
func (p *portalHarness) draft(token string) dossierView {
	p.t.Helper()
	var d dossierView
	p.call(http.MethodPost, "/api/v1/dossiers", token,
		map[string]any{"procedure_code": temporaryResidence, "form": residenceForm()}, 201).json(p.t, &d)
	return d
}

// submitted creates and submits a dossier.
func (p *portalHarness) submitted(token string) dossierView {
	p.t.Helper()
	d := p.draft(token)
	p.call(http.MethodPost, "/api/v1/dossiers/"+d.ID+"/submit", token, nil, 200).json(p.t, &d)
	return d
}

// multipartUpload is the body of an attachment upload.
func multipartUpload(requirement, fileName string, content []byte) (string, []byte) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("requirement", requirement)
	fw, _ := w.CreateFormFile("file", fileName)
	_, _ = fw.Write(content)
	_ = w.Close()
	return w.FormDataContentType(), b.Bytes()
}

var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// upload attaches a small PDF as the proof of residence.
func (p *portalHarness) upload(token, dossierID string) string {
	p.t.Helper()
	ct, body := multipartUpload("proof_of_residence", "giay-xac-nhan.pdf", pdf)
	r := p.do(request{method: http.MethodPost, path: "/api/v1/dossiers/" + dossierID + "/attachments", token: token, contentType: ct, body: body})
	if r.Code != http.StatusCreated && r.Code != http.StatusOK {
		p.t.Fatalf("%v, want 201", r)
	}
	var att struct {
		ID string `json:"id"`
	}
	r.json(p.t, &att)
	return att.ID
}

// roles are the callers of the matrix, in the order of authzCase.want.
var roles = []string{"anonymous", "citizen A", "citizen B", "officer", "admin"}

// authzCase says what each role gets from one route. want has one letter
// per role (anonymous, citizen A, citizen B, officer, admin):
//
//	y  let through: neither 401, 403 nor 404 (the handler may still say 4xx
//	   about the input or the dossier's state)
//	u  401 (API) or, for a trainer-UI page, a redirect to /login
//	f  403
//	n  404: the resource is citizen A's and is hidden from the caller
//	4  some 4xx other than 401 and 403 (e.g. an unsigned payment callback)
//
// and no route ever answers 5xx. fresh routes change the dossier and get a
// new one of citizen A's for every role.
type authzCase struct {
	want  string
	fresh bool
	body  func(f *fixture) (contentType string, body []byte)
	setup func(f *fixture) // before each role's call
}

func jsonOf(v any) func(*fixture) (string, []byte) {
	return func(*fixture) (string, []byte) { return "application/json", jsonBody(v) }
}

func formOf(v url.Values) func(*fixture) (string, []byte) {
	return func(*fixture) (string, []byte) {
		v := maps(v)
		v.Set("csrf_token", csrfToken)
		return "application/x-www-form-urlencoded", []byte(v.Encode())
	}
}

func maps(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// authzTable has an entry for every route the portal serves: API routes
// from web.Routes() and trainer-UI routes from the gin engine. A route
// without an entry fails TestAuthorizationMatrix.
var authzTable = map[string]authzCase{
	"GET /healthz":      {want: "yyyyy"},
	"GET /readyz":       {want: "yyyyy"},
	"GET /openapi.json": {want: "yyyyy"},
	"GET /metrics":      {want: "yyyyy"},

	"POST /api/v1/auth/otp": {want: "yyyyy", body: func(f *fixture) (string, []byte) {
		return "application/json", jsonBody(map[string]string{"personal_id": f.another()})
	}},
	"POST /api/v1/auth/login":  {want: "44444", body: jsonOf(map[string]string{"challenge_id": "ch_unknown", "otp": "000000"})},
	"POST /api/v1/auth/logout": {want: "uyyyy", fresh: true},

	"GET /api/v1/procedures":       {want: "yyyyy"},
	"GET /api/v1/procedures/:code": {want: "yyyyy"},
	"GET /api/v1/lookup/:code":     {want: "yyyyy"},
	"GET /api/v1/indicators":       {want: "yyyyy"},

	"POST /api/v1/dossiers":              {want: "uyyff", body: jsonOf(map[string]any{"procedure_code": temporaryResidence, "form": map[string]string{}})},
	"GET /api/v1/dossiers":               {want: "uyyyy"},
	"GET /api/v1/dossiers/:id":           {want: "uynyy"},
	"PATCH /api/v1/dossiers/:id":         {want: "uynff", fresh: true, body: jsonOf(map[string]any{"form": map[string]string{"stay_months": "6"}})},
	"POST /api/v1/dossiers/:id/submit":   {want: "uynff", fresh: true},
	"POST /api/v1/dossiers/:id/withdraw": {want: "uynff", fresh: true, body: jsonOf(map[string]string{"note": "không cần nữa"})},
	"GET /api/v1/dossiers/:id/prefill":   {want: "uynff"},

	"POST /api/v1/dossiers/:id/attachments": {want: "uynff", fresh: true, body: func(*fixture) (string, []byte) {
		return multipartUpload("proof_of_residence", "b.pdf", pdf)
	}},
	"GET /api/v1/dossiers/:id/attachments/:att_id": {want: "uynyy"},
	"POST /api/v1/dossiers/:id/payments":           {want: "uynff", fresh: true},
	"GET /api/v1/dossiers/:id/payments":            {want: "uynyy"},
	"POST /api/v1/payments/callback":               {want: "44444", body: jsonOf(map[string]any{"payment_id": "pay_x", "amount": 1, "status": "paid", "nonce": "n"})},
	"POST /api/v1/dossiers/:id/rating":             {want: "uynff", fresh: true, body: jsonOf(map[string]any{"rating": 5})},
	"POST /api/v1/dossiers/:id/supplement":         {want: "uynff", fresh: true, body: jsonOf(map[string]any{"note": "bổ sung"})},

	"GET /api/v1/results/public-key":   {want: "yyyyy"},
	"POST /api/v1/results/verify":      {want: "yyyyy", body: func(*fixture) (string, []byte) { return "application/pdf", pdf }},
	"GET /api/v1/results/:code":        {want: "uynyy"},
	"GET /api/v1/results/:code/verify": {want: "yyyyy"},

	"POST /api/v1/groups":                  {want: "uyyff", body: jsonOf(map[string]any{"group_code": "1.011536"})},
	"GET /api/v1/groups/:group_id":         {want: "uynff"},
	"POST /api/v1/groups/:group_id/submit": {want: "uynff"},

	"GET /api/v1/officer/queue":                            {want: "uffyy"},
	"POST /api/v1/officer/dossiers/:id/claim":              {want: "uffyy", fresh: true},
	"POST /api/v1/officer/dossiers/:id/receive":            {want: "uffyy", fresh: true},
	"POST /api/v1/officer/dossiers/:id/process":            {want: "uffyy", fresh: true},
	"POST /api/v1/officer/dossiers/:id/request-supplement": {want: "uffyy", fresh: true, body: jsonOf(map[string]string{"note": "thiếu giấy tờ"})},
	"POST /api/v1/officer/dossiers/:id/approve":            {want: "uffyy", fresh: true},
	"POST /api/v1/officer/dossiers/:id/reject":             {want: "uffyy", fresh: true, body: jsonOf(map[string]string{"note": "không đủ điều kiện"})},
	"GET /api/v1/admin/faults":                             {want: "ufffy"},
	"PUT /api/v1/admin/faults":                             {want: "ufffy", body: jsonOf(map[string]any{})},
	"DELETE /api/v1/admin/faults/:target": {want: "ufffy", setup: func(f *fixture) {
		f.h.call(http.MethodPut, "/api/v1/admin/faults", f.tokens[4], map[string]any{"target": "GET /api/v1/procedures", "latency": "1ms"}, 200)
	}},

	// Trainer UI (cookie session, CSRF on POST).
	"GET /":                              {want: "yyyyy"},
	"GET /static/*filepath":              {want: "yyyyy"},
	"HEAD /static/*filepath":             {want: "yyyyy"},
	"GET /login":                         {want: "yyyyy"},
	"POST /login":                        {want: "44444", body: formOf(url.Values{"challenge_id": {"ch_unknown"}, "otp": {"000000"}})},
	"POST /login/otp":                    {want: "yyyyy", body: func(f *fixture) (string, []byte) { return formOf(url.Values{"personal_id": {f.another()}})(f) }},
	"POST /logout":                       {want: "yyyyy", fresh: true, body: formOf(url.Values{})},
	"GET /lookup":                        {want: "yyyyy"},
	"GET /verify":                        {want: "yyyyy"},
	"POST /verify":                       {want: "yyyyy", body: formOf(url.Values{"code": {"X"}})},
	"GET /procedures/:code":              {want: "yyyyy"},
	"GET /results/:code":                 {want: "uynyy"},
	"POST /procedures/:code/start":       {want: "uyyff", body: formOf(url.Values{})},
	"GET /dossiers":                      {want: "uyyff"},
	"GET /dossiers/:id":                  {want: "uynyy"},
	"GET /dossiers/:id/edit":             {want: "uynff"},
	"POST /dossiers/:id/edit":            {want: "uynff", fresh: true, body: formOf(url.Values{"stay_months": {"6"}})},
	"GET /dossiers/:id/attachments/:aid": {want: "uynyy"},
	"POST /dossiers/:id/pay":             {want: "uynff", fresh: true, body: formOf(url.Values{})},
	"POST /dossiers/:id/supplement":      {want: "uynff", fresh: true, body: formOf(url.Values{})},
	"POST /dossiers/:id/withdraw":        {want: "uynff", fresh: true, body: formOf(url.Values{})},
	"POST /dossiers/:id/rate":            {want: "uynff", fresh: true, body: formOf(url.Values{"rating": {"5"}})},
	"POST /dossiers/:id/complete":        {want: "uynff", fresh: true, body: formOf(url.Values{})},
	"GET /officer":                       {want: "uffyy"},
	"GET /officer/dossiers/:id":          {want: "uffyy"},
	"POST /officer/dossiers/:id/act":     {want: "uffyy", fresh: true, body: formOf(url.Values{"action": {"claim"}})},
	"GET /dashboard":                     {want: "yyyyy"},
	"GET /dashboard/events":              {want: "yyyyy"},
	"GET /gateway/*path":                 {want: "44444"},
	"POST /gateway/*path":                {want: "44444", body: formOf(url.Values{})},
	"GET /admin/faults":                  {want: "ufffy"},
	"POST /admin/faults":                 {want: "ufffy", body: formOf(url.Values{})},
	"POST /admin/faults/clear":           {want: "ufffy", body: formOf(url.Values{})},
}

// fixture is what the matrix's paths point at: citizen A's things.
type fixture struct {
	h                  *portalHarness
	citizenA, citizenB string
	tokens             []string // per role; "" for anonymous
	dossier            dossierView
	attachmentID       string
	groupID            string
	resultCode         string // a dossier of A's with an issued result, or A's dossier
	seq                int
}

func (f *fixture) tokenOf(role int) string { return f.tokens[role] }

// another returns a citizen not used before, so that per-person login
// limits never decide the matrix.
func (f *fixture) another() string {
	f.seq++
	return mock.CitizenID(1000 + f.seq)
}

// fill replaces a route's parameters with citizen A's resources.
func (f *fixture) fill(path string, d dossierView) string {
	r := strings.NewReplacer(
		":id", d.ID, ":att_id", f.attachmentID, ":aid", f.attachmentID,
		":group_id", f.groupID, ":target", url.PathEscape("GET /api/v1/procedures"),
		"*filepath", "style.css", "*path", "pay",
	)
	out := r.Replace(path)
	switch {
	case strings.HasPrefix(path, "/api/v1/procedures/"), strings.HasPrefix(path, "/procedures/"):
		out = strings.Replace(out, ":code", temporaryResidence, 1)
	case strings.HasPrefix(path, "/api/v1/results/"), strings.HasPrefix(path, "/results/"):
		out = strings.Replace(out, ":code", f.resultCode, 1)
	default:
		out = strings.Replace(out, ":code", d.Code, 1)
	}
	return out
}

// approved has an officer take a fee-free dossier of token's citizen
// through to approval, so that its e-result is issued; it returns the
// dossier's code.
func (f *fixture) approved(token string) string {
	p := f.h
	var d dossierView
	p.call(http.MethodPost, "/api/v1/dossiers", token, map[string]any{"procedure_code": "1.004873",
		"form": map[string]string{"marital_status": "Chưa kết hôn", "purpose": "Đăng ký kết hôn"}}, 201).json(p.t, &d)
	p.call(http.MethodPost, "/api/v1/dossiers/"+d.ID+"/submit", token, nil, 200)
	officer := f.tokens[3]
	for _, step := range []string{"claim", "receive", "process", "approve"} {
		p.call(http.MethodPost, "/api/v1/officer/dossiers/"+d.ID+"/"+step, officer, nil, 200)
	}
	p.call(http.MethodGet, "/api/v1/dossiers/"+d.ID, token, nil, 200).json(p.t, &d)
	if d.Status != "result_issued" && d.Status != "completed" {
		p.t.Fatalf("approved dossier %s is %s, want result_issued or completed", d.ID, d.Status)
	}
	return d.Code
}

// servedRoutes is every route of the assembled portal, as "METHOD /path".
func servedRoutes(h http.Handler) []string {
	var out []string
	for _, r := range h.(*gin.Engine).Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	sort.Strings(out)
	return out
}

func newFixture(t *testing.T) *fixture {
	p := newPortalHarness(t)
	f := &fixture{h: p, citizenA: mock.CitizenID(11), citizenB: mock.CitizenID(12)}
	f.tokens = []string{"", p.login(f.citizenA), p.login(f.citizenB), p.login("001085000001"), p.login("001080000001")}
	f.dossier = p.draft(f.tokens[1])
	f.attachmentID = p.upload(f.tokens[1], f.dossier.ID)
	p.call(http.MethodPost, "/api/v1/dossiers/"+f.dossier.ID+"/submit", f.tokens[1], nil, 200).json(t, &f.dossier)
	f.resultCode = f.approved(f.tokens[1])
	var g struct {
		ID string `json:"group_id"`
	}
	p.call(http.MethodPost, "/api/v1/groups", f.tokens[1], map[string]any{"group_code": "1.011536"}, 201).json(t, &g)
	f.groupID = g.ID
	return f
}

// TestAuthorizationMatrix calls every served route as every role and checks
// the table: anonymous callers get 401, wrong roles 403, other citizens 404
// for citizen A's things, and nobody a 5xx. A served route missing from the
// table, or a table entry no longer served, fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t)
	p := f.h
	served := servedRoutes(p.h)
	for _, r := range web.Routes() {
		if !slices.Contains(served, r.Method+" "+r.Path) {
			t.Errorf("web.Routes() lists %s %s but the portal does not serve it", r.Method, r.Path)
		}
	}
	for _, key := range served {
		if _, ok := authzTable[key]; !ok {
			t.Errorf("route %s has no entry in authzTable: say who may call it", key)
		}
	}
	for key := range authzTable {
		if !slices.Contains(served, key) {
			t.Errorf("authzTable has %s, which the portal does not serve", key)
		}
	}
	for _, key := range served {
		tc, ok := authzTable[key]
		if !ok {
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		ui := !strings.HasPrefix(path, "/api/") && !slices.Contains([]string{"/healthz", "/readyz", "/openapi.json", "/metrics"}, path)
		for role, name := range roles {
			want := tc.want[role]
			d := f.dossier
			token := f.tokenOf(role)
			if tc.fresh {
				d = p.submitted(f.tokens[1])
				if strings.Contains(key, "logout") && role > 0 {
					token = p.login([]string{"", f.citizenA, f.citizenB, "001085000002", "001080000001"}[role])
				}
			}
			if tc.setup != nil {
				tc.setup(f)
			}
			rq := request{method: method, path: f.fill(path, d), ui: ui}
			if ui {
				rq.cookie = token
			} else {
				rq.token = token
			}
			if tc.body != nil {
				rq.contentType, rq.body = tc.body(f)
			} else if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
				rq.contentType, rq.body = "application/json", []byte("{}")
				if ui {
					rq.contentType, rq.body = formOf(url.Values{})(f)
				}
			}
			r := p.do(rq)
			if r.Code >= 500 {
				t.Errorf("%s as %s: %v: a server error", key, name, r)
				continue
			}
			if !matches(want, r, ui) {
				t.Errorf("%s as %s: %v, want %s", key, name, r, describeWant(want))
			}
		}
	}
}

func matches(want byte, r response, ui bool) bool {
	loginRedirect := ui && (r.Code == http.StatusSeeOther || r.Code == http.StatusFound) &&
		strings.HasPrefix(r.Header().Get("Location"), "/login")
	switch want {
	case 'y':
		return r.Code != 401 && r.Code != 403 && r.Code != 404 && !loginRedirect
	case 'u':
		return r.Code == 401 || loginRedirect
	case 'f':
		return r.Code == 403
	case 'n':
		return r.Code == 404
	case '4':
		return r.Code >= 400 && r.Code < 500 && r.Code != 403
	}
	return false
}

func describeWant(w byte) string {
	return map[byte]string{'y': "to be let through (not 401/403/404)", 'u': "401 or a redirect to /login",
		'f': "403", 'n': "404", '4': "a 4xx refusal"}[w]
}

// TestCitizensSeeOnlyTheirOwn checks the lists: another citizen's dossiers
// never appear, and their attachments, payments and results are 404.
func TestCitizensSeeOnlyTheirOwn(t *testing.T) {
	f := newFixture(t)
	p := f.h
	a, b := f.tokens[1], f.tokens[2]
	mine := p.submitted(b)
	var list struct {
		Items []dossierView `json:"items"`
		Total int           `json:"total"`
	}
	p.call(http.MethodGet, "/api/v1/dossiers?per_page=100", b, nil, 200).json(t, &list)
	for _, d := range list.Items {
		if d.ID == f.dossier.ID {
			t.Errorf("citizen B's list shows citizen A's dossier %s", d.ID)
		}
	}
	if !slices.ContainsFunc(list.Items, func(d dossierView) bool { return d.ID == mine.ID }) || list.Total != 1 {
		t.Errorf("citizen B's list %+v (total %d), want exactly B's own dossier %s", list.Items, list.Total, mine.ID)
	}
	for _, path := range []string{
		"/api/v1/dossiers/" + f.dossier.ID,
		"/api/v1/dossiers/" + f.dossier.ID + "/attachments/" + f.attachmentID,
		"/api/v1/dossiers/" + f.dossier.ID + "/payments",
		"/api/v1/results/" + f.dossier.Code,
	} {
		r := p.do(request{method: http.MethodGet, path: path, token: b})
		if r.Code != http.StatusNotFound {
			t.Errorf("citizen B: %v, want 404", r)
		}
		if strings.Contains(r.Body.String(), f.citizenA) {
			t.Errorf("citizen B: %v leaks citizen A's personal ID", r)
		}
	}
	// A's own view works, so the 404s above are about ownership.
	p.call(http.MethodGet, "/api/v1/dossiers/"+f.dossier.ID, a, nil, 200)
	p.call(http.MethodGet, "/api/v1/dossiers/"+f.dossier.ID+"/attachments/"+f.attachmentID, a, nil, 200)
}

// TestTokensExpireAndLogoutRevokes moves the session clock past the
// session lifetime, and signs out.
func TestTokensExpireAndLogoutRevokes(t *testing.T) {
	p := newPortalHarness(t)
	citizen := mock.CitizenID(21)
	tok := p.login(citizen)
	p.call(http.MethodGet, "/api/v1/dossiers", tok, nil, 200)
	p.clock.Advance(portal.DefaultSessionTTL - time.Minute)
	p.call(http.MethodGet, "/api/v1/dossiers", tok, nil, 200)
	p.clock.Advance(2 * time.Minute)
	r := p.call(http.MethodGet, "/api/v1/dossiers", tok, nil, 401)
	if !strings.Contains(r.Body.String(), "expired") || r.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("%v: want an 'expired' message and a WWW-Authenticate header", r)
	}
	ui := p.do(request{method: http.MethodGet, path: "/dossiers", cookie: tok})
	if !matches('u', ui, true) {
		t.Errorf("trainer UI with an expired session cookie: %v, want a redirect to /login", ui)
	}

	tok = p.login(citizen)
	p.call(http.MethodPost, "/api/v1/auth/logout", tok, nil, 204)
	r = p.call(http.MethodGet, "/api/v1/dossiers", tok, nil, 401)
	if !strings.Contains(r.Body.String(), "revoked") {
		t.Errorf("%v: want a 'revoked' message", r)
	}
	p.call(http.MethodPost, "/api/v1/auth/logout", tok, nil, 401)
}
