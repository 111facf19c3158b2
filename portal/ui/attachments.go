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

// upload attaches one file to a requirement of an editable dossier. The
// type is judged by the content (magic bytes), never by the file name.
func (s *server) upload(c *gin.Context) {
	pg, ok := s.loadPage(c)
	if !ok {
		return
	}
	l := s.lang(c)
	if !pg.CanUpload {
		s.fail(c, http.StatusConflict, s.t(l, "err.not_editable"))
		return
	}
	req, ok := pg.Procedure.Requirement(c.PostForm("requirement"))
	if !ok {
		s.fail(c, http.StatusUnprocessableEntity, s.t(l, "upload.unknown_requirement"))
		return
	}
	back := "/dossiers/" + pg.Dossier.ID + "/edit"
	fh, err := c.FormFile("file")
	if err != nil {
		redirect(c, back+"#a-"+req.Code, "upload_missing")
		return
	}
	limit := req.MaxBytes
	if limit <= 0 {
		limit = DefaultAttachmentBytes
	}
	if fh.Size > limit {
		redirect(c, back+"#a-"+req.Code, "upload_too_large")
		return
	}
	f, err := fh.Open()
	if err != nil {
		s.failErr(c, err)
		return
	}
	content, err := io.ReadAll(io.LimitReader(f, limit+1))
	_ = f.Close()
	if err != nil {
		s.failErr(c, err)
		return
	}
	if int64(len(content)) > limit {
		redirect(c, back+"#a-"+req.Code, "upload_too_large")
		return
	}
	typ := sniff(content)
	if len(req.Types) > 0 && !slices.Contains(req.Types, typ) {
		redirect(c, back+"#a-"+req.Code, "upload_bad_type")
		return
	}
	a := &portal.Attachment{DossierID: pg.Dossier.ID, Requirement: req.Code, FileName: sanitizeFileName(fh.Filename),
		ContentType: typ, UploadedAt: s.d.Dossiers.Clock.Now()}
	if err := s.d.Attachments.AddAttachment(c.Request.Context(), a, content); err != nil {
		s.failErr(c, err)
		return
	}
	redirect(c, back+"#a-"+req.Code, "uploaded")
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
