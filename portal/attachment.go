package portal

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Error codes of attachment uploads; the HTTP layer maps them to 413 and 415.
const (
	ETOOLARGE    = "payload_too_large"
	EUNSUPPORTED = "unsupported_media_type"
)

// Attachment limits.
const (
	// DefaultAttachmentBytes applies to requirements that name no size limit.
	DefaultAttachmentBytes = 5 << 20
	// MaxAttachmentBytes is the largest single file any requirement may
	// allow; uploads are read no further.
	MaxAttachmentBytes = 20 << 20
	// MaxDossierAttachmentBytes bounds the sum of a dossier's attachments.
	MaxDossierAttachmentBytes = 25 << 20
	// MaxAttachmentsPerDossier bounds how many files a dossier may hold.
	MaxAttachmentsPerDossier = 30
	// MaxFileNameRunes bounds a stored file name.
	MaxFileNameRunes = 120
)

// executableMagic are content prefixes of programs and scripts: whatever
// their name says, they are refused.
var executableMagic = []struct {
	prefix []byte
	what   string
}{
	{[]byte("MZ"), "a Windows executable (MZ)"},
	{[]byte("\x7fELF"), "a Linux executable (ELF)"},
	{[]byte("#!"), "a script (#!)"},
	{[]byte{0xFE, 0xED, 0xFA, 0xCE}, "a macOS executable (Mach-O)"},
	{[]byte{0xFE, 0xED, 0xFA, 0xCF}, "a macOS executable (Mach-O)"},
	{[]byte{0xCE, 0xFA, 0xED, 0xFE}, "a macOS executable (Mach-O)"},
	{[]byte{0xCF, 0xFA, 0xED, 0xFE}, "a macOS executable (Mach-O)"},
	{[]byte{0xCA, 0xFE, 0xBA, 0xBE}, "a Java class or macOS universal binary"},
}

// DetectAttachmentType names a file's type from its content (magic bytes),
// never from its name: "application/pdf", "image/jpeg", "image/png", or
// what net/http's sniffer says for anything else. Executables and scripts
// are refused with EUNSUPPORTED; an empty file is EINVALID.
func DetectAttachmentType(content []byte) (string, error) {
	if len(content) == 0 {
		return "", Errorf(EINVALID, "the file is empty")
	}
	for _, m := range executableMagic {
		if bytes.HasPrefix(content, m.prefix) {
			return "", Errorf(EUNSUPPORTED, "the file's content is %s; programs and scripts are refused whatever the file name says", m.what)
		}
	}
	switch {
	case bytes.HasPrefix(content, []byte("%PDF-")):
		return "application/pdf", nil
	case bytes.HasPrefix(content, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg", nil
	case bytes.HasPrefix(content, []byte{0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A}):
		return "image/png", nil
	}
	t := http.DetectContentType(content)
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = t[:i]
	}
	return strings.TrimSpace(t), nil
}

// SanitizeFileName makes a client's file name safe to store and to send
// back in Content-Disposition: NFC-normalised, only the last path element
// (no directories, no traversal), no control or invisible format
// characters, no quotes or shell specials, no leading dots, at most
// MaxFileNameRunes runes keeping the extension. Vietnamese letters are kept.
// An empty result becomes "file".
func SanitizeFileName(name string) string {
	name = norm.NFC.String(strings.ToValidUTF8(name, "_"))
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base("/" + name)
	var b strings.Builder
	lastUnderscore := false
	for _, r := range name {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) ||
			r == '.' || r == '-' || r == '_' || r == ' ' || r == '(' || r == ')'
		if !ok {
			if unicode.Is(unicode.Cf, r) || unicode.IsControl(r) {
				continue // invisible: right-to-left overrides, zero-width joiners, NUL
			}
			if lastUnderscore {
				continue
			}
			r = '_'
		}
		lastUnderscore = r == '_'
		b.WriteRune(r)
	}
	out := strings.TrimLeft(strings.TrimSpace(b.String()), ". ")
	out = strings.TrimRight(out, ". ")
	if utf8.RuneCountInString(out) > MaxFileNameRunes {
		ext := path.Ext(out)
		if utf8.RuneCountInString(ext) > 16 {
			ext = ""
		}
		runes := []rune(strings.TrimSuffix(out, ext))
		out = strings.TrimRight(string(runes[:MaxFileNameRunes-utf8.RuneCountInString(ext)]), ". ") + ext
	}
	// Dropping invisible characters can bring combining marks together in
	// an order NFC would change, so normalise the result once more
	// (composition never lengthens it).
	out = norm.NFC.String(out)
	if out == "" || out == "_" {
		return "file"
	}
	return out
}

