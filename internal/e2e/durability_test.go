package e2e

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", to check the file after a kill

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/mock"
)

// acked is a dossier whose submit the portal acknowledged with 2xx.
type acked struct {
	owner   string // personal ID
	token   string
	dossier dossier // as the submit response showed it
}

// confirmedPayment is a payment whose signed gateway notification the
// portal acknowledged with 200 "paid".
type confirmedPayment struct {
	owner, token, dossierID, paymentID string
	amount                             int64
}

// loadTracker collects what the portal acknowledged during one round.
type loadTracker struct {
	mu       sync.Mutex
	attempts int
	acked    []acked
	paid     []confirmedPayment
}

func (l *loadTracker) attempt() {
	l.mu.Lock()
	l.attempts++
	l.mu.Unlock()
}

// submitter drives one citizen: log in once, then create, fill and submit
// dossiers until ctx ends; every other one has a fee, which it pays by
// starting the payment and delivering the gateway's signed notification.
func submitter(ctx context.Context, c *client, personalID string, secret []byte, track *loadTracker) {
	token, err := c.login(ctx, personalID)
	if err != nil {
		return // the kill can land during login
	}
	for i := 0; ctx.Err() == nil; i++ {
		track.attempt()
		proc, form := maritalStatus, maritalForm
		if i%2 == 1 {
			proc, form = temporaryResidence, residenceForm()
		}
		var d dossier
		if err := c.call(ctx, http.MethodPost, "/api/v1/dossiers", token,
			map[string]any{"procedure_code": proc, "form": form}, &d); err != nil {
			return
		}
		var s dossier
		if err := c.call(ctx, http.MethodPost, "/api/v1/dossiers/"+d.ID+"/submit", token, nil, &s); err != nil {
			return
		}
		track.mu.Lock()
		track.acked = append(track.acked, acked{owner: personalID, token: token, dossier: s})
		track.mu.Unlock()
		if proc != temporaryResidence {
			continue
		}
		var pay struct {
			PaymentID string `json:"payment_id"`
			Amount    int64  `json:"amount"`
		}
		if err := c.call(ctx, http.MethodPost, "/api/v1/dossiers/"+d.ID+"/payments", token, nil, &pay); err != nil {
			return
		}
		n, _ := json.Marshal(portal.PaymentNotification{PaymentID: pay.PaymentID, GatewayRef: "PG-" + pay.PaymentID,
			Amount: pay.Amount, Status: portal.PaymentPaid, PaidAt: time.Now(), Nonce: "n-" + pay.PaymentID})
		var res struct {
			Status string `json:"status"`
		}
		if err := c.callSigned(ctx, "/api/v1/payments/callback", n, portal.Sign(secret, n), &res); err != nil {
			return
		}
		if res.Status == portal.PaymentPaid {
			track.mu.Lock()
			track.paid = append(track.paid, confirmedPayment{owner: personalID, token: token, dossierID: d.ID, paymentID: pay.PaymentID, amount: pay.Amount})
			track.mu.Unlock()
		}
	}
}

// TestDurabilityAcrossKill9 drives concurrent submissions against the real
// binary, kills it with SIGKILL mid-load and restarts it on the same data
// directory, several rounds: every acknowledged submit must be there with
// its history, the database must pass integrity_check, and the officers
// must pick the queue up again.
func TestDurabilityAcrossKill9(t *testing.T) {
	rounds, load := 3, 1500*time.Millisecond
	if long() {
		rounds, load = 6, 4*time.Second
	}
	dataDir := t.TempDir()
	var all []acked
	var paid []confirmedPayment
	for round := 1; round <= rounds; round++ {
		srv := startServer(t, dataDir, "--officers", "4", "--speed", "3600")
		c := newClient(srv.URL)

		// Earlier rounds' acknowledged dossiers survived the restart too.
		verifyAcked(t, c, all, fmt.Sprintf("round %d, before load", round))

		ctx, cancel := context.WithCancel(context.Background())
		track := &loadTracker{}
		secret := paymentSecret(t, dataDir)
		var wg sync.WaitGroup
		const workers = 8
		for w := range workers {
			wg.Go(func() {
				submitter(ctx, c, mock.CitizenID(round*100+w), secret, track)
			})
		}
		time.Sleep(load)
		srv.kill() // SIGKILL while the workers are mid-request
		cancel()
		wg.Wait()
		got := track.acked
		if len(got) == 0 || len(track.paid) == 0 {
			t.Fatalf("round %d: %d submits and %d payments acknowledged in %v; want some of each:\n%s", round, len(got), len(track.paid), load, srv.tail(4000))
		}
		checkIntegrity(t, filepath.Join(dataDir, "portal.db"))
		all = append(all, got...)
		paid = append(paid, track.paid...)

		srv = startServer(t, dataDir, "--officers", "4", "--speed", "3600")
		c = newClient(srv.URL)
		found := verifyAcked(t, c, all, fmt.Sprintf("round %d, after restart", round))
		paidOnce := verifyPaid(t, c, paid, fmt.Sprintf("round %d, after restart", round))
		moved := officersResume(t, c, all)
		t.Logf("round %d: %d submits attempted, %d acknowledged and %d payments confirmed before kill -9; after restart %d of %d acknowledged dossiers found, %d of %d confirmed payments recorded exactly once, %d of the oldest dossiers still submitted at the restart moved on by the officers",
			round, track.attempts, len(got), len(track.paid), found, len(all), paidOnce, len(paid), moved)
		srv.kill()
	}
}

