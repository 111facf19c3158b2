package portal

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Payment is one attempt to pay a dossier's fee through the e-payment
// platform (modelled on PayGov). A dossier may have several: a failed or
// abandoned attempt is followed by a new one.
type Payment struct {
	ID          string     `json:"id"`
	DossierID   string     `json:"dossier_id"`
	Amount      int64      `json:"amount"` // VND; fixed when the payment starts
	Status      string     `json:"status"` // PaymentPending, PaymentPaid or PaymentFailed
	Provider    string     `json:"provider"`
	GatewayRef  string     `json:"gateway_ref,omitempty"` // the gateway's transaction reference
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ConfirmedAt *time.Time `json:"confirmed_at,omitempty"` // when the portal applied the outcome
}

// ProviderPayGov names the national e-payment platform the mock gateway plays.
const ProviderPayGov = "paygov"

// PaymentNotification is the gateway's signed server-to-server message
// telling the portal how a payment ended.
type PaymentNotification struct {
	PaymentID  string    `json:"payment_id"`
	GatewayRef string    `json:"gateway_ref"`
	Amount     int64     `json:"amount"`
	Status     string    `json:"status"` // PaymentPaid or PaymentFailed
	PaidAt     time.Time `json:"paid_at"`
	Nonce      string    `json:"nonce"`
}

// PaymentStore persists payments. Both methods that change state are one
// transaction each, covering the payment and its dossier's PaymentStatus,
// so that a dossier never says "paid" without a paid payment behind it.
type PaymentStore interface {
	// CreatePayment, in one transaction: loads the dossier p.DossierID
	// (ENOTFOUND if missing), calls check with it — check enforces the rules
	// and sets d.PaymentStatus and d.UpdatedAt — and if check returns nil
	// inserts p and saves the dossier's PaymentStatus and UpdatedAt. If check
	// returns an error nothing is saved and that error is returned.
	CreatePayment(ctx context.Context, p *Payment, check func(d *Dossier) error) error
	// Payment returns a payment by ID, or ENOTFOUND.
	Payment(ctx context.Context, id string) (*Payment, error)
	// ApplyPaymentNotification, in one transaction:
	//  1. if a notification with this (PaymentID, Nonce) was recorded before,
	//     returns the payment as stored, applied=false, and changes nothing;
	//  2. otherwise loads payment n.PaymentID (ENOTFOUND if missing) and its
	//     dossier, and calls decide, which may change the payment's Status,
	//     GatewayRef, UpdatedAt, ConfirmedAt and the dossier's PaymentStatus
	//     and UpdatedAt;
	//  3. if decide returns an error, rolls back and returns it;
	//  4. otherwise saves those fields, records (PaymentID, Nonce) so a replay
	//     is recognised, and returns the saved payment with applied=true.
	// Concurrent calls with the same nonce must apply it at most once.
	ApplyPaymentNotification(ctx context.Context, n *PaymentNotification, decide func(p *Payment, d *Dossier) error) (p *Payment, applied bool, err error)
}

// Outcomes of payment operations, for metrics (portalsim_payments_total) and logs.
const (
	PaymentOutcomeStarted   = "started"
	PaymentOutcomePaid      = "paid"
	PaymentOutcomeFailed    = "failed"
	PaymentOutcomeDuplicate = "duplicate" // a replay: same nonce, or the payment already had this outcome
	PaymentOutcomeIgnored   = "ignored"   // out of order: the payment had already ended otherwise
	PaymentOutcomeForged    = "forged"
	PaymentOutcomeMalformed = "malformed"
	PaymentOutcomeStale     = "stale"
	PaymentOutcomeMismatch  = "amount_mismatch"
	PaymentOutcomeUnknown   = "unknown_payment"
	PaymentOutcomeError     = "error" // the portal failed (store down): the gateway retries
)

