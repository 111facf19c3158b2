package app_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/mock"
)

// send is do for bodies that are not JSON (multipart uploads, exact
// callback bytes), still validating request and response against the
// OpenAPI document.
func (c *apiClient) send(method, path, token string, header http.Header, body []byte) response {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		c.t.Fatalf("%s %s is not in the OpenAPI document: %v", method, path, err)
	}
	c.mu.Lock()
	c.seen[method+" "+route.Path] = true
	c.mu.Unlock()
	walked.Store(method+" "+route.Path, true)
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		c.t.Errorf("%s %s: request does not match the document: %v", method, path, err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(got)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s %s → %d: response does not match the document: %v\nbody: %.300s", method, path, resp.StatusCode, err, got)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: got}
}

// upload posts one file to a requirement as multipart/form-data.
func (c *apiClient) upload(token, dossierID, requirement, fileName string, content []byte) response {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("requirement", requirement)
	fw, err := w.CreateFormFile("file", fileName)
	if err != nil {
		c.t.Fatal(err)
	}
	fw.Write(content)
	w.Close()
	return c.send("POST", "/api/v1/dossiers/"+dossierID+"/attachments", token, http.Header{"Content-Type": {w.FormDataContentType()}}, buf.Bytes())
}

var (
	smallPDF  = []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	smallJPEG = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F', 0}, bytes.Repeat([]byte{0}, 64)...)
)

func officerPrincipal() portal.Principal {
	return portal.Principal{UserID: "001085000001", Role: portal.RoleOfficer, Name: "Cán bộ 1"}
}

