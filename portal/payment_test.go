package portal_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// memPayments is an in-memory PaymentStore with the transactional semantics
// the interface documents: one mutex stands in for the transaction.
type memPayments struct {
	portal.DossierStore // only Dossier is used; the rest panic if called

	mu       sync.Mutex
	dossiers map[string]*portal.Dossier
	payments map[string]*portal.Payment
	nonces   map[string]bool
}

func newMemPayments(ds ...*portal.Dossier) *memPayments {
	m := &memPayments{dossiers: map[string]*portal.Dossier{}, payments: map[string]*portal.Payment{}, nonces: map[string]bool{}}
	for _, d := range ds {
		m.dossiers[d.ID] = d
	}
	return m
}

func (m *memPayments) Dossier(_ context.Context, id string) (*portal.Dossier, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.dossiers[id]
	if !ok {
		return nil, portal.Errorf(portal.ENOTFOUND, "dossier %q not found", id)
	}
	c := *d
	return &c, nil
}

func (m *memPayments) CreatePayment(_ context.Context, p *portal.Payment, check func(d *portal.Dossier) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, ok := m.dossiers[p.DossierID]
	if !ok {
		return portal.Errorf(portal.ENOTFOUND, "dossier %q not found", p.DossierID)
	}
	c := *d
	if err := check(&c); err != nil {
		return err
	}
	d.PaymentStatus, d.UpdatedAt = c.PaymentStatus, c.UpdatedAt
	saved := *p
	m.payments[p.ID] = &saved
	return nil
}

func (m *memPayments) Payment(_ context.Context, id string) (*portal.Payment, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.payments[id]
	if !ok {
		return nil, portal.Errorf(portal.ENOTFOUND, "payment %q not found", id)
	}
	c := *p
	return &c, nil
}

func (m *memPayments) ApplyPaymentNotification(_ context.Context, n *portal.PaymentNotification, decide func(p *portal.Payment, d *portal.Dossier) error) (*portal.Payment, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	stored, ok := m.payments[n.PaymentID]
	if !ok {
		return nil, false, portal.Errorf(portal.ENOTFOUND, "payment %q not found", n.PaymentID)
	}
	if m.nonces[n.PaymentID+"\x00"+n.Nonce] {
		c := *stored
		return &c, false, nil
	}
	p, d := *stored, *m.dossiers[stored.DossierID]
	if err := decide(&p, &d); err != nil {
		return nil, false, err
	}
	*stored = p
	m.dossiers[stored.DossierID].PaymentStatus = d.PaymentStatus
	m.dossiers[stored.DossierID].UpdatedAt = d.UpdatedAt
	m.nonces[n.PaymentID+"\x00"+n.Nonce] = true
	c := p
	return &c, true, nil
}

var (
	payNow   = time.Date(2026, 3, 10, 9, 0, 0, 0, portal.VietnamTime)
	citizen  = portal.Principal{UserID: "001090000123", Role: portal.RoleCitizen}
	neighbor = portal.Principal{UserID: "001090000456", Role: portal.RoleCitizen}
	secret   = []byte("shared-secret-for-tests")
)

type payFixture struct {
	svc      *portal.PaymentService
	store    *memPayments
	clock    *portal.ManualClock
	outcomes map[string]int
	mu       sync.Mutex
}

func newPayFixture(t *testing.T) *payFixture {
	t.Helper()
	f := &payFixture{clock: portal.NewManualClock(payNow), outcomes: map[string]int{}}
	f.store = newMemPayments(
		&portal.Dossier{ID: "d_fee", Code: "X-260310-0001", OwnerID: citizen.UserID, Status: portal.StatusDraft, Fee: 10000, PaymentStatus: portal.PaymentUnpaid},
		&portal.Dossier{ID: "d_free", Code: "X-260310-0002", OwnerID: citizen.UserID, Status: portal.StatusDraft, PaymentStatus: portal.PaymentNone},
		&portal.Dossier{ID: "d_paid", Code: "X-260310-0003", OwnerID: citizen.UserID, Status: portal.StatusSubmitted, Fee: 10000, PaymentStatus: portal.PaymentPaid},
		&portal.Dossier{ID: "d_gone", Code: "X-260310-0004", OwnerID: citizen.UserID, Status: portal.StatusWithdrawn, Fee: 10000, PaymentStatus: portal.PaymentUnpaid},
	)
	f.svc = &portal.PaymentService{
		Store: f.store, Dossiers: f.store, Clock: f.clock, WallClock: f.clock, Secret: secret,
		Observe: func(o string) { f.mu.Lock(); f.outcomes[o]++; f.mu.Unlock() },
	}
	return f
}

func (f *payFixture) start(t *testing.T) *portal.Payment {
	t.Helper()
	p, _, err := f.svc.Start(context.Background(), citizen, "d_fee")
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	return p
}

