// Package web is the portal's HTTP adapter: the citizen JSON API under
// /api/v1 on gin, its middleware (request IDs, access log, body limits,
// strict JSON, bearer authentication, roles, load shedding), health probes
// and the OpenAPI document that describes it.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/faults"
	"github.com/portalsim/portalsim/portal/ops"
	"github.com/portalsim/portalsim/portal/sqlite"
)

// MaxJSONBody is the largest JSON request body accepted (forms are small;
// attachments have their own route and limit).
const MaxJSONBody = 1 << 20

// Deps is what the router needs from the rest of the portal.
type Deps struct {
	Auth      *portal.AuthService
	Dossiers  *portal.DossierService
	Catalog   portal.Catalog
	Store     *sqlite.DB
	Logger    *slog.Logger
	Simulator bool // hand out dev_otp so load scripts can log in
	Clock     portal.Clock
	// MaxInFlight sheds load with 503 + Retry-After above this many
	// concurrent API requests; 0 means no limit.
	MaxInFlight int
	// Citizen services of issue 4; a nil service answers 503 on its routes.
	Attachments *portal.AttachmentService
	Payments    *portal.PaymentService
	Results     *portal.ResultService
	Groups      *portal.GroupService
	// Gateway is the mock e-payment gateway, mounted under /gateway.
	Gateway http.Handler
	// QueueWait is how long a request over MaxInFlight may wait for a slot
	// before it is shed (ops.DefaultQueueWait when 0; negative: shed at once).
	QueueWait time.Duration
	// RequestTimeout bounds each request's context; 0 means none.
	RequestTimeout time.Duration
	// Faults injects route faults and the e-ID fault on the login routes,
	// and is managed by the admin API; nil injects nothing.
	Faults *faults.Injector
	// Metrics records requests and sheds and serves /metrics; a fresh
	// registry when nil.
	Metrics *ops.Metrics
	// Indicators tallies GET /api/v1/indicators (the store); CatalogSummary
	// gives the catalogue-level counts (portal.SummarizeCatalog, once).
	Indicators     IndicatorSource
	CatalogSummary portal.CatalogIndicators
	// IssueResult issues the signed e-result of an approved dossier; the
	// officer approve route calls it. Nil leaves approved dossiers to the
	// back office.
	IssueResult func(ctx context.Context, dossierID string) (*portal.Dossier, error)
	// LoginLimits bounds OTP requests and login attempts per personal ID
	// and per client address (ratelimit.go); DefaultLoginLimits(Simulator)
	// when nil.
	LoginLimits *LoginLimits
}

// Access says who may call a route.
type Access string

const (
	Public        Access = "public"        // anyone, no token
	Authenticated Access = "authenticated" // any signed-in role
	CitizenOnly   Access = "citizen"       // signed-in citizens
	OfficerOnly   Access = "officer"       // signed-in officers and admins
	AdminOnly     Access = "admin"         // signed-in admins
)

// Route describes one API route: the authorisation matrix and the OpenAPI
// agreement test enumerate these.
type Route struct {
	Method string
	Path   string // gin syntax, e.g. /api/v1/dossiers/:id
	Access Access
}

type route struct {
	Route
	handle gin.HandlerFunc
}

type api struct {
	auth      *portal.AuthService
	dossiers  *portal.DossierService
	catalog   portal.Catalog
	store     *sqlite.DB
	simulator bool
	clock     portal.Clock
	openapi   []byte

	attachments *portal.AttachmentService
	payments    *portal.PaymentService
	results     *portal.ResultService
	groups      *portal.GroupService

	faults          *faults.Injector
	metricsHandler  http.Handler
	indicatorSource IndicatorSource
	catalogSummary  portal.CatalogIndicators
	issueResult     func(ctx context.Context, dossierID string) (*portal.Dossier, error)
}

