package mock

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/faults"
)

var gatewaySecret = []byte("gateway-test-secret")

// portalCallback stands in for the portal's callback endpoint: it checks
// the signature like PaymentService does and records what arrived.
type portalCallback struct {
	mu       sync.Mutex
	received []portal.PaymentNotification
	bodies   []string
	refuse   int // answer 500 to this many attempts first
	arrived  chan struct{}
}

func newPortalCallback(t *testing.T, refuse int) (*portalCallback, *httptest.Server) {
	pc := &portalCallback{refuse: refuse, arrived: make(chan struct{}, 10000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/api/v1/payments/callback" || !portal.VerifySignature(gatewaySecret, body, r.Header.Get(portal.SignatureHeader)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		pc.mu.Lock()
		defer pc.mu.Unlock()
		pc.bodies = append(pc.bodies, string(body))
		if pc.refuse > 0 {
			pc.refuse--
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		n, err := portal.ParseNotification(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		pc.received = append(pc.received, *n)
		w.WriteHeader(http.StatusNoContent)
		pc.arrived <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return pc, srv
}

func newTestGateway(t *testing.T, cfg GatewayConfig) *Gateway {
	t.Helper()
	cfg.Secret = gatewaySecret
	cfg.Logger = slog.New(slog.DiscardHandler)
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	g, err := NewGateway(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return g
}

func checkoutQuery(id string, amount int64, returnURL string) url.Values {
	q := url.Values{}
	q.Set("amount", strconvI(amount))
	q.Set("return_url", returnURL)
	q.Set("sig", portal.Sign(gatewaySecret, portal.CheckoutMessage(id, amount, returnURL)))
	return q
}

func strconvI(n int64) string { b, _ := json.Marshal(n); return string(b) }

func do(g http.Handler, method, target string, form url.Values, jsonAccept bool) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if jsonAccept {
		r.Header.Set("Accept", "application/json")
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

func waitArrived(t *testing.T, pc *portalCallback, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for range n {
		select {
		case <-pc.arrived:
		case <-deadline:
			t.Fatalf("notifications did not arrive in time")
		}
	}
}

func TestGatewayPageAndConfirm(t *testing.T) {
	pc, srv := newPortalCallback(t, 0)
	clock := portal.NewManualClock(time.Date(2026, 3, 10, 9, 0, 0, 0, portal.VietnamTime))
	g := newTestGateway(t, GatewayConfig{CallbackURL: srv.URL + "/api/v1/payments/callback", Delay: 5 * time.Millisecond, Clock: clock})
	q := checkoutQuery("pay_1", 10000, "/dossiers/d_1")

	w := do(g, "GET", "/gateway/pay/pay_1?"+q.Encode(), nil, false)
	page := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(page, "10.000 ₫") || !strings.Contains(page, "Thanh toán") || !strings.Contains(page, "Hủy giao dịch") {
		t.Fatalf("payment page: %d\n%s", w.Code, page)
	}
	w = do(g, "GET", "/gateway/pay/pay_1?"+q.Encode(), nil, true)
	var shown map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &shown); err != nil || shown["status"] != "awaiting_confirmation" || shown["amount"] != 10000.0 {
		t.Fatalf("JSON page: %s (%v)", w.Body, err)
	}

	w = do(g, "POST", "/gateway/pay/pay_1/confirm", q, false)
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/dossiers/d_1?payment_id=pay_1&status=paid" {
		t.Fatalf("confirm: %d Location=%q", w.Code, w.Header().Get("Location"))
	}
	waitArrived(t, pc, 1)
	pc.mu.Lock()
	n := pc.received[0]
	pc.mu.Unlock()
	if n.PaymentID != "pay_1" || n.Amount != 10000 || n.Status != portal.PaymentPaid || !n.PaidAt.Equal(clock.Now()) || n.Nonce == "" || n.GatewayRef == "" {
		t.Errorf("notification = %+v", n)
	}

	// Confirming again (a double click) sends nothing new.
	w = do(g, "POST", "/gateway/pay/pay_1/confirm", q, true)
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"payment_id":"pay_1","status":"paid"}` {
		t.Errorf("second confirm: %d %s", w.Code, w.Body)
	}
	drain(t, g)
	if s := g.Stats(); s.Confirmed != 1 || s.Delivered != 1 || s.Attempts != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestGatewayRefusesTamperedRequests(t *testing.T) {
	g := newTestGateway(t, GatewayConfig{})
	q := checkoutQuery("pay_1", 10000, "/dossiers/d_1")
	for name, change := range map[string]func(url.Values){
		"amount":     func(v url.Values) { v.Set("amount", "1") },
		"return url": func(v url.Values) { v.Set("return_url", "https://evil.example/") },
		"signature":  func(v url.Values) { v.Set("sig", strings.Repeat("ab", 32)) },
		"no amount":  func(v url.Values) { v.Del("amount") },
	} {
		v := url.Values{}
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		change(v)
		if w := do(g, "POST", "/gateway/pay/pay_1/confirm", v, true); w.Code != http.StatusForbidden {
			t.Errorf("tampered %s: %d %s", name, w.Code, w.Body)
		}
	}
	if w := do(g, "POST", "/gateway/pay/pay_2/confirm", q, true); w.Code != http.StatusForbidden {
		t.Errorf("signature of another payment accepted: %d", w.Code)
	}
	if s := g.Stats(); s.Confirmed != 0 {
		t.Errorf("tampered requests confirmed %d payments", s.Confirmed)
	}
}

func TestGatewayCancel(t *testing.T) {
	pc, srv := newPortalCallback(t, 0)
	g := newTestGateway(t, GatewayConfig{CallbackURL: srv.URL + "/api/v1/payments/callback"})
	q := checkoutQuery("pay_c", 5000, "/dossiers/d_1?tab=payment")
	q.Set("action", "cancel")
	w := do(g, "POST", "/gateway/pay/pay_c/confirm", q, false)
	if w.Header().Get("Location") != "/dossiers/d_1?tab=payment&payment_id=pay_c&status=failed" {
		t.Errorf("cancel redirect: %q", w.Header().Get("Location"))
	}
	waitArrived(t, pc, 1)
	if pc.received[0].Status != portal.PaymentFailed {
		t.Errorf("cancel notified %q", pc.received[0].Status)
	}
}

func TestGatewayRetriesUntilAcknowledged(t *testing.T) {
	pc, srv := newPortalCallback(t, 2)
	g := newTestGateway(t, GatewayConfig{CallbackURL: srv.URL + "/api/v1/payments/callback", MaxAttempts: 4})
	do(g, "POST", "/gateway/pay/pay_r/confirm", checkoutQuery("pay_r", 20000, "/x"), true)
	waitArrived(t, pc, 1)
	drain(t, g)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if len(pc.bodies) != 3 || pc.bodies[0] != pc.bodies[2] {
		t.Errorf("attempts = %d, want 3 identical bodies (same nonce)", len(pc.bodies))
	}
	if s := g.Stats(); s.Attempts != 3 || s.Delivered != 1 || s.Undelivered != 0 {
		t.Errorf("stats = %+v", s)
	}
}

func TestGatewayGivesUp(t *testing.T) {
	pc, srv := newPortalCallback(t, 1000)
	g := newTestGateway(t, GatewayConfig{CallbackURL: srv.URL + "/api/v1/payments/callback", MaxAttempts: 3})
	do(g, "POST", "/gateway/pay/pay_g/confirm", checkoutQuery("pay_g", 20000, "/x"), true)
	drain(t, g) // waits for the delivery loop to end
	if s := g.Stats(); s.Attempts != 3 || s.Delivered != 0 || s.Undelivered != 1 {
		t.Errorf("stats = %+v", s)
	}
	if len(pc.bodies) != 3 {
		t.Errorf("portal saw %d attempts, want 3", len(pc.bodies))
	}
}

func TestGatewayFailureRate(t *testing.T) {
	_, srv := newPortalCallback(t, 0)
	const rate, n = 0.3, 500
	g := newTestGateway(t, GatewayConfig{CallbackURL: srv.URL + "/api/v1/payments/callback", FailureRate: rate, Seed: 9})
	failed := 0
	for i := range n {
		id := "pay_" + strconvI(int64(i))
		w := do(g, "POST", "/gateway/pay/"+id+"/confirm", checkoutQuery(id, 1000, "/x"), true)
		var out struct{ Status string }
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("confirm %s: %d %s", id, w.Code, w.Body)
		}
		if out.Status == portal.PaymentFailed {
			failed++
		}
	}
	drain(t, g)
	sd := math.Sqrt(rate * (1 - rate) / n)
	if got := float64(failed) / n; math.Abs(got-rate) > 4*sd {
		t.Errorf("declined %v of payments, want %v ± %v", got, rate, 4*sd)
	}
	if s := g.Stats(); s.Delivered != n || s.Failed != int64(failed) {
		t.Errorf("stats = %+v, want %d delivered, %d failed", s, n, failed)
	}
}

func TestGatewayFault(t *testing.T) {
	inj := faults.NewInjector(faults.WithLogger(slog.New(slog.DiscardHandler)))
	g := newTestGateway(t, GatewayConfig{Faults: inj})
	q := checkoutQuery("pay_f", 1000, "/x")
	if err := inj.Set(faults.Fault{Target: faults.Payment, Outage: true}); err != nil {
		t.Fatal(err)
	}
	if w := do(g, "GET", "/gateway/pay/pay_f?"+q.Encode(), nil, true); w.Code != http.StatusServiceUnavailable {
		t.Errorf("page in outage: %d", w.Code)
	}
	if w := do(g, "POST", "/gateway/pay/pay_f/confirm", q, true); w.Code != http.StatusServiceUnavailable {
		t.Errorf("confirm in outage: %d", w.Code)
	}
	inj.Clear(faults.Payment)
	if w := do(g, "GET", "/gateway/pay/pay_f?"+q.Encode(), nil, true); w.Code != http.StatusOK {
		t.Errorf("page after outage: %d", w.Code)
	}
}

func drain(t *testing.T, g *Gateway) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestGatewayCloseAbandonsRetries(t *testing.T) {
	_, srv := newPortalCallback(t, 1000)
	g := newTestGateway(t, GatewayConfig{CallbackURL: srv.URL + "/api/v1/payments/callback", MaxAttempts: 50, Backoff: time.Hour})
	do(g, "POST", "/gateway/pay/pay_a/confirm", checkoutQuery("pay_a", 1000, "/x"), true)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := g.Shutdown(ctx); err == nil {
		t.Error("Shutdown returned nil with a notification stuck in backoff")
	}
	if s := g.Stats(); s.Undelivered != 1 {
		t.Errorf("stats = %+v", s)
	}
}

func TestNewGatewayValidates(t *testing.T) {
	for _, cfg := range []GatewayConfig{{}, {Secret: []byte("s"), FailureRate: 1.5}, {Secret: []byte("s"), Delay: -1}} {
		if _, err := NewGateway(cfg); err == nil {
			t.Errorf("NewGateway(%+v) accepted", cfg)
		}
	}
}
