package ui_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/faults"
	"github.com/portalsim/portalsim/portal/mock"
	"github.com/portalsim/portalsim/portal/ui"
)

const (
	testOfficer = "001085000001"
	testAdmin   = "001080000001"
)

// testPortal is the assembled portal (store, services, API and UI) behind
// an httptest server.
type testPortal struct {
	URL string
	App *app.App
}

func newTestPortal(t *testing.T) *testPortal {
	t.Helper()
	a, err := app.New(app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Simulator: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		srv.Close()
		_ = a.Shutdown(context.Background())
	})
	return &testPortal{URL: srv.URL, App: a}
}

// browser is a cookie-keeping HTTP client that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (p *testPortal) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: p.URL, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) csrf() string {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == ui.CSRFCookie {
			return c.Value
		}
	}
	return ""
}

// post submits a form with the CSRF token (unless withCSRF is false).
func (b *browser) post(path string, form url.Values, withCSRF bool) (int, string, http.Header) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if withCSRF {
		if b.csrf() == "" {
			b.get("/")
		}
		form.Set(ui.CSRFField, b.csrf())
	}
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

var devOTP = regexp.MustCompile(`id="dev-otp">(\d{6})<`)
var challengeID = regexp.MustCompile(`name="challenge_id" value="([^"]+)"`)

func (b *browser) login(personalID string) {
	b.t.Helper()
	code, body, _ := b.post("/login", url.Values{"personal_id": {personalID}}, true)
	otp, ch := devOTP.FindStringSubmatch(body), challengeID.FindStringSubmatch(body)
	if code != http.StatusOK || otp == nil || ch == nil {
		b.t.Fatalf("login step 1 for %s: status %d, no OTP/challenge in page", personalID, code)
	}
	code, _, h := b.post("/login/otp", url.Values{"challenge_id": {ch[1]}, "otp": {otp[1]}}, true)
	if code != http.StatusSeeOther {
		b.t.Fatalf("login step 2: status %d", code)
	}
	_ = h
}

