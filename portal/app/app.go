// Package app assembles the portal — store, catalogue, population mock,
// authentication, dossier service and HTTP router — into one running
// server, for the serve, run and demo commands and for tests.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/backoffice"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/faults"
	"github.com/portalsim/portalsim/portal/mock"
	"github.com/portalsim/portalsim/portal/ops"
	"github.com/portalsim/portalsim/portal/sqlite"
	"github.com/portalsim/portalsim/portal/ui"
	"github.com/portalsim/portalsim/portal/web"
)

// PopulationSize is the number of synthetic citizens in the population mock.
const PopulationSize = 1_000_000

// File names inside the data directory.
const (
	DatabaseFile  = "portal.db"
	OTPSecretFile = "otp.key"
)

// Config is how to run the portal.
type Config struct {
	Addr    string // "127.0.0.1:0" for a random port
	DataDir string // database and keys; created if missing
	// DBPath overrides the database file (DataDir/portal.db by default).
	DBPath    string
	Simulator bool // dev_otp in login responses, for load scripts
	// Speed is simulated seconds per real second of the dossier clock; above
	// 1 the lifecycle runs on an accelerated clock from SimStart (see
	// backoffice.go). 0 or 1 without SimStart is the wall clock.
	Speed float64
	// SimStart is when simulated time begins; zero means the next working-day
	// 08:00 ICT (SimulationStart), so a run begins in office hours.
	SimStart time.Time
	// Officers is how many simulated officers work the queue; 0 runs none.
	Officers int
	// BackOffice tunes the simulated officers (handling times,
	// probabilities); nil means backoffice.DefaultConfig(). Its Officers is
	// replaced by Officers above.
	BackOffice  *backoffice.Config
	MaxInFlight int // shed load above this many concurrent requests; 0 = no limit
	// QueueWait is how long a request over MaxInFlight may wait for a slot
	// (ops.DefaultQueueWait when 0; negative sheds at once).
	QueueWait time.Duration
	// RequestTimeout bounds each request (DefaultRequestTimeout when 0; negative: none).
	RequestTimeout time.Duration
	// Faults are set when the portal starts (serve --fault); more can be set
	// at runtime through the admin API.
	Faults []faults.Fault
	// PaymentFailureRate is the share of confirmed payments the mock
	// gateway declines (0–1); PaymentDelay is how long after a confirmation
	// it notifies the portal.
	PaymentFailureRate float64
	PaymentDelay       time.Duration
	Logger             *slog.Logger
}

// App is an assembled portal.
type App struct {
	Config     Config
	Logger     *slog.Logger
	Clock      portal.Clock
	Store      *sqlite.DB
	Catalog    *catalog.Catalog
	Population *mock.Population
	Auth       *portal.AuthService
	Dossiers   *portal.DossierService
	// Faults injects failures into dependencies and routes; Metrics is the
	// portal's Prometheus registry; BackOffice is the simulated officers'
	// pool (running after Start when Config.Officers > 0).
	Faults     *faults.Injector
	Metrics    *ops.Metrics
	BackOffice *backoffice.Pool

	// Citizen services (citizen.go). The back office issues results with
	// Results.Issue after approving.
	Attachments *portal.AttachmentService
	Payments    *portal.PaymentService
	Results     *portal.ResultService
	Groups      *portal.GroupService
	Gateway     *mock.Gateway
	Signer      *mock.Signer

	handler http.Handler

	mu       sync.Mutex
	server   *http.Server
	listener net.Listener
	done     chan struct{} // closed when Serve returns
	serveErr error         // what Serve returned, set before done closes
}

// DemoOfficers returns the demo officer accounts: personal IDs
// 001085000001..001085000010 named "Cán bộ 1".."Cán bộ 10".
func DemoOfficers() map[string]string {
	m := make(map[string]string, 10)
	for i := 1; i <= 10; i++ {
		m[fmt.Sprintf("001085%06d", i)] = fmt.Sprintf("Cán bộ %d", i)
	}
	return m
}

// DemoAdmins returns the demo admin account.
func DemoAdmins() map[string]string {
	return map[string]string{"001080000001": "Quản trị viên"}
}