// Payment defaults.
const (
	DefaultCallbackWindow = 15 * time.Minute
	// MaxCallbackSkew is how far in the future a notification's paid_at may
	// be: the gateway's clock is not ours.
	MaxCallbackSkew = 2 * time.Minute
	// MaxNotificationBytes bounds the callback body.
	MaxNotificationBytes = 4 << 10
	// SignatureHeader carries the hex HMAC-SHA256 of the callback body.
	SignatureHeader = "X-Signature"
)

// PaymentService applies the rules of online fee payment: only the owner
// pays, only a fee that is due, and only a genuine, fresh, first-seen
// notification from the gateway changes anything.
type PaymentService struct {
	Store    PaymentStore
	Dossiers DossierStore
	// Clock stamps payments (the portal's clock, possibly simulated).
	Clock Clock
	// WallClock judges notification freshness against the gateway's
	// paid_at; it must be the clock the gateway stamps with. Defaults to the
	// system clock: an accelerated simulation clock would make a 15-minute
	// window last milliseconds.
	WallClock Clock
	// Secret is shared with the gateway: it signs redirect URLs and
	// notifications.
	Secret []byte
	// GatewayURL is the gateway's base URL, e.g. "/gateway" (same origin)
	// or "http://127.0.0.1:41234/gateway".
	GatewayURL string
	// ReturnURL is where the gateway sends the citizen back; "{dossier_id}"
	// is replaced. Default "/dossiers/{dossier_id}".
	ReturnURL string
	// CallbackWindow is how old a notification may be. Default 15 minutes.
	CallbackWindow time.Duration
	// GatewayAvailable, if set, is asked before sending a citizen to the
	// gateway, so a gateway outage fails fast (wired to fault injection).
	GatewayAvailable func(ctx context.Context) error
	// Observe, if set, is told every outcome (PaymentOutcome*), for metrics.
	Observe func(outcome string)
}

