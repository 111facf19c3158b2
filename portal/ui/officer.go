package ui

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// queueStatuses are the dossiers an officer has to look at, in queue order.
var queueStatuses = []portal.Status{portal.StatusSubmitted, portal.StatusReceived, portal.StatusProcessing,
	portal.StatusSupplementRequested, portal.StatusApproved}

type queueData struct {
	Items    []*portal.Dossier
	Total    int
	Names    map[string]string
	Status   string
	Statuses []portal.Status
}

func (s *server) queue(c *gin.Context) {
	f := portal.DossierFilter{Statuses: queueStatuses, OldestFirst: true, Limit: portal.MaxPerPage}
	st := portal.Status(c.Query("status"))
	if st.Valid() {
		f.Statuses = []portal.Status{st}
	}
	items, total, err := s.d.Dossiers.List(c.Request.Context(), *s.principal(c), f)
	if err != nil {
		s.failErr(c, err)
		return
	}
	v := s.newView(c, "queue.title", nil)
	v.Nav = "officer"
	v.Data = queueData{Items: items, Total: total, Names: s.names(v.L, items), Status: string(st), Statuses: portal.Statuses}
	s.render(c, http.StatusOK, "queue", v)
}

func (s *server) officerDossier(c *gin.Context) {
	pg, ok := s.loadPage(c)
	if !ok {
		return
	}
	v := s.newView(c, "officer.title", pg)
	v.Nav = "officer"
	s.render(c, http.StatusOK, "officer", v)
}

// act applies an officer's decision through the dossier service, which
// checks the lifecycle, the reason and the fee.
func (s *server) act(c *gin.Context) {
	to := portal.Status(c.PostForm("to"))
	note := strings.TrimSpace(c.PostForm("note"))
	ctx := c.Request.Context()
	d, err := s.d.Dossiers.ActAssigned(ctx, *s.principal(c), c.Param("id"), to, note)
	if err == nil {
		if to == portal.StatusApproved && s.d.IssueResult != nil {
			// The approval stands if issuing fails (signer down): the back
			// office retries, as with the officer API.
			if _, err := s.d.IssueResult(ctx, d.ID); err != nil {
				s.log.WarnContext(ctx, "ui: e-result not issued at approval; the back office will retry", "dossier", d.Code, "error", err.Error())
			}
		}
		redirect(c, "/officer/dossiers/"+d.ID, "acted")
		return
	}
	if code := portal.ErrorCode(err); code != portal.EINVALID && code != portal.ECONFLICT {
		s.failErr(c, err)
		return
	}
	pg, ok := s.loadPage(c)
	if !ok {
		return
	}
	v := s.newView(c, "officer.title", pg)
	v.Nav = "officer"
	v.Error = s.errText(v.L, err)
	if strings.Contains(portal.ErrorMessage(err), "reason") {
		v.Fields = []fieldProblem{{Anchor: "note", Label: s.t(v.L, "officer.note"), Message: s.t(v.L, "officer.reason_required")}}
	}
	s.render(c, http.StatusUnprocessableEntity, "officer", v)
}
