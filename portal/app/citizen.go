package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/mock"
)

// PaymentSecretFile keeps the secret shared with the mock payment gateway,
// so payments started before a restart can still be confirmed.
const PaymentSecretFile = "payment.key"

// CallbackPath is the portal's payment notification endpoint.
const CallbackPath = "/api/v1/payments/callback"

// wireCitizenServices builds the services of issue 4 the citizen uses:
// attachments, e-payment with the mock gateway, signed e-results and
// interconnected groups. The gateway calls back in process until Start
// gives it the app's own URL.
func (a *App) wireCitizenServices() error {
	cfg := a.Config
	secret, err := loadOrCreateSecret(filepath.Join(cfg.DataDir, PaymentSecretFile))
	if err != nil {
		return fmt.Errorf("payment secret: %w", err)
	}
	signer, err := mock.LoadOrCreateSigner(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("e-result signer: %w", err)
	}
	gateway, err := mock.NewGateway(mock.GatewayConfig{
		Secret: secret, Prefix: "/gateway", Delay: cfg.PaymentDelay, FailureRate: cfg.PaymentFailureRate,
		Logger: a.Logger, CallbackURL: "http://" + inProcessHost + CallbackPath, Faults: a.Faults,
		Client: &http.Client{Timeout: 5 * time.Second, Transport: inProcessTransport{app: a, next: notificationTransport()}},
	})
	if err != nil {
		return err
	}
	a.Signer, a.Gateway = signer, gateway
	a.Attachments = &portal.AttachmentService{Store: a.Store, Dossiers: a.Dossiers, Clock: a.Clock}
	a.Payments = &portal.PaymentService{Store: a.Store, Dossiers: a.Store, Clock: a.Clock, Secret: secret,
		GatewayURL: "/gateway", ReturnURL: "/dossiers/{dossier_id}"}
	a.Results = &portal.ResultService{Store: a.Store, Dossiers: a.Dossiers, Signer: resultSigner{signer}, Clock: a.Clock}
	groups := a.Catalog.Groups()
	a.Groups = &portal.GroupService{Dossiers: a.Dossiers, Groups: make([]portal.ProcedureGroup, len(groups))}
	for i, g := range groups {
		a.Groups.Groups[i] = portal.ProcedureGroup{Code: g.Code, NameVI: g.NameVI, NameEN: g.NameEN, Members: g.Members}
	}
	return nil
}

// inProcessHost names the portal itself in the gateway's callback URL
// until Start gives it a real address: an App used only through Handler
// (tests, the journey checker) still gets its payment notifications,
// through the whole middleware chain but without a socket.
const inProcessHost = "portal.internal"

// notificationTransport is the gateway's own connection pool, without
// keep-alive: a notification dialled while another client's idle
// connection turned up would otherwise leave an unused connection the
// server counts as new, and http.Server.Shutdown waits 5 s for those.
func notificationTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableKeepAlives = true
	return t
}

type inProcessTransport struct {
	app  *App
	next http.RoundTripper
}

func (t inProcessTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Host != inProcessHost {
		return t.next.RoundTrip(req)
	}
	rec := httptest.NewRecorder()
	t.app.handler.ServeHTTP(rec, req)
	return rec.Result(), nil
}

// resultSigner signs e-results with the data directory's Ed25519 key.
type resultSigner struct{ s *mock.Signer }

func (r resultSigner) SignResult(ctx context.Context, d *portal.Dossier, p *portal.Procedure) ([]byte, string, string, error) {
	doc, err := mock.NewResultDocument(d, p)
	if err != nil {
		return nil, "", "", err
	}
	signed, err := r.s.SignContext(ctx, doc)
	if err != nil {
		return nil, "", "", err
	}
	b, err := json.Marshal(signed)
	if err != nil {
		return nil, "", "", fmt.Errorf("encode signed result: %w", err)
	}
	return b, signed.SHA256, signed.KeyID, nil
}

func (r resultSigner) VerifyResult(document []byte) (string, string, time.Time, error) {
	dec := json.NewDecoder(bytes.NewReader(document))
	dec.DisallowUnknownFields()
	var signed mock.SignedResult
	if err := dec.Decode(&signed); err != nil {
		return "", "", time.Time{}, portal.Errorf(portal.EINVALID, "not a signed result: %v", err)
	}
	if err := r.s.Verify(signed); err != nil {
		return "", "", time.Time{}, err
	}
	return signed.Document.DossierCode, signed.KeyID, signed.Document.IssuedAt, nil
}

func (r resultSigner) PublicKey() string { return r.s.PublicKeyBase64() }
