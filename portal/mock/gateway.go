package mock

import (
	"bytes"
	"context"
	cryptorand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/faults"
)

// GatewayConfig configures the mock e-payment gateway.
type GatewayConfig struct {
	// Secret is shared with the portal's PaymentService: it checks the
	// signed checkout URL and signs notifications.
	Secret []byte
	// CallbackURL is the portal's notification endpoint, e.g.
	// "http://127.0.0.1:41234/api/v1/payments/callback". It can be set
	// later with SetCallbackURL, once the portal listens.
	CallbackURL string
	// Prefix is the path the gateway is mounted under (default "/gateway").
	Prefix string
	// Delay is how long after the citizen confirms the gateway notifies the portal.
	Delay time.Duration
	// FailureRate is the share of confirmed payments the bank declines (0–1).
	FailureRate float64
	// MaxAttempts bounds notification deliveries per payment (default 5);
	// Backoff is the wait before the first retry (default 200 ms), doubled
	// after each failed attempt up to 5 s.
	MaxAttempts int
	Backoff     time.Duration
	// Client sends notifications (default: a client with a 5 s timeout).
	Client *http.Client
	// Clock stamps paid_at; it must be the portal's PaymentService.WallClock
	// (default: the system clock).
	Clock portal.Clock
	// Faults, if set, applies the "payment" fault to the gateway's pages.
	Faults *faults.Injector
	// Seed makes the declined payments reproducible.
	Seed   uint64
	Logger *slog.Logger
}

// GatewayStats counts what the gateway did.
type GatewayStats struct {
	Confirmed   int64 // payments confirmed or cancelled by the citizen
	Paid        int64
	Failed      int64 // declined or cancelled
	Delivered   int64 // notifications the portal acknowledged with 2xx
	Undelivered int64 // notifications given up after MaxAttempts
	Attempts    int64 // delivery attempts, including retries
}

// Gateway is a mock of the national e-payment platform (PayGov): a payment
// page the portal redirects citizens to, a confirm action, and signed
// server-to-server notifications to the portal, sent asynchronously and
// retried with backoff until acknowledged. It is an http.Handler to mount
// under Prefix.
type Gateway struct {
	cfg         GatewayConfig
	mux         *http.ServeMux
	callbackURL atomic.Pointer[string]
	rng         *rand.Rand
	rngMu       sync.Mutex

	mu       sync.Mutex
	outcomes map[string]gatewayOutcome // payment ID → result of its confirmation

	ctx      context.Context
	cancel   context.CancelFunc
	inflight sync.WaitGroup

	confirmed, paid, failed, delivered, undelivered, attempts atomic.Int64
}

type gatewayOutcome struct {
	Status     string
	GatewayRef string
}

// NewGateway checks the configuration and returns the gateway.
func NewGateway(cfg GatewayConfig) (*Gateway, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("payment gateway: secret is required")
	}
	if cfg.FailureRate < 0 || cfg.FailureRate > 1 || cfg.FailureRate != cfg.FailureRate {
		return nil, fmt.Errorf("payment gateway: failure rate must be between 0 and 1, got %v", cfg.FailureRate)
	}
	if cfg.Delay < 0 || cfg.Backoff < 0 || cfg.MaxAttempts < 0 {
		return nil, errors.New("payment gateway: delay, backoff and max attempts must not be negative")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/gateway"
	}
	cfg.Prefix = strings.TrimSuffix(cfg.Prefix, "/")
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Clock == nil {
		cfg.Clock = portal.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	g := &Gateway{cfg: cfg, outcomes: map[string]gatewayOutcome{},
		rng: rand.New(rand.NewPCG(cfg.Seed, 0x70617967)), mux: http.NewServeMux()}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.SetCallbackURL(cfg.CallbackURL)
	g.mux.HandleFunc("GET "+cfg.Prefix+"/pay/{id}", g.page)
	g.mux.HandleFunc("POST "+cfg.Prefix+"/pay/{id}/confirm", g.confirm)
	return g, nil
}

// SetCallbackURL sets where notifications go.
func (g *Gateway) SetCallbackURL(u string) { g.callbackURL.Store(&u) }

// ServeHTTP serves the gateway's pages.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

// Shutdown waits for every pending notification to be delivered or given
// up; if ctx ends first it abandons them as Close does. Call it after the
// portal's HTTP server has drained, before the portal closes its store.
func (g *Gateway) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() { g.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		_ = g.Close()
		return fmt.Errorf("payment gateway: notifications abandoned: %w", ctx.Err())
	}
}

