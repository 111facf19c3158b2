package mock

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// SignerKeyFile is the file in the data directory that holds the e-result
// signing key (PKCS #8, PEM), so results signed before a restart still verify.
const SignerKeyFile = "result-signing.key"

// SignatureAlgorithm names the algorithm in a SignedResult.
const SignatureAlgorithm = "Ed25519"

// Decisions a result document can carry.
const (
	DecisionApproved = "approved"
	DecisionRejected = "rejected"
)

// ResultDocument is the e-result of a settled dossier: what the agency
// decided, for whom, when. Its canonical JSON encoding is what is signed.
type ResultDocument struct {
	DocumentNumber  string    `json:"document_number"`
	DossierCode     string    `json:"dossier_code"`
	ProcedureCode   string    `json:"procedure_code"`
	ProcedureNameVI string    `json:"procedure_name_vi"`
	ProcedureNameEN string    `json:"procedure_name_en"`
	ApplicantID     string    `json:"applicant_personal_id"`
	ApplicantName   string    `json:"applicant_name"`
	Decision        string    `json:"decision"`
	IssuedAt        time.Time `json:"issued_at"`
	IssuingAgency   string    `json:"issuing_agency"`
}

// SignedResult is a result document with its SHA-256 digest and its
// Ed25519 signature over the canonical encoding.
type SignedResult struct {
	Document  ResultDocument `json:"document"`
	SHA256    string         `json:"sha256"`    // hex digest of the canonical encoding
	Signature string         `json:"signature"` // standard base64
	Algorithm string         `json:"algorithm"`
	KeyID     string         `json:"key_id"`
}

// ResultDocumentNumber is the e-result's number, derived from the dossier
// code so a document can be rebuilt from the dossier alone.
func ResultDocumentNumber(dossierCode string) string { return "KQ-" + dossierCode }

// NewResultDocument builds the e-result of a dossier whose result has been
// issued. It is a pure function of the dossier (issued_at is the dossier's
// ResultAt) and the procedure, and Ed25519 signing is deterministic, so the
// download endpoint can rebuild and re-sign the very same document instead
// of storing it.
func NewResultDocument(d *portal.Dossier, p *portal.Procedure) (ResultDocument, error) {
	if d.ResultAt == nil {
		return ResultDocument{}, portal.Errorf(portal.ECONFLICT, "dossier %s is %s; it has no issued result", d.Code, d.Status)
	}
	decision := DecisionApproved
	if d.Status == portal.StatusRejected {
		decision = DecisionRejected
	}
	name := ""
	for _, f := range p.Fields {
		if f.Prefill == "full_name" && d.Form[f.Name] != "" {
			name = d.Form[f.Name]
			break
		}
	}
	return ResultDocument{
		DocumentNumber: ResultDocumentNumber(d.Code), DossierCode: d.Code,
		ProcedureCode: p.Code, ProcedureNameVI: p.NameVI, ProcedureNameEN: p.NameEN,
		ApplicantID: d.OwnerID, ApplicantName: name, Decision: decision,
		IssuedAt: *d.ResultAt, IssuingAgency: p.AgencyVI,
	}, nil
}

// Canonical returns the bytes that are hashed and signed: compact JSON in
// the struct's field order, with issued_at in UTC so that a document that
// went through a JSON round trip in another time zone still verifies.
func (doc ResultDocument) Canonical() ([]byte, error) {
	doc.IssuedAt = doc.IssuedAt.UTC()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode result document: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func (doc ResultDocument) validate() error {
	var missing []portal.FieldError
	for _, f := range []struct{ name, value string }{
		{"document_number", doc.DocumentNumber}, {"dossier_code", doc.DossierCode},
		{"procedure_code", doc.ProcedureCode}, {"applicant_personal_id", doc.ApplicantID},
		{"decision", doc.Decision},
	} {
		if f.value == "" {
			missing = append(missing, portal.FieldError{Field: f.name, Message: "is required"})
		}
	}
	if doc.IssuedAt.IsZero() {
		missing = append(missing, portal.FieldError{Field: "issued_at", Message: "is required"})
	}
	if len(missing) > 0 {
		return portal.ValidationError("incomplete result document", missing)
	}
	return nil
}

// Signer is the agency's e-result signer (the specialised government
// signature in real life). Sign, Verify and PublicKey are safe for
// concurrent use; set Fail before the signer is shared.
type Signer struct {
	key   ed25519.PrivateKey
	pub   ed25519.PublicKey
	keyID string
	// Fail, if set, is asked before every signature; a non-nil error makes
	// Sign fail as a signer outage (EUNAVAILABLE). It is the fault hook,
	// e.g. func(ctx context.Context) error { return inj.Apply(ctx, faults.Signer) };
	// injected latency is waited inside it and ends with ctx.
	Fail func(ctx context.Context) error
}

// LoadOrCreateSigner loads the signing key from dir, or creates the
// directory (0700) and a new key file (0600) the first time. Two processes
// racing to create the key end up with the same one. A key file readable by
// group or others is refused.
func LoadOrCreateSigner(dir string) (*Signer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("signer key directory: %w", err)
	}
	path := filepath.Join(dir, SignerKeyFile)
	s, err := loadSigner(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return s, err
	}
	if err := createKeyFile(dir, path); err != nil {
		return nil, err
	}
	return loadSigner(path)
}