func TestEveryPageRendersInBothLanguages(t *testing.T) {
	p := newTestPortal(t)
	b := p.browser(t)
	for _, lang := range []string{"vi", "en"} {
		for _, path := range []string{"/", "/?q=khai+sinh", "/procedures/1.001193", "/lookup", "/lookup?code=nope", "/verify", "/login", "/dashboard"} {
			code, body, _ := b.get(path + sep(path) + "lang=" + lang)
			if code != http.StatusOK {
				t.Errorf("%s (%s): status %d", path, lang, code)
			}
			if !strings.Contains(body, `<html lang="`+lang+`">`) {
				t.Errorf("%s: not rendered in %s", path, lang)
			}
			if strings.Contains(body, "[") && regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`).MatchString(body) {
				t.Errorf("%s (%s): a message key is missing: %s", path, lang, regexp.MustCompile(`\[[a-z_]+\.[a-z_.]+\]`).FindString(body))
			}
		}
	}
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

func TestVietnameseByDefaultEnglishRemembered(t *testing.T) {
	p := newTestPortal(t)
	b := p.browser(t)
	if _, body, _ := b.get("/"); !strings.Contains(body, `<html lang="vi">`) || !strings.Contains(body, "Tìm thủ tục hành chính") {
		t.Fatal("home page is not Vietnamese by default")
	}
	b.get("/?lang=en")
	if _, body, _ := b.get("/lookup"); !strings.Contains(body, `<html lang="en">`) || !strings.Contains(body, "Track a dossier") {
		t.Fatal("English choice was not remembered by the cookie")
	}
	if _, body, _ := b.get("/lookup?lang=vi"); !strings.Contains(body, `<html lang="vi">`) {
		t.Fatal("could not switch back to Vietnamese")
	}
	if _, body, _ := b.get("/lookup?code=ABC-1&notice=saved"); !strings.Contains(body, `href="/lookup?code=ABC-1&amp;lang=en"`) {
		t.Error("the language switch drops the page's query")
	}
}

func TestSearchIgnoresDiacritics(t *testing.T) {
	p := newTestPortal(t)
	b := p.browser(t)
	_, with, _ := b.get("/?q=" + url.QueryEscape("đăng ký khai sinh"))
	_, without, _ := b.get("/?q=dang+ky+khai+sinh")
	if !strings.Contains(with, "/procedures/1.001193") || !strings.Contains(without, "/procedures/1.001193") {
		t.Fatal("birth registration not found with and without diacritics")
	}
}

func TestPostWithoutCSRFTokenIsRefused(t *testing.T) {
	p := newTestPortal(t)
	b := p.browser(t)
	b.get("/") // gets the CSRF cookie
	for _, path := range []string{"/login", "/logout", "/procedures/1.001193/start", "/admin/faults"} {
		code, body, _ := b.post(path, url.Values{"personal_id": {mock.CitizenID(0)}}, false)
		if code != http.StatusForbidden || !strings.Contains(body, "không hợp lệ") {
			t.Errorf("POST %s without token: status %d, want 403 with the CSRF message", path, code)
		}
		code, _, _ = b.post(path, url.Values{"personal_id": {mock.CitizenID(0)}, ui.CSRFField: {"0123456789abcdef0123456789abcdef"}}, false)
		if code != http.StatusForbidden {
			t.Errorf("POST %s with a token that is not the cookie's: status %d, want 403", path, code)
		}
	}
	if code, _, _ := b.post("/login", url.Values{"personal_id": {mock.CitizenID(0)}}, true); code != http.StatusOK {
		t.Errorf("POST /login with the token: status %d, want 200", code)
	}
}

func TestSessionCookieIsHttpOnlyLax(t *testing.T) {
	p := newTestPortal(t)
	b := p.browser(t)
	code, body, _ := b.post("/login", url.Values{"personal_id": {mock.CitizenID(0)}}, true)
	otp, ch := devOTP.FindStringSubmatch(body), challengeID.FindStringSubmatch(body)
	if code != 200 || otp == nil {
		t.Fatalf("login: %d", code)
	}
	_, _, h := b.post("/login/otp", url.Values{"challenge_id": {ch[1]}, "otp": {otp[1]}}, true)
	var found bool
	for _, sc := range h.Values("Set-Cookie") {
		if strings.HasPrefix(sc, ui.SessionCookie+"=") {
			found = true
			if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
				t.Errorf("session cookie %q is not HttpOnly and SameSite=Lax", sc)
			}
		}
	}
	if !found {
		t.Fatal("no session cookie set")
	}
}

func TestPagesNeedTheRightRole(t *testing.T) {
	p := newTestPortal(t)
	anon := p.browser(t)
	if code, _, h := anon.get("/dossiers"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
		t.Errorf("anonymous /dossiers: %d %s, want a redirect to login", code, h.Get("Location"))
	}
	citizen := p.browser(t)
	citizen.login(mock.CitizenID(1))
	for _, path := range []string{"/officer", "/admin/faults"} {
		if code, _, _ := citizen.get(path); code != http.StatusForbidden {
			t.Errorf("citizen %s: %d, want 403", path, code)
		}
	}
	officer := p.browser(t)
	officer.login(testOfficer)
	if code, _, _ := officer.get("/officer"); code != http.StatusOK {
		t.Errorf("officer /officer: %d", code)
	}
	if code, _, _ := officer.get("/admin/faults"); code != http.StatusForbidden {
		t.Errorf("officer /admin/faults: %d, want 403", code)
	}
}

var dossierPath = regexp.MustCompile(`^/dossiers/([^/?#]+)/edit`)

// TestCitizenAndOfficerFlow walks a dossier through the UI over HTTP:
// form errors, upload, submit, supplement, approval, result, rating.
func TestCitizenAndOfficerFlow(t *testing.T) {
	p := newTestPortal(t)
	citizen := p.browser(t)
	citizen.login(mock.CitizenID(2))
	code, _, h := citizen.post("/procedures/1.001193/start", nil, true)
	m := dossierPath.FindStringSubmatch(h.Get("Location"))
	if code != http.StatusSeeOther || m == nil {
		t.Fatalf("start: %d %q", code, h.Get("Location"))
	}
	id := m[1]
	_, form, _ := citizen.get("/dossiers/" + id + "/edit")
	if !strings.Contains(form, `for="f-`) {
		t.Fatal("form has no labelled fields")
	}
	// Submitting the prefilled draft without the rest shows every problem, linked.
	code, body, _ := citizen.post("/dossiers/"+id+"/edit", url.Values{"action": {"submit"}}, true)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `class="error-summary"`) ||
		!strings.Contains(body, `href="#a-birth_notice"`) || !strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("submit of an incomplete draft: %d, want 422 with a linked error summary", code)
	}
	// Fill the form like the citizen would.
	proc, _ := p.App.Catalog.Procedure("1.001193")
	person, _ := p.App.Population.Person(t.Context(), mock.CitizenID(2))
	values := url.Values{}
	for k, v := range catalog.SampleForm(proc, person, p.App.Dossiers.Clock.Now()) {
		values.Set("field."+k, v)
	}
	if code := uploadPDF(t, citizen, id, "birth_notice", "giay-chung-sinh.pdf", []byte("%PDF-1.4\n% birth notice\n")); code != http.StatusSeeOther {
		t.Fatalf("upload of a PDF: %d", code)
	}
	// An executable named .pdf is refused by its content.
	if code := uploadPDF(t, citizen, id, "birth_notice", "virus.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00")); code != http.StatusUnprocessableEntity {
		t.Fatalf("upload of an executable named .pdf: %d, want 422", code)
	}
	d, _ := p.App.Dossiers.Get(t.Context(), portal.Principal{Role: portal.RoleAdmin}, id)
	if len(d.Attachments) != 1 || d.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("attachments after a good and a bad upload: %+v", d.Attachments)
	}
	values.Set("action", "submit")
	code, _, h = citizen.post("/dossiers/"+id+"/edit", values, true)
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "notice=submitted") {
		t.Fatalf("submit: %d %q", code, h.Get("Location"))
	}
	_, receipt, _ := citizen.get(h.Get("Location"))
	d, _ = p.App.Dossiers.Get(t.Context(), portal.Principal{Role: portal.RoleAdmin}, id)
	if !strings.Contains(receipt, `id="receipt"`) || !strings.Contains(receipt, d.Code) || d.AppointmentAt == nil ||
		!strings.Contains(receipt, d.AppointmentAt.In(portal.VietnamTime).Format("02/01/2006")) {
		t.Fatal("receipt does not show the dossier code and appointment date")
	}

	officer := p.browser(t)
	officer.login(testOfficer)
	if _, q, _ := officer.get("/officer"); !strings.Contains(q, d.Code) {
		t.Fatal("the officer queue does not list the submitted dossier")
	}
	act := func(to portal.Status, note string) (int, string) {
		code, body, _ := officer.post("/officer/dossiers/"+id+"/act", url.Values{"to": {string(to)}, "note": {note}}, true)
		return code, body
	}
	if code, body := act(portal.StatusSupplementRequested, ""); code != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#note"`) {
		t.Fatalf("supplement request without a reason: %d, want 422 linked to the note", code)
	}
	if code, _ := act(portal.StatusSupplementRequested, "Ảnh giấy chứng sinh bị mờ"); code != http.StatusSeeOther {
		t.Fatalf("supplement request: %d", code)
	}
	_, page, _ := citizen.get("/dossiers/" + id)
	if !strings.Contains(page, "Ảnh giấy chứng sinh bị mờ") || !strings.Contains(page, `id="answer-supplement"`) {
		t.Fatal("citizen does not see the supplement request")
	}
	uploadPDF(t, citizen, id, "birth_notice", "giay-chung-sinh-ro.pdf", []byte("%PDF-1.4\n% clearer\n"))
	values.Set("note", "Đã tải ảnh rõ hơn")
	if code, _, _ := citizen.post("/dossiers/"+id+"/edit", values, true); code != http.StatusSeeOther {
		t.Fatalf("supplement: %d", code)
	}
	for _, to := range []portal.Status{portal.StatusReceived, portal.StatusProcessing, portal.StatusApproved} {
		if code, body := act(to, ""); code != http.StatusSeeOther {
			t.Fatalf("officer %s: %d\n%s", to, code, errorText(body))
		}
	}
	// Approval issues the signed e-result at once, as the officer API does.
	_, page, _ = citizen.get("/dossiers/" + id)
	for _, want := range []string{"Đã nộp", "Yêu cầu bổ sung", "Đã tiếp nhận", "Đang xử lý", "Đã phê duyệt", "Đã trả kết quả", `id="download-result"`} {
		if !strings.Contains(page, want) {
			t.Errorf("citizen's dossier page lacks %q", want)
		}
	}
	code, result, _ := citizen.get("/results/" + url.PathEscape(d.Code))
	if code != http.StatusOK {
		t.Fatalf("result download: %d", code)
	}
	var signed mock.SignedResult
	if err := json.Unmarshal([]byte(result), &signed); err != nil || !p.App.Results.VerifyDocument([]byte(result)).Valid {
		t.Fatalf("downloaded result does not verify: %v", err)
	}
	if _, v, _ := citizen.post("/verify", url.Values{"result": {result}}, true); !strings.Contains(v, `id="verify-ok"`) {
		t.Error("verify page does not accept the genuine result")
	}
	tampered := strings.Replace(result, signed.Document.ApplicantID, "001099000001", 1)
	if _, v, _ := citizen.post("/verify", url.Values{"result": {tampered}}, true); !strings.Contains(v, `id="verify-bad"`) {
		t.Error("verify page accepts a tampered result")
	}
	if code, _, _ := citizen.post("/dossiers/"+id+"/rate", url.Values{"rating": {"5"}, "comment": {"Nhanh"}}, true); code != http.StatusSeeOther {
		t.Fatalf("rate: %d", code)
	}
	if _, lookup, _ := p.browser(t).get("/lookup?code=" + url.QueryEscape(d.Code)); !strings.Contains(lookup, `id="lookup-result"`) ||
		strings.Contains(lookup, d.OwnerID) {
		t.Error("public lookup does not show the status, or shows the owner")
	}
	// Another citizen cannot see it.
	other := p.browser(t)
	other.login(mock.CitizenID(3))
	if code, _, _ := other.get("/dossiers/" + id); code != http.StatusNotFound {
		t.Errorf("another citizen's view of the dossier: %d, want 404", code)
	}
}