// Close abandons pending notifications (no more attempts, requests in
// flight cancelled) and waits for their goroutines to end.
func (g *Gateway) Close() error {
	g.cancel()
	g.inflight.Wait()
	return nil
}

// Stats returns the gateway's counters.
func (g *Gateway) Stats() GatewayStats {
	return GatewayStats{Confirmed: g.confirmed.Load(), Paid: g.paid.Load(), Failed: g.failed.Load(),
		Delivered: g.delivered.Load(), Undelivered: g.undelivered.Load(), Attempts: g.attempts.Load()}
}

// checkout is a payment request as the portal signed it.
type checkout struct {
	PaymentID string
	Amount    int64
	ReturnURL string
	Sig       string
}

func (g *Gateway) checkout(r *http.Request) (checkout, error) {
	if err := r.ParseForm(); err != nil {
		return checkout{}, fmt.Errorf("bad form: %w", err)
	}
	c := checkout{PaymentID: r.PathValue("id"), ReturnURL: r.Form.Get("return_url"), Sig: r.Form.Get("sig")}
	amount, err := strconv.ParseInt(r.Form.Get("amount"), 10, 64)
	if err != nil || amount <= 0 {
		return c, fmt.Errorf("amount %q is not a positive whole number of VND", r.Form.Get("amount"))
	}
	c.Amount = amount
	if !portal.VerifySignature(g.cfg.Secret, portal.CheckoutMessage(c.PaymentID, c.Amount, c.ReturnURL), c.Sig) {
		return c, errors.New("the payment request's signature does not match: amount or return URL changed")
	}
	if !strings.HasPrefix(c.ReturnURL, "/") || strings.HasPrefix(c.ReturnURL, "//") {
		if u, err := url.Parse(c.ReturnURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return c, fmt.Errorf("return_url %q is not a path or an http(s) URL", c.ReturnURL)
		}
	}
	return c, nil
}

