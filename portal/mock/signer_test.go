package mock

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

func sampleResult() ResultDocument {
	return ResultDocument{
		DocumentNumber: ResultDocumentNumber("000.00.13.H56-251124-0001"), DossierCode: "000.00.13.H56-251124-0001",
		ProcedureCode: "1.001193", ProcedureNameVI: "Đăng ký khai sinh", ProcedureNameEN: "Birth registration",
		ApplicantID: "001090000123", ApplicantName: "Nguyễn Văn An", Decision: DecisionApproved,
		IssuedAt:      time.Date(2025, 11, 24, 10, 30, 0, 123, portal.VietnamTime),
		IssuingAgency: "UBND xã Tân Lập <&>",
	}
}

func TestSignVerifyRoundTripThroughJSON(t *testing.T) {
	s, err := LoadOrCreateSigner(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.Sign(sampleResult())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(signed); err != nil {
		t.Fatalf("fresh signature: %v", err)
	}
	// What a citizen downloads and sends back to the verify endpoint.
	data, err := json.Marshal(signed)
	if err != nil {
		t.Fatal(err)
	}
	var back SignedResult
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(back); err != nil {
		t.Fatalf("after a JSON round trip: %v", err)
	}
	if back.KeyID != s.KeyID() || back.Algorithm != SignatureAlgorithm {
		t.Errorf("key id %q algorithm %q, want %q %q", back.KeyID, back.Algorithm, s.KeyID(), SignatureAlgorithm)
	}
	// Ed25519 is deterministic: rebuilding and re-signing gives the same bytes.
	again, _ := s.Sign(sampleResult())
	if again.Signature != signed.Signature {
		t.Error("signing the same document twice gave different signatures")
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	s := NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	signed, err := s.Sign(sampleResult())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		tamper func(r *SignedResult)
		want   string
	}{
		{"decision changed", func(r *SignedResult) { r.Document.Decision = DecisionRejected }, "integrity"},
		{"name changed", func(r *SignedResult) { r.Document.ApplicantName = "Nguyễn Văn Ân" }, "integrity"},
		{"issued later", func(r *SignedResult) { r.Document.IssuedAt = r.Document.IssuedAt.Add(time.Second) }, "integrity"},
		{"digest recomputed for an altered document", func(r *SignedResult) {
			r.Document.Decision = DecisionRejected
			other, _ := NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))).Sign(r.Document)
			r.SHA256 = other.SHA256
		}, "does not verify"},
		{"signature garbled", func(r *SignedResult) { r.Signature = "AAAA" }, "not a base64 Ed25519"},
		{"other algorithm", func(r *SignedResult) { r.Algorithm = "RSA" }, "unsupported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := signed
			tt.tamper(&r)
			err := s.Verify(r)
			if err == nil || portal.ErrorCode(err) != portal.EINVALID || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Verify = %v, want EINVALID mentioning %q", err, tt.want)
			}
		})
	}
}

func TestVerifyRejectsOtherKey(t *testing.T) {
	a, _ := LoadOrCreateSigner(t.TempDir())
	b, _ := LoadOrCreateSigner(t.TempDir())
	signed, err := a.Sign(sampleResult())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(signed); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("verify with another portal's key = %v, want a signature failure", err)
	}
}

func TestSignerKeyPersistsWithPrivatePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	first, err := LoadOrCreateSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, SignerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %#o, want 0600", info.Mode().Perm())
	}
	second, err := LoadOrCreateSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	if second.PublicKeyBase64() != first.PublicKeyBase64() || second.KeyID() != first.KeyID() {
		t.Fatal("a restart created a new key; results signed before it would no longer verify")
	}
	signed, _ := first.Sign(sampleResult())
	if err := second.Verify(signed); err != nil {
		t.Fatalf("result signed before the restart: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want only the key file (temporary files left behind?)", len(entries))
	}

	if err := os.Chmod(filepath.Join(dir, SignerKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable key accepted: %v", err)
	}
}

func TestSignerRejectsCorruptKeyFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, SignerKeyFile), []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateSigner(dir); err == nil || !strings.Contains(err.Error(), SignerKeyFile) {
		t.Fatalf("corrupt key file: err = %v, want an error naming the file", err)
	}
}

func TestSignerFaultIsUnavailable(t *testing.T) {
	s := NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	down := true
	s.Fail = func(context.Context) error {
		if down {
			return errors.New("HSM timeout")
		}
		return nil
	}
	if _, err := s.Sign(sampleResult()); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Fatalf("Sign during an outage = %v, want EUNAVAILABLE", err)
	}
	down = false
	if _, err := s.Sign(sampleResult()); err != nil {
		t.Fatalf("Sign after the outage: %v", err)
	}
}

func TestSignRejectsIncompleteDocument(t *testing.T) {
	s := NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	_, err := s.Sign(ResultDocument{DossierCode: "X"})
	fields := portal.ErrorFields(err)
	if portal.ErrorCode(err) != portal.EINVALID || len(fields) != 5 {
		t.Fatalf("Sign(incomplete) = %v with fields %v, want EINVALID naming 5 fields", err, fields)
	}
}

func TestNewResultDocumentFromDossier(t *testing.T) {
	p := &portal.Procedure{Code: "1.001193", NameVI: "Đăng ký khai sinh", NameEN: "Birth registration", AgencyVI: "UBND xã",
		Fields: []portal.FormField{{Name: "ho_ten", Prefill: "full_name"}}}
	d := &portal.Dossier{Code: "C-1", OwnerID: "001090000123", Status: portal.StatusApproved, Form: map[string]string{"ho_ten": "Trần Thị Bình"}}
	if _, err := NewResultDocument(d, p); portal.ErrorCode(err) != portal.ECONFLICT {
		t.Fatalf("no result yet: err = %v, want ECONFLICT", err)
	}
	at := time.Date(2025, 11, 24, 9, 0, 0, 0, portal.VietnamTime)
	d.ResultAt, d.Status = &at, portal.StatusResultIssued
	doc, err := NewResultDocument(d, p)
	if err != nil {
		t.Fatal(err)
	}
	want := ResultDocument{DocumentNumber: "KQ-C-1", DossierCode: "C-1", ProcedureCode: "1.001193",
		ProcedureNameVI: "Đăng ký khai sinh", ProcedureNameEN: "Birth registration", ApplicantID: "001090000123",
		ApplicantName: "Trần Thị Bình", Decision: DecisionApproved, IssuedAt: at, IssuingAgency: "UBND xã"}
	if doc != want {
		t.Fatalf("document\n got %+v\nwant %+v", doc, want)
	}
}

func TestSignerFaultLatencyEndsWithContext(t *testing.T) {
	s := NewSigner(ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	s.Fail = func(ctx context.Context) error { // injected latency of "forever"
		<-ctx.Done()
		return portal.Errorf(portal.EUNAVAILABLE, "signer timed out")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := s.SignContext(ctx, sampleResult()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SignContext with an ended context = %v, want the context's error", err)
	}
}