// NewSigner returns a signer with the given key; for tests and callers that
// keep keys elsewhere.
func NewSigner(key ed25519.PrivateKey) *Signer {
	pub := key.Public().(ed25519.PublicKey)
	sum := sha256.Sum256(pub)
	return &Signer{key: key, pub: pub, keyID: hex.EncodeToString(sum[:8])}
}

func loadSigner(path string) (*Signer, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("signer key: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("signer key %s has mode %#o; it must not be readable by group or others (chmod 600)", path, info.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signer key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signer key %s: not a PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signer key %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signer key %s: a %T, want an Ed25519 key", path, k)
	}
	return NewSigner(key), nil
}

// createKeyFile writes a new key to a temporary file and links it into
// place, so the key file appears complete or not at all, and never
// replaces a key another process created meanwhile.
func createKeyFile(dir, path string) error {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("generate signer key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode signer key: %w", err)
	}
	tmp, err := os.CreateTemp(dir, SignerKeyFile+".tmp*")
	if err != nil {
		return fmt.Errorf("create signer key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("create signer key: %w", err)
	}
	if err := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		tmp.Close()
		return fmt.Errorf("write signer key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write signer key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write signer key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("install signer key: %w", err)
	}
	return nil
}

// PublicKey returns the verification key.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.pub }

// PublicKeyBase64 returns the verification key in standard base64, as the
// public verify endpoint shows it.
func (s *Signer) PublicKeyBase64() string { return base64.StdEncoding.EncodeToString(s.pub) }

// KeyID names the key: the first 8 bytes of the SHA-256 of the public key, in hex.
func (s *Signer) KeyID() string { return s.keyID }

// Sign signs the canonical encoding of doc; see SignContext.
func (s *Signer) Sign(doc ResultDocument) (SignedResult, error) {
	return s.SignContext(context.Background(), doc)
}

// SignContext signs the canonical encoding of doc. It fails with
// EUNAVAILABLE when the fault hook reports an outage, and with EINVALID
// naming every missing field when the document is incomplete.
func (s *Signer) SignContext(ctx context.Context, doc ResultDocument) (SignedResult, error) {
	if s.Fail != nil {
		if err := s.Fail(ctx); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return SignedResult{}, fmt.Errorf("sign e-result: %w", ctxErr)
			}
			if portal.ErrorCode(err) == portal.EUNAVAILABLE {
				return SignedResult{}, fmt.Errorf("sign e-result: %w", err)
			}
			return SignedResult{}, portal.Errorf(portal.EUNAVAILABLE, "e-result signer unavailable: %v", err)
		}
	}
	if err := doc.validate(); err != nil {
		return SignedResult{}, err
	}
	msg, err := doc.Canonical()
	if err != nil {
		return SignedResult{}, err
	}
	sum := sha256.Sum256(msg)
	return SignedResult{
		Document:  doc,
		SHA256:    hex.EncodeToString(sum[:]),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, msg)),
		Algorithm: SignatureAlgorithm,
		KeyID:     s.keyID,
	}, nil
}

// Verify checks a signed result against this signer's public key; see VerifyResult.
func (s *Signer) Verify(r SignedResult) error { return VerifyResult(s.pub, r) }

// VerifyResult checks integrity (the document's SHA-256 matches the
// recorded digest) and authenticity (the signature verifies under pub). It
// needs no private key and is never faulted: anyone holding the public key
// can verify. Failures are EINVALID with a message saying which check failed.
func VerifyResult(pub ed25519.PublicKey, r SignedResult) error {
	if r.Algorithm != "" && r.Algorithm != SignatureAlgorithm {
		return portal.Errorf(portal.EINVALID, "unsupported signature algorithm %q; want %s", r.Algorithm, SignatureAlgorithm)
	}
	msg, err := r.Document.Canonical()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(msg)
	if hex.EncodeToString(sum[:]) != r.SHA256 {
		return portal.Errorf(portal.EINVALID, "integrity check failed: the document's SHA-256 is %x, the recorded digest is %q; the document was altered", sum, r.SHA256)
	}
	sig, err := base64.StdEncoding.DecodeString(r.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return portal.Errorf(portal.EINVALID, "signature is not a base64 Ed25519 signature of %d bytes", ed25519.SignatureSize)
	}
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, sig) {
		return portal.Errorf(portal.EINVALID, "signature does not verify under the portal's public key")
	}
	return nil
}