func notification(p *portal.Payment, status, nonce string, paidAt time.Time) []byte {
	b, _ := json.Marshal(portal.PaymentNotification{PaymentID: p.ID, GatewayRef: "PG" + nonce, Amount: p.Amount,
		Status: status, PaidAt: paidAt, Nonce: nonce})
	return b
}

func (f *payFixture) dossier(t *testing.T, id string) *portal.Dossier {
	t.Helper()
	d, err := f.store.Dossier(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestPaymentStart(t *testing.T) {
	tests := []struct {
		name     string
		who      portal.Principal
		dossier  string
		wantCode string
	}{
		{"owner pays a due fee", citizen, "d_fee", ""},
		{"another citizen", neighbor, "d_fee", portal.ENOTFOUND},
		{"officer", portal.Principal{UserID: "001085000001", Role: portal.RoleOfficer}, "d_fee", portal.EFORBIDDEN},
		{"no fee", citizen, "d_free", portal.ECONFLICT},
		{"already paid", citizen, "d_paid", portal.ECONFLICT},
		{"withdrawn dossier", citizen, "d_gone", portal.ECONFLICT},
		{"missing dossier", citizen, "d_none", portal.ENOTFOUND},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPayFixture(t)
			p, redirect, err := f.svc.Start(context.Background(), tt.who, tt.dossier)
			if got := portal.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("Start error code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if tt.wantCode != "" {
				if before := f.store.payments; len(before) != 0 {
					t.Errorf("a refused start stored %d payments", len(before))
				}
				return
			}
			if p.Amount != 10000 || p.Status != portal.PaymentPending || p.Provider != portal.ProviderPayGov {
				t.Errorf("payment = %+v", p)
			}
			if got := f.dossier(t, "d_fee").PaymentStatus; got != portal.PaymentPending {
				t.Errorf("dossier payment status = %q, want pending", got)
			}
			u, err := url.Parse(redirect)
			if err != nil {
				t.Fatal(err)
			}
			if u.Path != "/gateway/pay/"+p.ID {
				t.Errorf("redirect path = %q", u.Path)
			}
			q := u.Query()
			if q.Get("amount") != "10000" || q.Get("return_url") != "/dossiers/d_fee" {
				t.Errorf("redirect query = %v", q)
			}
			if !portal.VerifySignature(secret, portal.CheckoutMessage(p.ID, 10000, q.Get("return_url")), q.Get("sig")) {
				t.Errorf("redirect sig does not verify")
			}
			if portal.VerifySignature(secret, portal.CheckoutMessage(p.ID, 1, q.Get("return_url")), q.Get("sig")) {
				t.Errorf("redirect sig verifies a changed amount")
			}
		})
	}
}

func TestPaymentStartGatewayDown(t *testing.T) {
	f := newPayFixture(t)
	f.svc.GatewayAvailable = func(context.Context) error {
		return portal.Errorf(portal.EUNAVAILABLE, "payment is unavailable (injected fault)")
	}
	if _, _, err := f.svc.Start(context.Background(), citizen, "d_fee"); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("Start with gateway down: %v, want unavailable", err)
	}
	if got := f.dossier(t, "d_fee").PaymentStatus; got != portal.PaymentUnpaid {
		t.Errorf("dossier payment status = %q, want unpaid", got)
	}
}

