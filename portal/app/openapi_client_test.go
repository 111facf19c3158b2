package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/portalsim/portalsim/portal/web"
)

// apiClient drives the real server and validates every request it sends
// (unless told the request is deliberately malformed) and every response it
// gets against the OpenAPI document; it records which operations it saw.
type apiClient struct {
	t      *testing.T
	base   string
	http   *http.Client
	router routers.Router

	mu   sync.Mutex
	seen map[string]bool // "METHOD /path/{param}"
}

func newAPIClient(t *testing.T, base string) *apiClient {
	t.Helper()
	doc, err := web.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{t: t, base: base, http: &http.Client{}, router: router, seen: map[string]bool{}}
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test if it cannot.
func (r response) JSON(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

func (r response) ErrorCode(t *testing.T) (code string, fields []map[string]string) {
	t.Helper()
	var e struct {
		Error struct {
			Code   string              `json:"code"`
			Fields []map[string]string `json:"fields"`
		} `json:"error"`
	}
	r.JSON(t, &e)
	return e.Error.Code, e.Error.Fields
}

// do sends a request whose body is v marshalled (or raw if v is a string
// starting with "raw:"), validating request and response.
func (c *apiClient) do(method, path, token string, v any) response {
	c.t.Helper()
	var body []byte
	validRequest := true
	switch x := v.(type) {
	case nil:
	case string:
		body, validRequest = []byte(strings.TrimPrefix(x, "raw:")), false
	default:
		var err error
		if body, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	} else {
		req.Body = http.NoBody
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
	if validRequest {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			c.t.Errorf("%s %s: request does not match the document: %v", method, path, err)
		}
		req.Body = io.NopCloser(bytes.NewReader(body)) // validation consumed it
		if body == nil {
			req.Body = http.NoBody
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(got)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		c.t.Errorf("%s %s → %d: response does not match the document: %v\nbody: %s", method, path, resp.StatusCode, err, got)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: got}
}

// expect fails the test unless the response has the wanted status.
func (c *apiClient) expect(r response, want int, what string) response {
	c.t.Helper()
	if r.Status != want {
		c.t.Fatalf("%s: status %d, want %d: %s", what, r.Status, want, r.Body)
	}
	return r
}
