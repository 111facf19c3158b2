package web

import (
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// MaxResultDocument bounds a signed result posted for verification.
const MaxResultDocument = 64 << 10

// downloadResult sends the signed e-result (JSON) to the dossier's owner,
// an officer or an admin; anyone else gets 404. The owner's download
// completes the dossier.
func (a *api) downloadResult(c *gin.Context) {
	if a.results == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "e-results are not configured"))
		return
	}
	ctx := c.Request.Context()
	r, err := a.results.Download(ctx, principal(ctx), c.Param("code"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "KQ-" + r.DossierCode + ".json"}))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "application/json", r.Document)
}

// verificationView is the public answer about a result's authenticity.
type verificationView struct {
	Valid       bool    `json:"valid"`
	DossierCode string  `json:"dossier_code,omitempty"`
	IssuedAt    *vnTime `json:"issued_at,omitempty"`
	PublicKey   string  `json:"public_key"`
	KeyID       string  `json:"key_id,omitempty"`
	Reason      string  `json:"reason,omitempty"`
}

func viewVerification(v *portal.ResultVerification) verificationView {
	out := verificationView{Valid: v.Valid, DossierCode: v.DossierCode, PublicKey: v.PublicKey, KeyID: v.KeyID, Reason: v.Reason}
	if !v.IssuedAt.IsZero() {
		t := vn(v.IssuedAt)
		out.IssuedAt = &t
	}
	return out
}

// verifyResult checks the stored result of a dossier code (public).
func (a *api) verifyResult(c *gin.Context) {
	if a.results == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "e-results are not configured"))
		return
	}
	v, err := a.results.Verify(c.Request.Context(), c.Param("code"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, viewVerification(v))
}

// verifyResultDocument checks a signed result someone holds, posted as the
// JSON the download returned (public): it answers 200 with valid false and
// a reason when the document was altered or not signed by the portal.
func (a *api) verifyResultDocument(c *gin.Context) {
	if a.results == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "e-results are not configured"))
		return
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, MaxResultDocument+1))
	if err != nil {
		writeError(c, uploadReadError(err))
		return
	}
	if len(body) > MaxResultDocument {
		writeError(c, tooLarge(MaxResultDocument))
		return
	}
	if len(body) == 0 {
		writeError(c, portal.Errorf(portal.EINVALID, "request body is empty; post the signed result JSON"))
		return
	}
	c.JSON(http.StatusOK, viewVerification(a.results.VerifyDocument(body)))
}

func (a *api) resultPublicKey(c *gin.Context) {
	if a.results == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "e-results are not configured"))
		return
	}
	c.JSON(http.StatusOK, gin.H{"algorithm": "Ed25519", "public_key": a.results.Signer.PublicKey()})
}

type ratingRequest struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

// rateDossier records the citizen's satisfaction (1–5) once a result is returned.
func (a *api) rateDossier(c *gin.Context) {
	var req ratingRequest
	if err := decodeJSON(c.Request, &req, false); err != nil {
		writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	d, err := a.dossiers.Rate(ctx, principal(ctx), c.Param("id"), req.Rating, req.Comment)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.dossierView(d, true))
}
