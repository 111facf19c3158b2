package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/portalsim/portalsim/loadtest/engine"
	"github.com/portalsim/portalsim/loadtest/journey"
	"github.com/portalsim/portalsim/loadtest/report"
	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal/app"
)

type runOptions struct {
	target   string
	duration time.Duration
	rate     float64
	seed     int64
	out      string
	quiet    bool
	junit    string
}

func newRunCmd(env *Env) *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run SCENARIO",
		Short: "Replay a scenario against the embedded portal (or --target) and report completion rates and latency",
		Long: `Replay a scenario file: journeys arrive on the scenario's arrival profile,
every request goes through vegeta, and the run writes
results/<UTC time>-<scenario>/ with results.bin (vegeta report reads it),
journeys.jsonl, summary.json, report.txt, report.html (offline, with
charts), plot.html (vegeta's latency plot) and a copy of the scenario.
--junit FILE also writes the SLO verdicts as JUnit XML for CI.

By default a fresh portal is started in-process on 127.0.0.1 with its
database under the run folder. --target sends the journeys to another
portal on this machine (loopback only).

Exit codes: 0 every SLO met, 99 an SLO failed, 1 any other error or an
interrupted run (Ctrl-C still writes the results).`,
		Example: `  portalsim run scenarios/weekday.yaml
  portalsim run scenarios/smoke.yaml --duration 5s --rate 2
  portalsim run scenarios/weekday.yaml --target http://127.0.0.1:8080 --out /tmp/runs`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScenario(cmd.Context(), env, args[0], o, cmd.Flags().Changed("seed"))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", `base URL of a portal on this machine (default: the scenario's target, normally "embedded")`)
	f.DurationVar(&o.duration, "duration", 0, "override the scenario's arrival window")
	f.Float64Var(&o.rate, "rate", 0, "scale the arrival profile so its peak (or constant) rate is this many journeys per second")
	f.Int64Var(&o.seed, "seed", 0, "override the scenario's seed")
	f.StringVar(&o.out, "out", "results", "folder for run folders")
	f.BoolVar(&o.quiet, "quiet", false, "no progress and no printed report; print only the results folder")
	f.StringVar(&o.junit, "junit", "", "also write JUnit XML to this file: one test case per SLO, for CI")
	return cmd
}

func runScenario(ctx context.Context, env *Env, path string, o runOptions, seedSet bool) error {
	s, err := scenario.Load(path)
	if err != nil {
		return err
	}
	if o.duration < 0 || o.rate < 0 {
		return errors.New("--duration and --rate must not be negative")
	}
	if o.duration > 0 {
		s.Duration = scenario.Duration(o.duration)
	}
	if seedSet {
		s.Seed = o.seed
	}
	if o.rate > 0 {
		peak, err := engine.PeakRate(s.Arrival, s.Duration.D())
		if err != nil {
			return err
		}
		if peak <= 0 {
			return fmt.Errorf("--rate: the scenario's arrival profile has no positive rate to scale")
		}
		s.Arrival = engine.ScaleArrival(s.Arrival, o.rate/peak)
	}
	if o.target != "" {
		s.Target = o.target
	}
	embedded := s.Target == "" || s.Target == scenario.DefaultTarget
	if !embedded {
		if err := checkLoopback(s.Target); err != nil {
			return err
		}
	}
	slos := make([]scenario.SLO, 0, len(s.SLOs))
	for _, expr := range s.SLOs {
		slo, err := scenario.ParseSLO(expr)
		if err != nil {
			return fmt.Errorf("%s: slos: %w", path, err)
		}
		slos = append(slos, slo)
	}
	plan, err := journey.Compile(s)
	if err != nil {
		return fmt.Errorf("compile %s: %w", path, err)
	}

	dir, err := makeRunDir(o.out, s.Name, time.Now())
	if err != nil {
		return err
	}
	if err := copyFile(path, filepath.Join(dir, report.ScenarioFile)); err != nil {
		return err
	}

	target, label := s.Target, s.Target
	if embedded {
		logFile, err := os.Create(filepath.Join(dir, "portal.log"))
		if err != nil {
			return fmt.Errorf("create portal log: %w", err)
		}
		defer logFile.Close()
		portal, err := app.New(app.Config{
			Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "portal"), Simulator: true,
			Speed: s.Portal.Speed, Officers: s.Portal.Officers, MaxInFlight: s.Portal.MaxInFlight,
			Logger: slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn})),
		})
		if err != nil {
			return fmt.Errorf("embedded portal: %w", err)
		}
		if err := portal.Start(ctx); err != nil {
			_ = portal.Shutdown(context.Background())
			return fmt.Errorf("embedded portal: %w", err)
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := portal.Shutdown(sctx); err != nil {
				fmt.Fprintln(env.Stderr, "portalsim: embedded portal shutdown:", err)
			}
		}()
		target = portal.URL()
		label = target + " (embedded)"
		// Date templates follow the portal's simulated clock, whose rules
		// ("within 60 days", "not in the future") judge the forms.
		plan.SetClock(portal.Clock.Now)
	}

	resultsFile, err := os.Create(filepath.Join(dir, report.ResultsFile))
	if err != nil {
		return fmt.Errorf("create results: %w", err)
	}
	defer resultsFile.Close()
	resultsBuf := bufio.NewWriterSize(resultsFile, 256<<10)
	journeysFile, err := os.Create(filepath.Join(dir, report.JourneysFile))
	if err != nil {
		return fmt.Errorf("create journeys log: %w", err)
	}
	defer journeysFile.Close()

	progress := newProgressPrinter(env, o.quiet)
	cfg := engine.Config{
		Scenario: s.Name, Description: s.Description, Scale: s.Scale,
		Plan:    plan,
		Start:   func(id uint64, rng *rand.Rand) engine.Journey { return plan.Start(id, rng) },
		BaseURL: target, Arrival: s.Arrival, Duration: s.Duration.D(), Drain: s.Drain.D(), Seed: s.Seed,
		HTTP: s.HTTP, Results: vegeta.NewEncoder(resultsBuf), JourneyLog: journeysFile,
		Progress: progress.print, ProgressEvery: time.Second,
	}
	if !o.quiet {
		fmt.Fprintf(env.Stdout, "running %s against %s for %s (+ up to %s drain), results in %s\n", s.Name, label, s.Duration.D(), s.Drain.D(), dir)
	}
	var schedule *faultSchedule
	if len(s.Faults) > 0 {
		if schedule, err = startFaults(ctx, target, s.Faults, env.Stderr); err != nil {
			return err
		}
		defer schedule.stop()
	}
	// The embedded portal's own view of the run (queue, officers, shedding,
	// indicators) goes into summary.json's portal section.
	var watcher *portalWatcher
	if embedded {
		watcher = watchPortal(target, time.Now(), sampleEvery(s.Duration.D()+s.Drain.D()))
		defer watcher.stopSampling()
	}
	sum, runErr := engine.Run(ctx, cfg)
	progress.done()
	if schedule != nil {
		runErr = errors.Join(runErr, schedule.stop())
		if sum != nil {
			sum.Faults = schedule.records(sum.StartedAt)
		}
	}
	if sum == nil {
		return fmt.Errorf("run %s: %w", s.Name, runErr)
	}
	if err := resultsBuf.Flush(); err != nil {
		runErr = errors.Join(runErr, fmt.Errorf("write results: %w", err))
	}
	sum.Target = label
	sum.Version = Version
	sum.Machine = thisMachine()
	if watcher != nil {
		wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		sum.Portal = watcher.finish(wctx)
		cancel()
	}
	report.Evaluate(sum, slos)
	if err := report.WriteSummary(dir, sum); err != nil {
		return err
	}
	// report.txt, plot.html and report.html (see report.go).
	if err := writeReports(dir, sum); err != nil {
		return err
	}
	if o.junit != "" {
		if err := report.WriteJUnitFile(o.junit, report.RunJUnit(sum)); err != nil {
			return err
		}
	}
	if !o.quiet {
		if err := report.Text(env.Stdout, sum); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.Stdout, "results: %s\n", dir)
	switch {
	case runErr != nil:
		return fmt.Errorf("run %s: %w", s.Name, runErr)
	case sum.Interrupted:
		return fmt.Errorf("run interrupted; partial results in %s", dir)
	case !sum.Passed:
		return withExit(ExitSLOFailed, errors.New("SLOs not met"))
	}
	return nil
}

