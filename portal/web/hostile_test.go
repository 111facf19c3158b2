package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/mock"
)

// hostileCase is one request a careless or malicious client might send.
type hostileCase struct {
	name        string
	method      string
	path        string // %s is citizen A's dossier ID
	contentType string
	body        []byte
	token       bool // send citizen A's token
	status      int  // exact status wanted
	message     string
}

// nested returns {"form": [[[…]]]} nested depth levels deep.
func nested(depth int) []byte {
	return []byte(`{"form":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`)
}

// TestHostileInputGets4xx sends oversized, malformed, mistyped and
// malicious requests: every one gets the 4xx it deserves with a message
// that names the problem, none a 5xx, and citizen A's stored dossier is the
// same afterwards.
func TestHostileInputGets4xx(t *testing.T) {
	p := newPortalHarness(t)
	a := p.login(mock.CitizenID(31))
	d := p.draft(a)
	p.upload(a, d.ID)
	before := p.call(http.MethodGet, "/api/v1/dossiers/"+d.ID, a, nil, 200).Body.String()

	big := bytes.Repeat([]byte("a"), 2<<20)
	upload := func(name string, content []byte) (string, []byte) {
		return multipartUpload("proof_of_residence", name, content)
	}
	exeCT, exe := upload("ho-so.pdf", append([]byte("MZ\x90\x00\x03\x00\x00\x00"), pdf...))
	elfCT, elf := upload("giay-to.pdf", []byte("\x7fELF\x02\x01\x01\x00 not really a PDF"))
	shCT, sh := upload("scan.pdf", []byte("#!/bin/sh\nrm -rf /\n"))
	hugeCT, huge := upload("big.pdf", append(append([]byte{}, pdf...), bytes.Repeat([]byte(" "), 21<<20)...))
	emptyCT, empty := upload("empty.pdf", nil)
	att := "/api/v1/dossiers/%s/attachments"
	dossier := "/api/v1/dossiers/%s"

	cases := []hostileCase{
		{"oversized JSON body", "PATCH", dossier, "application/json", append(append([]byte(`{"form":{"x":"`), big...), `"}}`...), true, 413, "larger than the limit"},
		{"10,000 levels of nesting", "PATCH", dossier, "application/json", nested(10000), true, 400, "invalid JSON"},
		{"100,000 levels of nesting", "PATCH", dossier, "application/json", nested(100000), true, 400, "invalid JSON"},
		{"malformed JSON", "PATCH", dossier, "application/json", []byte(`{"form": {"a": }`), true, 400, "invalid JSON"},
		{"truncated JSON", "PATCH", dossier, "application/json", []byte(`{"form": {"a": "b"`), true, 400, "ends in the middle"},
		{"two JSON objects", "PATCH", dossier, "application/json", []byte(`{"form":{}} {"form":{}}`), true, 400, "after the JSON object"},
		{"form as an array", "PATCH", dossier, "application/json", []byte(`{"form": ["a"]}`), true, 400, `"form" must be an object`},
		{"form value as a number", "PATCH", dossier, "application/json", []byte(`{"form": {"stay_months": 12}}`), true, 400, "must be a string"},
		{"unknown field", "PATCH", dossier, "application/json", []byte(`{"form": {}, "status": "approved"}`), true, 400, `unknown field "status"`},
		{"XML body", "PATCH", dossier, "application/xml", []byte(`<form><a>b</a></form>`), true, 415, "Content-Type application/xml is not accepted"},
		{"multipart on a JSON route", "PATCH", dossier, exeCT, exe, true, 415, "send a JSON object"},
		{"malformed Content-Type", "PATCH", dossier, "application/json; charset", []byte(`{}`), true, 415, "malformed"},
		{"Windows executable named .pdf", "POST", att, exeCT, exe, true, 415, "Windows executable"},
		{"Linux executable named .pdf", "POST", att, elfCT, elf, true, 415, "Linux executable"},
		{"shell script named .pdf", "POST", att, shCT, sh, true, 415, "script"},
		{"upload over the limit", "POST", att, hugeCT, huge, true, 413, "larger than"},
		{"empty file", "POST", att, emptyCT, empty, true, 400, "empty"},
		{"upload as JSON", "POST", att, "application/json", []byte(`{"file": "JVBERi0="}`), true, 400, "multipart/form-data"},
		{"no token", "PATCH", dossier, "application/json", []byte(`{"form":{}}`), false, 401, "Authorization"},
	}
	for _, pid := range []string{"", "123", "abcdefghijkl", "0010850000011", "00108500000", "001085000001\x00", "０１２３４５６７８９０１", "' OR 1=1 --", strings.Repeat("9", 5000)} {
		cases = append(cases, hostileCase{fmt.Sprintf("personal ID %q", trunc(pid)), "POST", "/api/v1/auth/otp", "application/json",
			jsonBody(map[string]string{"personal_id": pid}), false, 400, "personal ID"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rq := request{method: tc.method, path: tc.path, contentType: tc.contentType, body: tc.body}
			if strings.Contains(tc.path, "%s") {
				rq.path = fmt.Sprintf(tc.path, d.ID)
			}
			if tc.token {
				rq.token = a
			}
			r := p.do(rq)
			if r.Code != tc.status {
				t.Fatalf("%v, want %d", r, tc.status)
			}
			if tc.status >= 400 && (!strings.Contains(r.errorMessage(), tc.message) || r.errorCode() == "") {
				t.Errorf("%v: want a JSON error whose message says %q", r, tc.message)
			}
		})
	}
	after := p.call(http.MethodGet, "/api/v1/dossiers/"+d.ID, a, nil, 200).Body.String()
	if before != after {
		t.Errorf("the dossier changed under hostile requests:\nbefore %s\nafter  %s", before, after)
	}
}

