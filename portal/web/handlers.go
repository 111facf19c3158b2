package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// Handlers read the request, call the domain with the request's context and
// write the response; rules live in the domain.

func (a *api) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz reports ready when the store answers within a second.
func (a *api) readyz(c *gin.Context) {
	if a.store == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "no store configured"))
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), time.Second)
	defer cancel()
	if err := a.store.Ping(ctx); err != nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "store not ready: %v", err))
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

func (a *api) openAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", a.openapi)
}

type otpRequest struct {
	PersonalID string `json:"personal_id"`
}

func (a *api) startLogin(c *gin.Context) {
	var req otpRequest
	if err := decodeJSON(c.Request, &req, false); err != nil {
		writeError(c, err)
		return
	}
	ch, err := a.auth.StartLogin(c.Request.Context(), strings.TrimSpace(req.PersonalID))
	if err != nil {
		writeError(c, err)
		return
	}
	resp := otpResponse{ChallengeID: ch.ID, ExpiresAt: vn(ch.ExpiresAt)}
	if a.simulator {
		resp.DevOTP = ch.OTP
	}
	c.JSON(http.StatusOK, resp)
}

type loginRequest struct {
	ChallengeID string `json:"challenge_id"`
	OTP         string `json:"otp"`
}

func (a *api) login(c *gin.Context) {
	var req loginRequest
	if err := decodeJSON(c.Request, &req, false); err != nil {
		writeError(c, err)
		return
	}
	var missing []portal.FieldError
	if req.ChallengeID == "" {
		missing = append(missing, portal.FieldError{Field: "challenge_id", Message: "is required"})
	}
	if req.OTP == "" {
		missing = append(missing, portal.FieldError{Field: "otp", Message: "is required"})
	}
	if len(missing) > 0 {
		writeError(c, portal.ValidationError("login needs a challenge and its OTP", missing))
		return
	}
	token, s, err := a.auth.Login(c.Request.Context(), req.ChallengeID, req.OTP)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: vn(s.ExpiresAt), Role: s.Role, Name: s.Name})
}

func (a *api) logout(c *gin.Context) {
	token, _ := bearerToken(c.Request) // authenticate already checked it
	if err := a.auth.Logout(c.Request.Context(), token); err != nil {
		writeError(c, fmt.Errorf("logout: %w", err))
		return
	}
	c.Status(http.StatusNoContent)
}

// pagination reads page and per_page (1-based; per_page ≤ MaxPerPage).
func pagination(q url.Values, problems *[]string) (page, perPage int) {
	page, perPage = 1, portal.DefaultPerPage
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			*problems = append(*problems, fmt.Sprintf("page must be a whole number from 1 to 1000000, got %q", v))
		} else {
			page = n
		}
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > portal.MaxPerPage {
			*problems = append(*problems, fmt.Sprintf("per_page must be a whole number from 1 to %d, got %q", portal.MaxPerPage, v))
		} else {
			perPage = n
		}
	}
	return page, perPage
}

func queryProblem(problems []string) error {
	return portal.Errorf(portal.EINVALID, "invalid query: %s", strings.Join(problems, "; "))
}

func (a *api) searchProcedures(c *gin.Context) {
	q := c.Request.URL.Query()
	var problems []string
	page, perPage := pagination(q, &problems)
	pq := portal.ProcedureQuery{Text: q.Get("q"), Page: page, PerPage: perPage}
	if len(pq.Text) > 200 {
		problems = append(problems, fmt.Sprintf("q must be at most 200 bytes, got %d", len(pq.Text)))
	}
	switch lvl := q.Get("level"); lvl {
	case "", portal.LevelCommune, portal.LevelProvince, portal.LevelMinistry:
		pq.Level = lvl
	default:
		problems = append(problems, fmt.Sprintf("level must be commune, province or ministry, got %q", lvl))
	}
	if v := q.Get("full_process"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("full_process must be true or false, got %q", v))
		} else {
			pq.FullProcess = &b
		}
	}
	if len(problems) > 0 {
		writeError(c, queryProblem(problems))
		return
	}
	found, total := a.catalog.Search(pq)
	resp := pageOf[procedureSummary]{Items: make([]procedureSummary, len(found)), Total: total, Page: page, PerPage: perPage}
	for i, p := range found {
		resp.Items[i] = summarize(p)
	}
	c.JSON(http.StatusOK, resp)
}

