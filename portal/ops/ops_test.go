package ops

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

func init() { gin.SetMode(gin.TestMode) }

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", w.Code)
	}
	return w.Body.String()
}

func serve(r http.Handler, method, path string) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest(method, path, nil))
	return w
}

func TestShedding(t *testing.T) {
	m := NewMetrics(quiet())
	r := gin.New()
	r.Use(m.Middleware(), m.Shed(ShedConfig{MaxInFlight: 2}))
	entered := make(chan struct{})
	release := make(chan struct{})
	r.GET("/api/v1/slow", func(c *gin.Context) {
		entered <- struct{}{}
		<-release
		c.String(http.StatusOK, "done")
	})
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.GET("/metrics", gin.WrapH(m.Handler()))

	var wg sync.WaitGroup
	admitted := make([]*httptest.ResponseRecorder, 2)
	for i := range admitted {
		wg.Go(func() { admitted[i] = serve(r, "GET", "/api/v1/slow") })
		<-entered // both hold a slot before the excess arrives
	}
	for range 3 {
		w := serve(r, "GET", "/api/v1/slow")
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" ||
			w.Body.String() != `{"error":{"code":"unavailable","message":"server busy, retry later"}}` {
			t.Errorf("excess request: %d Retry-After=%q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
		}
	}
	if w := serve(r, "GET", "/healthz"); w.Code != http.StatusOK {
		t.Errorf("/healthz while full: %d", w.Code)
	}
	if w := serve(r, "GET", "/metrics"); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "portalsim_http_shed_total 3") {
		t.Errorf("/metrics while full: %d, shed count missing", w.Code)
	}
	close(release)
	wg.Wait()
	for i, w := range admitted {
		if w.Code != http.StatusOK {
			t.Errorf("admitted request %d: %d", i, w.Code)
		}
	}
	text := scrape(t, m)
	for _, want := range []string{
		`portalsim_http_requests_total{method="GET",route="/api/v1/slow",status="200"} 2`,
		`portalsim_http_requests_total{method="GET",route="/api/v1/slow",status="503"} 3`,
		`portalsim_http_in_flight 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Slots were returned: a new request is admitted.
	go func() { <-entered }() // release is closed now: the handler returns at once
	if w := serve(r, "GET", "/api/v1/slow"); w.Code != http.StatusOK {
		t.Errorf("after the burst: %d", w.Code)
	}
}

func TestSheddingQueueWait(t *testing.T) {
	m := NewMetrics(quiet())
	r := gin.New()
	r.Use(m.Shed(ShedConfig{MaxInFlight: 1, QueueWait: 5 * time.Second}))
	entered := make(chan struct{}, 2)
	release := make(chan struct{})
	r.GET("/x", func(c *gin.Context) {
		entered <- struct{}{}
		<-release
		c.Status(http.StatusNoContent)
	})
	var wg sync.WaitGroup
	codes := make([]int, 2)
	wg.Go(func() { codes[0] = serve(r, "GET", "/x").Code })
	<-entered
	wg.Go(func() { codes[1] = serve(r, "GET", "/x").Code })
	time.Sleep(20 * time.Millisecond) // the second is now waiting for the slot
	release <- struct{}{}             // the first finishes, the second takes its slot
	<-entered
	close(release)
	wg.Wait()
	if codes[0] != http.StatusNoContent || codes[1] != http.StatusNoContent {
		t.Errorf("codes = %v; the queued request should have been admitted", codes)
	}

	short := gin.New()
	short.Use(m.Shed(ShedConfig{MaxInFlight: 1, QueueWait: 10 * time.Millisecond}))
	hold := make(chan struct{})
	short.GET("/x", func(c *gin.Context) { entered <- struct{}{}; <-hold; c.Status(http.StatusNoContent) })
	wg.Go(func() { serve(short, "GET", "/x") })
	<-entered
	if w := serve(short, "GET", "/x"); w.Code != http.StatusServiceUnavailable {
		t.Errorf("after a short wait: %d, want 503", w.Code)
	}
	close(hold)
	wg.Wait()
}

func TestMetricsLabels(t *testing.T) {
	m := NewMetrics(quiet())
	r := gin.New()
	r.Use(m.Middleware())
	r.GET("/api/v1/dossiers/:id", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	r.POST("/api/v1/dossiers/:id/submit", func(c *gin.Context) { c.String(http.StatusUnprocessableEntity, "no") })
	serve(r, "GET", "/api/v1/dossiers/d_1")
	serve(r, "GET", "/api/v1/dossiers/d_2")
	serve(r, "POST", "/api/v1/dossiers/d_1/submit")
	for i := range 5 {
		serve(r, "GET", "/wp-admin/"+strings.Repeat("x", i))
	}
	m.ObservePayment(portal.PaymentOutcomePaid)
	m.ObservePayment(portal.PaymentOutcomeForged)
	m.ObservePayment(portal.PaymentOutcomePaid)

	calls := 0
	if err := m.RegisterDossierStates(func(context.Context) (map[portal.Status]int, error) {
		calls++
		return map[portal.Status]int{portal.StatusSubmitted: 7, portal.StatusDraft: 2}, nil
	}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterOfficers(func() float64 { return 12 }, func() float64 { return 0.75 }); err != nil {
		t.Fatal(err)
	}
	text := scrape(t, m)
	_ = scrape(t, m)
	for _, want := range []string{
		`portalsim_http_requests_total{method="GET",route="/api/v1/dossiers/:id",status="200"} 2`,
		`portalsim_http_requests_total{method="POST",route="/api/v1/dossiers/:id/submit",status="422"} 1`,
		`portalsim_http_requests_total{method="GET",route="unmatched",status="404"} 5`,
		`portalsim_http_request_duration_seconds_count{method="GET",route="/api/v1/dossiers/:id"} 2`,
		`portalsim_http_request_duration_seconds_bucket{method="GET",route="unmatched",le="10"} 5`,
		`portalsim_payments_total{outcome="paid"} 2`,
		`portalsim_payments_total{outcome="forged"} 1`,
		`portalsim_dossiers{status="submitted"} 7`,
		`portalsim_dossiers{status="draft"} 2`,
		`portalsim_dossiers{status="completed"} 0`,
		`portalsim_officer_queue_length 12`,
		`portalsim_officer_utilisation 0.75`,
		`portalsim_http_shed_total 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, "wp-admin") {
		t.Error("an unmatched path leaked into a label")
	}
	if calls != 1 {
		t.Errorf("dossier counts computed %d times for two scrapes within the TTL, want 1", calls)
	}
}

