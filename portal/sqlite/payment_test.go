package sqlite

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

func startPayment(t *testing.T, db *DB, d *portal.Dossier) *portal.Payment {
	t.Helper()
	p := &portal.Payment{ID: portal.NewID("pay"), DossierID: d.ID, Amount: d.Fee, Status: portal.PaymentPending,
		Provider: portal.ProviderPayGov, CreatedAt: baseTime, UpdatedAt: baseTime}
	if err := db.CreatePayment(context.Background(), p, func(d *portal.Dossier) error {
		d.PaymentStatus = portal.PaymentPending
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCreatePaymentIsOneTransaction(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	d := newDossier("001090000001", baseTime)
	if err := db.CreateDossier(ctx, d, "000.00.13.H56"); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("no")
	p := &portal.Payment{ID: "pay_refused", DossierID: d.ID, Amount: 1, Status: portal.PaymentPending, Provider: "paygov", CreatedAt: baseTime, UpdatedAt: baseTime}
	err := db.CreatePayment(ctx, p, func(d *portal.Dossier) error { d.PaymentStatus = portal.PaymentPending; return refused })
	if !errors.Is(err, refused) {
		t.Fatalf("check error not returned: %v", err)
	}
	if _, err := db.Payment(ctx, "pay_refused"); portal.ErrorCode(err) != portal.ENOTFOUND {
		t.Errorf("refused payment stored: %v", err)
	}
	if got, _ := db.Dossier(ctx, d.ID); got.PaymentStatus != portal.PaymentUnpaid || got.Version != 1 {
		t.Errorf("refused payment changed the dossier: %s v%d", got.PaymentStatus, got.Version)
	}
	err = db.CreatePayment(ctx, &portal.Payment{ID: "pay_x", DossierID: "d_missing"}, func(*portal.Dossier) error { return nil })
	assertCode(t, err, portal.ENOTFOUND)

	paid := startPayment(t, db, d)
	got, err := db.Payment(ctx, paid.ID)
	if err != nil || got.Amount != d.Fee || got.Status != portal.PaymentPending || !got.CreatedAt.Equal(baseTime) {
		t.Fatalf("payment %+v, %v", got, err)
	}
	if dd, _ := db.Dossier(ctx, d.ID); dd.PaymentStatus != portal.PaymentPending || dd.Version != 2 {
		t.Errorf("dossier after payment start: %s v%d", dd.PaymentStatus, dd.Version)
	}
	list, err := db.PaymentsOf(ctx, d.ID)
	if err != nil || len(list) != 1 || list[0].ID != paid.ID {
		t.Errorf("PaymentsOf: %+v, %v", list, err)
	}
}

// TestApplyNotificationAtMostOnce delivers the same notification from many
// goroutines: exactly one applies it, the others see a replay, and the
// dossier's payment status moves with the payment in one transaction.
func TestApplyNotificationAtMostOnce(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	d := newDossier("001090000002", baseTime)
	if err := db.CreateDossier(ctx, d, "000.00.13.H56"); err != nil {
		t.Fatal(err)
	}
	p := startPayment(t, db, d)
	n := &portal.PaymentNotification{PaymentID: p.ID, GatewayRef: "PG1", Amount: p.Amount, Status: portal.PaymentPaid, PaidAt: baseTime, Nonce: "n1"}
	var mu sync.Mutex
	applied, decided := 0, 0
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, ok, err := db.ApplyPaymentNotification(ctx, n, func(p *portal.Payment, d *portal.Dossier) error {
				mu.Lock()
				decided++
				mu.Unlock()
				now := baseTime.Add(time.Minute)
				p.Status, p.GatewayRef, p.UpdatedAt, p.ConfirmedAt = portal.PaymentPaid, n.GatewayRef, now, &now
				d.PaymentStatus, d.UpdatedAt = portal.PaymentPaid, now
				return nil
			})
			if err != nil || got.Status != portal.PaymentPaid && ok {
				t.Errorf("apply: %+v %v %v", got, ok, err)
			}
			if ok {
				mu.Lock()
				applied++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if applied != 1 || decided != 1 {
		t.Errorf("applied %d times, decided %d times; want exactly once", applied, decided)
	}
	dd, _ := db.Dossier(ctx, d.ID)
	got, _ := db.Payment(ctx, p.ID)
	if dd.PaymentStatus != portal.PaymentPaid || got.Status != portal.PaymentPaid || got.ConfirmedAt == nil || got.GatewayRef != "PG1" {
		t.Errorf("after notification: dossier %s, payment %+v", dd.PaymentStatus, got)
	}

	// A decision that fails changes nothing and records no nonce.
	boom := errors.New("boom")
	n2 := *n
	n2.Nonce, n2.Status = "n2", portal.PaymentFailed
	if _, _, err := db.ApplyPaymentNotification(ctx, &n2, func(p *portal.Payment, d *portal.Dossier) error {
		p.Status, d.PaymentStatus = portal.PaymentFailed, portal.PaymentFailed
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("decide error: %v", err)
	}
	if dd, _ := db.Dossier(ctx, d.ID); dd.PaymentStatus != portal.PaymentPaid {
		t.Errorf("failed decision changed the dossier to %s", dd.PaymentStatus)
	}
	if _, ok, err := db.ApplyPaymentNotification(ctx, &n2, func(*portal.Payment, *portal.Dossier) error { return nil }); err != nil || !ok {
		t.Errorf("a nonce whose first decision failed must apply later: ok=%v err=%v", ok, err)
	}
	_, _, err := db.ApplyPaymentNotification(ctx, &portal.PaymentNotification{PaymentID: "pay_missing", Nonce: "x"}, func(*portal.Payment, *portal.Dossier) error { return nil })
	assertCode(t, err, portal.ENOTFOUND)
}

func TestIssueResultWithTransition(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	d := newDossier("001090000003", baseTime)
	d.Status = portal.StatusApproved
	if err := db.CreateDossier(ctx, d, "000.00.13.H56"); err != nil {
		t.Fatal(err)
	}
	issue := func(d *portal.Dossier) (*portal.IssuedResult, error) {
		if err := d.Transition(portal.StatusResultIssued, "system", portal.RoleSystem, "", baseTime); err != nil {
			return nil, err
		}
		return &portal.IssuedResult{DossierID: d.ID, DossierCode: d.Code, Document: []byte(`{"signed":true}`), SHA256: "ab", KeyID: "k1", IssuedAt: baseTime}, nil
	}
	got, err := db.IssueResult(ctx, d.ID, issue)
	if err != nil || got.Status != portal.StatusResultIssued || len(got.History) != 1 {
		t.Fatalf("issue: %+v %v", got, err)
	}
	r, err := db.ResultByCode(ctx, d.Code)
	if err != nil || string(r.Document) != `{"signed":true}` || r.KeyID != "k1" || !r.IssuedAt.Equal(baseTime) {
		t.Fatalf("result %+v, %v", r, err)
	}
	// The dossier is no longer approved, so the transition fails and nothing is stored twice.
	if _, err := db.IssueResult(ctx, d.ID, issue); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Errorf("second issue: %v, want a conflict", err)
	}
	_, err = db.ResultByCode(ctx, "NO-SUCH")
	assertCode(t, err, portal.ENOTFOUND)
}