var errorSummary = regexp.MustCompile(`(?s)<div class="error-summary".*?</div>`)

func errorText(body string) string { return errorSummary.FindString(body) }

func TestAdminTurnsAFaultOnAndOff(t *testing.T) {
	p := newTestPortal(t)
	admin := p.browser(t)
	admin.login(testAdmin)
	code, body, _ := admin.post("/admin/faults", url.Values{"target": {faults.Population}, "latency": {"soon"}}, true)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `href="#latency"`) {
		t.Fatalf("bad latency: %d, want 422 linked to the field", code)
	}
	if code, _, _ := admin.post("/admin/faults", url.Values{"target": {faults.Population}, "latency": {"200ms"}, "outage": {"true"}}, true); code != http.StatusSeeOther {
		t.Fatalf("set fault: %d", code)
	}
	if fs := p.App.Faults.List(); len(fs) != 1 || fs[0].Target != faults.Population || !fs[0].Outage {
		t.Fatalf("faults after set: %+v", fs)
	}
	if _, page, _ := admin.get("/admin/faults"); !strings.Contains(page, `id="clear-population"`) {
		t.Fatal("panel does not list the fault")
	}
	admin.post("/admin/faults/clear", url.Values{"target": {faults.Population}}, true)
	if fs := p.App.Faults.List(); len(fs) != 0 {
		t.Fatalf("faults after clear: %+v", fs)
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)">`)