// walkCitizenServices exercises every route of issue 4's citizen side on
// the real server: prefill, attachments, e-payment through the gateway and
// forged/replayed callbacks, the signed e-result and its verification,
// rating, and interconnected groups.
func walkCitizenServices(t *testing.T, a *app.App, c *apiClient) {
	ctx := context.Background()
	owner := login(t, c, mock.CitizenID(101))
	other := login(t, c, mock.CitizenID(102))
	officer := login(t, c, "001085000001")

	// Prefill and attachments on a birth registration draft.
	var d dossier
	c.expect(c.do("POST", "/api/v1/dossiers", owner.Token, map[string]any{"procedure_code": birthRegistration}), 201, "create").JSON(t, &d)
	var pre struct {
		Form map[string]string `json:"form"`
	}
	c.expect(c.do("GET", "/api/v1/dossiers/"+d.ID+"/prefill", owner.Token, nil), 200, "prefill").JSON(t, &pre)
	if len(pre.Form) == 0 {
		t.Errorf("prefill of %s is empty; the population mock knows the applicant", birthRegistration)
	}
	c.expect(c.do("GET", "/api/v1/dossiers/"+d.ID+"/prefill", other.Token, nil), 404, "prefill of someone else's dossier")

	var att struct {
		ID, FileName, ContentType, SHA256 string
		Size                              int64
	}
	r := c.expect(c.upload(owner.Token, d.ID, "birth_notice", "..\\..\\etc/gia\u0302\u0301y chứng sinh\u202e.pdf", smallPDF), 201, "upload pdf")
	var raw map[string]any
	r.JSON(t, &raw)
	att.ID, att.FileName, att.ContentType, att.SHA256 = raw["id"].(string), raw["file_name"].(string), raw["content_type"].(string), raw["sha256"].(string)
	if att.FileName != "giấy chứng sinh.pdf" || att.ContentType != "application/pdf" || len(att.SHA256) != 64 {
		t.Errorf("uploaded %v: want the sanitised name without path or NUL, application/pdf and a SHA-256", raw)
	}
	c.expect(c.upload(owner.Token, d.ID, "birth_notice", "anh.jpg", smallJPEG), 201, "upload jpeg")
	exe := append([]byte("MZ\x90\x00\x03"), bytes.Repeat([]byte{0}, 100)...)
	for _, tc := range []struct {
		name, requirement, file string
		content                 []byte
		want                    int
		inMessage               string
	}{
		{"executable named .pdf", "birth_notice", "giay-chung-sinh.pdf", exe, 415, "Windows executable"},
		{"ELF named .pdf", "birth_notice", "x.pdf", []byte("\x7fELF\x02\x01\x01"), 415, "ELF"},
		{"script named .pdf", "birth_notice", "x.pdf", []byte("#!/bin/sh\nrm -rf /\n"), 415, "script"},
		{"text file", "birth_notice", "note.pdf", []byte("hello, not a pdf at all"), 415, "text/plain"},
		{"oversized", "birth_notice", "big.pdf", append(append([]byte{}, smallPDF...), make([]byte, 5<<20)...), 413, "at most 5242880"},
		{"unknown requirement", "passport_scan", "x.pdf", smallPDF, 422, "requirement"},
	} {
		r := c.expect(c.upload(owner.Token, d.ID, tc.requirement, tc.file, tc.content), tc.want, tc.name)
		if !strings.Contains(string(r.Body), tc.inMessage) {
			t.Errorf("%s: %s does not mention %q", tc.name, r.Body, tc.inMessage)
		}
	}
	c.expect(c.upload(other.Token, d.ID, "birth_notice", "x.pdf", smallPDF), 404, "upload to someone else's dossier")
	r = c.expect(c.do("GET", "/api/v1/dossiers/"+d.ID+"/attachments/"+att.ID, owner.Token, nil), 200, "download")
	if !bytes.Equal(r.Body, smallPDF) || r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("download: %d bytes, headers %v", len(r.Body), r.Header)
	}
	c.expect(c.do("GET", "/api/v1/dossiers/"+d.ID+"/attachments/"+att.ID, officer.Token, nil), 200, "officer downloads")
	c.expect(c.do("GET", "/api/v1/dossiers/"+d.ID+"/attachments/"+att.ID, other.Token, nil), 404, "another citizen downloads")

	today := time.Now().In(portal.VietnamTime).Format(time.DateOnly)
	form := map[string]string{"relationship": "Mẹ", "child_name": "Nguyễn Văn An", "child_dob": today, "child_gender": "Nam",
		"child_birthplace": "Bệnh viện Phụ sản Hà Nội", "mother_name": "Trần Thị Bình"}
	c.expect(c.do("PATCH", "/api/v1/dossiers/"+d.ID, owner.Token, map[string]any{"form": form}), 200, "fill")
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/submit", owner.Token, nil), 200, "submit")
	c.expect(c.upload(owner.Token, d.ID, "birth_notice", "late.pdf", smallPDF), 409, "upload after submit")

	// The result: the officer approves, the portal signs and stores it.
	for _, to := range []portal.Status{portal.StatusReceived, portal.StatusProcessing, portal.StatusApproved} {
		if _, err := a.Dossiers.Act(ctx, officerPrincipal(), d.ID, to, ""); err != nil {
			t.Fatalf("officer moves to %s: %v", to, err)
		}
	}
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/rating", owner.Token, map[string]any{"rating": 5}), 409, "rate before the result")
	if _, err := a.Results.Issue(ctx, portal.Principal{UserID: "citizen?", Role: portal.RoleCitizen}, d.ID); portal.ErrorCode(err) != portal.ENOTFOUND && portal.ErrorCode(err) != portal.EFORBIDDEN {
		t.Errorf("a citizen issued a result: %v", err)
	}
	issued, err := a.Results.Issue(ctx, portal.Principal{UserID: "system", Role: portal.RoleSystem}, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if issued.Status != portal.StatusResultIssued || issued.ResultAt == nil {
		t.Fatalf("issued dossier %s, result_at %v", issued.Status, issued.ResultAt)
	}
	if _, err := a.Results.Issue(ctx, portal.Principal{UserID: "system", Role: portal.RoleSystem}, d.ID); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("issuing twice: %v, want a conflict", err)
	}
	c.expect(c.do("GET", "/api/v1/results/"+d.Code, other.Token, nil), 404, "another citizen's result")
	c.expect(c.do("GET", "/api/v1/results/"+d.Code, "", nil), 401, "result without a token")
	doc := c.expect(c.do("GET", "/api/v1/results/"+d.Code, owner.Token, nil), 200, "download result").Body
	var v struct {
		Valid       bool   `json:"valid"`
		DossierCode string `json:"dossier_code"`
		PublicKey   string `json:"public_key"`
		Reason      string `json:"reason"`
	}
	c.expect(c.do("GET", "/api/v1/results/"+d.Code+"/verify", "", nil), 200, "verify").JSON(t, &v)
	if !v.Valid || v.DossierCode != d.Code || v.PublicKey != a.Signer.PublicKeyBase64() {
		t.Errorf("verify: %+v", v)
	}
	c.expect(c.send("POST", "/api/v1/results/verify", "", http.Header{"Content-Type": {"application/json"}}, doc), 200, "verify held document").JSON(t, &v)
	if !v.Valid {
		t.Errorf("the downloaded result does not verify: %+v", v)
	}
	tampered := bytes.Replace(doc, []byte(`"decision":"approved"`), []byte(`"decision":"rejected"`), 1)
	if bytes.Equal(tampered, doc) {
		t.Fatalf("result %s has no approved decision to tamper with", doc)
	}
	c.expect(c.send("POST", "/api/v1/results/verify", "", http.Header{"Content-Type": {"application/json"}}, tampered), 200, "verify tampered").JSON(t, &v)
	if v.Valid || !strings.Contains(v.Reason, "integrity") {
		t.Errorf("tampered result: %+v, want invalid with an integrity reason", v)
	}
	c.expect(c.do("GET", "/api/v1/results/NO-SUCH-CODE/verify", "", nil), 404, "verify unknown")
	var key struct {
		PublicKey string `json:"public_key"`
	}
	c.expect(c.do("GET", "/api/v1/results/public-key", "", nil), 200, "public key").JSON(t, &key)
	if key.PublicKey != a.Signer.PublicKeyBase64() {
		t.Errorf("public key %q", key.PublicKey)
	}
	c.expect(c.do("GET", "/api/v1/dossiers/"+d.ID, owner.Token, nil), 200, "after download").JSON(t, &d)
	if d.Status != "completed" {
		t.Errorf("after the owner's download the dossier is %s, want completed", d.Status)
	}
	for _, bad := range []int{0, 6, -1} {
		c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/rating", owner.Token, map[string]any{"rating": bad}), 422, "rating out of bounds")
	}
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/rating", other.Token, map[string]any{"rating": 4}), 404, "someone else rates")
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/rating", owner.Token, map[string]any{"rating": 5, "comment": "Nhanh, gọn"}), 200, "rate")
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/rating", owner.Token, map[string]any{"rating": 1}), 409, "rate twice")

	walkPayments(t, a, c, owner, other)
	walkGroups(t, c, owner)
}

