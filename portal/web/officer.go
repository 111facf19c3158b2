package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// The officer desk: human officers (and admins) work the same queue as the
// simulated back office, through the same DossierService rules.

// queueStatuses are what the officer queue shows unless told otherwise:
// dossiers waiting for an officer's decision.
var queueStatuses = []portal.Status{portal.StatusSubmitted, portal.StatusReceived, portal.StatusProcessing}

// maxNote bounds officer and citizen notes.
const maxNote = 2000

// officerQueue lists dossiers needing an officer, oldest submission first.
func (a *api) officerQueue(c *gin.Context) {
	q := c.Request.URL.Query()
	var problems []string
	page, perPage := pagination(q, &problems)
	f := portal.DossierFilter{Offset: (page - 1) * perPage, Limit: perPage, OldestFirst: true,
		ProcedureCode: strings.TrimSpace(q.Get("procedure"))}
	for _, list := range q["status"] {
		for s := range strings.SplitSeq(list, ",") {
			st := portal.Status(strings.TrimSpace(s))
			if !st.Valid() {
				problems = append(problems, fmt.Sprintf("status %q is not a dossier status", s))
				continue
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	if len(f.ProcedureCode) > 64 {
		problems = append(problems, "procedure must be at most 64 bytes")
	}
	if len(problems) > 0 {
		writeError(c, queryProblem(problems))
		return
	}
	if len(f.Statuses) == 0 {
		f.Statuses = queueStatuses
	}
	a.writeDossierPage(c, f, page, perPage)
}

func (a *api) claimDossier(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := a.dossiers.Claim(ctx, principal(ctx), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.dossierView(d, true))
}

type noteRequest struct {
	Note string `json:"note"`
}

// readNote decodes {note}; required notes must not be blank.
func readNote(c *gin.Context, required bool) (string, error) {
	var req noteRequest
	if err := decodeJSON(c.Request, &req, !required); err != nil {
		return "", err
	}
	switch {
	case len(req.Note) > maxNote:
		return "", portal.ValidationError("invalid note", []portal.FieldError{{Field: "note", Message: fmt.Sprintf("must be at most %d bytes", maxNote)}})
	case required && strings.TrimSpace(req.Note) == "":
		return "", portal.ValidationError("a reason is required", []portal.FieldError{{Field: "note", Message: "is required"}})
	}
	return req.Note, nil
}

// officerAction moves a dossier to a status as the signed-in officer; a
// note is required for supplement requests and rejections.
func (a *api) officerAction(to portal.Status, noteRequired bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		note, err := readNote(c, noteRequired)
		if err != nil {
			writeError(c, err)
			return
		}
		ctx := c.Request.Context()
		d, err := a.dossiers.ActAssigned(ctx, principal(ctx), c.Param("id"), to, note)
		if err != nil {
			writeError(c, err)
			return
		}
		if to == portal.StatusApproved && a.issueResult != nil {
			d = a.issue(ctx, d)
		}
		c.JSON(http.StatusOK, a.dossierView(d, true))
	}
}

// issue issues the e-result of a dossier just approved. The approval
// stands even if that fails (signer down): the back office retries, so the
// approved dossier is returned and the failure only logged.
func (a *api) issue(ctx context.Context, d *portal.Dossier) *portal.Dossier {
	issued, err := a.issueResult(ctx, d.ID)
	if err != nil {
		loggerFrom(ctx).WarnContext(ctx, "e-result not issued at approval; the back office will retry",
			"dossier", d.Code, "error", err.Error())
		return d
	}
	return issued
}

// supplementDossier is the citizen's answer to a supplement request.
func (a *api) supplementDossier(c *gin.Context) {
	note, err := readNote(c, false)
	if err != nil {
		writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	d, err := a.dossiers.Supplement(ctx, principal(ctx), c.Param("id"), note)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.dossierView(d, true))
}
