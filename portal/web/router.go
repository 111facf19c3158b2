// Package web is the portal's HTTP adapter: the citizen JSON API under
// /api/v1 on gin, its middleware (request IDs, access log, body limits,
// strict JSON, bearer authentication, roles, load shedding), health probes
// and the OpenAPI document that describes it.
package web

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
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
}

// Access says who may call a route.
type Access string

const (
	Public        Access = "public"        // anyone, no token
	Authenticated Access = "authenticated" // any signed-in role
	CitizenOnly   Access = "citizen"       // signed-in citizens
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
	a := &api{auth: d.Auth, dossiers: d.Dossiers, catalog: d.Catalog, store: d.Store,
		simulator: d.Simulator, clock: clock, openapi: doc}

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
	r.Use(requestID(logger), accessLog(), recovery())
	if d.MaxInFlight > 0 {
		r.Use(shedLoad(d.MaxInFlight))
	}
	r.Use(routeBodyLimits(MaxJSONBody, map[string]int64{uploadRoute: MaxUploadBody}))
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
	for _, rt := range a.routes() {
		var chain []gin.HandlerFunc
		switch rt.Access {
		case Authenticated:
			chain = append(chain, authn)
		case CitizenOnly:
			chain = append(chain, authn, citizen)
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