// feeDossier makes a submitted temporary-residence dossier (online fee 7,000 VND).
func feeDossier(t *testing.T, c *apiClient, token string) dossier {
	t.Helper()
	var d dossier
	c.expect(c.do("POST", "/api/v1/dossiers", token, map[string]any{"procedure_code": "1.004194", "form": map[string]string{
		"temporary_address": "25 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội", "stay_from": time.Now().In(portal.VietnamTime).Format(time.DateOnly),
		"stay_months": "12", "purpose": "Lao động"}}), 201, "create fee dossier").JSON(t, &d)
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/submit", token, nil), 200, "submit fee dossier").JSON(t, &d)
	return d
}

type paymentStart struct {
	PaymentID   string `json:"payment_id"`
	RedirectURL string `json:"redirect_url"`
	ConfirmURL  string `json:"confirm_url"`
	Amount      int64  `json:"amount"`
}

func paymentStatus(t *testing.T, c *apiClient, token, dossierID string) string {
	t.Helper()
	var d struct {
		PaymentStatus string `json:"payment_status"`
	}
	c.expect(c.do("GET", "/api/v1/dossiers/"+dossierID, token, nil), 200, "dossier").JSON(t, &d)
	return d.PaymentStatus
}

func walkPayments(t *testing.T, a *app.App, c *apiClient, owner, other session) {
	ctx := context.Background()
	// Through the gateway: start, confirm as a script would, the signed
	// callback marks the dossier paid.
	d := feeDossier(t, c, owner.Token)
	if _, err := a.Dossiers.Act(ctx, officerPrincipal(), d.ID, portal.StatusReceived, ""); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("receiving an unpaid dossier: %v, want a conflict", err)
	}
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/payments", other.Token, nil), 404, "someone else pays")
	var ps paymentStart
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/payments", owner.Token, nil), 201, "start payment").JSON(t, &ps)
	if ps.Amount != 7000 || !strings.HasPrefix(ps.RedirectURL, "/gateway/pay/"+ps.PaymentID) {
		t.Fatalf("payment %+v", ps)
	}
	req, _ := http.NewRequest("POST", a.URL()+ps.ConfirmURL, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"paid"`) {
		t.Fatalf("gateway confirm: %d %s", resp.StatusCode, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for paymentStatus(t, c, owner.Token, d.ID) != portal.PaymentPaid {
		if time.Now().After(deadline) {
			t.Fatal("the gateway's callback never marked the dossier paid")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.expect(c.do("POST", "/api/v1/dossiers/"+d.ID+"/payments", owner.Token, nil), 409, "pay twice")
	if _, err := a.Dossiers.Act(ctx, officerPrincipal(), d.ID, portal.StatusReceived, ""); err != nil {
		t.Errorf("receiving the paid dossier: %v", err)
	}

	// Hand-made notifications: forged, genuine, replayed, changed, late.
	d2 := feeDossier(t, c, owner.Token)
	c.expect(c.do("POST", "/api/v1/dossiers/"+d2.ID+"/payments", owner.Token, nil), 201, "start payment 2").JSON(t, &ps)
	hexSecret, err := os.ReadFile(filepath.Join(a.Config.DataDir, app.PaymentSecretFile))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(hexSecret)))
	if err != nil {
		t.Fatal(err)
	}
	note := func(status string, amount int64, nonce string) []byte {
		b, _ := json.Marshal(portal.PaymentNotification{PaymentID: ps.PaymentID, GatewayRef: "PG-TEST", Amount: amount,
			Status: status, PaidAt: time.Now().UTC(), Nonce: nonce})
		return b
	}
	callback := func(body []byte, sig string, want int, what string) string {
		t.Helper()
		var ack struct {
			Outcome string `json:"outcome"`
		}
		r := c.expect(c.send("POST", "/api/v1/payments/callback", "", http.Header{"Content-Type": {"application/json"}, portal.SignatureHeader: {sig}}, body), want, what)
		if want == 200 {
			r.JSON(t, &ack)
		}
		return ack.Outcome
	}
	paid := note(portal.PaymentPaid, 7000, "nonce-1")
	callback(paid, portal.Sign([]byte("not the secret"), paid), 401, "forged callback")
	callback(paid, "", 401, "unsigned callback")
	if got := paymentStatus(t, c, owner.Token, d2.ID); got != portal.PaymentPending {
		t.Fatalf("after forged callbacks payment_status = %s, want pending", got)
	}
	if o := callback(paid, portal.Sign(secret, paid), 200, "genuine callback"); o != portal.PaymentOutcomePaid {
		t.Errorf("genuine callback outcome %q", o)
	}
	if o := callback(paid, portal.Sign(secret, paid), 200, "replayed callback"); o != portal.PaymentOutcomeDuplicate {
		t.Errorf("replay outcome %q, want duplicate", o)
	}
	changed := note(portal.PaymentPaid, 700000, "nonce-2")
	callback(changed, portal.Sign(secret, changed), 400, "replay with a changed amount")
	late := note(portal.PaymentFailed, 7000, "nonce-3")
	if o := callback(late, portal.Sign(secret, late), 200, "failed after paid"); o != portal.PaymentOutcomeIgnored {
		t.Errorf("out-of-order failed outcome %q, want ignored", o)
	}
	var list struct {
		Items []struct {
			Status string `json:"status"`
			Amount int64  `json:"amount"`
		} `json:"items"`
		PaymentStatus string `json:"payment_status"`
	}
	c.expect(c.do("GET", "/api/v1/dossiers/"+d2.ID+"/payments", owner.Token, nil), 200, "list payments").JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Status != portal.PaymentPaid || list.Items[0].Amount != 7000 || list.PaymentStatus != portal.PaymentPaid {
		t.Errorf("payments after replays: %+v, want one paid payment of 7000", list)
	}
	c.expect(c.do("GET", "/api/v1/dossiers/"+d2.ID+"/payments", other.Token, nil), 404, "someone else's payments")
}

func walkGroups(t *testing.T, c *apiClient, owner session) {
	var g struct {
		GroupID string    `json:"group_id"`
		Members []dossier `json:"members"`
	}
	form := map[string]string{"relationship": "Cha", "child_name": "Hoàng Gia Bảo", "child_dob": time.Now().In(portal.VietnamTime).AddDate(0, 0, -5).Format(time.DateOnly),
		"child_gender": "Nam", "child_birthplace": "Bệnh viện Từ Dũ", "mother_name": "Lý Thị Hạnh",
		"residence_address": "40 Hàng Bài, Hoàn Kiếm, Hà Nội", "residence_basis": "Về ở với người thân", "registered_hospital": "Bệnh viện Nhi Đồng 1"}
	c.expect(c.do("POST", "/api/v1/groups", owner.Token, map[string]any{"group_code": "1.011536", "form": map[string]string{"colour": "red"}}), 422, "group with a field no member has")
	c.expect(c.do("POST", "/api/v1/groups", owner.Token, map[string]any{"group_code": "9.999999"}), 404, "unknown group")
	c.expect(c.do("POST", "/api/v1/groups", owner.Token, map[string]any{"group_code": "1.011536", "form": form}), 201, "create group").JSON(t, &g)
	if len(g.Members) != 3 || g.GroupID == "" {
		t.Fatalf("group %+v, want 3 members", g)
	}
	r := c.expect(c.do("POST", "/api/v1/groups/"+g.GroupID+"/submit", owner.Token, nil), 422, "submit group without attachments")
	_, fields := r.ErrorCode(t)
	names := map[string]bool{}
	for _, f := range fields {
		names[f["field"]] = true
	}
	if !names["1.001193.attachments.birth_notice"] || !names["1.004222.attachments.proof_of_residence"] {
		t.Errorf("group 422 fields %v: want every member's problem prefixed by its procedure code", names)
	}
	c.expect(c.do("GET", "/api/v1/groups/"+g.GroupID, owner.Token, nil), 200, "group").JSON(t, &g)
	for _, m := range g.Members {
		if m.Status != "draft" {
			t.Errorf("member %s is %s after a refused group submit; nothing may be submitted", m.Code, m.Status)
		}
	}
	need := map[string]string{"1.001193": "birth_notice", "1.004222": "proof_of_residence"}
	for _, m := range g.Members {
		var full struct {
			ProcedureCode string `json:"procedure_code"`
		}
		c.expect(c.do("GET", "/api/v1/dossiers/"+m.ID, owner.Token, nil), 200, "member").JSON(t, &full)
		if req, ok := need[full.ProcedureCode]; ok {
			c.expect(c.upload(owner.Token, m.ID, req, "giay-to.pdf", smallPDF), 201, "upload for "+full.ProcedureCode)
		}
	}
	c.expect(c.do("POST", "/api/v1/groups/"+g.GroupID+"/submit", owner.Token, nil), 200, "submit group").JSON(t, &g)
	for _, m := range g.Members {
		if m.Status != "submitted" {
			t.Errorf("member %s is %s after the group submit", m.Code, m.Status)
		}
	}
	c.expect(c.do("GET", "/api/v1/groups/g_nonexistent", owner.Token, nil), 404, "unknown group id")
}

// TestCitizenServices runs the issue 4 citizen walk on its own portal.
func TestCitizenServices(t *testing.T) {
	a := startPortal(t, t.TempDir())
	walkCitizenServices(t, a, newAPIClient(t, a.URL()))
}
