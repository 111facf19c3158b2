package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/portalsim/portalsim/loadtest/capacity"
	"github.com/portalsim/portalsim/loadtest/report"
	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal/app"
)

type capacityOptions struct {
	target                      string
	min, max, precision         float64
	stepDuration, warmup, limit time.Duration
	drain                       time.Duration
	out, format                 string
	freshPortal, confirm        bool
}

// newCapacityCmd is `portalsim capacity`: the highest constant journey
// arrival rate a target sustains within the scenario's SLOs.
func newCapacityCmd(env *Env) *cobra.Command {
	o := capacityOptions{
		min: 1, max: 1000, precision: capacity.DefaultPrecision,
		stepDuration: capacity.DefaultStepDuration, warmup: capacity.DefaultWarmup, limit: capacity.DefaultMaxTime,
		out: "results", format: "text",
	}
	cmd := &cobra.Command{
		Use:   "capacity SCENARIO",
		Short: "Search for the highest sustained journey arrival rate that meets the scenario's SLOs",
		Long: `capacity runs the scenario's journeys, mix, personas and SLOs in steps at
a constant arrival rate (journeys per second; the scenario's arrival
profile is replaced, its arrival process kept). Phase 1 doubles the rate
from --min until a step breaks an SLO or --max passes; phase 2 bisects
between the last passing and the first failing rate until they are within
--precision of each other, or --max-time runs out.

Each step is a warm-up (an engine run of --warmup whose journeys keep
running while the step is measured, left out of the figures) followed by
the measured run of --step-duration, plus up to --drain (default: the
scenario's) for the journeys still in flight; journeys unfinished then
count as failed, so the drain must cover the scenario's longest journeys.

All steps share one target: by default one embedded portal (fresh
database under the results folder) that keeps its data from step to
step, as a real deployment would; the warm-up lets each new rate settle.
--fresh-portal starts a new one for every step instead: use it when the
portal's accelerated clock makes the scenario's dates go stale over a
long search (its simulated clock restarts with each portal).

Output: the maximum sustainable rate, the knee (first rate whose p95 is
more than twice the lowest rate's), the first SLO that broke and by how
much, and hints of the limiting resource: process CPU per request and
utilisation (getrusage around each step; generator and embedded portal
together), the share of 503 shed responses, and generator lateness.
Results go to results/<UTC time>-capacity-<scenario>/: steps.jsonl,
summary.json (the step at the maximum rate, with "capacity"; read by
'portalsim plan --capacity-from'), report.txt, capacity.svg and
capacity.html.

Exit codes: 0 a rate met every SLO; 1 an error, an interrupted search,
or no rate met the SLOs (the folder is still written).`,
		Example: `  portalsim capacity scenarios/weekday.yaml
  portalsim capacity scenarios/weekday.yaml --min 2 --max 200 --warmup 20s --drain 90s --max-time 15m --fresh-portal
  portalsim capacity scenarios/smoke.yaml --target http://127.0.0.1:8080 --format json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.format != "text" && o.format != "json" {
				return withExit(ExitUsage, fmt.Errorf("--format %q: want text or json", o.format))
			}
			if o.max < o.min {
				return withExit(ExitUsage, fmt.Errorf("--max %v is below --min %v", o.max, o.min))
			}
			if o.stepDuration <= 0 || o.warmup < 0 || o.limit <= 0 || o.drain < 0 {
				return withExit(ExitUsage, fmt.Errorf("--step-duration and --max-time must be positive, --warmup and --drain not negative (got %s, %s, %s, %s)", o.stepDuration, o.limit, o.warmup, o.drain))
			}
			return runCapacity(cmd.Context(), env, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.target, "target", "", `base URL of a portal on this machine (default: the scenario's target, normally "embedded")`)
	f.Var(floatIn(&o.min, 0, false, math.Inf(1), false), "min", "first offered rate (`J/s`, journeys per second)")
	f.Var(floatIn(&o.max, 0, false, math.Inf(1), false), "max", "highest offered rate tried (`J/s`)")
	f.DurationVar(&o.stepDuration, "step-duration", o.stepDuration, "measured arrival window of each step")
	f.DurationVar(&o.warmup, "warmup", o.warmup, "warm-up before each step, excluded from its figures")
	f.DurationVar(&o.drain, "drain", 0, "how long each step's journeys may finish after its arrivals stop (default: the scenario's drain); journeys unfinished then count as failed")
	f.DurationVar(&o.limit, "max-time", o.limit, "hard bound on the whole search")
	f.Var(shareIn(&o.precision, false, false), "precision", "stop bisecting when the bounds are this close, relative (`P`: 0.05 or 5%)")
	f.BoolVar(&o.freshPortal, "fresh-portal", false, "start a new embedded portal (empty database, simulated clock restarted) for every step instead of one for all")
	f.BoolVar(&o.confirm, "confirm", false, "run a failing step again and let the rate pass if the re-run passes (a busy machine's stalls only add failures)")
	f.StringVar(&o.out, "out", o.out, "folder for run folders")
	f.StringVar(&o.format, "format", o.format, "output `format`: text or json (the capacity object)")
	return cmd
}

func runCapacity(ctx context.Context, env *Env, path string, o capacityOptions) error {
	s, err := scenario.Load(path)
	if err != nil {
		return err
	}
	if len(s.SLOs) == 0 {
		return fmt.Errorf("%s: the scenario has no slos, so every rate would pass; capacity needs at least one", path)
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
	dir, err := makeRunDir(o.out, "capacity-"+s.Name, time.Now())
	if err != nil {
		return err
	}
	if err := copyFile(path, filepath.Join(dir, report.ScenarioFile)); err != nil {
		return err
	}
	// Progress goes to stdout for text and to stderr for JSON, so that
	// stdout stays one JSON document.
	progress := env.Stdout
	if o.format == "json" {
		progress = env.Stderr
	}

	steps := capacity.EngineSteps{Scenario: s, BaseURL: s.Target, StepDuration: o.stepDuration, Warmup: o.warmup, Drain: o.drain}
	label, note := s.Target, "external target: CPU figures are the load generator's alone"
	switch {
	case embedded && o.freshPortal:
		label = "a fresh embedded portal per step"
		note = "embedded portal, a fresh one (empty database, clock restarted) for every step, in the generator's process: CPU figures are both together"
		steps.NewTarget = func(ctx context.Context, step int) (capacity.StepTarget, error) {
			p, stop, err := startEmbeddedPortal(ctx, dir, fmt.Sprintf("portal-step%d", step), s)
			if err != nil {
				return capacity.StepTarget{}, err
			}
			return capacity.StepTarget{BaseURL: p.URL(), Label: p.URL() + " (embedded, fresh for this step)", OfficerQueue: officerQueue(p, s), Now: p.Clock.Now, Close: stop}, nil
		}
	case embedded:
		p, stop, err := startEmbeddedPortal(ctx, dir, "portal", s)
		if err != nil {
			return err
		}
		defer func() {
			if err := stop(); err != nil {
				fmt.Fprintln(env.Stderr, "portalsim: embedded portal shutdown:", err)
			}
		}()
		steps.BaseURL, steps.OfficerQueue, steps.Now = p.URL(), officerQueue(p, s), p.Clock.Now
		label = p.URL() + " (embedded)"
		note = "embedded portal, one for all steps, in the generator's process: CPU figures are both together"
	}
	steps.Label = label
	run, err := capacity.NewEngineStepRunner(steps)
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "capacity of %s against %s: rates %g to %g journeys/s, steps of up to %s (warm-up %s, step %s, drain), at most %s; results in %s\n",
		s.Name, label, o.min, o.max, steps.StepEstimate(), o.warmup, o.stepDuration, o.limit, dir)
	r, err := capacity.Search(ctx, capacity.SearchConfig{
		Min: o.min, Max: o.max, Precision: o.precision, MaxTime: o.limit, Confirm: o.confirm,
		OnStep: func(st capacity.Step) {
			verdict := "pass"
			if !st.Passed {
				verdict = fmt.Sprintf("FAIL %v", st.BrokenSLOs)
			}
			fmt.Fprintf(progress, "step %d %-6s offered %8.3f  achieved %8.3f j/s  %7.1f req/s  p95 %7.1f ms  errors %5.2f%%  CPU %3.0f%%  %s\n",
				st.Index, st.Phase, st.OfferedRate, st.AchievedRate, st.RequestRate, st.P95MS, st.ErrorRate*100, st.Resources.CPUUtilisation*100, verdict)
		},
	}, run)
	if err != nil {
		return err
	}
	r.Settings.StepS, r.Settings.WarmupS = o.stepDuration.Seconds(), o.warmup.Seconds()
	r.Settings.DrainS = (steps.StepEstimate() - o.warmup - o.stepDuration).Seconds()
	r.Settings.Process = s.Arrival.Process
	r.Settings.TargetNote = note
	if err := capacity.WriteResults(dir, r); err != nil {
		return err
	}
	switch o.format {
	case "json":
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return err
		}
	default:
		fmt.Fprintln(env.Stdout)
		if err := r.WriteText(env.Stdout); err != nil {
			return err
		}
	}
	fmt.Fprintf(progress, "results: %s\n", dir)
	switch {
	case r.StoppedBy == capacity.StopInterrupted:
		return fmt.Errorf("capacity search interrupted; partial results in %s", dir)
	case !r.Found:
		return errors.New("no rate met the SLOs; see " + filepath.Join(dir, report.ReportFile))
	}
	return nil
}

// officerQueue reads the embedded portal's back-office queue, or is nil
// when the scenario runs no officers.
func officerQueue(p *app.App, s *scenario.Scenario) func() (int, float64) {
	pool := p.BackOffice
	if pool == nil || s.Portal.Officers <= 0 {
		return nil
	}
	return func() (int, float64) {
		st := pool.Stats()
		return st.Waiting, st.Utilisation
	}
}

// startEmbeddedPortal starts an embedded portal with its data in
// dir/name and its log in dir/name.log; stop shuts it down (draining
// requests for up to 10 s) and closes the log.
func startEmbeddedPortal(ctx context.Context, dir, name string, s *scenario.Scenario) (portal *app.App, stop func() error, err error) {
	logFile, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, nil, fmt.Errorf("create portal log: %w", err)
	}
	portal, err = app.New(app.Config{
		Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, name), Simulator: true,
		Speed: s.Portal.Speed, Officers: s.Portal.Officers, MaxInFlight: s.Portal.MaxInFlight,
		Logger: slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		logFile.Close()
		return nil, nil, fmt.Errorf("embedded portal: %w", err)
	}
	stop = func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return errors.Join(portal.Shutdown(sctx), logFile.Close())
	}
	if err := portal.Start(ctx); err != nil {
		_ = stop()
		return nil, nil, fmt.Errorf("embedded portal: %w", err)
	}
	return portal, stop, nil
}