// Start begins paying a dossier's fee: it records a pending payment and
// returns it with the URL of the gateway's payment page. Only the dossier's
// owner may pay; a dossier without a fee, already paid, or closed is a
// conflict.
func (s *PaymentService) Start(ctx context.Context, who Principal, dossierID string) (*Payment, string, error) {
	if who.Role != RoleCitizen {
		return nil, "", Errorf(EFORBIDDEN, "only the applicant pays a dossier's fee")
	}
	if len(s.Secret) == 0 {
		return nil, "", Errorf(EINTERNAL, "payment secret not configured")
	}
	if s.GatewayAvailable != nil {
		if err := s.GatewayAvailable(ctx); err != nil {
			return nil, "", fmt.Errorf("payment gateway: %w", err)
		}
	}
	now := s.Clock.Now()
	p := &Payment{ID: NewID("pay"), DossierID: dossierID, Status: PaymentPending,
		Provider: ProviderPayGov, CreatedAt: now, UpdatedAt: now}
	err := s.Store.CreatePayment(ctx, p, func(d *Dossier) error {
		if d.OwnerID != who.UserID {
			return Errorf(ENOTFOUND, "dossier %q not found", dossierID)
		}
		switch {
		case d.Fee <= 0 || d.PaymentStatus == PaymentNone:
			return Errorf(ECONFLICT, "dossier %s has no fee to pay", d.Code)
		case d.PaymentStatus == PaymentPaid:
			return Errorf(ECONFLICT, "the fee of dossier %s is already paid", d.Code)
		case d.Status == StatusWithdrawn || d.Status == StatusRejected || d.Status.Terminal():
			return Errorf(ECONFLICT, "dossier %s is %s; its fee can no longer be paid", d.Code, d.Status)
		}
		p.Amount = d.Fee
		d.PaymentStatus = PaymentPending
		d.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("start payment for dossier %s: %w", dossierID, err)
	}
	s.observe(PaymentOutcomeStarted)
	return p, s.redirectURL(p), nil
}

// Payment returns a payment the principal may see: citizens only their own.
func (s *PaymentService) Payment(ctx context.Context, who Principal, id string) (*Payment, error) {
	p, err := s.Store.Payment(ctx, id)
	if err != nil {
		return nil, err
	}
	d, err := s.Dossiers.Dossier(ctx, p.DossierID)
	if err != nil {
		return nil, fmt.Errorf("dossier of payment %s: %w", id, err)
	}
	if !mayRead(who, d) {
		return nil, Errorf(ENOTFOUND, "payment %q not found", id)
	}
	return p, nil
}

// HandleCallback applies a gateway notification. body must be the exact
// bytes received and signature the X-Signature header. A forged signature
// is EUNAUTHORIZED; malformed, stale or amount-mismatched notifications are
// EINVALID. A replay, or a notification arriving after the payment already
// ended (a "failed" after "paid"), is success with no change, so the
// gateway stops retrying. It returns the payment and the outcome.
func (s *PaymentService) HandleCallback(ctx context.Context, body []byte, signature string) (*Payment, string, error) {
	p, outcome, err := s.handleCallback(ctx, body, signature)
	s.observe(outcome)
	return p, outcome, err
}

func (s *PaymentService) handleCallback(ctx context.Context, body []byte, signature string) (*Payment, string, error) {
	if len(s.Secret) == 0 {
		return nil, PaymentOutcomeError, Errorf(EINTERNAL, "payment secret not configured")
	}
	if !VerifySignature(s.Secret, body, signature) {
		return nil, PaymentOutcomeForged, Errorf(EUNAUTHORIZED, "payment notification signature is invalid")
	}
	n, err := ParseNotification(body)
	if err != nil {
		return nil, PaymentOutcomeMalformed, err
	}
	now := s.wallClock().Now()
	if age := now.Sub(n.PaidAt); age > s.window() {
		return nil, PaymentOutcomeStale, Errorf(EINVALID, "payment notification for %s is stale: paid_at is %s old, at most %s allowed",
			n.PaymentID, age.Round(time.Second), s.window())
	} else if age < -MaxCallbackSkew {
		return nil, PaymentOutcomeStale, Errorf(EINVALID, "payment notification for %s has paid_at %s in the future", n.PaymentID, (-age).Round(time.Second))
	}
	// The amount is fixed when a payment starts, so checking it outside the
	// transaction is safe, and a replay with a changed amount is refused.
	stored, err := s.Store.Payment(ctx, n.PaymentID)
	if ErrorCode(err) == ENOTFOUND {
		return nil, PaymentOutcomeUnknown, Errorf(ENOTFOUND, "payment %q not found", n.PaymentID)
	} else if err != nil {
		return nil, PaymentOutcomeError, fmt.Errorf("load payment %s: %w", n.PaymentID, err)
	}
	if n.Amount != stored.Amount {
		return nil, PaymentOutcomeMismatch, Errorf(EINVALID, "payment %s is for %d VND, notification says %d", n.PaymentID, stored.Amount, n.Amount)
	}
	outcome := PaymentOutcomeDuplicate
	p, applied, err := s.Store.ApplyPaymentNotification(ctx, n, func(p *Payment, d *Dossier) error {
		outcome = decidePayment(p, d, n, s.Clock.Now())
		return nil
	})
	if err != nil {
		return nil, PaymentOutcomeError, fmt.Errorf("apply notification for payment %s: %w", n.PaymentID, err)
	}
	if !applied {
		outcome = PaymentOutcomeDuplicate
	}
	return p, outcome, nil
}

// decidePayment is the payment state machine for one new notification:
// pending becomes paid or failed; a failed payment that the gateway later
// reports paid becomes paid (the money arrived); a paid payment never
// changes. It returns the outcome.
func decidePayment(p *Payment, d *Dossier, n *PaymentNotification, now time.Time) string {
	switch {
	case p.Status == n.Status:
		return PaymentOutcomeDuplicate
	case p.Status == PaymentPaid:
		return PaymentOutcomeIgnored
	case p.Status == PaymentFailed && n.Status == PaymentFailed:
		return PaymentOutcomeDuplicate
	}
	p.Status = n.Status
	p.GatewayRef = n.GatewayRef
	p.UpdatedAt = now
	p.ConfirmedAt = &now
	if n.Status == PaymentPaid {
		d.PaymentStatus = PaymentPaid
		d.UpdatedAt = now
		return PaymentOutcomePaid
	}
	// A failed attempt leaves a dossier paid by another attempt paid.
	if d.PaymentStatus != PaymentPaid {
		d.PaymentStatus = PaymentFailed
		d.UpdatedAt = now
	}
	return PaymentOutcomeFailed
}

// ParseNotification decodes and checks a gateway notification. Unknown
// fields, trailing data and missing or invalid fields are refused, every
// field problem at once.
func ParseNotification(body []byte) (*PaymentNotification, error) {
	if len(body) > MaxNotificationBytes {
		return nil, Errorf(EINVALID, "payment notification is %d bytes, at most %d allowed", len(body), MaxNotificationBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var n PaymentNotification
	if err := dec.Decode(&n); err != nil {
		return nil, Errorf(EINVALID, "payment notification is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, Errorf(EINVALID, "payment notification has data after the JSON object")
	}
	var errs []FieldError
	check := func(ok bool, field, msg string) {
		if !ok {
			errs = append(errs, FieldError{Field: field, Message: msg})
		}
	}
	check(validToken(n.PaymentID, 64), "payment_id", "must be 1 to 64 printable ASCII characters")
	check(validToken(n.GatewayRef, 64), "gateway_ref", "must be 1 to 64 printable ASCII characters")
	check(validToken(n.Nonce, 128), "nonce", "must be 1 to 128 printable ASCII characters")
	check(n.Amount > 0, "amount", "must be a positive number of VND")
	check(n.Status == PaymentPaid || n.Status == PaymentFailed, "status", `must be "paid" or "failed"`)
	check(!n.PaidAt.IsZero(), "paid_at", "is required (RFC 3339 time)")
	if len(errs) > 0 {
		return nil, ValidationError(fmt.Sprintf("payment notification has %d problems", len(errs)), errs)
	}
	return &n, nil
}

func validToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// Sign returns the hex HMAC-SHA256 of msg under secret: the signature of
// notifications (over the exact body) and of redirect URLs.
func Sign(secret, msg []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifySignature reports, in constant time, whether signature is the hex
// HMAC-SHA256 of msg under secret.
func VerifySignature(secret, msg []byte, signature string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(signature))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(msg)
	return hmac.Equal(got, m.Sum(nil))
}

// CheckoutMessage is what the sig parameter of a gateway payment URL signs,
// so the citizen cannot change the amount or the return URL on the way.
func CheckoutMessage(paymentID string, amount int64, returnURL string) []byte {
	return []byte(paymentID + "\n" + strconv.FormatInt(amount, 10) + "\n" + returnURL)
}

func (s *PaymentService) redirectURL(p *Payment) string {
	ret := s.ReturnURL
	if ret == "" {
		ret = "/dossiers/{dossier_id}"
	}
	ret = strings.ReplaceAll(ret, "{dossier_id}", url.PathEscape(p.DossierID))
	q := url.Values{}
	q.Set("amount", strconv.FormatInt(p.Amount, 10))
	q.Set("return_url", ret)
	q.Set("sig", Sign(s.Secret, CheckoutMessage(p.ID, p.Amount, ret)))
	base := strings.TrimSuffix(s.GatewayURL, "/")
	if base == "" {
		base = "/gateway"
	}
	return base + "/pay/" + url.PathEscape(p.ID) + "?" + q.Encode()
}

func (s *PaymentService) window() time.Duration {
	if s.CallbackWindow > 0 {
		return s.CallbackWindow
	}
	return DefaultCallbackWindow
}

func (s *PaymentService) wallClock() Clock {
	if s.WallClock != nil {
		return s.WallClock
	}
	return SystemClock{}
}

func (s *PaymentService) observe(outcome string) {
	if s.Observe != nil {
		s.Observe(outcome)
	}
}
