package web

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// MaxUploadBody bounds an attachment upload request: the largest file any
// requirement allows plus room for the multipart framing. The JSON limit
// does not apply to the upload route.
const MaxUploadBody = portal.MaxAttachmentBytes + 64<<10

// uploadAttachment takes a multipart form with "requirement" (the
// attachment code) and "file", streamed part by part so a large body is
// never buffered beyond the file limit.
func (a *api) uploadAttachment(c *gin.Context) {
	if a.attachments == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "attachments are not configured"))
		return
	}
	mr, err := c.Request.MultipartReader()
	if err != nil {
		writeError(c, portal.Errorf(portal.EINVALID, "an upload must be multipart/form-data with fields requirement and file: %v", err))
		return
	}
	var requirement, fileName string
	var content []byte
	haveFile := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			writeError(c, uploadReadError(err))
			return
		}
		switch part.FormName() {
		case "requirement":
			b, err := io.ReadAll(io.LimitReader(part, 256))
			if err != nil {
				writeError(c, uploadReadError(err))
				return
			}
			requirement = strings.TrimSpace(string(b))
		case "file":
			if haveFile {
				writeError(c, portal.Errorf(portal.EINVALID, "one file per upload; the form has more than one file part"))
				return
			}
			haveFile, fileName = true, part.FileName()
			content, err = io.ReadAll(io.LimitReader(part, portal.MaxAttachmentBytes+1))
			if err != nil {
				writeError(c, uploadReadError(err))
				return
			}
			if len(content) > portal.MaxAttachmentBytes {
				writeError(c, portal.Errorf(portal.ETOOLARGE, "the file is larger than %d bytes, the most any document may be", portal.MaxAttachmentBytes))
				return
			}
		default:
			_, _ = io.Copy(io.Discard, part)
		}
		part.Close()
	}
	var missing []portal.FieldError
	if requirement == "" {
		missing = append(missing, portal.FieldError{Field: "requirement", Message: "is required: the code of the document this file is"})
	}
	if !haveFile {
		missing = append(missing, portal.FieldError{Field: "file", Message: "is required"})
	}
	if len(missing) > 0 {
		writeError(c, portal.ValidationError("an upload needs a requirement and a file", missing))
		return
	}
	ctx := c.Request.Context()
	att, err := a.attachments.Add(ctx, principal(ctx), c.Param("id"), requirement, fileName, content)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, viewAttachment(att))
}

func uploadReadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return portal.Errorf(portal.ETOOLARGE, "upload is larger than the limit of %d bytes", tooBig.Limit)
	}
	return portal.Errorf(portal.EINVALID, "malformed multipart upload: %v", err)
}

func viewAttachment(at *portal.Attachment) attachmentView {
	return attachmentView{ID: at.ID, Requirement: at.Requirement, FileName: at.FileName, ContentType: at.ContentType,
		Size: at.Size, SHA256: at.SHA256, UploadedAt: vn(at.UploadedAt)}
}

// downloadAttachment sends a document to the owner, an officer or an
// admin, as a download that browsers must not sniff or render inline.
func (a *api) downloadAttachment(c *gin.Context) {
	if a.attachments == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "attachments are not configured"))
		return
	}
	ctx := c.Request.Context()
	content, att, err := a.attachments.Content(ctx, principal(ctx), c.Param("id"), c.Param("att_id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": att.FileName}))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Header("Content-Security-Policy", "default-src 'none'; sandbox")
	c.Header("Digest", "sha-256="+att.SHA256)
	c.Data(http.StatusOK, att.ContentType, content)
}

// uploadRoute is the one route whose body may exceed MaxJSONBody.
const uploadRoute = "/api/v1/dossiers/:id/attachments"

// routeBodyLimits is limitBody with a different limit for some routes (by
// gin route pattern); every other route gets def.
func routeBodyLimits(def int64, perRoute map[string]int64) gin.HandlerFunc {
	fallback := limitBody(def)
	custom := make(map[string]gin.HandlerFunc, len(perRoute))
	for route, limit := range perRoute {
		custom[route] = limitBody(limit)
	}
	return func(c *gin.Context) {
		if h, ok := custom[c.FullPath()]; ok {
			h(c)
			return
		}
		fallback(c)
	}
}