// AttachmentStore persists attachment content.
type AttachmentStore interface {
	// AddAttachment stores a document and its content (setting Size and
	// SHA256 from the content) in one transaction.
	AddAttachment(ctx context.Context, a *Attachment, content []byte) error
	// AttachmentContent returns an attachment of a dossier with its content, or ENOTFOUND.
	AttachmentContent(ctx context.Context, dossierID, attachmentID string) ([]byte, *Attachment, error)
}

// AttachmentService applies the rules of documents attached to dossiers:
// only the owner attaches, only while the dossier is a draft or awaits a
// supplement, only to a requirement of the procedure, within its size limit
// and the dossier's total, and only of the types the requirement allows as
// judged by the content.
type AttachmentService struct {
	Store    AttachmentStore
	Dossiers *DossierService
	Clock    Clock
}

// Add attaches content to a requirement of a dossier. The dossier's state
// is checked just before the content is stored, not in the same
// transaction: a submit racing an upload may see the dossier without it.
func (s *AttachmentService) Add(ctx context.Context, who Principal, dossierID, requirement, fileName string, content []byte) (*Attachment, error) {
	if who.Role != RoleCitizen {
		return nil, Errorf(EFORBIDDEN, "only the applicant attaches documents")
	}
	d, err := s.Dossiers.Get(ctx, who, dossierID)
	if err != nil {
		return nil, err
	}
	if d.Status != StatusDraft && d.Status != StatusSupplementRequested {
		return nil, Errorf(ECONFLICT, "dossier %s is %s; documents can be attached only to drafts and dossiers awaiting a supplement", d.Code, d.Status)
	}
	p, ok := s.Dossiers.Catalog.Procedure(d.ProcedureCode)
	if !ok {
		return nil, Errorf(ECONFLICT, "procedure %s is no longer in the catalogue", d.ProcedureCode)
	}
	req, ok := p.Requirement(requirement)
	if !ok {
		codes := make([]string, len(p.Attachments))
		for i, r := range p.Attachments {
			codes[i] = r.Code
		}
		msg := "is not a document this procedure asks for"
		if len(codes) > 0 {
			msg += "; expected one of " + strings.Join(codes, ", ")
		}
		return nil, ValidationError("unknown attachment requirement", []FieldError{{Field: "requirement", Message: fmt.Sprintf("%q %s", requirement, msg)}})
	}
	limit := req.MaxBytes
	if limit <= 0 {
		limit = DefaultAttachmentBytes
	}
	if int64(len(content)) > limit {
		return nil, Errorf(ETOOLARGE, "the file is %d bytes; %s accepts at most %d bytes", len(content), req.Code, limit)
	}
	var total int64
	for _, a := range d.Attachments {
		total += a.Size
	}
	if total+int64(len(content)) > MaxDossierAttachmentBytes {
		return nil, Errorf(ETOOLARGE, "dossier %s already holds %d bytes of attachments; with this file it would exceed the limit of %d bytes", d.Code, total, MaxDossierAttachmentBytes)
	}
	if len(d.Attachments) >= MaxAttachmentsPerDossier {
		return nil, Errorf(ECONFLICT, "dossier %s already has %d attachments, the most allowed", d.Code, len(d.Attachments))
	}
	typ, err := DetectAttachmentType(content)
	if err != nil {
		return nil, err
	}
	if len(req.Types) > 0 && !slices.Contains(req.Types, typ) {
		return nil, Errorf(EUNSUPPORTED, "the file's content is %s; %s accepts %s", typ, req.Code, strings.Join(req.Types, ", "))
	}
	a := &Attachment{DossierID: d.ID, Requirement: req.Code, FileName: SanitizeFileName(fileName),
		ContentType: typ, UploadedAt: s.Clock.Now()}
	if err := s.Store.AddAttachment(ctx, a, content); err != nil {
		return nil, fmt.Errorf("attach %s to dossier %s: %w", req.Code, d.ID, err)
	}
	return a, nil
}

// Content returns an attachment the principal may read (the owner,
// officers, admins); anyone else's is ENOTFOUND.
func (s *AttachmentService) Content(ctx context.Context, who Principal, dossierID, attachmentID string) ([]byte, *Attachment, error) {
	d, err := s.Dossiers.Get(ctx, who, dossierID)
	if err != nil {
		return nil, nil, err
	}
	return s.Store.AttachmentContent(ctx, d.ID, attachmentID)
}