func TestPaymentCallback(t *testing.T) {
	ctx := context.Background()
	t.Run("paid", func(t *testing.T) {
		f := newPayFixture(t)
		p := f.start(t)
		body := notification(p, portal.PaymentPaid, "n1", payNow)
		got, outcome, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body))
		if err != nil || outcome != portal.PaymentOutcomePaid {
			t.Fatalf("HandleCallback = %q, %v", outcome, err)
		}
		if got.Status != portal.PaymentPaid || got.GatewayRef != "PGn1" || got.ConfirmedAt == nil {
			t.Errorf("payment = %+v", got)
		}
		if s := f.dossier(t, "d_fee").PaymentStatus; s != portal.PaymentPaid {
			t.Errorf("dossier payment status = %q", s)
		}
	})
	t.Run("forged signature", func(t *testing.T) {
		f := newPayFixture(t)
		p := f.start(t)
		body := notification(p, portal.PaymentPaid, "n1", payNow)
		for _, sig := range []string{"", "zz", portal.Sign([]byte("other secret"), body), strings.Repeat("0", 64),
			portal.Sign(secret, append(body, ' '))} {
			if _, outcome, err := f.svc.HandleCallback(ctx, body, sig); portal.ErrorCode(err) != portal.EUNAUTHORIZED || outcome != portal.PaymentOutcomeForged {
				t.Errorf("sig %q: %q, %v; want unauthorized", sig, outcome, err)
			}
		}
		if s := f.dossier(t, "d_fee").PaymentStatus; s != portal.PaymentPending {
			t.Errorf("forged notification changed the dossier to %q", s)
		}
	})
	t.Run("replay", func(t *testing.T) {
		f := newPayFixture(t)
		p := f.start(t)
		body := notification(p, portal.PaymentPaid, "n1", payNow)
		first, _, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body))
		if err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(time.Minute)
		again, outcome, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body))
		if err != nil || outcome != portal.PaymentOutcomeDuplicate {
			t.Fatalf("replay = %q, %v; want duplicate success", outcome, err)
		}
		if !again.UpdatedAt.Equal(first.UpdatedAt) {
			t.Errorf("replay changed the payment: %v → %v", first.UpdatedAt, again.UpdatedAt)
		}
		// The same outcome with a fresh nonce (a gateway retry) changes nothing either.
		body = notification(p, portal.PaymentPaid, "n2", payNow)
		if _, outcome, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body)); err != nil || outcome != portal.PaymentOutcomeDuplicate {
			t.Fatalf("repeat with new nonce = %q, %v", outcome, err)
		}
	})
	t.Run("replay with changed amount", func(t *testing.T) {
		f := newPayFixture(t)
		p := f.start(t)
		body := notification(p, portal.PaymentPaid, "n1", payNow)
		if _, _, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body)); err != nil {
			t.Fatal(err)
		}
		changed := *p
		changed.Amount = 1
		body = notification(&changed, portal.PaymentPaid, "n1", payNow)
		if _, outcome, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body)); portal.ErrorCode(err) != portal.EINVALID || outcome != portal.PaymentOutcomeMismatch {
			t.Fatalf("changed amount = %q, %v; want invalid", outcome, err)
		}
	})
	t.Run("amount mismatch before any", func(t *testing.T) {
		f := newPayFixture(t)
		p := f.start(t)
		changed := *p
		changed.Amount = 9999
		body := notification(&changed, portal.PaymentPaid, "n1", payNow)
		if _, _, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body)); portal.ErrorCode(err) != portal.EINVALID {
			t.Fatalf("mismatch: %v", err)
		}
		if s := f.dossier(t, "d_fee").PaymentStatus; s != portal.PaymentPending {
			t.Errorf("dossier payment status = %q", s)
		}
	})
	t.Run("stale and future", func(t *testing.T) {
		f := newPayFixture(t)
		p := f.start(t)
		for _, at := range []time.Time{payNow.Add(-16 * time.Minute), payNow.Add(10 * time.Minute)} {
			body := notification(p, portal.PaymentPaid, "n1", at)
			if _, outcome, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body)); portal.ErrorCode(err) != portal.EINVALID || outcome != portal.PaymentOutcomeStale {
				t.Errorf("paid_at %v: %q, %v; want stale", at, outcome, err)
			}
		}
		body := notification(p, portal.PaymentPaid, "n1", payNow.Add(-14*time.Minute))
		if _, _, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body)); err != nil {
			t.Errorf("14 minutes old: %v", err)
		}
	})
	t.Run("failed after paid changes nothing", func(t *testing.T) {
		f := newPayFixture(t)
		p := f.start(t)
		paid := notification(p, portal.PaymentPaid, "n1", payNow)
		failed := notification(p, portal.PaymentFailed, "n2", payNow.Add(-time.Second))
		if _, _, err := f.svc.HandleCallback(ctx, paid, portal.Sign(secret, paid)); err != nil {
			t.Fatal(err)
		}
		got, outcome, err := f.svc.HandleCallback(ctx, failed, portal.Sign(secret, failed))
		if err != nil || outcome != portal.PaymentOutcomeIgnored {
			t.Fatalf("failed after paid = %q, %v; want ignored", outcome, err)
		}
		if got.Status != portal.PaymentPaid || f.dossier(t, "d_fee").PaymentStatus != portal.PaymentPaid {
			t.Errorf("payment %q, dossier %q; want both paid", got.Status, f.dossier(t, "d_fee").PaymentStatus)
		}
	})
	t.Run("paid after failed wins", func(t *testing.T) {
		f := newPayFixture(t)
		p := f.start(t)
		failed := notification(p, portal.PaymentFailed, "n1", payNow)
		paid := notification(p, portal.PaymentPaid, "n2", payNow)
		if _, o, err := f.svc.HandleCallback(ctx, failed, portal.Sign(secret, failed)); err != nil || o != portal.PaymentOutcomeFailed {
			t.Fatalf("failed: %q, %v", o, err)
		}
		if s := f.dossier(t, "d_fee").PaymentStatus; s != portal.PaymentFailed {
			t.Errorf("dossier after failure = %q", s)
		}
		if _, o, err := f.svc.HandleCallback(ctx, paid, portal.Sign(secret, paid)); err != nil || o != portal.PaymentOutcomePaid {
			t.Fatalf("paid: %q, %v", o, err)
		}
		if s := f.dossier(t, "d_fee").PaymentStatus; s != portal.PaymentPaid {
			t.Errorf("dossier after late success = %q", s)
		}
	})
	t.Run("unknown payment and malformed", func(t *testing.T) {
		f := newPayFixture(t)
		body := notification(&portal.Payment{ID: "pay_nope", Amount: 5}, portal.PaymentPaid, "n1", payNow)
		if _, _, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body)); portal.ErrorCode(err) != portal.ENOTFOUND {
			t.Errorf("unknown payment: %v", err)
		}
		body = []byte(`{"payment_id":"x"}`)
		if _, o, err := f.svc.HandleCallback(ctx, body, portal.Sign(secret, body)); portal.ErrorCode(err) != portal.EINVALID || o != portal.PaymentOutcomeMalformed {
			t.Errorf("malformed: %q, %v", o, err)
		}
	})
}