// routes is the table of every route; add new ones here and in openapi.yaml.
func (a *api) routes() []route {
	return []route{
		{Route{http.MethodGet, "/healthz", Public}, a.healthz},
		{Route{http.MethodGet, "/readyz", Public}, a.readyz},
		{Route{http.MethodGet, "/openapi.json", Public}, a.openAPI},

		{Route{http.MethodPost, "/api/v1/auth/otp", Public}, a.startLogin},
		{Route{http.MethodPost, "/api/v1/auth/login", Public}, a.login},
		{Route{http.MethodPost, "/api/v1/auth/logout", Authenticated}, a.logout},

		{Route{http.MethodGet, "/api/v1/procedures", Public}, a.searchProcedures},
		{Route{http.MethodGet, "/api/v1/procedures/:code", Public}, a.getProcedure},

		{Route{http.MethodPost, "/api/v1/dossiers", CitizenOnly}, a.createDossier},
		{Route{http.MethodGet, "/api/v1/dossiers", Authenticated}, a.listDossiers},
		{Route{http.MethodGet, "/api/v1/dossiers/:id", Authenticated}, a.getDossier},
		{Route{http.MethodPatch, "/api/v1/dossiers/:id", CitizenOnly}, a.updateDossier},
		{Route{http.MethodPost, "/api/v1/dossiers/:id/submit", CitizenOnly}, a.submitDossier},
		{Route{http.MethodPost, "/api/v1/dossiers/:id/withdraw", CitizenOnly}, a.withdrawDossier},

		{Route{http.MethodGet, "/api/v1/lookup/:code", Public}, a.lookup},

		// Citizen services (attachments.go, payments.go, results.go, groups.go).
		{Route{http.MethodGet, "/api/v1/dossiers/:id/prefill", CitizenOnly}, a.prefill},
		{Route{http.MethodPost, "/api/v1/dossiers/:id/attachments", CitizenOnly}, a.uploadAttachment},
		{Route{http.MethodGet, "/api/v1/dossiers/:id/attachments/:att_id", Authenticated}, a.downloadAttachment},
		{Route{http.MethodPost, "/api/v1/dossiers/:id/payments", CitizenOnly}, a.startPayment},
		{Route{http.MethodGet, "/api/v1/dossiers/:id/payments", Authenticated}, a.listPayments},
		{Route{http.MethodPost, "/api/v1/payments/callback", Public}, a.paymentCallback},
		{Route{http.MethodPost, "/api/v1/dossiers/:id/rating", CitizenOnly}, a.rateDossier},
		{Route{http.MethodGet, "/api/v1/results/public-key", Public}, a.resultPublicKey},
		{Route{http.MethodPost, "/api/v1/results/verify", Public}, a.verifyResultDocument},
		{Route{http.MethodGet, "/api/v1/results/:code", Authenticated}, a.downloadResult},
		{Route{http.MethodGet, "/api/v1/results/:code/verify", Public}, a.verifyResult},
		{Route{http.MethodPost, "/api/v1/groups", CitizenOnly}, a.createGroup},
		{Route{http.MethodGet, "/api/v1/groups/:group_id", CitizenOnly}, a.getGroup},
		{Route{http.MethodPost, "/api/v1/groups/:group_id/submit", CitizenOnly}, a.submitGroup},

		// Back office and operations (officer.go, indicators.go, admin.go, ops.go).
		{Route{http.MethodPost, "/api/v1/dossiers/:id/supplement", CitizenOnly}, a.supplementDossier},
		{Route{http.MethodGet, "/api/v1/officer/queue", OfficerOnly}, a.officerQueue},
		{Route{http.MethodPost, "/api/v1/officer/dossiers/:id/claim", OfficerOnly}, a.claimDossier},
		{Route{http.MethodPost, "/api/v1/officer/dossiers/:id/receive", OfficerOnly}, a.officerAction(portal.StatusReceived, false)},
		{Route{http.MethodPost, "/api/v1/officer/dossiers/:id/process", OfficerOnly}, a.officerAction(portal.StatusProcessing, false)},
		{Route{http.MethodPost, "/api/v1/officer/dossiers/:id/request-supplement", OfficerOnly}, a.officerAction(portal.StatusSupplementRequested, true)},
		{Route{http.MethodPost, "/api/v1/officer/dossiers/:id/approve", OfficerOnly}, a.officerAction(portal.StatusApproved, false)},
		{Route{http.MethodPost, "/api/v1/officer/dossiers/:id/reject", OfficerOnly}, a.officerAction(portal.StatusRejected, true)},
		{Route{http.MethodGet, "/api/v1/indicators", Public}, a.indicators},
		{Route{http.MethodGet, "/api/v1/admin/faults", AdminOnly}, a.listFaults},
		{Route{http.MethodPut, "/api/v1/admin/faults", AdminOnly}, a.putFaults},
		{Route{http.MethodDelete, "/api/v1/admin/faults/:target", AdminOnly}, a.deleteFault},
		{Route{http.MethodGet, "/metrics", Public}, a.metrics},
	}
}

