package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

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
