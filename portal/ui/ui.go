// Package ui is the portal's server-rendered web interface for trainers:
// citizen pages (catalogue, e-ID login, forms, attachments, payment,
// receipts, timeline, results, rating, public lookup), officer pages
// (queue, detail, actions), a live dashboard fed by Server-Sent Events and
// an admin fault panel. Every string comes from the vi/en message
// catalogues; every rule is applied by the same domain services the JSON
// API uses.
package ui

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/backoffice"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/faults"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

// IndicatorCounter tallies the Decision 766 indicators in the store;
// *sqlite.DB implements it.
type IndicatorCounter interface {
	IndicatorCounts(ctx context.Context, p portal.Period, procedureCode string) ([]portal.IndicatorCounts, error)
}

// Deps is what the UI needs from the assembled portal. Auth, Dossiers and
// Catalog are required; every other field is optional and the pages that
// need it say the feature is not available when it is nil.
type Deps struct {
	Auth     *portal.AuthService
	Dossiers *portal.DossierService
	Catalog  *catalog.Catalog
	Logger   *slog.Logger
	// Simulator shows the development OTP on the login page.
	Simulator bool
	// Attachments checks and stores uploads.
	Attachments *portal.AttachmentService
	// Payments starts online fee payments; the gateway serves the page the
	// citizen is redirected to.
	Payments *portal.PaymentService
	// Results serves and verifies signed e-results.
	Results *portal.ResultService
	// IssueResult issues the e-result of a dossier an officer has just
	// approved, as the officer API does; nil leaves it to the back office.
	IssueResult func(ctx context.Context, dossierID string) (*portal.Dossier, error)
	// BackOffice reports the simulated officers, for the dashboard.
	BackOffice func() backoffice.Stats
	// Faults is the fault injector the admin panel drives.
	Faults *faults.Injector
	// Indicators tallies the indicators in the store; when nil the
	// dashboard tallies the most recent dossiers with portal.CountIndicators.
	Indicators IndicatorCounter
}

// Register mounts the UI's pages on r at "/" (and /static/ for assets).
// It panics if the embedded templates or catalogues are broken, which the
// package's tests prevent.
func Register(r *gin.Engine, d Deps) {
	s, err := newServer(d)
	if err != nil {
		panic(err)
	}
	s.routes(r)
}

func staticFiles() http.FileSystem {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err)
	}
	return http.FS(sub)
}