func (a *api) getProcedure(c *gin.Context) {
	p, ok := a.catalog.Procedure(c.Param("code"))
	if !ok {
		writeError(c, portal.Errorf(portal.ENOTFOUND, "procedure %q not found", c.Param("code")))
		return
	}
	c.JSON(http.StatusOK, p)
}

type createDossierRequest struct {
	ProcedureCode string            `json:"procedure_code"`
	Form          map[string]string `json:"form"`
}

func (a *api) createDossier(c *gin.Context) {
	var req createDossierRequest
	if err := decodeJSON(c.Request, &req, false); err != nil {
		writeError(c, err)
		return
	}
	if strings.TrimSpace(req.ProcedureCode) == "" {
		writeError(c, portal.ValidationError("a dossier needs a procedure", []portal.FieldError{{Field: "procedure_code", Message: "is required"}}))
		return
	}
	d, err := a.dossiers.CreateDraft(c.Request.Context(), principal(c.Request.Context()), req.ProcedureCode, req.Form)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, a.dossierView(d, true))
}

type updateDossierRequest struct {
	Form map[string]string `json:"form"`
}

func (a *api) updateDossier(c *gin.Context) {
	var req updateDossierRequest
	if err := decodeJSON(c.Request, &req, false); err != nil {
		writeError(c, err)
		return
	}
	ctx := c.Request.Context()
	d, err := a.dossiers.UpdateDraft(ctx, principal(ctx), c.Param("id"), req.Form)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.dossierView(d, true))
}

func (a *api) submitDossier(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := a.dossiers.Submit(ctx, principal(ctx), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.dossierView(d, true))
}

type withdrawRequest struct {
	Note string `json:"note"`
}

func (a *api) withdrawDossier(c *gin.Context) {
	var req withdrawRequest
	if err := decodeJSON(c.Request, &req, true); err != nil {
		writeError(c, err)
		return
	}
	if len(req.Note) > 2000 {
		writeError(c, portal.ValidationError("invalid withdrawal", []portal.FieldError{{Field: "note", Message: "must be at most 2000 bytes"}}))
		return
	}
	ctx := c.Request.Context()
	d, err := a.dossiers.Withdraw(ctx, principal(ctx), c.Param("id"), req.Note)
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.dossierView(d, true))
}

func (a *api) listDossiers(c *gin.Context) {
	q := c.Request.URL.Query()
	var problems []string
	page, perPage := pagination(q, &problems)
	f := portal.DossierFilter{Offset: (page - 1) * perPage, Limit: perPage}
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
	if len(problems) > 0 {
		writeError(c, queryProblem(problems))
		return
	}
	a.writeDossierPage(c, f, page, perPage)
}

// writeDossierPage answers one page of the dossiers the principal may list
// (a citizen's own; the officer queue) as {items, total, page, per_page}.
func (a *api) writeDossierPage(c *gin.Context, f portal.DossierFilter, page, perPage int) {
	ctx := c.Request.Context()
	ds, total, err := a.dossiers.List(ctx, principal(ctx), f)
	if err != nil {
		writeError(c, err)
		return
	}
	resp := pageOf[dossierView]{Items: make([]dossierView, len(ds)), Total: total, Page: page, PerPage: perPage}
	for i, d := range ds {
		resp.Items[i] = a.dossierView(d, false)
	}
	c.JSON(http.StatusOK, resp)
}

func (a *api) getDossier(c *gin.Context) {
	ctx := c.Request.Context()
	d, err := a.dossiers.Get(ctx, principal(ctx), c.Param("id"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.dossierView(d, true))
}

func (a *api) lookup(c *gin.Context) {
	d, err := a.dossiers.Lookup(c.Request.Context(), c.Param("code"))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, a.lookupView(d))
}