var pageTemplate = template.Must(template.New("pay").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Cổng thanh toán trực tuyến (mô phỏng)</title></head>
<body>
<h1>Thanh toán lệ phí, phí dịch vụ công</h1>
<p>Mã thanh toán: <strong>{{.PaymentID}}</strong></p>
<p>Số tiền: <strong>{{.AmountText}} ₫</strong></p>
{{if .Status}}<p>Trạng thái: {{.Status}}</p>{{else}}
<form method="post" action="{{.ConfirmURL}}">
<input type="hidden" name="amount" value="{{.Amount}}">
<input type="hidden" name="return_url" value="{{.ReturnURL}}">
<input type="hidden" name="sig" value="{{.Sig}}">
<button type="submit" name="action" value="pay">Thanh toán</button>
<button type="submit" name="action" value="cancel">Hủy giao dịch</button>
</form>{{end}}
</body></html>`))

// page shows the payment: HTML for a browser, JSON for Accept: application/json.
func (g *Gateway) page(w http.ResponseWriter, r *http.Request) {
	if err := g.cfg.Faults.Apply(r.Context(), faults.Payment); err != nil {
		gatewayError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	c, err := g.checkout(r)
	if err != nil {
		gatewayError(w, http.StatusForbidden, err.Error())
		return
	}
	g.mu.Lock()
	done, ok := g.outcomes[c.PaymentID]
	g.mu.Unlock()
	confirmURL := g.cfg.Prefix + "/pay/" + url.PathEscape(c.PaymentID) + "/confirm"
	if wantsJSON(r) {
		status := "awaiting_confirmation"
		if ok {
			status = done.Status
		}
		writeGatewayJSON(w, http.StatusOK, map[string]any{"payment_id": c.PaymentID, "amount": c.Amount,
			"status": status, "confirm_url": confirmURL})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTemplate.Execute(w, map[string]any{"PaymentID": c.PaymentID, "Amount": c.Amount,
		"AmountText": groupThousands(c.Amount), "ReturnURL": c.ReturnURL, "Sig": c.Sig,
		"ConfirmURL": confirmURL, "Status": done.Status})
}

// confirm records the citizen's decision ("pay", the default, or
// "cancel"), lets the bank decline with FailureRate, answers at once and
// notifies the portal in the background. Confirming twice changes nothing.
func (g *Gateway) confirm(w http.ResponseWriter, r *http.Request) {
	if err := g.cfg.Faults.Apply(r.Context(), faults.Payment); err != nil {
		gatewayError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	c, err := g.checkout(r)
	if err != nil {
		gatewayError(w, http.StatusForbidden, err.Error())
		return
	}
	action := r.Form.Get("action")
	if action != "" && action != "pay" && action != "cancel" {
		gatewayError(w, http.StatusBadRequest, fmt.Sprintf("action %q is neither pay nor cancel", action))
		return
	}
	g.mu.Lock()
	out, seen := g.outcomes[c.PaymentID]
	if !seen {
		out = gatewayOutcome{Status: portal.PaymentPaid, GatewayRef: "PG" + randomHex(8)}
		if action == "cancel" || g.decline() {
			out.Status = portal.PaymentFailed
		}
		g.outcomes[c.PaymentID] = out
	}
	g.mu.Unlock()
	if !seen {
		g.confirmed.Add(1)
		if out.Status == portal.PaymentPaid {
			g.paid.Add(1)
		} else {
			g.failed.Add(1)
		}
		n := portal.PaymentNotification{PaymentID: c.PaymentID, GatewayRef: out.GatewayRef, Amount: c.Amount,
			Status: out.Status, PaidAt: g.cfg.Clock.Now(), Nonce: randomHex(16)}
		g.inflight.Add(1)
		go g.notify(n)
	}
	if wantsJSON(r) {
		writeGatewayJSON(w, http.StatusOK, map[string]string{"status": out.Status, "payment_id": c.PaymentID})
		return
	}
	sep := "?"
	if strings.Contains(c.ReturnURL, "?") {
		sep = "&"
	}
	http.Redirect(w, r, c.ReturnURL+sep+"payment_id="+url.QueryEscape(c.PaymentID)+"&status="+out.Status, http.StatusSeeOther)
}

func (g *Gateway) decline() bool {
	if g.cfg.FailureRate <= 0 {
		return false
	}
	g.rngMu.Lock()
	defer g.rngMu.Unlock()
	return g.rng.Float64() < g.cfg.FailureRate
}

// notify delivers one notification, retrying with doubling backoff until
// the portal answers 2xx, MaxAttempts is reached or the gateway closes.
// Every attempt sends the same body, so the portal sees one nonce.
func (g *Gateway) notify(n portal.PaymentNotification) {
	defer g.inflight.Done()
	log := g.cfg.Logger.With(slog.String("payment_id", n.PaymentID), slog.String("status", n.Status))
	body, err := json.Marshal(n)
	if err != nil {
		log.Error("encode payment notification", slog.String("error", err.Error()))
		return
	}
	sig := portal.Sign(g.cfg.Secret, body)
	wait, backoff := g.cfg.Delay, g.cfg.Backoff
	for attempt := 1; attempt <= g.cfg.MaxAttempts; attempt++ {
		if !g.sleep(wait) {
			g.undelivered.Add(1)
			return
		}
		g.attempts.Add(1)
		status, err := g.post(body, sig)
		if err == nil && status/100 == 2 {
			g.delivered.Add(1)
			return
		}
		log.Warn("payment notification not acknowledged", slog.Int("attempt", attempt),
			slog.Int("http_status", status), slog.Any("error", err))
		wait, backoff = backoff, min(2*backoff, 5*time.Second)
	}
	g.undelivered.Add(1)
	log.Error("payment notification given up", slog.Int("attempts", g.cfg.MaxAttempts))
}

func (g *Gateway) post(body []byte, sig string) (int, error) {
	target := *g.callbackURL.Load()
	if target == "" {
		return 0, errors.New("no callback URL set")
	}
	req, err := http.NewRequestWithContext(g.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(portal.SignatureHeader, sig)
	resp, err := g.cfg.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// sleep waits d unless the gateway closes first; it reports whether it waited.
func (g *Gateway) sleep(d time.Duration) bool {
	if d <= 0 {
		return g.ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-g.ctx.Done():
		return false
	}
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func writeGatewayJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func gatewayError(w http.ResponseWriter, status int, msg string) {
	code := portal.EFORBIDDEN
	switch status {
	case http.StatusServiceUnavailable:
		code = portal.EUNAVAILABLE
	case http.StatusBadRequest:
		code = portal.EINVALID
	}
	writeGatewayJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// groupThousands formats VND the Vietnamese way: 10000 → "10.000".
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = cryptorand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}
