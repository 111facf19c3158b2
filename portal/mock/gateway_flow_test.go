package mock

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// flowStore is the smallest PaymentStore + DossierStore.Dossier that keeps
// the documented transaction semantics (one mutex as the transaction).
type flowStore struct {
	portal.DossierStore
	mu       sync.Mutex
	dossier  portal.Dossier
	payments map[string]*portal.Payment
	nonces   map[string]bool
}

func (s *flowStore) Dossier(_ context.Context, id string) (*portal.Dossier, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dossier
	return &d, nil
}

func (s *flowStore) CreatePayment(_ context.Context, p *portal.Payment, check func(d *portal.Dossier) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.dossier
	if err := check(&d); err != nil {
		return err
	}
	s.dossier = d
	c := *p
	s.payments[p.ID] = &c
	return nil
}

func (s *flowStore) Payment(_ context.Context, id string) (*portal.Payment, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.payments[id]
	if !ok {
		return nil, portal.Errorf(portal.ENOTFOUND, "payment %q not found", id)
	}
	c := *p
	return &c, nil
}

func (s *flowStore) ApplyPaymentNotification(_ context.Context, n *portal.PaymentNotification, decide func(*portal.Payment, *portal.Dossier) error) (*portal.Payment, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := *s.payments[n.PaymentID]
	if s.nonces[n.Nonce] {
		return &p, false, nil
	}
	d := s.dossier
	if err := decide(&p, &d); err != nil {
		return nil, false, err
	}
	*s.payments[n.PaymentID], s.dossier, s.nonces[n.Nonce] = p, d, true
	return &p, true, nil
}

// TestPaymentFlow walks the whole redirect flow: the portal starts a
// payment, the citizen confirms on the gateway page it was sent to, and the
// gateway's signed notification marks the dossier paid.
func TestPaymentFlow(t *testing.T) {
	owner := portal.Principal{UserID: "001090000123", Role: portal.RoleCitizen}
	store := &flowStore{payments: map[string]*portal.Payment{}, nonces: map[string]bool{},
		dossier: portal.Dossier{ID: "d_1", Code: "X-1", OwnerID: owner.UserID, Status: portal.StatusDraft, Fee: 10000, PaymentStatus: portal.PaymentUnpaid}}
	outcomes := make(chan string, 10)
	svc := &portal.PaymentService{Store: store, Dossiers: store, Clock: portal.SystemClock{}, Secret: gatewaySecret,
		Observe: func(o string) { outcomes <- o }}
	callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, portal.MaxNotificationBytes+1))
		if _, _, err := svc.HandleCallback(r.Context(), body, r.Header.Get(portal.SignatureHeader)); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer callback.Close()
	g, err := NewGateway(GatewayConfig{Secret: gatewaySecret, CallbackURL: callback.URL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()

	p, redirect, err := svc.Start(context.Background(), owner, "d_1")
	if err != nil {
		t.Fatal(err)
	}
	<-outcomes // started
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	w := do(g, "GET", redirect, nil, false)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "10.000 ₫") {
		t.Fatalf("gateway page for %s: %d %s", redirect, w.Code, w.Body)
	}
	w = do(g, "POST", u.Path+"/confirm", u.Query(), false)
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/dossiers/d_1?payment_id="+p.ID) {
		t.Fatalf("confirm: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	select {
	case o := <-outcomes:
		if o != portal.PaymentOutcomePaid {
			t.Fatalf("callback outcome %q", o)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback")
	}
	if d, _ := store.Dossier(context.Background(), "d_1"); d.PaymentStatus != portal.PaymentPaid {
		t.Errorf("dossier payment status = %q", d.PaymentStatus)
	}
	if got, _ := store.Payment(context.Background(), p.ID); got.Status != portal.PaymentPaid || got.GatewayRef == "" {
		t.Errorf("payment = %+v", got)
	}
}