func TestPaymentConcurrentDuplicateCallbacksApplyOnce(t *testing.T) {
	f := newPayFixture(t)
	p := f.start(t)
	body := notification(p, portal.PaymentPaid, "n1", payNow)
	sig := portal.Sign(secret, body)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if _, _, err := f.svc.HandleCallback(context.Background(), body, sig); err != nil {
				t.Errorf("callback: %v", err)
			}
		})
	}
	wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.outcomes[portal.PaymentOutcomePaid] != 1 || f.outcomes[portal.PaymentOutcomeDuplicate] != 31 {
		t.Errorf("outcomes = %v; want 1 paid, 31 duplicate", f.outcomes)
	}
}

func TestParseNotification(t *testing.T) {
	valid := `{"payment_id":"pay_1","gateway_ref":"PG1","amount":10000,"status":"paid","paid_at":"2026-03-10T09:00:00+07:00","nonce":"n1"}`
	tests := []struct {
		name, body string
		fields     []string // field errors expected, in order; nil with wantErr for non-field errors
		wantErr    bool
	}{
		{"valid", valid, nil, false},
		{"unknown field", strings.Replace(valid, `"nonce"`, `"extra":1,"nonce"`, 1), nil, true},
		{"trailing data", valid + `{}`, nil, true},
		{"not json", `paid`, nil, true},
		{"every field missing", `{}`, []string{"payment_id", "gateway_ref", "nonce", "amount", "status", "paid_at"}, true},
		{"bad status and amount", strings.NewReplacer(`"paid",`, `"refunded",`, `10000`, `-5`).Replace(valid), []string{"amount", "status"}, true},
		{"control character in id", strings.Replace(valid, `pay_1`, `pay\n1`, 1), []string{"payment_id"}, true},
		{"oversized", `{"payment_id":"` + strings.Repeat("a", portal.MaxNotificationBytes) + `"}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := portal.ParseNotification([]byte(tt.body))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && portal.ErrorCode(err) != portal.EINVALID {
				t.Errorf("code = %q, want invalid", portal.ErrorCode(err))
			}
			var got []string
			for _, fe := range portal.ErrorFields(err) {
				got = append(got, fe.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Errorf("field errors = %v, want %v", got, tt.fields)
			}
			if err == nil && (n.PaymentID != "pay_1" || n.Amount != 10000 || n.Status != "paid") {
				t.Errorf("parsed = %+v", n)
			}
		})
	}
}

func FuzzParseNotification(f *testing.F) {
	f.Add([]byte(`{"payment_id":"pay_1","gateway_ref":"PG1","amount":10000,"status":"paid","paid_at":"2026-03-10T09:00:00+07:00","nonce":"n1"}`))
	f.Add([]byte(`{"payment_id":"p","gateway_ref":"g","amount":1,"status":"failed","paid_at":"2026-03-10T09:00:00Z","nonce":"x"} `))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := portal.ParseNotification(body)
		if err != nil {
			if portal.ErrorCode(err) != portal.EINVALID {
				t.Fatalf("error code %q for %q", portal.ErrorCode(err), body)
			}
			return
		}
		if n.Amount <= 0 || (n.Status != portal.PaymentPaid && n.Status != portal.PaymentFailed) || n.PaymentID == "" || n.Nonce == "" || n.PaidAt.IsZero() {
			t.Fatalf("accepted invalid notification %+v from %q", n, body)
		}
		// What was accepted re-encodes to something accepted and equal.
		again, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		m, err := portal.ParseNotification(again)
		if err != nil {
			t.Fatalf("re-encoded notification refused: %v (%s)", err, again)
		}
		if m.PaymentID != n.PaymentID || m.Amount != n.Amount || !m.PaidAt.Equal(n.PaidAt) || m.Nonce != n.Nonce {
			t.Fatalf("round trip changed %+v into %+v", n, m)
		}
	})
}