func TestDossierStatesKeepsLastOnError(t *testing.T) {
	m := NewMetrics(quiet())
	fail := false
	_ = m.RegisterDossierStates(func(context.Context) (map[portal.Status]int, error) {
		if fail {
			return nil, io.ErrUnexpectedEOF
		}
		return map[portal.Status]int{portal.StatusReceived: 3}, nil
	}, time.Nanosecond)
	_ = scrape(t, m)
	fail = true
	if text := scrape(t, m); !strings.Contains(text, `portalsim_dossiers{status="received"} 3`) {
		t.Error("a failed count dropped the previous figures")
	}
}

func TestTimeout(t *testing.T) {
	r := gin.New()
	r.Use(Timeout(20 * time.Millisecond))
	r.GET("/wait", func(c *gin.Context) { <-c.Request.Context().Done() })
	r.GET("/fast", func(c *gin.Context) {
		if _, ok := c.Request.Context().Deadline(); !ok {
			t.Error("no deadline on the request context")
		}
		c.String(http.StatusOK, "ok")
	})
	start := time.Now()
	w := serve(r, "GET", "/wait")
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "timed out") {
		t.Errorf("slow handler: %d %s", w.Code, w.Body)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("timeout took %s", el)
	}
	if w := serve(r, "GET", "/fast"); w.Code != http.StatusOK {
		t.Errorf("fast handler: %d", w.Code)
	}
}