// checkLoopback refuses targets off this machine: portalsim generates real
// load and must only point it at a portal the user runs locally.
func checkLoopback(target string) error {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("target %q: want embedded or an http(s) base URL such as http://127.0.0.1:8080", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("target %q: only loopback targets (127.0.0.1, ::1, localhost) are allowed; portalsim does not generate load against other machines", target)
}

// makeRunDir creates out/<UTC YYYYMMDD-HHMMSS>-<name>/, adding -2, -3, ...
// when two runs start in the same second.
func makeRunDir(out, name string, now time.Time) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", out, err)
	}
	base := filepath.Join(out, now.UTC().Format("20060102-150405")+"-"+safeName(name))
	dir := base
	for i := 2; ; i++ {
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !errors.Is(err, os.ErrExist) || i > 100 {
			return "", fmt.Errorf("create run folder: %w", err)
		}
		dir = fmt.Sprintf("%s-%d", base, i)
	}
}

func safeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "run"
	}
	return b.String()
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("copy scenario: %w", err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return fmt.Errorf("copy scenario: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy scenario: %w", err)
	}
	return out.Close()
}

// progressPrinter shows the live progress: one line rewritten in place on
// a terminal, a plain line every 5 s otherwise.
type progressPrinter struct {
	w        io.Writer
	terminal bool
	quiet    bool
	last     time.Time
	printed  bool
}

func newProgressPrinter(env *Env, quiet bool) *progressPrinter {
	return &progressPrinter{w: env.Stdout, terminal: env.IsTerminal, quiet: quiet}
}

func (p *progressPrinter) print(pr engine.Progress) {
	if p.quiet {
		return
	}
	phase := fmt.Sprintf("%s/%s", pr.Elapsed.Truncate(time.Second), pr.ArrivalWindow)
	if pr.Elapsed > pr.ArrivalWindow {
		phase = fmt.Sprintf("%s draining (max %s)", pr.Elapsed.Truncate(time.Second), pr.Total)
	}
	line := fmt.Sprintf("%s  journeys %.1f/s (target %.1f/s)  %.0f req/s  in flight %d  completed %.1f%% (%d/%d)  p95 %s  errors %d",
		phase, pr.AchievedRate, pr.TargetRate, pr.RequestRate, pr.InFlight,
		pr.CompletionRate*100, pr.Journeys.Completed, pr.Journeys.Started,
		pr.P95.Round(time.Millisecond), pr.Errors)
	if p.terminal {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.printed = true
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 5*time.Second {
		p.last = now
		fmt.Fprintln(p.w, line)
	}
}

func (p *progressPrinter) done() {
	if p.terminal && p.printed {
		fmt.Fprintln(p.w)
	}
}
