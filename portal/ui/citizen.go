package ui

import (
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// MaxResultFileBytes bounds an e-result file uploaded for verification.
const MaxResultFileBytes = 64 << 10

func (s *server) routes(r *gin.Engine) {
	r.StaticFS("/static", staticFiles())
	csrf := s.checkCSRF
	citizen := s.require(portal.RoleCitizen)
	staff := s.require(portal.RoleOfficer, portal.RoleAdmin)
	admin := s.require(portal.RoleAdmin)
	anyone := s.require(portal.RoleCitizen, portal.RoleOfficer, portal.RoleAdmin)

	r.GET("/", s.home)
	r.GET("/procedures/:code", s.procedure)
	r.GET("/lookup", s.lookup)
	r.GET("/verify", s.verifyForm)
	r.POST("/verify", csrf, s.verify)
	r.GET("/login", s.loginForm)
	r.POST("/login", csrf, s.startLogin)
	r.POST("/login/otp", csrf, s.finishLogin)
	r.POST("/logout", csrf, s.logout)

	r.POST("/procedures/:code/start", csrf, citizen, s.startDossier)
	r.GET("/dossiers", citizen, s.myDossiers)
	r.GET("/dossiers/:id", anyone, s.dossier)
	r.GET("/dossiers/:id/edit", citizen, s.editForm)
	r.POST("/dossiers/:id/edit", csrf, citizen, s.saveForm)
	r.GET("/dossiers/:id/attachments/:aid", anyone, s.download)
	r.POST("/dossiers/:id/pay", csrf, citizen, s.pay)
	r.POST("/dossiers/:id/supplement", csrf, citizen, s.supplement)
	r.POST("/dossiers/:id/withdraw", csrf, citizen, s.withdraw)
	r.POST("/dossiers/:id/rate", csrf, citizen, s.rate)
	r.POST("/dossiers/:id/complete", csrf, citizen, s.complete)
	r.GET("/results/:code", anyone, s.result)

	r.GET("/officer", staff, s.queue)
	r.GET("/officer/dossiers/:id", staff, s.officerDossier)
	r.POST("/officer/dossiers/:id/act", csrf, staff, s.act)

	r.GET("/dashboard", s.dashboard)
	r.GET("/dashboard/events", s.dashboardEvents)

	r.GET("/admin/faults", admin, s.faultPanel)
	r.POST("/admin/faults", csrf, admin, s.setFault)
	r.POST("/admin/faults/clear", csrf, admin, s.clearFault)
}

type homeData struct {
	Query      string
	Results    []*portal.Procedure
	Total      int
	Page, Next int
	Prev       int
	Popular    []*portal.Procedure
	Catalogue  int
	FullOnly   bool
}

func (s *server) home(c *gin.Context) {
	q := strings.TrimSpace(c.Query("q"))
	page, _ := strconv.Atoi(c.Query("page"))
	page = max(page, 1)
	d := homeData{Query: q, Page: page, Catalogue: s.d.Catalog.Len(), FullOnly: c.Query("full") == "1"}
	if q != "" || d.FullOnly {
		pq := portal.ProcedureQuery{Text: q, Page: page, PerPage: 20}
		if d.FullOnly {
			t := true
			pq.FullProcess = &t
		}
		d.Results, d.Total = s.d.Catalog.Search(pq)
		if page*20 < d.Total {
			d.Next = page + 1
		}
		d.Prev = page - 1
	} else {
		d.Popular = s.d.Catalog.Real()
	}
	v := s.newView(c, "home.title", d)
	v.Nav = "home"
	s.render(c, http.StatusOK, "home", v)
}

func (s *server) procedure(c *gin.Context) {
	p, ok := s.d.Catalog.Procedure(c.Param("code"))
	if !ok {
		s.fail(c, http.StatusNotFound, s.t(s.lang(c), "err.no_procedure"))
		return
	}
	s.render(c, http.StatusOK, "procedure", s.newView(c, "procedure.title", p))
}

type lookupData struct {
	Code      string
	Dossier   *portal.Dossier
	Procedure string
	Searched  bool
}

func (s *server) lookup(c *gin.Context) {
	code := strings.TrimSpace(c.Query("code"))
	d := lookupData{Code: code}
	v := s.newView(c, "lookup.title", &d)
	v.Nav = "lookup"
	if code != "" {
		d.Searched = true
		found, err := s.d.Dossiers.Lookup(c.Request.Context(), code)
		switch {
		case err == nil && found.Status != portal.StatusDraft:
			// The public sees status and dates only.
			d.Dossier = &portal.Dossier{Code: found.Code, Status: found.Status, SubmittedAt: found.SubmittedAt,
				AppointmentAt: found.AppointmentAt, UpdatedAt: found.UpdatedAt}
			d.Procedure = s.procedureName(v.L, found.ProcedureCode)
		case err == nil || portal.ErrorCode(err) == portal.ENOTFOUND:
		default:
			v.Error = s.errText(v.L, err)
		}
	}
	s.render(c, http.StatusOK, "lookup", v)
}

type loginData struct {
	PersonalID  string
	ChallengeID string
	DevOTP      string
	Next        string
}

func (s *server) loginForm(c *gin.Context) {
	v := s.newView(c, "login.title", &loginData{Next: safeNext(c.Query("next"))})
	v.Nav = "login"
	s.render(c, http.StatusOK, "login", v)
}

func (s *server) startLogin(c *gin.Context) {
	d := &loginData{PersonalID: strings.TrimSpace(c.PostForm("personal_id")), Next: safeNext(c.PostForm("next"))}
	v := s.newView(c, "login.title", d)
	ch, err := s.d.Auth.StartLogin(c.Request.Context(), d.PersonalID)
	if err != nil {
		v.Error = s.t(v.L, "login.failed")
		v.Fields = []fieldProblem{{Anchor: "personal_id", Label: s.t(v.L, "login.personal_id"), Message: s.errText(v.L, err)}}
		s.render(c, http.StatusUnprocessableEntity, "login", v)
		return
	}
	d.ChallengeID = ch.ID
	if s.d.Simulator {
		d.DevOTP = ch.OTP
	}
	s.render(c, http.StatusOK, "login", v)
}

func (s *server) finishLogin(c *gin.Context) {
	d := &loginData{PersonalID: c.PostForm("personal_id"), ChallengeID: c.PostForm("challenge_id"), Next: safeNext(c.PostForm("next"))}
	token, sess, err := s.d.Auth.Login(c.Request.Context(), d.ChallengeID, strings.TrimSpace(c.PostForm("otp")))
	if err != nil {
		v := s.newView(c, "login.title", d)
		v.Error = s.t(v.L, "login.failed")
		v.Fields = []fieldProblem{{Anchor: "otp", Label: s.t(v.L, "login.otp"), Message: s.errText(v.L, err)}}
		if strings.Contains(portal.ErrorMessage(err), "start again") || strings.Contains(portal.ErrorMessage(err), "not found") ||
			strings.Contains(portal.ErrorMessage(err), "expired") {
			d.ChallengeID = "" // back to the first step
		}
		s.render(c, http.StatusUnprocessableEntity, "login", v)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Request.TLS != nil})
	next := d.Next
	if next == "/" {
		switch sess.Role {
		case portal.RoleOfficer:
			next = "/officer"
		case portal.RoleAdmin:
			next = "/admin/faults"
		default:
			next = "/dossiers"
		}
	}
	redirect(c, next, "signed_in")
}