// paymentSecret reads the secret the portal shares with its mock gateway,
// so the test can play the gateway's signed notifications.
func paymentSecret(t *testing.T, dataDir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "payment.key"))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("payment.key: %v", err)
	}
	return secret
}

// verifyPaid checks that every confirmed payment is recorded once, paid,
// for its amount, and that its dossier says paid.
func verifyPaid(t *testing.T, c *client, paid []confirmedPayment, when string) int {
	t.Helper()
	ctx := context.Background()
	ok := 0
	for _, p := range paid {
		var list struct {
			Items []struct {
				ID     string `json:"id"`
				Amount int64  `json:"amount"`
				Status string `json:"status"`
			} `json:"items"`
		}
		if err := c.call(ctx, http.MethodGet, "/api/v1/dossiers/"+p.dossierID+"/payments", p.token, nil, &list); err != nil {
			t.Errorf("%s: payments of %s: %v", when, p.dossierID, err)
			continue
		}
		n := 0
		for _, it := range list.Items {
			if it.ID == p.paymentID {
				n++
				if it.Status != portal.PaymentPaid || it.Amount != p.amount {
					t.Errorf("%s: confirmed payment %s is %s for %d, want paid for %d", when, p.paymentID, it.Status, it.Amount, p.amount)
				}
			}
		}
		if n != 1 || len(list.Items) != 1 {
			t.Errorf("%s: dossier %s has payments %+v; want confirmed payment %s exactly once", when, p.dossierID, list.Items, p.paymentID)
			continue
		}
		var d struct {
			PaymentStatus string `json:"payment_status"`
		}
		if err := c.call(ctx, http.MethodGet, "/api/v1/dossiers/"+p.dossierID, p.token, nil, &d); err != nil || d.PaymentStatus != portal.PaymentPaid {
			t.Errorf("%s: dossier %s payment status %q (%v), want paid", when, p.dossierID, d.PaymentStatus, err)
			continue
		}
		ok++
	}
	return ok
}

// officersResume waits for the restarted portal's simulated officers to
// move at least one of the (up to 200 oldest) dossiers still submitted at
// the restart.
func officersResume(t *testing.T, c *client, all []acked) int {
	t.Helper()
	ctx := context.Background()
	var waiting []acked
	for _, a := range all {
		if len(waiting) == 200 {
			break
		}
		var d dossier
		if err := c.call(ctx, http.MethodGet, "/api/v1/dossiers/"+a.dossier.ID, a.token, nil, &d); err == nil && d.Status == "submitted" {
			waiting = append(waiting, a)
		}
	}
	if len(waiting) == 0 {
		t.Fatalf("no dossier of the round is still submitted after the restart: cannot tell whether the officers resume")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		moved := 0
		for _, a := range waiting {
			var d dossier
			if err := c.call(ctx, http.MethodGet, "/api/v1/dossiers/"+a.dossier.ID, a.token, nil, &d); err == nil && d.Status != "submitted" {
				moved++
			}
		}
		if moved > 0 {
			return moved
		}
		if time.Now().After(deadline) {
			t.Fatalf("none of the %d submitted dossiers moved within 30 s of the restart: the officers did not resume the queue", len(waiting))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// verifyAcked checks that every acknowledged dossier is readable by its
// owner, at least as far along as acknowledged, with the acknowledged
// history as a prefix of the stored one. It returns how many were found.
func verifyAcked(t *testing.T, c *client, all []acked, when string) int {
	t.Helper()
	ctx := context.Background()
	found := 0
	for _, a := range all {
		var d dossier
		err := c.call(ctx, http.MethodGet, "/api/v1/dossiers/"+a.dossier.ID, a.token, nil, &d)
		var apiErr *apiError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnauthorized {
			// The session was created but its token may predate the kill
			// only by an unacknowledged write; log in again.
			tok, lerr := c.login(ctx, a.owner)
			if lerr != nil {
				t.Fatalf("%s: log in %s again: %v", when, a.owner, lerr)
			}
			err = c.call(ctx, http.MethodGet, "/api/v1/dossiers/"+a.dossier.ID, tok, nil, &d)
		}
		if err != nil {
			t.Errorf("%s: acknowledged dossier %s (%s) lost: %v", when, a.dossier.ID, a.dossier.Code, err)
			continue
		}
		if d.Code != a.dossier.Code {
			t.Errorf("%s: dossier %s code %q, acknowledged %q", when, d.ID, d.Code, a.dossier.Code)
		}
		if len(d.History) < len(a.dossier.History) || !slices.EqualFunc(d.History[:len(a.dossier.History)], a.dossier.History, sameTransition) {
			t.Errorf("%s: dossier %s history %+v does not start with the acknowledged %+v", when, d.ID, d.History, a.dossier.History)
			continue
		}
		if d.Status == "draft" {
			t.Errorf("%s: dossier %s is a draft again after an acknowledged submit", when, d.ID)
			continue
		}
		found++
	}
	return found
}

func sameTransition(a, b historyEntry) bool {
	return a.From == b.From && a.To == b.To && a.ActorRole == b.ActorRole
}

// checkIntegrity opens the killed server's database read-only and runs
// PRAGMA integrity_check.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatalf("integrity_check on %s: %v", path, err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check on %s after kill -9: %s", path, res)
	}
}
