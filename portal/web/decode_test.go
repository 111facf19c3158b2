package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portalsim/portalsim/portal"
)

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		allowEmpty bool
		limit      int64
		wantCode   string
		wantInMsg  string
	}{
		{"valid", `{"procedure_code":"1.001193","form":{"a":"b"}}`, false, 0, "", ""},
		{"valid with trailing whitespace", "{\"procedure_code\":\"x\"}\n  ", false, 0, "", ""},
		{"empty not allowed", ``, false, 0, portal.EINVALID, "empty"},
		{"empty allowed", ``, true, 0, "", ""},
		{"unknown field", `{"procedure_code":"x","colour":"red"}`, false, 0, portal.EINVALID, `unknown field "colour"`},
		{"trailing data", `{"procedure_code":"x"}{"procedure_code":"y"}`, false, 0, portal.EINVALID, "after the JSON object"},
		{"trailing garbage", `{"procedure_code":"x"} nonsense`, false, 0, portal.EINVALID, "after the JSON object"},
		{"syntax", `{"procedure_code":}`, false, 0, portal.EINVALID, "invalid JSON at byte"},
		{"truncated", `{"procedure_code":"x"`, false, 0, portal.EINVALID, "ends in the middle"},
		{"wrong type names the field", `{"procedure_code":"x","form":{"age":42}}`, false, 0, portal.EINVALID, `"form" must be a string, got number`},
		{"not an object", `[1,2]`, false, 0, portal.EINVALID, "an object"},
		{"too large", `{"procedure_code":"` + strings.Repeat("x", 100) + `"}`, false, 64, codePayloadTooLarge, "limit of 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			if tt.body == "" {
				r.Body = http.NoBody
			}
			if tt.limit > 0 {
				r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, tt.limit)
			}
			var v createDossierRequest
			err := decodeJSON(r, &v, tt.allowEmpty)
			if got := portal.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code %q (%v), want %q", got, err, tt.wantCode)
			}
			if err != nil && !strings.Contains(portal.ErrorMessage(err), tt.wantInMsg) {
				t.Errorf("message %q does not contain %q", portal.ErrorMessage(err), tt.wantInMsg)
			}
		})
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"procedure_code":"x","form":{"a":"b"}}`, `{"form":{"a":1}}`, `[]`, `{"a":`, `{} {}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		var v createDossierRequest
		err := decodeJSON(r, &v, true)
		if err != nil && portal.ErrorCode(err) != portal.EINVALID {
			t.Fatalf("decode error %v has code %q, want invalid", err, portal.ErrorCode(err))
		}
	})
}