func (s *server) logout(c *gin.Context) {
	if tok, err := c.Cookie(SessionCookie); err == nil && tok != "" {
		_ = s.d.Auth.Logout(c.Request.Context(), tok)
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	redirect(c, "/", "signed_out")
}

func (s *server) startDossier(c *gin.Context) {
	d, err := s.d.Dossiers.CreateDraft(c.Request.Context(), *s.principal(c), c.Param("code"), nil)
	if err != nil {
		s.failErr(c, err)
		return
	}
	redirect(c, "/dossiers/"+d.ID+"/edit", "draft_created")
}

type dossierList struct {
	Items []*portal.Dossier
	Names map[string]string
}

func (s *server) myDossiers(c *gin.Context) {
	items, _, err := s.d.Dossiers.List(c.Request.Context(), *s.principal(c), portal.DossierFilter{Limit: portal.MaxPerPage})
	if err != nil {
		s.failErr(c, err)
		return
	}
	v := s.newView(c, "mine.title", nil)
	v.Nav = "mine"
	v.Data = dossierList{Items: items, Names: s.names(v.L, items)}
	s.render(c, http.StatusOK, "mine", v)
}

func (s *server) names(lang string, ds []*portal.Dossier) map[string]string {
	m := map[string]string{}
	for _, d := range ds {
		m[d.ProcedureCode] = s.procedureName(lang, d.ProcedureCode)
	}
	return m
}

// dossierPage is the data of the dossier, edit and officer pages.
type dossierPage struct {
	Dossier    *portal.Dossier
	Procedure  *portal.Procedure
	Values     map[string]string
	Errors     map[string]string
	Attached   map[string][]portal.Attachment
	CanEdit    bool
	CanPay     bool
	CanUpload  bool
	HasResult  bool
	CanRate    bool
	Submitted  bool // just submitted: show the receipt
	Actions    []portal.Status
	Payments   bool
	UploadHint string
}

func (s *server) loadPage(c *gin.Context) (*dossierPage, bool) {
	who := s.principal(c)
	d, err := s.d.Dossiers.Get(c.Request.Context(), *who, c.Param("id"))
	if err != nil {
		s.failErr(c, err)
		return nil, false
	}
	p, ok := s.d.Catalog.Procedure(d.ProcedureCode)
	if !ok {
		s.fail(c, http.StatusNotFound, s.t(s.lang(c), "err.no_procedure"))
		return nil, false
	}
	pg := &dossierPage{Dossier: d, Procedure: p, Values: d.Form, Errors: map[string]string{}, Attached: map[string][]portal.Attachment{}}
	for _, a := range d.Attachments {
		pg.Attached[a.Requirement] = append(pg.Attached[a.Requirement], a)
	}
	editable := d.Status == portal.StatusDraft || d.Status == portal.StatusSupplementRequested
	owner := who.Role == portal.RoleCitizen
	pg.CanEdit = owner && editable
	pg.CanUpload = pg.CanEdit && s.d.Attachments != nil && len(p.Attachments) > 0
	pg.Payments = s.d.Payments != nil
	pg.CanPay = owner && pg.Payments && d.Fee > 0 && d.PaymentStatus != portal.PaymentPaid &&
		d.Status != portal.StatusWithdrawn && d.Status != portal.StatusRejected && !d.Status.Terminal()
	pg.HasResult = d.ResultAt != nil && s.d.Results != nil
	pg.CanRate = owner && d.Rating == 0 && (d.Status == portal.StatusCompleted || d.Status == portal.StatusResultIssued || d.Status == portal.StatusRejected)
	if who.Role == portal.RoleOfficer || who.Role == portal.RoleAdmin {
		for _, to := range portal.NextStatuses(d.Status) {
			if portal.CanTransition(d.Status, to, portal.RoleOfficer) {
				pg.Actions = append(pg.Actions, to)
			}
		}
	}
	return pg, true
}

func (s *server) dossier(c *gin.Context) {
	pg, ok := s.loadPage(c)
	if !ok {
		return
	}
	who := s.principal(c)
	if who.Role != portal.RoleCitizen {
		c.Redirect(http.StatusSeeOther, "/officer/dossiers/"+pg.Dossier.ID)
		return
	}
	pg.Submitted = c.Query("notice") == "submitted"
	v := s.newView(c, "dossier.title", pg)
	v.Nav = "mine"
	// Back from the payment gateway: say how it went (the dossier's
	// payment status follows when the gateway's signed notice arrives).
	switch c.Query("status") {
	case portal.PaymentPaid:
		v.Notice = "notice.paid"
	case portal.PaymentFailed:
		v.Error = s.t(v.L, "payment.failed")
	}
	s.render(c, http.StatusOK, "dossier", v)
}

func (s *server) editForm(c *gin.Context) {
	pg, ok := s.loadPage(c)
	if !ok {
		return
	}
	if !pg.CanEdit {
		redirect(c, "/dossiers/"+pg.Dossier.ID, "")
		return
	}
	v := s.newView(c, "form.title", pg)
	v.Nav = "mine"
	s.render(c, http.StatusOK, "form", v)
}

// saveForm saves the form; with action=submit it then submits (a draft) or
// answers the supplement request. Field problems come back on the form.
func (s *server) saveForm(c *gin.Context) {
	pg, ok := s.loadPage(c)
	if !ok {
		return
	}
	ctx, who := c.Request.Context(), *s.principal(c)
	form := map[string]string{}
	for _, f := range pg.Procedure.Fields {
		v := c.PostForm("field." + f.Name)
		if f.Type == portal.FieldCheckbox {
			v = "false"
			if c.PostForm("field."+f.Name) == "true" {
				v = "true"
			}
		}
		form[f.Name] = strings.TrimSpace(v)
	}
	d, err := s.d.Dossiers.UpdateDraft(ctx, who, pg.Dossier.ID, form)
	var uploads []fieldProblem
	if err == nil {
		if uploads, err = s.attachFiles(c, pg); err != nil {
			s.failErr(c, err)
			return
		}
	}
	if err == nil && len(uploads) == 0 {
		switch c.PostForm("action") {
		case "submit":
			if pg.Dossier.Status == portal.StatusSupplementRequested {
				d, err = s.d.Dossiers.Supplement(ctx, who, pg.Dossier.ID, strings.TrimSpace(c.PostForm("note")))
			} else {
				d, err = s.d.Dossiers.Submit(ctx, who, pg.Dossier.ID)
			}
			if err == nil {
				redirect(c, "/dossiers/"+d.ID, "submitted")
				return
			}
		case "pay":
			s.pay(c)
			return
		case "upload":
			redirect(c, "/dossiers/"+d.ID+"/edit#att-h", "uploaded")
			return
		default:
			redirect(c, "/dossiers/"+d.ID+"/edit", "saved")
			return
		}
	}
	if err == nil {
		err = portal.ValidationError("uploads refused", nil)
	}
	if portal.ErrorCode(err) != portal.EINVALID {
		s.failErr(c, err)
		return
	}
	// Show the form again with what was typed and every problem.
	pg.Values = form
	v := s.newView(c, "form.title", pg)
	v.Nav = "mine"
	v.Fields = uploads
	v.Error = s.t(v.L, "form.problems", len(portal.ErrorFields(err))+len(uploads))
	for _, fe := range portal.ErrorFields(err) {
		pg.Errors[fe.Field] = s.fieldMessage(v.L, fe.Message)
		v.Fields = append(v.Fields, s.problem(v.L, pg.Procedure, fe))
	}
	if len(v.Fields) == 0 {
		v.Error = s.errText(v.L, err)
	}
	s.render(c, http.StatusUnprocessableEntity, "form", v)
}

// problem links a field error to its input (fields and attachments).
func (s *server) problem(lang string, p *portal.Procedure, fe portal.FieldError) fieldProblem {
	fp := fieldProblem{Anchor: "f-" + fe.Field, Label: fe.Field, Message: s.fieldMessage(lang, fe.Message)}
	if f, ok := p.Field(fe.Field); ok {
		fp.Label = pickLang(lang, f.LabelVI, f.LabelEN)
	} else if code, ok := strings.CutPrefix(fe.Field, "attachments."); ok {
		fp.Anchor = "a-" + code
		if r, ok := p.Requirement(code); ok {
			fp.Label = pickLang(lang, r.NameVI, r.NameEN)
		}
		fp.Message = s.t(lang, "form.attachment_required")
	}
	return fp
}

// fieldMessage translates the domain's common field messages.
func (s *server) fieldMessage(lang, msg string) string {
	if strings.HasSuffix(msg, " is required") || msg == "is required" {
		return s.t(lang, "form.required")
	}
	return msg
}

func pickLang(lang, vi, en string) string {
	if lang == "en" && en != "" {
		return en
	}
	return vi
}

func (s *server) pay(c *gin.Context) {
	if s.d.Payments == nil {
		s.fail(c, http.StatusNotImplemented, s.t(s.lang(c), "err.no_payments"))
		return
	}
	_, to, err := s.d.Payments.Start(c.Request.Context(), *s.principal(c), c.Param("id"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, to)
}

func (s *server) supplement(c *gin.Context) {
	d, err := s.d.Dossiers.Supplement(c.Request.Context(), *s.principal(c), c.Param("id"), strings.TrimSpace(c.PostForm("note")))
	if err != nil {
		if portal.ErrorCode(err) == portal.EINVALID {
			redirect(c, "/dossiers/"+c.Param("id")+"/edit", "")
			return
		}
		s.failErr(c, err)
		return
	}
	redirect(c, "/dossiers/"+d.ID, "supplemented")
}

func (s *server) withdraw(c *gin.Context) {
	d, err := s.d.Dossiers.Withdraw(c.Request.Context(), *s.principal(c), c.Param("id"), strings.TrimSpace(c.PostForm("note")))
	if err != nil {
		s.failErr(c, err)
		return
	}
	redirect(c, "/dossiers/"+d.ID, "withdrawn")
}

func (s *server) complete(c *gin.Context) {
	d, err := s.d.Dossiers.Act(c.Request.Context(), *s.principal(c), c.Param("id"), portal.StatusCompleted, "")
	if err != nil {
		s.failErr(c, err)
		return
	}
	redirect(c, "/dossiers/"+d.ID, "completed")
}

func (s *server) rate(c *gin.Context) {
	n, _ := strconv.Atoi(c.PostForm("rating"))
	d, err := s.d.Dossiers.Rate(c.Request.Context(), *s.principal(c), c.Param("id"), n, strings.TrimSpace(c.PostForm("comment")))
	if err != nil {
		s.failErr(c, err)
		return
	}
	redirect(c, "/dossiers/"+d.ID, "rated")
}

// result downloads the signed e-result of a dossier the user may see;
// the citizen's download completes a dossier whose result was issued.
func (s *server) result(c *gin.Context) {
	if s.d.Results == nil {
		s.fail(c, http.StatusNotImplemented, s.t(s.lang(c), "err.no_results"))
		return
	}
	r, err := s.d.Results.Download(c.Request.Context(), *s.principal(c), c.Param("code"))
	if err != nil {
		s.failErr(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="KQ-`+r.DossierCode+`.json"`)
	c.Data(http.StatusOK, "application/json", r.Document)
}

type verifyData struct {
	Checked   bool
	Result    *portal.ResultVerification
	PublicKey string
	Problem   string
}

func (s *server) verifyForm(c *gin.Context) {
	d := &verifyData{}
	if s.d.Results != nil {
		d.PublicKey = s.d.Results.Signer.PublicKey()
	}
	v := s.newView(c, "verify.title", d)
	v.Nav = "verify"
	s.render(c, http.StatusOK, "verify", v)
}

// verify checks an uploaded or pasted e-result against the portal's key.
func (s *server) verify(c *gin.Context) {
	l := s.lang(c)
	if s.d.Results == nil {
		s.fail(c, http.StatusNotImplemented, s.t(l, "err.no_results"))
		return
	}
	d := &verifyData{Checked: true, PublicKey: s.d.Results.Signer.PublicKey()}
	v := s.newView(c, "verify.title", d)
	v.Nav = "verify"
	doc := []byte(strings.TrimSpace(c.PostForm("result")))
	if fh, err := c.FormFile("file"); err == nil {
		if f, err := fh.Open(); err == nil {
			doc, _ = io.ReadAll(io.LimitReader(f, MaxResultFileBytes+1))
			_ = f.Close()
		}
	}
	switch {
	case len(doc) == 0:
		d.Problem = s.t(l, "verify.not_json")
	case len(doc) > MaxResultFileBytes:
		d.Problem = s.t(l, "verify.too_large")
	default:
		d.Result = s.d.Results.VerifyDocument(doc)
	}
	s.render(c, http.StatusOK, "verify", v)
}