// Routes lists every route the router serves, with who may call it.
func Routes() []Route {
	var a api
	rs := a.routes()
	out := make([]Route, len(rs))
	for i, r := range rs {
		out[i] = r.Route
	}
	return out
}

// NewRouter returns the portal's HTTP handler. It panics only if the
// embedded OpenAPI document is broken, which a test prevents.
func NewRouter(d Deps) *gin.Engine {
	logger := d.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clock := d.Clock
	if clock == nil {
		clock = portal.SystemClock{}
	}
	doc, err := openAPIJSON()
	if err != nil {
		panic(err)
	}
	metrics := d.Metrics
	if metrics == nil {
		metrics = ops.NewMetrics(logger)
	}
	a := &api{auth: d.Auth, dossiers: d.Dossiers, catalog: d.Catalog, store: d.Store,
		simulator: d.Simulator, clock: clock, openapi: doc,
		faults: d.Faults, metricsHandler: metrics.Handler(), indicatorSource: d.Indicators,
		catalogSummary: d.CatalogSummary, issueResult: d.IssueResult}
	queueWait := d.QueueWait
	switch {
	case queueWait == 0:
		queueWait = ops.DefaultQueueWait
	case queueWait < 0:
		queueWait = 0
	}

	a.attachments, a.payments, a.results, a.groups = d.Attachments, d.Payments, d.Results, d.Groups

	if gin.Mode() == gin.DebugMode {
		// gin's debug mode prints every route to stdout; the access log
		// already says what we need.
		gin.SetMode(gin.ReleaseMode)
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// The portal is reached directly (or through a proxy we do not know):
	// log the connection's address, not a spoofable X-Forwarded-For.
	_ = r.SetTrustedProxies(nil)
	// A route fault's target is "METHOD /gin/:pattern", so a URL-encoded
	// one can name a route in DELETE /api/v1/admin/faults/:target.
	r.UseRawPath, r.UnescapePathValues = true, true
	// Metrics first, so shed, faulted and timed-out requests are counted;
	// shedding after the access log, so shed requests are logged.
	r.Use(metrics.Middleware(), requestID(logger), accessLog(), recovery(),
		metrics.Shed(ops.ShedConfig{MaxInFlight: d.MaxInFlight, QueueWait: queueWait}),
		ops.Timeout(d.RequestTimeout), routeBodyLimits(MaxJSONBody, map[string]int64{uploadRoute: MaxUploadBody}), d.Faults.Middleware(writeError))
	r.NoRoute(func(c *gin.Context) {
		writeError(c, portal.Errorf(portal.ENOTFOUND, "no route %s %s", c.Request.Method, c.Request.URL.Path))
	})
	r.NoMethod(func(c *gin.Context) {
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, errorBody{Error: errorDetail{
			Code: "method_not_allowed", Message: "method " + c.Request.Method + " is not allowed on " + c.Request.URL.Path}})
	})

	if d.Gateway != nil {
		// The mock PayGov gateway: its own pages beside the API, as if on another site.
		gw := gin.WrapH(d.Gateway)
		r.GET("/gateway/*path", gw)
		r.POST("/gateway/*path", gw)
	}

	authn := authenticate(d.Auth)
	citizen := requireRole(portal.RoleCitizen)
	officer := requireRole(portal.RoleOfficer, portal.RoleAdmin)
	admin := requireRole(portal.RoleAdmin)
	limits := DefaultLoginLimits(d.Simulator)
	if d.LoginLimits != nil {
		limits = *d.LoginLimits
	}
	logins := newLoginGuard(limits, d.Auth, clock)
	eid := d.Faults.DependencyMiddleware(faults.EID, writeError)
	for _, rt := range a.routes() {
		chain := logins.middleware(rt.Route) // abuse limits before any work
		if rt.Path == "/api/v1/auth/otp" || rt.Path == "/api/v1/auth/login" {
			chain = append(chain, eid) // the national e-ID service is behind these
		}
		switch rt.Access {
		case Authenticated:
			chain = append(chain, authn)
		case CitizenOnly:
			chain = append(chain, authn, citizen)
		case OfficerOnly:
			chain = append(chain, authn, officer)
		case AdminOnly:
			chain = append(chain, authn, admin)
		}
		r.Handle(rt.Method, rt.Path, append(chain, rt.handle)...)
	}
	return r
}

// principal returns the caller of an authenticated route.
func principal(ctx context.Context) portal.Principal {
	p, _ := principalFrom(ctx)
	return p
}