// TestPayThroughTheGateway pays a fee on the mock gateway's page and
// submits once the gateway's signed notice has marked the fee paid.
func TestPayThroughTheGateway(t *testing.T) {
	p := newTestPortal(t)
	citizen := p.browser(t)
	citizen.login(mock.CitizenID(4))
	const code = "1.004194" // temporary residence registration: 7,000 ₫ online
	_, _, h := citizen.post("/procedures/"+code+"/start", nil, true)
	m := dossierPath.FindStringSubmatch(h.Get("Location"))
	if m == nil {
		t.Fatalf("start: %q", h.Get("Location"))
	}
	id := m[1]
	if _, form, _ := citizen.get("/dossiers/" + id + "/edit"); !strings.Contains(form, `id="pay"`) || !strings.Contains(form, "7.000 ₫") {
		t.Fatal("the form of a procedure with a fee offers no payment")
	}
	proc, _ := p.App.Catalog.Procedure(code)
	person, _ := p.App.Population.Person(t.Context(), mock.CitizenID(4))
	values := url.Values{}
	for k, v := range catalog.SampleForm(proc, person, p.App.Dossiers.Clock.Now()) {
		values.Set("field."+k, v)
	}
	values.Set("action", "pay")
	code303, _, h := citizen.post("/dossiers/"+id+"/edit", values, true)
	gateway := h.Get("Location")
	if code303 != http.StatusSeeOther || !strings.HasPrefix(gateway, "/gateway/pay/") {
		t.Fatalf("pay: %d to %q, want a redirect to the gateway", code303, gateway)
	}
	status, page, _ := citizen.get(gateway)
	action := formAction.FindStringSubmatch(page)
	if status != http.StatusOK || action == nil {
		t.Fatalf("gateway page: %d", status)
	}
	confirm := url.Values{"action": {"pay"}}
	for _, hm := range hiddenInput.FindAllStringSubmatch(page, -1) {
		confirm.Set(hm[1], strings.ReplaceAll(hm[2], "&amp;", "&"))
	}
	_, _, h = citizen.post(action[1], confirm, false)
	back := h.Get("Location")
	if !strings.HasPrefix(back, "/dossiers/"+id) || !strings.Contains(back, "status=paid") {
		t.Fatalf("gateway returned to %q", back)
	}
	if _, page, _ := citizen.get(back); !strings.Contains(page, "Thanh toán thành công") {
		t.Error("the dossier page does not say the payment was made")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		d, err := p.App.Dossiers.Get(t.Context(), portal.Principal{Role: portal.RoleAdmin}, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.PaymentStatus == portal.PaymentPaid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fee still %s 5 s after paying", d.PaymentStatus)
		}
		time.Sleep(50 * time.Millisecond)
	}
	values.Set("action", "submit")
	if code, _, h := citizen.post("/dossiers/"+id+"/edit", values, true); code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "notice=submitted") {
		t.Fatalf("submit after paying: %d %q", code, h.Get("Location"))
	}
	if _, page, _ := citizen.get("/dossiers/" + id); !strings.Contains(page, "Đã thanh toán") {
		t.Error("the dossier page does not show the fee as paid")
	}
}
