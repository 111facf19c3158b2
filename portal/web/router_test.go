package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// ginToOpenAPI turns /dossiers/:id into /dossiers/{id}.
var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

func ginToOpenAPI(path string) string { return ginParam.ReplaceAllString(path, "{$1}") }

func TestOpenAPIDocumentsExactlyTheRoutes(t *testing.T) {
	doc, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	served := map[string]bool{}
	for _, r := range NewRouter(Deps{}).Routes() {
		served[r.Method+" "+ginToOpenAPI(r.Path)] = true
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("route %s is served but not in openapi.yaml", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("openapi.yaml documents %s but the router does not serve it", k)
		}
	}
	if len(served) != len(Routes()) {
		t.Errorf("router serves %d routes, the route table has %d", len(served), len(Routes()))
	}
}

// TestOpenAPISecurityMatchesAccess checks that exactly the routes needing a
// token declare bearer security in the document.
func TestOpenAPISecurityMatchesAccess(t *testing.T) {
	doc, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Routes() {
		op := doc.Paths.Find(ginToOpenAPI(r.Path)).GetOperation(r.Method)
		secured := op.Security != nil && len(*op.Security) > 0
		if secured != (r.Access != Public) {
			t.Errorf("%s %s: access %s but documented security %v", r.Method, r.Path, r.Access, secured)
		}
		if r.Access != Public && op.Responses.Status(http.StatusUnauthorized) == nil {
			t.Errorf("%s %s: needs a token but documents no 401", r.Method, r.Path)
		}
	}
}

func TestServesOpenAPIJSON(t *testing.T) {
	w := httptest.NewRecorder()
	NewRouter(Deps{}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || w.Code != 200 {
		t.Fatalf("GET /openapi.json: %d %v", w.Code, err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Paths["/api/v1/dossiers/{id}"] == nil {
		t.Errorf("served document is not the API's: openapi %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
}

// serve sends one request to a router built with no services: enough for
// everything the middleware decides before a handler calls the domain.
func serve(t *testing.T, r *gin.Engine, method, path, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body == "" {
		req.Body = http.NoBody
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	return body.Error.Code
}

func TestMiddlewareRefusals(t *testing.T) {
	r := NewRouter(Deps{})
	big := `{"personal_id":"` + strings.Repeat("1", MaxJSONBody) + `"}`
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		header     map[string]string
		wantStatus int
		wantCode   string
	}{
		{"no token", "GET", "/api/v1/dossiers", "", nil, 401, "unauthorized"},
		{"no token on a citizen route", "POST", "/api/v1/dossiers", `{}`, nil, 401, "unauthorized"},
		{"not a bearer token", "GET", "/api/v1/dossiers/d_1", "", map[string]string{"Authorization": "Basic YTpi"}, 401, "unauthorized"},
		{"empty bearer token", "GET", "/api/v1/dossiers/d_1", "", map[string]string{"Authorization": "Bearer "}, 401, "unauthorized"},
		{"oversized body by Content-Length", "POST", "/api/v1/auth/otp", big, nil, 413, "payload_too_large"},
		{"unknown route", "GET", "/api/v1/nothing", "", nil, 404, "not_found"},
		{"wrong method", "DELETE", "/api/v1/procedures", "", nil, 405, "method_not_allowed"},
		{"malformed JSON", "POST", "/api/v1/auth/otp", `{"personal_id":`, nil, 400, "invalid"},
		{"unknown field", "POST", "/api/v1/auth/login", `{"challenge_id":"c","otp":"1","remember":true}`, nil, 400, "invalid"},
		{"trailing data", "POST", "/api/v1/auth/login", `{"challenge_id":"c","otp":"1"} {}`, nil, 400, "invalid"},
		{"missing login fields", "POST", "/api/v1/auth/login", `{}`, nil, 422, "invalid"},
		{"bad page", "GET", "/api/v1/procedures?page=0&per_page=1000", "", nil, 400, "invalid"},
		{"bad level", "GET", "/api/v1/procedures?level=galaxy", "", nil, 400, "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serve(t, r, tt.method, tt.path, tt.body, tt.header)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d (%s), want %d", w.Code, w.Body, tt.wantStatus)
			}
			if got := errorCode(t, w); got != tt.wantCode {
				t.Errorf("code %q, want %q", got, tt.wantCode)
			}
			if tt.wantStatus == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without a Bearer WWW-Authenticate challenge")
			}
		})
	}
}

func TestOversizedChunkedBody(t *testing.T) {
	r := NewRouter(Deps{})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/auth/otp",
		strings.NewReader(`{"personal_id":"`+strings.Repeat("1", MaxJSONBody)+`"}`))
	req.ContentLength = -1 // unknown length: the limit must bite while reading
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "limit of 1048576 bytes") {
		t.Fatalf("status %d body %s, want 413 naming the limit", w.Code, w.Body)
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	var logs bytes.Buffer
	r := NewRouter(Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})

	w := serve(t, r, "GET", "/api/v1/dossiers", "", map[string]string{HeaderRequestID: "trace-42"})
	if got := w.Header().Get(HeaderRequestID); got != "trace-42" {
		t.Errorf("X-Request-ID %q, want the caller's trace-42", got)
	}
	w = serve(t, r, "GET", "/api/v1/dossiers", "", map[string]string{HeaderRequestID: "bad id\nwith newline"})
	if got := w.Header().Get(HeaderRequestID); len(got) != 16 {
		t.Errorf("X-Request-ID %q, want a generated 16-hex-digit ID instead of an unsafe one", got)
	}
	serve(t, r, "GET", "/healthz", "", nil)

	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 2 {
		t.Fatalf("%d access log lines, want 2 (healthz is not logged): %s", len(lines), logs.String())
	}
	first := lines[0]
	if first["request_id"] != "trace-42" || first["route"] != "/api/v1/dossiers" || first["status"] != float64(401) || first["level"] != "INFO" {
		t.Errorf("access log line %v lacks request_id, route, status or level", first)
	}
}

