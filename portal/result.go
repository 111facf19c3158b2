package portal

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// IssuedResult is a dossier's e-result as issued: the signed document,
// byte for byte, with what identifies it.
type IssuedResult struct {
	DossierID   string
	DossierCode string
	Document    []byte // the signed result as JSON: document, sha256, signature, algorithm, key_id
	SHA256      string // digest of the document's canonical encoding
	KeyID       string
	IssuedAt    time.Time
}

// ResultVerification is the answer to "is this e-result genuine?".
type ResultVerification struct {
	Valid       bool      `json:"valid"`
	DossierCode string    `json:"dossier_code,omitempty"`
	IssuedAt    time.Time `json:"issued_at,omitempty"`
	PublicKey   string    `json:"public_key"`
	KeyID       string    `json:"key_id,omitempty"`
	Reason      string    `json:"reason,omitempty"` // why it is not valid
}

// ResultSigner builds and signs e-results (the agency's digital signature)
// and checks them. It is implemented over mock.Signer in portal/app.
type ResultSigner interface {
	// SignResult builds the e-result of d as issued (d.Status and
	// d.ResultAt already set) and signs it; it returns the signed result as
	// JSON, its digest and the key ID.
	SignResult(ctx context.Context, d *Dossier, p *Procedure) (document []byte, sha256, keyID string, err error)
	// VerifyResult checks a signed result given as JSON; an EINVALID error
	// says which check failed. It returns what the document says.
	VerifyResult(document []byte) (dossierCode, keyID string, issuedAt time.Time, err error)
	// PublicKey returns the verification key, standard base64.
	PublicKey() string
}

// ResultStore persists issued results.
type ResultStore interface {
	// IssueResult, in one transaction: loads dossier dossierID (ENOTFOUND if
	// missing), calls fn, which moves the dossier and returns the result to
	// store, then saves the dossier with its new history and inserts the
	// result. If fn returns an error nothing is saved and that error is
	// returned. A dossier has at most one result (ECONFLICT otherwise).
	IssueResult(ctx context.Context, dossierID string, fn func(d *Dossier) (*IssuedResult, error)) (*Dossier, error)
	// ResultByCode returns the result of the dossier with that code, or ENOTFOUND.
	ResultByCode(ctx context.Context, dossierCode string) (*IssuedResult, error)
}

// ResultService issues, serves and verifies e-results. A result is signed
// outside the database transaction (the signer may be slow or faulted and
// must not hold the single writer), then stored in the same transaction as
// the approved → result_issued transition, provided the dossier did not
// change meanwhile.
type ResultService struct {
	Store    ResultStore
	Dossiers *DossierService
	Signer   ResultSigner
	Clock    Clock
}

// Issue signs and stores the e-result of an approved dossier and moves it
// to result_issued, in one transaction. who is the officer who approved it
// or the system (RoleSystem); citizens may not. The back office calls it
// right after approving:
//
//	d, err := results.Issue(ctx, portal.Principal{UserID: "system", Role: portal.RoleSystem}, dossierID)
//
// A dossier that is not approved is ECONFLICT; a signer outage is
// EUNAVAILABLE and changes nothing, so the caller may retry later.
func (s *ResultService) Issue(ctx context.Context, who Principal, dossierID string) (*Dossier, error) {
	d, err := s.Dossiers.Store.Dossier(ctx, dossierID)
	if err != nil {
		return nil, err
	}
	if !mayRead(who, d) {
		return nil, Errorf(ENOTFOUND, "dossier %q not found", dossierID)
	}
	if d.Status != StatusApproved {
		return nil, Errorf(ECONFLICT, "dossier %s is %s; a result is issued only for approved dossiers", d.Code, d.Status)
	}
	if !CanTransition(StatusApproved, StatusResultIssued, who.Role) {
		return nil, Errorf(EFORBIDDEN, "a %s may not issue results", who.Role)
	}
	p, ok := s.Dossiers.Catalog.Procedure(d.ProcedureCode)
	if !ok {
		return nil, Errorf(ECONFLICT, "procedure %s is no longer in the catalogue", d.ProcedureCode)
	}
	now := s.Clock.Now()
	issued := *d
	issued.Status, issued.ResultAt = StatusResultIssued, &now
	doc, sum, keyID, err := s.Signer.SignResult(ctx, &issued, p)
	if err != nil {
		return nil, fmt.Errorf("sign the result of dossier %s: %w", d.Code, err)
	}
	version := d.Version
	return s.Store.IssueResult(ctx, dossierID, func(d *Dossier) (*IssuedResult, error) {
		if d.Version != version {
			return nil, Errorf(ECONFLICT, "dossier %s changed while its result was being signed; retry", d.Code)
		}
		if err := d.Transition(StatusResultIssued, who.UserID, who.Role, "", now); err != nil {
			return nil, err
		}
		return &IssuedResult{DossierID: d.ID, DossierCode: d.Code, Document: doc, SHA256: sum, KeyID: keyID, IssuedAt: now}, nil
	})
}

// Download returns the signed result of a dossier to its owner, an officer
// or an admin (anyone else: ENOTFOUND). The owner's first download
// completes the dossier (result_issued → completed): the citizen has
// received the result.
func (s *ResultService) Download(ctx context.Context, who Principal, dossierCode string) (*IssuedResult, error) {
	d, err := s.dossierByCode(ctx, dossierCode)
	if err != nil {
		return nil, err
	}
	if !mayRead(who, d) {
		return nil, Errorf(ENOTFOUND, "result %q not found", dossierCode)
	}
	r, err := s.Store.ResultByCode(ctx, d.Code)
	if err != nil {
		return nil, err
	}
	if who.Role == RoleCitizen && d.Status == StatusResultIssued {
		_, err := s.Dossiers.update(ctx, who, d.ID, func(d *Dossier) error {
			if d.Status != StatusResultIssued {
				return nil // completed meanwhile
			}
			return d.Transition(StatusCompleted, who.UserID, who.Role, "result downloaded", s.Clock.Now())
		})
		if err != nil {
			return nil, fmt.Errorf("complete dossier %s: %w", d.Code, err)
		}
	}
	return r, nil
}

// Verify checks the stored result of a dossier code: public, it reveals
// only whether the result is genuine, the code and the issue time.
func (s *ResultService) Verify(ctx context.Context, dossierCode string) (*ResultVerification, error) {
	if _, err := s.dossierByCode(ctx, dossierCode); err != nil {
		return nil, err
	}
	r, err := s.Store.ResultByCode(ctx, strings.TrimSpace(dossierCode))
	if err != nil {
		return nil, err
	}
	return s.VerifyDocument(r.Document), nil
}

// VerifyDocument checks a signed result someone holds (e.g. one downloaded
// and forwarded to a bank): integrity and signature under the portal's key.
func (s *ResultService) VerifyDocument(document []byte) *ResultVerification {
	v := &ResultVerification{PublicKey: s.Signer.PublicKey()}
	code, keyID, issuedAt, err := s.Signer.VerifyResult(document)
	if err != nil {
		v.Reason = ErrorMessage(err)
		return v
	}
	v.Valid, v.DossierCode, v.KeyID, v.IssuedAt = true, code, keyID, issuedAt
	return v
}

func (s *ResultService) dossierByCode(ctx context.Context, code string) (*Dossier, error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 64 {
		return nil, Errorf(EINVALID, "dossier code must be 1 to 64 characters")
	}
	d, err := s.Dossiers.Store.DossierByCode(ctx, code)
	if ErrorCode(err) == ENOTFOUND {
		return nil, Errorf(ENOTFOUND, "result %q not found", code)
	}
	return d, err
}
