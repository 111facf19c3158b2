package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portalsim/portalsim/portal"
)

// The upload route has its own body limit; every other route keeps the
// JSON limit. Limits apply before authentication, so an oversized body is
// refused without touching the session store.
func TestUploadRouteBodyLimit(t *testing.T) {
	r := NewRouter(Deps{})
	twoMiB := strings.Repeat("x", 2<<20)
	tests := []struct {
		name, method, path string
		size               int64 // declared Content-Length; 0 = the body's
		body               string
		want               int
	}{
		{"2 MiB upload passes the body limit (then needs a token)", "POST", "/api/v1/dossiers/d_1/attachments", 0, twoMiB, 401},
		{"upload over the upload limit", "POST", "/api/v1/dossiers/d_1/attachments", MaxUploadBody + 1, "x", 413},
		{"2 MiB JSON elsewhere", "POST", "/api/v1/dossiers", 0, twoMiB, 413},
		{"2 MiB to the payment callback", "POST", "/api/v1/payments/callback", 0, twoMiB, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
			if tt.size > 0 {
				req.ContentLength = tt.size
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tt.want {
				t.Errorf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
		})
	}
}

func TestAttachmentErrorStatuses(t *testing.T) {
	for code, want := range map[string]int{portal.EUNSUPPORTED: 415, portal.ETOOLARGE: 413} {
		if got := StatusOf(code, false); got != want {
			t.Errorf("StatusOf(%s) = %d, want %d", code, got, want)
		}
	}
}

func TestGatewayMountedBesideTheAPI(t *testing.T) {
	gw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte(r.Method + " " + r.URL.Path))
	})
	r := NewRouter(Deps{Gateway: gw})
	for _, method := range []string{"GET", "POST"} {
		w := serve(t, r, method, "/gateway/pay/pay_1/confirm?sig=x", "", nil)
		if w.Code != http.StatusTeapot || w.Body.String() != method+" /gateway/pay/pay_1/confirm" {
			t.Errorf("%s /gateway/...: %d %q, want the gateway to see the full path", method, w.Code, w.Body)
		}
	}
	if w := serve(t, NewRouter(Deps{}), "GET", "/gateway/pay/pay_1", "", nil); w.Code != http.StatusNotFound {
		t.Errorf("without a gateway /gateway is %d, want 404", w.Code)
	}
}