func TestRecoveryAnswersJSON(t *testing.T) {
	var logs bytes.Buffer
	r := NewRouter(Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	r.GET("/boom", func(*gin.Context) { panic("kaboom") })
	w := serve(t, r, "GET", "/boom", "", nil)
	if w.Code != 500 || errorCode(t, w) != "internal" || strings.Contains(w.Body.String(), "kaboom") {
		t.Errorf("panic answered %d %s, want 500 internal without the cause", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Errorf("panic not logged: %s", logs.String())
	}
	// The server keeps serving.
	if w := serve(t, r, "GET", "/healthz", "", nil); w.Code != 200 {
		t.Errorf("healthz after a panic: %d", w.Code)
	}
}

func TestShedLoad(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{})
	r := NewRouter(Deps{MaxInFlight: 1})
	r.GET("/slow", func(c *gin.Context) { close(entered); <-release; c.Status(204) })
	done := make(chan int)
	go func() {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest("GET", "/slow", nil))
		done <- w.Code
	}()
	<-entered
	w := serve(t, r, "GET", "/readyz", "", nil)
	probe := serve(t, r, "GET", "/healthz", "", nil)
	close(release)
	if w.Code != 503 || w.Header().Get("Retry-After") == "" || errorCode(t, w) != "unavailable" {
		t.Errorf("second request while one is in flight: %d, Retry-After %q; want 503 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if probe.Code != 200 {
		t.Errorf("liveness probe under overload: %d, want 200 (probes are never shed)", probe.Code)
	}
	if code := <-done; code != 204 {
		t.Errorf("in-flight request finished with %d", code)
	}
}

func TestRoutesTableIsComplete(t *testing.T) {
	var paths []string
	for _, r := range Routes() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	for _, want := range []string{"POST /api/v1/auth/otp", "POST /api/v1/dossiers/:id/submit", "GET /api/v1/lookup/:code", "GET /readyz"} {
		if !slices.Contains(paths, want) {
			t.Errorf("route %s missing from Routes()", want)
		}
	}
}