func trunc(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

// TestUploadedFileNamesAreSanitised uploads files whose names try path
// traversal, control characters and invisible overrides: the upload is
// accepted (the content is a real PDF) under a safe name, or, when the
// characters break the multipart header itself, refused with 400.
func TestUploadedFileNamesAreSanitised(t *testing.T) {
	p := newPortalHarness(t)
	a := p.login(mock.CitizenID(32))
	d := p.draft(a)
	for _, name := range []string{
		"../../../../etc/passwd.pdf",
		`..\..\Windows\System32\evil.pdf`,
		"/absolute/path.pdf",
		"giấy\x00tờ\r\n.pdf",
		"invoice\u202efdp.exe",
		"\x1b[31mred\x1b[0m.pdf",
		"...",
		"",
	} {
		ct, body := multipartUpload("proof_of_residence", name, pdf)
		r := p.do(request{method: http.MethodPost, path: "/api/v1/dossiers/" + d.ID + "/attachments", token: a, contentType: ct, body: body})
		if r.Code == http.StatusBadRequest && strings.Contains(r.errorMessage(), "malformed MIME header") {
			continue // control characters break the multipart header itself: refused, clearly
		}
		if r.Code != http.StatusCreated {
			t.Errorf("upload named %q: %v, want 201 under a sanitised name", name, r)
			continue
		}
		var got struct {
			FileName string `json:"file_name"`
		}
		r.json(t, &got)
		if got.FileName == "" || strings.ContainsAny(got.FileName, "/\\\x00\r\n\x1b\u202e") || strings.HasPrefix(got.FileName, ".") || strings.Contains(got.FileName, "..") {
			t.Errorf("upload named %q stored as %q: not a safe file name", name, got.FileName)
		}
	}
}

// TestUnicodeSurvives puts Vietnamese (precomposed and decomposed), emoji,
// right-to-left text and other scripts in form values and a note: form
// values come back NFC-normalised (the portal's decision: one spelling per
// text), free-text notes exactly as sent.
func TestUnicodeSurvives(t *testing.T) {
	p := newPortalHarness(t)
	a := p.login(mock.CitizenID(33))
	texts := []string{
		"Nguyễn Thị Ánh Tuyết",
		norm.NFD.String("Trần Đức Thắng, phường Điện Biên"),
		"👨‍👩‍👧 gia đình 🇻🇳",
		"مرحبا שלום",
		"日本語 한국어 Ελληνικά",
		"ﬁ ligature ＦＵＬＬ width",
		"quote \" back\\slash <b>tag</b> ' OR 1=1 --",
	}
	form := residenceForm()
	for i, s := range texts {
		form[fmt.Sprintf("note_%d", i)] = s
	}
	form["temporary_address"] = texts[1]
	var d dossierView
	p.call(http.MethodPost, "/api/v1/dossiers", a, map[string]any{"procedure_code": temporaryResidence, "form": form}, 201).json(t, &d)
	var got dossierView
	p.call(http.MethodGet, "/api/v1/dossiers/"+d.ID, a, nil, 200).json(t, &got)
	for k, v := range form {
		if want := norm.NFC.String(v); got.Form[k] != want {
			t.Errorf("form[%s] = %q, want the NFC form %q of what was sent", k, got.Form[k], want)
		}
	}
	if got.Form["temporary_address"] == texts[1] {
		t.Error("decomposed input stored decomposed; want NFC")
	}

	// Update with decomposed text too.
	p.call(http.MethodPatch, "/api/v1/dossiers/"+d.ID, a, map[string]any{"form": map[string]string{"purpose": norm.NFD.String("Học tập")}}, 200).json(t, &got)
	if got.Form["purpose"] != "Học tập" {
		t.Errorf("updated purpose %q, want NFC %q", got.Form["purpose"], "Học tập")
	}

	// A note is returned byte for byte.
	note := strings.Join(texts, " | ")
	p.call(http.MethodPost, "/api/v1/dossiers/"+d.ID+"/withdraw", a, map[string]string{"note": note}, 200)
	p.call(http.MethodGet, "/api/v1/dossiers/"+d.ID, a, nil, 200)
	var raw struct {
		History []struct {
			Note string `json:"note"`
		} `json:"history"`
	}
	r := p.call(http.MethodGet, "/api/v1/dossiers/"+d.ID, a, nil, 200)
	if err := json.Unmarshal(r.Body.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if n := len(raw.History); n == 0 || raw.History[n-1].Note != note {
		t.Errorf("withdrawal note came back as %+v, want exactly %q", raw.History, note)
	}
}

// TestSQLMetaCharactersAreText searches and filters with SQL syntax: it is
// matched as text (no procedure contains it), never interpreted, never a
// 5xx; an invalid status filter is a 400 naming the value.
func TestSQLMetaCharactersAreText(t *testing.T) {
	p := newPortalHarness(t)
	a := p.login(mock.CitizenID(34))
	p.submitted(a)
	var all struct {
		Total int `json:"total"`
	}
	p.call(http.MethodGet, "/api/v1/procedures", "", nil, 200).json(t, &all)
	for _, q := range []string{"' OR 1=1 --", `" OR ""="`, "%", "_", "%%", "\\", "'; DROP TABLE dossiers; --", "1' UNION SELECT * FROM sessions --", "*", "NULL"} {
		var res struct {
			Total int `json:"total"`
		}
		p.call(http.MethodGet, "/api/v1/procedures?q="+url.QueryEscape(q), "", nil, 200).json(t, &res)
		if res.Total != 0 {
			t.Errorf("search %q found %d of %d procedures; SQL syntax must match only literally (none contain it)", q, res.Total, all.Total)
		}
		r := p.do(request{method: http.MethodGet, path: "/api/v1/dossiers?status=" + url.QueryEscape(q), token: a})
		if r.Code != http.StatusBadRequest || !strings.Contains(r.Body.String(), "not a dossier status") {
			t.Errorf("status filter %q: %v, want 400 naming the bad status", q, r)
		}
		r = p.do(request{method: http.MethodGet, path: "/api/v1/lookup/" + url.PathEscape(q)})
		if r.Code != http.StatusNotFound && r.Code != http.StatusBadRequest {
			t.Errorf("lookup %q: %v, want 404 or 400", q, r)
		}
	}
	// The store still has the dossier and its sessions.
	var list struct {
		Total int `json:"total"`
	}
	p.call(http.MethodGet, "/api/v1/dossiers", a, nil, 200).json(t, &list)
	if list.Total != 1 {
		t.Errorf("after the SQL-shaped requests the citizen has %d dossiers, want 1", list.Total)
	}
}

// paymentFixture is a submitted dossier with a started payment.
type paymentFixture struct {
	p       *portalHarness
	token   string
	dossier string
	payment string
	amount  int64
}

func newPaymentFixture(t testing.TB, p *portalHarness, citizen string) paymentFixture {
	t.Helper()
	tok := p.login(citizen)
	d := p.submitted(tok)
	var pay struct {
		PaymentID string `json:"payment_id"`
		Amount    int64  `json:"amount"`
	}
	p.call(http.MethodPost, "/api/v1/dossiers/"+d.ID+"/payments", tok, nil, 201).json(t, &pay)
	if pay.PaymentID == "" || pay.Amount <= 0 {
		t.Fatalf("started payment %+v: want an ID and the fee", pay)
	}
	return paymentFixture{p: p, token: tok, dossier: d.ID, payment: pay.PaymentID, amount: pay.Amount}
}

// notification is a gateway notification body for the fixture's payment.
func (f paymentFixture) notification(amount int64, paidAt time.Time, nonce string) []byte {
	return jsonBody(portal.PaymentNotification{PaymentID: f.payment, GatewayRef: "PG" + nonce, Amount: amount,
		Status: portal.PaymentPaid, PaidAt: paidAt, Nonce: nonce})
}

func (f paymentFixture) deliver(body []byte, signature string) response {
	return f.p.do(request{method: http.MethodPost, path: "/api/v1/payments/callback", contentType: "application/json",
		body: body, header: map[string]string{portal.SignatureHeader: signature}})
}

// payments returns the dossier's payments as its owner sees them.
func (f paymentFixture) payments(t *testing.T) []struct {
	ID     string `json:"id"`
	Amount int64  `json:"amount"`
	Status string `json:"status"`
} {
	t.Helper()
	var list struct {
		Items []struct {
			ID     string `json:"id"`
			Amount int64  `json:"amount"`
			Status string `json:"status"`
		} `json:"items"`
	}
	f.p.call(http.MethodGet, "/api/v1/dossiers/"+f.dossier+"/payments", f.token, nil, 200).json(t, &list)
	return list.Items
}

func (f paymentFixture) paymentStatus(t *testing.T) string {
	t.Helper()
	var d dossierView
	f.p.call(http.MethodGet, "/api/v1/dossiers/"+f.dossier, f.token, nil, 200).json(t, &d)
	return d.PaymentStatus
}

// TestPaymentCallbackRefusesForgedReplayedAndStale delivers notifications
// over HTTP: unsigned, signed with the wrong key, re-signed bodies with a
// changed amount, stale and future ones are refused with a 4xx and change
// nothing; the genuine one is applied once, and its exact replay is a
// harmless duplicate.
func TestPaymentCallbackRefusesForgedReplayedAndStale(t *testing.T) {
	p := newPortalHarness(t)
	f := newPaymentFixture(t, p, mock.CitizenID(41))
	secret := p.app.Payments.Secret
	now := time.Now()
	genuine := f.notification(f.amount, now, "n1")
	sig := portal.Sign(secret, genuine)

	before := f.paymentStatus(t)
	refusals := []struct {
		name      string
		body      []byte
		signature string
		status    int
		message   string
	}{
		{"unsigned", genuine, "", 401, "signature"},
		{"signed with another key", genuine, portal.Sign([]byte("not the gateway's key"), genuine), 401, "signature"},
		{"genuine signature on a changed amount", f.notification(1, now, "n1"), sig, 401, "signature"},
		{"changed amount, re-signed by someone with the key", f.notification(f.amount-1, now, "n2"), portal.Sign(secret, f.notification(f.amount-1, now, "n2")), 400, "notification says"},
		{"stale", f.notification(f.amount, now.Add(-time.Hour), "n3"), portal.Sign(secret, f.notification(f.amount, now.Add(-time.Hour), "n3")), 400, "stale"},
		{"from the future", f.notification(f.amount, now.Add(time.Hour), "n4"), portal.Sign(secret, f.notification(f.amount, now.Add(time.Hour), "n4")), 400, "future"},
		{"malformed but signed", []byte(`{"payment_id": `), portal.Sign(secret, []byte(`{"payment_id": `)), 400, ""},
		{"over the size limit", bytes.Repeat([]byte(" "), portal.MaxNotificationBytes+10), "00", 401, ""},
	}
	for _, r := range refusals {
		got := f.deliver(r.body, r.signature)
		if got.Code != r.status || !strings.Contains(got.errorMessage(), r.message) {
			t.Errorf("%s: %v, want %d with %q", r.name, got, r.status, r.message)
		}
	}
	if st := f.paymentStatus(t); st != before || st == portal.PaymentPaid {
		t.Fatalf("after refused notifications the dossier's payment status is %q, was %q", st, before)
	}

	if got := f.deliver(genuine, sig); got.Code != 200 || !strings.Contains(got.Body.String(), `"paid"`) {
		t.Fatalf("genuine notification: %v, want 200 paid", got)
	}
	for range 3 {
		if got := f.deliver(genuine, sig); got.Code != 200 || !strings.Contains(got.Body.String(), portal.PaymentOutcomeDuplicate) {
			t.Errorf("exact replay: %v, want 200 duplicate", got)
		}
	}
	// Replays with a changed amount after the payment, re-signed or not.
	changed := f.notification(f.amount*10, now, "n1")
	if got := f.deliver(changed, sig); got.Code != 401 {
		t.Errorf("replay with a changed amount: %v, want 401", got)
	}
	if got := f.deliver(changed, portal.Sign(secret, changed)); got.Code != 400 {
		t.Errorf("re-signed replay with a changed amount: %v, want 400", got)
	}
	pays := f.payments(t)
	if len(pays) != 1 || pays[0].Status != portal.PaymentPaid || pays[0].Amount != f.amount {
		t.Errorf("payments %+v, want exactly one paid payment of %d", pays, f.amount)
	}
	if st := f.paymentStatus(t); st != portal.PaymentPaid {
		t.Errorf("dossier payment status %q, want %q", st, portal.PaymentPaid)
	}
}

// FuzzPaymentCallback posts arbitrary bodies, correctly signed or not, to
// the callback route: never a 5xx, and never a 2xx for a body that is not a
// correctly signed, well-formed notification.
func FuzzPaymentCallback(f *testing.F) {
	p := newPortalHarness(f)
	fx := newPaymentFixture(f, p, mock.CitizenID(42))
	secret := p.app.Payments.Secret
	f.Add(fx.notification(fx.amount, time.Now(), "seed"), true)
	f.Add(fx.notification(fx.amount+1, time.Now(), "seed2"), true)
	f.Add([]byte(`{"payment_id":"pay_1","gateway_ref":"PG1","amount":7000,"status":"paid","paid_at":"2026-11-25T09:00:00Z","nonce":"n"}`), true)
	f.Add([]byte(`{"payment_id":"","amount":-1}`), true)
	f.Add([]byte(`[]`), false)
	f.Add([]byte{0xff, 0xfe}, true)
	f.Fuzz(func(t *testing.T, body []byte, signed bool) {
		sig := "00"
		if signed {
			sig = portal.Sign(secret, body)
		}
		r := fx.deliver(body, sig)
		if r.Code >= 500 {
			t.Fatalf("%v: a server error", r)
		}
		if r.Code/100 == 2 {
			if !signed {
				t.Fatalf("%v: an unsigned notification was accepted", r)
			}
			if _, err := portal.ParseNotification(body); err != nil {
				t.Fatalf("%v: accepted a notification that does not parse: %v", r, err)
			}
		}
	})
}
