package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/faults"
	"github.com/portalsim/portalsim/portal/mock"
)

// serveOptions are the flags of `portalsim serve`.
type serveOptions struct {
	addr        string
	dataDir     string
	db          string
	simulator   bool
	speed       float64
	officers    int
	maxInFlight int
	public      bool
	logLevel    string
	drain       time.Duration
	faults      []string
	queueWait   time.Duration
	timeout     time.Duration
}

func newServeCmd(env *Env) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the mock public-service portal (JSON API) until interrupted",
		Long: `Run the mock National Public Service Portal: the citizen JSON API under
/api/v1, /healthz, /readyz and the OpenAPI document at /openapi.json.

Every flag can also be set as PORTALSIM_<FLAG>, e.g. PORTALSIM_ADDR.
The portal binds only loopback addresses unless --public is given.`,
		Example: `  portalsim serve --addr 127.0.0.1:8080 --data-dir ./portalsim-data
  portalsim serve --db ./portalsim.db
  portalsim serve --speed 14400 --officers 20        # one working day every 2 s
  portalsim serve --fault payment:latency=200ms,error_rate=0.1 \
                  --fault 'route=POST /api/v1/dossiers/:id/submit:outage,after=30s,for=1m'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServe(cmd.Context(), env, o, cmd.Flags().Changed("data-dir"))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	f.StringVar(&o.dataDir, "data-dir", "./portalsim-data", "directory for the database and keys (created if missing); defaults to --db's directory when only --db is given")
	f.StringVar(&o.db, "db", "", "database file (default <data-dir>/portal.db)")
	f.BoolVar(&o.simulator, "simulator", true, "simulator mode: login responses carry dev_otp so load scripts can sign in")
	f.Float64Var(&o.speed, "speed", 1, "simulated seconds per real second of the dossier clock; above 1 the simulation starts at the next working-day 08:00 ICT (14400: a working day every 2 s)")
	f.IntVar(&o.officers, "officers", 10, "number of simulated officers working the queue (0: none; human officers use /api/v1/officer)")
	f.IntVar(&o.maxInFlight, "max-in-flight", 0, "shed load (503 + Retry-After) above this many concurrent requests; 0 = no limit")
	f.DurationVar(&o.queueWait, "queue-wait", 0, "how long a request over --max-in-flight may wait for a slot before it is shed (0: 25ms)")
	f.DurationVar(&o.timeout, "request-timeout", app.DefaultRequestTimeout, "per-request deadline; 503 when it passes")
	f.StringArrayVar(&o.faults, "fault", nil, "inject a fault (repeatable): TARGET:SETTING,... with target eid, population, payment, signer, database or route=METHOD /pattern; settings latency=200ms|uniform:50ms..400ms|exp:150ms, error_rate=0.1, outage, after=30s, for=1m, start=, end= (RFC 3339)")
	f.BoolVar(&o.public, "public", false, "allow binding a non-loopback address")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.DurationVar(&o.drain, "drain-timeout", 15*time.Second, "how long shutdown waits for in-flight requests")
	return cmd
}

func runServe(ctx context.Context, env *Env, o serveOptions, dataDirSet bool) error {
	if err := checkBindAddress(o.addr, o.public); err != nil {
		return withExit(ExitUsage, err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return withExit(ExitUsage, fmt.Errorf("--log-level %q: use debug, info, warn or error", o.logLevel))
	}
	if o.speed <= 0 {
		return withExit(ExitUsage, fmt.Errorf("--speed %g must be positive", o.speed))
	}
	if o.officers < 0 || o.maxInFlight < 0 {
		return withExit(ExitUsage, errors.New("--officers and --max-in-flight must not be negative"))
	}
	var injected []faults.Fault
	for _, spec := range o.faults {
		f, err := faults.FromFlag(spec)
		if err != nil {
			return withExit(ExitUsage, fmt.Errorf("--fault: %w", err))
		}
		injected = append(injected, f)
	}
	if o.timeout <= 0 {
		return withExit(ExitUsage, fmt.Errorf("--request-timeout %s must be positive", o.timeout))
	}
	dataDir := serveDataDir(o, dataDirSet)
	logger := slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.New(app.Config{
		Addr: o.addr, DataDir: dataDir, DBPath: o.db, Simulator: o.simulator, Speed: o.speed,
		Officers: o.officers, MaxInFlight: o.maxInFlight, QueueWait: o.queueWait, RequestTimeout: o.timeout,
		Faults: injected, Logger: logger,
	})
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}
	printBanner(env, a, o.simulator)

	select {
	case <-ctx.Done():
		logger.Info("shutting down: draining in-flight requests", slog.Duration("timeout", o.drain))
	case <-a.Done():
		logger.Error("server stopped unexpectedly")
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.drain)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// serveDataDir is where keys live: --data-dir, or the directory of --db
// when only --db is given (issue 3's `serve --db ./portalsim.db`).
func serveDataDir(o serveOptions, dataDirSet bool) string {
	if o.db != "" && !dataDirSet {
		return filepath.Dir(o.db)
	}
	return o.dataDir
}

// checkBindAddress refuses non-loopback addresses without --public: a load
// test must never be pointed at a portal reachable from the network by accident.
func checkBindAddress(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", addr, err)
	}
	if public {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %q is not a loopback address; use 127.0.0.1 or pass --public to serve on the network", addr)
	}
	return nil
}

func printBanner(env *Env, a *app.App, simulator bool) {
	var b strings.Builder
	fmt.Fprintf(&b, "portalsim portal listening on %s\n", a.URL())
	fmt.Fprintf(&b, "  API:      %s/api/v1   OpenAPI: %s/openapi.json\n", a.URL(), a.URL())
	fmt.Fprintf(&b, "  data:     %s\n", a.Config.DBPath)
	fmt.Fprintf(&b, "  logins (personal ID → OTP via POST /api/v1/auth/otp%s):\n", map[bool]string{true: ", dev_otp in the response", false: ""}[simulator])
	fmt.Fprintf(&b, "    citizen  %s (any of %d synthetic citizens)\n", mock.CitizenID(0), app.PopulationSize)
	fmt.Fprintf(&b, "    officer  001085000001 … 001085000010\n")
	fmt.Fprintf(&b, "    admin    001080000001\n")
	fmt.Fprintf(&b, "  metrics:  %s/metrics   officer desk: %s/api/v1/officer/queue   faults: %s/api/v1/admin/faults\n", a.URL(), a.URL(), a.URL())
	if a.Config.Officers > 0 {
		fmt.Fprintf(&b, "  back office: %d simulated officers, speed %gx, simulated now %s\n", a.Config.Officers, max(a.Config.Speed, 1),
			a.Clock.Now().In(portal.VietnamTime).Format("2006-01-02 15:04 MST"))
	}
	fmt.Fprintf(&b, "Press Ctrl-C to stop.\n")
	_, _ = fmt.Fprint(env.Stdout, b.String())
}
