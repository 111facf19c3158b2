package ui

import (
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// DefaultAttachmentBytes applies to requirements that name no size limit.
const DefaultAttachmentBytes = 5 << 20

// attachFiles stores the files chosen in the form, one input per
// requirement ("file.<code>"). The type is judged by the content (magic
// bytes), never by the file name. It returns a problem per refused file.
func (s *server) attachFiles(c *gin.Context, pg *dossierPage) ([]fieldProblem, error) {
	l := s.lang(c)
	mf, err := c.MultipartForm()
	if err != nil || mf == nil {
		return nil, nil // a urlencoded form has no files
	}
	var problems []fieldProblem
	for _, req := range pg.Procedure.Attachments {
		files := mf.File["file."+req.Code]
		if len(files) == 0 || files[0].Size == 0 && files[0].Filename == "" {
			continue
		}
		problem := func(key string) {
			problems = append(problems, fieldProblem{Anchor: "a-" + req.Code, Label: pickLang(l, req.NameVI, req.NameEN), Message: s.t(l, key)})
			pg.Errors["attachments."+req.Code] = s.t(l, key)
		}
		if !pg.CanUpload {
			problem("err.not_editable")
			continue
		}
		limit := req.MaxBytes
		if limit <= 0 {
			limit = DefaultAttachmentBytes
		}
		fh := files[0]
		if fh.Size > limit {
			problem("notice.upload_too_large")
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		content, err := io.ReadAll(io.LimitReader(f, limit+1))
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		if int64(len(content)) > limit {
			problem("notice.upload_too_large")
			continue
		}
		typ := sniff(content)
		if len(req.Types) > 0 && !slices.Contains(req.Types, typ) {
			problem("notice.upload_bad_type")
			continue
		}
		a := &portal.Attachment{DossierID: pg.Dossier.ID, Requirement: req.Code, FileName: sanitizeFileName(fh.Filename),
			ContentType: typ, UploadedAt: s.d.Dossiers.Clock.Now()}
		if err := s.d.Attachments.AddAttachment(c.Request.Context(), a, content); err != nil {
			return nil, err
		}
		pg.Attached[req.Code] = append(pg.Attached[req.Code], *a)
	}
	return problems, nil
}

// sniff names the content's type from its first bytes.
func sniff(b []byte) string {
	t := http.DetectContentType(b)
	if i := strings.IndexByte(t, ';'); i >= 0 {
		t = t[:i]
	}
	return t
}

// sanitizeFileName keeps a file's base name, without path, control or
// shell-special characters, at most 100 runes.
func sanitizeFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	var b strings.Builder
	n := 0
	for _, r := range name {
		if n >= 100 {
			break
		}
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_' || r == ' ':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
		n++
	}
	out := strings.Trim(b.String(), ". ")
	if out == "" {
		return "file"
	}
	return out
}

// download sends an attachment of a dossier the user may see.
func (s *server) download(c *gin.Context) {
	if s.d.Attachments == nil {
		s.fail(c, http.StatusNotFound, s.t(s.lang(c), "err.not_found"))
		return
	}
	d, err := s.d.Dossiers.Get(c.Request.Context(), *s.principal(c), c.Param("id"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	content, a, err := s.d.Attachments.AttachmentContent(c.Request.Context(), d.ID, c.Param("aid"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+a.FileName+`"`)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, a.ContentType, content)
}
