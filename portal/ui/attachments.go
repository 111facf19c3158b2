package ui

import (
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// attachFiles stores the files chosen in the form, one input per
// requirement ("file.<code>"), through the attachment service, which
// judges the type by content and enforces the limits. It returns a
// problem per refused file.
func (s *server) attachFiles(c *gin.Context, pg *dossierPage) ([]fieldProblem, error) {
	l := s.lang(c)
	mf, err := c.MultipartForm()
	if err != nil || mf == nil {
		return nil, nil // a urlencoded form has no files
	}
	var problems []fieldProblem
	for _, req := range pg.Procedure.Attachments {
		files := mf.File["file."+req.Code]
		if len(files) == 0 || (files[0].Size == 0 && files[0].Filename == "") {
			continue
		}
		problem := func(msg string) {
			problems = append(problems, fieldProblem{Anchor: "a-" + req.Code, Label: pickLang(l, req.NameVI, req.NameEN), Message: msg})
			pg.Errors["attachments."+req.Code] = msg
		}
		if s.d.Attachments == nil {
			problem(s.t(l, "form.uploads_unavailable"))
			continue
		}
		fh := files[0]
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		// Read one byte more than any limit, so the service sees an
		// oversized file as oversized without holding all of it.
		content, err := io.ReadAll(io.LimitReader(f, portal.MaxDossierAttachmentBytes+1))
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		a, err := s.d.Attachments.Add(c.Request.Context(), *s.principal(c), pg.Dossier.ID, req.Code, fh.Filename, content)
		switch portal.ErrorCode(err) {
		case "":
			pg.Attached[req.Code] = append(pg.Attached[req.Code], *a)
		case portal.ETOOLARGE:
			problem(s.t(l, "notice.upload_too_large") + " (" + portal.ErrorMessage(err) + ")")
		case portal.EUNSUPPORTED:
			problem(s.t(l, "notice.upload_bad_type") + " (" + portal.ErrorMessage(err) + ")")
		case portal.EINVALID, portal.ECONFLICT:
			problem(portal.ErrorMessage(err))
		default:
			return nil, err
		}
	}
	return problems, nil
}

// download sends an attachment of a dossier the user may see.
func (s *server) download(c *gin.Context) {
	if s.d.Attachments == nil {
		s.fail(c, http.StatusNotFound, s.t(s.lang(c), "err.not_found"))
		return
	}
	content, a, err := s.d.Attachments.Content(c.Request.Context(), *s.principal(c), c.Param("id"), c.Param("aid"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+a.FileName+`"`)
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, a.ContentType, content)
}
