package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/portalsim/portalsim/loadtest/engine"
	"github.com/portalsim/portalsim/loadtest/journey"
	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/mock"
)

// Demo defaults: a class sees a working day pass in about twenty seconds,
// and background load stays gentle.
const (
	DefaultDemoSpeed = 1440 // simulated seconds per real second: a day a minute
	DefaultLoadRate  = 0.5  // journeys per second
	// MaxLoadRounds bounds the background load: the scenario is replayed at
	// most this many times (each round lasts at most maxLoadRound).
	MaxLoadRounds = 60
	maxLoadRound  = 2 * time.Minute
	// DemoOfficerID and DemoAdminID are the demo accounts app creates.
	DemoOfficerID = "001085000001"
	DemoAdminID   = "001080000001"
)

type demoOptions struct {
	addr     string
	dataDir  string
	speed    float64
	officers int
	load     string
	loadRate float64
	logLevel string
	drain    time.Duration
}

func newDemoCmd(env *Env) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Trainer mode: the portal with its web UI, sample dossiers in every state and optional gentle load",
		Long: `Run the portal for a class: the bilingual web UI (Vietnamese by default,
English with ?lang=en), a simulated clock fast enough to watch dossiers age,
sample dossiers in every lifecycle state for the demo citizen, and, with
--load, a shipped scenario replayed at a gentle rate in the background so
the dashboard moves. Prints the URLs and demo logins; runs until Ctrl-C.`,
		Example: `  portalsim demo
  portalsim demo --addr 127.0.0.1:8080 --data-dir ./demo-data --speed 2880 --load scenarios/smoke.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), env, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "loopback address to listen on (port 0 picks a free one)")
	f.StringVar(&o.dataDir, "data-dir", "", "directory for the database and keys (default: a new temporary directory)")
	f.Float64Var(&o.speed, "speed", DefaultDemoSpeed, "simulated seconds per real second (1440: a day a minute)")
	f.IntVar(&o.officers, "officers", -1, "simulated officers; default 0 without --load (every sample stays in its state for the class), 3 with --load (the queue flows)")
	f.StringVar(&o.load, "load", "", "scenario file to replay gently in the background, e.g. scenarios/smoke.yaml")
	f.Float64Var(&o.loadRate, "load-rate", DefaultLoadRate, "peak journeys per second of the background load")
	f.StringVar(&o.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn or error")
	f.DurationVar(&o.drain, "drain-timeout", 10*time.Second, "how long shutdown waits for in-flight requests")
	return cmd
}

func runDemo(ctx context.Context, env *Env, o demoOptions) error {
	if err := checkBindAddress(o.addr, false); err != nil {
		return withExit(ExitUsage, err)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return withExit(ExitUsage, fmt.Errorf("--log-level %q: use debug, info, warn or error", o.logLevel))
	}
	if o.speed <= 0 {
		return withExit(ExitUsage, fmt.Errorf("--speed %g must be positive", o.speed))
	}
	if o.loadRate <= 0 || o.loadRate > 20 {
		return withExit(ExitUsage, fmt.Errorf("--load-rate %g must be above 0 and at most 20 journeys per second (demo load is gentle)", o.loadRate))
	}
	if o.officers < -1 {
		return withExit(ExitUsage, fmt.Errorf("--officers %d must not be negative", o.officers))
	}
	var load *scenario.Scenario
	if o.officers == -1 {
		o.officers = 0
		if o.load != "" {
			o.officers = 3
		}
	}
	if o.load != "" {
		s, err := scenario.Load(o.load)
		if err != nil {
			return withExit(ExitUsage, fmt.Errorf("--load: %w", err))
		}
		load = s
	}
	dataDir := o.dataDir
	if dataDir == "" {
		d, err := os.MkdirTemp("", "portalsim-demo-")
		if err != nil {
			return fmt.Errorf("demo data directory: %w", err)
		}
		dataDir = d
	}
	logger := slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.New(app.Config{Addr: o.addr, DataDir: dataDir, Simulator: true, Speed: o.speed,
		Officers: o.officers, Logger: logger})
	if err != nil {
		return err
	}
	// Seed before the back office starts, so the samples are in place (and
	// the open ones assigned to the demo officer) before anyone works.
	seeded, err := SeedDemo(ctx, a, mock.CitizenID(0))
	if err != nil {
		_ = a.Shutdown(context.Background())
		return fmt.Errorf("seed demo dossiers: %w", err)
	}
	if err := a.Start(ctx); err != nil {
		_ = a.Shutdown(context.Background())
		return err
	}
	printDemoBanner(env, a, dataDir, seeded, o)

	loadDone := make(chan error, 1)
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	if load != nil {
		go func() { loadDone <- demoLoad(loadCtx, load, a.URL(), o.loadRate, logger) }()
	} else {
		loadDone <- nil
	}

	select {
	case <-ctx.Done():
	case <-a.Done():
		logger.Error("portal stopped unexpectedly")
	}
	stopLoad()
	loadErr := <-loadDone
	sctx, cancel := context.WithTimeout(context.Background(), o.drain)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if loadErr != nil && !errors.Is(loadErr, context.Canceled) {
		return fmt.Errorf("background load: %w", loadErr)
	}
	fmt.Fprintln(env.Stdout, "demo stopped")
	return nil
}

// demoLoad replays the scenario against the demo portal at a gentle rate,
// round after round, until ctx ends or MaxLoadRounds have run. Results are
// not kept: the dashboard is the report.
func demoLoad(ctx context.Context, s *scenario.Scenario, target string, rate float64, logger *slog.Logger) error {
	if err := checkLoopback(target); err != nil {
		return err
	}
	d := min(s.Duration.D(), maxLoadRound)
	peak, err := engine.PeakRate(s.Arrival, d)
	if err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	arrival := s.Arrival
	if peak > rate {
		arrival = engine.ScaleArrival(s.Arrival, rate/peak)
	}
	plan, err := journey.Compile(s)
	if err != nil {
		return fmt.Errorf("compile %s: %w", s.Name, err)
	}
	for round := range MaxLoadRounds {
		cfg := engine.Config{
			Scenario: s.Name, Plan: plan,
			Start:   func(id uint64, rng *rand.Rand) engine.Journey { return plan.Start(id, rng) },
			BaseURL: target, Arrival: arrival, Duration: d, Drain: min(s.Drain.D(), 30*time.Second),
			Seed: s.Seed + int64(round), HTTP: s.HTTP, JourneyLog: io.Discard,
		}
		sum, err := engine.Run(ctx, cfg)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			return fmt.Errorf("round %d: %w", round+1, err)
		}
		logger.Info("demo load round done", slog.Int("round", round+1),
			slog.Uint64("journeys", sum.Journeys.Started), slog.Float64("completion_rate", sum.CompletionRate))
	}
	return nil
}

// demoStates are the lifecycle paths the seed walks, one dossier each, so
// every state is on screen. The completed one has a supplement round.
var demoStates = []portal.Status{
	portal.StatusDraft, portal.StatusSubmitted, portal.StatusReceived, portal.StatusProcessing,
	portal.StatusSupplementRequested, portal.StatusApproved, portal.StatusRejected,
	portal.StatusResultIssued, portal.StatusCompleted, portal.StatusWithdrawn,
}

// demoProcedures are free procedures that rotate through the seed; the
// birth registration needs an upload, which the seed attaches.
var demoProcedures = []string{"2.001214", "1.001193", "1.001867", "1.004227", "1.004873"}

// SeedDemo creates, through the dossier service, one dossier of the citizen
// in every lifecycle state, unless the store already has dossiers. It
// returns the dossiers it created.
func SeedDemo(ctx context.Context, a *app.App, citizenID string) ([]*portal.Dossier, error) {
	counts, err := a.Store.CountByStatus(ctx)
	if err != nil {
		return nil, err
	}
	for _, n := range counts {
		if n > 0 {
			return nil, nil // an existing demo: keep its data
		}
	}
	person, err := a.Population.Person(ctx, citizenID)
	if err != nil {
		return nil, fmt.Errorf("demo citizen %s: %w", citizenID, err)
	}
	citizen := portal.Principal{UserID: citizenID, Role: portal.RoleCitizen, Name: person.FullName}
	officer := portal.Principal{UserID: DemoOfficerID, Role: portal.RoleOfficer, Name: app.DemoOfficers()[DemoOfficerID]}
	svc := a.Dossiers
	var out []*portal.Dossier
	for i, target := range demoStates {
		code := demoProcedures[i%len(demoProcedures)]
		p, ok := a.Catalog.Procedure(code)
		if !ok {
			return nil, fmt.Errorf("demo procedure %s is not in the catalogue", code)
		}
		d, err := svc.CreateDraft(ctx, citizen, code, catalog.SampleForm(p, person, svc.Clock.Now()))
		if err != nil {
			return nil, fmt.Errorf("draft of %s: %w", code, err)
		}
		for _, r := range p.Attachments {
			if !r.Required {
				continue
			}
			att := &portal.Attachment{DossierID: d.ID, Requirement: r.Code, FileName: r.Code + ".pdf",
				ContentType: "application/pdf", UploadedAt: svc.Clock.Now()}
			if err := a.Store.AddAttachment(ctx, att, []byte("%PDF-1.4\n% portalsim demo document\n%%EOF\n")); err != nil {
				return nil, fmt.Errorf("attach %s: %w", r.Code, err)
			}
		}
		steps := demoPath(target)
		for _, st := range steps {
			switch {
			case st == portal.StatusSubmitted && target == portal.StatusSubmitted:
				if d, err = svc.Submit(ctx, citizen, d.ID); err == nil {
					// Keep it for the trainer's officer, not the simulated ones.
					d, err = svc.Claim(ctx, officer, d.ID)
				}
			case st == portal.StatusSubmitted && d.Status == portal.StatusDraft:
				d, err = svc.Submit(ctx, citizen, d.ID)
			case st == portal.StatusWithdrawn:
				d, err = svc.Withdraw(ctx, citizen, d.ID, "Nộp nhầm thủ tục")
			case st == portal.StatusCompleted:
				d, err = svc.Act(ctx, citizen, d.ID, st, "")
				if err == nil {
					d, err = svc.Rate(ctx, citizen, d.ID, 5, "Giải quyết nhanh, đúng hẹn")
				}
			case st == portal.StatusProcessing && d.Status == portal.StatusSupplementRequested:
				d, err = svc.Supplement(ctx, citizen, d.ID, "Đã bổ sung bản chụp rõ hơn")
			case st == portal.StatusSupplementRequested:
				d, err = svc.Act(ctx, officer, d.ID, st, "Đề nghị bổ sung bản chụp rõ nét của giấy tờ")
			case st == portal.StatusRejected:
				d, err = svc.Act(ctx, officer, d.ID, st, "Người yêu cầu không thuộc đối tượng được hưởng")
			case st == portal.StatusResultIssued:
				d, err = a.Results.Issue(ctx, officer, d.ID) // signed and stored, downloadable
			default:
				d, err = svc.Act(ctx, officer, d.ID, st, "")
			}
			if err != nil {
				return nil, fmt.Errorf("seed %s dossier: move to %s: %w", target, st, err)
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// demoPath is the sequence of moves from draft to target.
func demoPath(target portal.Status) []portal.Status {
	const (
		sub, rec, proc, supp = portal.StatusSubmitted, portal.StatusReceived, portal.StatusProcessing, portal.StatusSupplementRequested
		appr, rej, res, done = portal.StatusApproved, portal.StatusRejected, portal.StatusResultIssued, portal.StatusCompleted
	)
	switch target {
	case portal.StatusDraft:
		return nil
	case sub:
		return []portal.Status{sub}
	case rec:
		return []portal.Status{sub, rec}
	case proc:
		return []portal.Status{sub, rec, proc}
	case supp:
		return []portal.Status{sub, rec, proc, supp}
	case appr:
		return []portal.Status{sub, rec, proc, appr}
	case rej:
		return []portal.Status{sub, rec, proc, rej}
	case res:
		return []portal.Status{sub, rec, proc, appr, res}
	case done:
		return []portal.Status{sub, rec, proc, supp, proc, appr, res, done}
	case portal.StatusWithdrawn:
		return []portal.Status{sub, portal.StatusWithdrawn}
	}
	return nil
}

func printDemoBanner(env *Env, a *app.App, dataDir string, seeded []*portal.Dossier, o demoOptions) {
	u := a.URL()
	var b strings.Builder
	fmt.Fprintf(&b, "portalsim demo — trainer mode\n")
	fmt.Fprintf(&b, "  portal:     %s/            (English: %s/?lang=en)\n", u, u)
	fmt.Fprintf(&b, "  sign in:    %s/login       (the one-time code is shown on the page)\n", u)
	fmt.Fprintf(&b, "  officer:    %s/officer\n", u)
	fmt.Fprintf(&b, "  dashboard:  %s/dashboard\n", u)
	fmt.Fprintf(&b, "  faults:     %s/admin/faults\n", u)
	fmt.Fprintf(&b, "  track:      %s/lookup      API: %s/api/v1  OpenAPI: %s/openapi.json\n", u, u, u)
	fmt.Fprintf(&b, "demo logins (personal ID):\n")
	fmt.Fprintf(&b, "  citizen  %s (owns the sample dossiers; any ID of the synthetic population works)\n", mock.CitizenID(0))
	fmt.Fprintf(&b, "  officer  %s … 001085000010\n", DemoOfficerID)
	fmt.Fprintf(&b, "  admin    %s\n", DemoAdminID)
	if len(seeded) > 0 {
		fmt.Fprintf(&b, "sample dossiers:\n")
		for _, d := range seeded {
			fmt.Fprintf(&b, "  %-22s %s\n", d.Status, d.Code)
		}
	} else {
		fmt.Fprintf(&b, "sample dossiers: kept from the existing data\n")
	}
	fmt.Fprintf(&b, "clock: %g× real time   simulated officers: %d   data: %s\n", o.speed, o.officers, filepath.Clean(dataDir))
	if o.load != "" {
		fmt.Fprintf(&b, "background load: %s at up to %g journeys/s\n", o.load, o.loadRate)
	}
	fmt.Fprintf(&b, "Press Ctrl-C to stop.\n")
	_, _ = fmt.Fprint(env.Stdout, b.String())
}