// New builds the portal: it opens (or creates) the store, loads the
// catalogue and the population mock, and wires the services and router.
func New(cfg Config) (*App, error) {
	if cfg.DataDir == "" && cfg.DBPath == "" {
		return nil, errors.New("portal app: a data directory is required")
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Dir(cfg.DBPath)
	}
	if cfg.DBPath == "" {
		cfg.DBPath = filepath.Join(cfg.DataDir, DatabaseFile)
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if cfg.MaxInFlight < 0 {
		return nil, fmt.Errorf("portal app: max in-flight %d must not be negative", cfg.MaxInFlight)
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("portal app: create data directory: %w", err)
	}
	secret, err := loadOrCreateSecret(filepath.Join(cfg.DataDir, OTPSecretFile))
	if err != nil {
		return nil, fmt.Errorf("portal app: %w", err)
	}
	cat, err := catalog.Load()
	if err != nil {
		return nil, fmt.Errorf("portal app: load catalogue: %w", err)
	}
	store, err := sqlite.Open(cfg.DBPath, sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("portal app: %w", err)
	}
	inj, err := newFaults(cfg, logger)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("portal app: %w", err)
	}
	calendar := portal.DefaultCalendar()
	clock := simulationClock(cfg, calendar)
	population := mock.NewPopulation(PopulationSize)
	// The dossier services reach the store and the population database
	// through fault wrappers. Logins and sessions use the store directly:
	// the e-ID fault covers logins, and an admin must still be able to sign
	// in and clear a database fault.
	services, people := faultedStore(store, inj), faults.WrapPopulation(population, inj)
	a := &App{
		Config: cfg, Logger: logger, Clock: clock, Store: store, Catalog: cat, Population: population, Faults: inj,
		Auth: &portal.AuthService{
			Store: store, Clock: portal.SystemClock{}, OTPSecret: secret,
			Officers: DemoOfficers(), Admins: DemoAdmins(), Population: people,
		},
		Dossiers: &portal.DossierService{
			Store: services, Catalog: cat, Clock: clock, Calendar: calendar, Population: people,
		},
	}
	if err := a.wireCitizenServices(); err != nil {
		store.Close()
		return nil, fmt.Errorf("portal app: %w", err)
	}
	if err := a.wireOperations(); err != nil {
		store.Close()
		return nil, fmt.Errorf("portal app: %w", err)
	}
	engine := web.NewRouter(web.Deps{
		Auth: a.Auth, Dossiers: a.Dossiers, Catalog: cat, Store: store, Logger: logger,
		Simulator: cfg.Simulator, Clock: clock, MaxInFlight: cfg.MaxInFlight,
		QueueWait: cfg.QueueWait, RequestTimeout: requestTimeout(cfg), Faults: inj, Metrics: a.Metrics,
		Indicators: store, CatalogSummary: portal.SummarizeCatalog(cat.All()), IssueResult: a.issueResult,
		Attachments: a.Attachments, Payments: a.Payments, Results: a.Results, Groups: a.Groups, Gateway: a.Gateway,
	})
	ui.Register(engine, ui.Deps{Auth: a.Auth, Dossiers: a.Dossiers, Catalog: cat, Logger: logger, Simulator: cfg.Simulator,
		Attachments: a.Attachments, Payments: a.Payments, Results: a.Results, IssueResult: a.issueResult,
		BackOffice: a.BackOffice.Stats, Faults: inj, Indicators: store})
	a.handler = engine
	return a, nil
}

// loadOrCreateSecret reads the OTP secret kept in the data directory, or
// makes one, so OTPs in flight stay valid across restarts.
func loadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		secret, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(secret) < 16 {
			return nil, fmt.Errorf("OTP secret %s is not at least 16 hex-encoded bytes; delete it to make a new one", path)
		}
		return secret, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read OTP secret: %w", err)
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(secret)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write OTP secret: %w", err)
	}
	return secret, nil
}

// Handler returns the portal's HTTP handler (for httptest or embedding).
func (a *App) Handler() http.Handler { return a.handler }

// Start binds Config.Addr and serves in the background until Shutdown.
func (a *App) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.server != nil {
		return errors.New("portal app: already started")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", a.Config.Addr)
	if err != nil {
		return fmt.Errorf("portal app: listen on %s: %w", a.Config.Addr, err)
	}
	a.listener = ln
	a.server = &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Logger.Handler(), slog.LevelWarn),
	}
	a.done = make(chan struct{})
	go func(srv *http.Server, done chan struct{}) {
		err := srv.Serve(ln)
		if !errors.Is(err, http.ErrServerClosed) {
			a.serveErr = err
		}
		close(done)
	}(a.server, a.done)
	a.Gateway.SetCallbackURL(a.url() + CallbackPath)
	a.Logger.Info("portal listening", slog.String("url", a.url()), slog.String("db", a.Config.DBPath))
	if a.Config.Officers > 0 {
		if err := a.BackOffice.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("portal app: %w", err)
		}
		a.Logger.Info("back office started", slog.Int("officers", a.Config.Officers),
			slog.Time("simulated_now", a.Clock.Now()), slog.Float64("speed", max(a.Config.Speed, 1)))
	}
	return nil
}

// URL returns the base URL the portal listens on, e.g. http://127.0.0.1:41234.
func (a *App) URL() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.url()
}

func (a *App) url() string {
	if a.listener == nil {
		return ""
	}
	return "http://" + a.listener.Addr().String()
}

// Shutdown stops accepting connections, waits for in-flight requests until
// ctx ends, then closes the store. It is safe to call without Start.
func (a *App) Shutdown(ctx context.Context) error {
	a.mu.Lock()
	srv, done := a.server, a.done
	a.mu.Unlock()
	var errs []error
	if srv != nil {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain requests: %w", err))
			_ = srv.Close()
		}
		<-done
		if a.serveErr != nil {
			errs = append(errs, fmt.Errorf("serve: %w", a.serveErr))
		}
	}
	// Officers finish the store action in flight; then the store can close.
	a.BackOffice.Stop()
	// Pending payment notifications go out before the store closes.
	if err := a.Gateway.Shutdown(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := a.Store.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Done is closed when the server stops serving (after Shutdown, or if
// serving fails; Shutdown then reports why); nil before Start.
func (a *App) Done() <-chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.done
}
