package capacity

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/portalsim/portalsim/loadtest/engine"
	"github.com/portalsim/portalsim/loadtest/journey"
	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/report"
	"github.com/portalsim/portalsim/loadtest/scenario"
)

// Defaults of EngineSteps.
const (
	DefaultStepDuration = 20 * time.Second
	DefaultWarmup       = 5 * time.Second
)

// EngineSteps configures steps run by the real engine against one target.
type EngineSteps struct {
	// Scenario supplies journeys, mix, personas, feeders, HTTP options,
	// drain, seed and SLOs; its arrival profile is replaced by a constant
	// rate per step (keeping its arrival process).
	Scenario *scenario.Scenario
	// BaseURL of the target; Label names it in summaries (default BaseURL).
	BaseURL, Label string
	// StepDuration is the measured arrival window of each step; Warmup
	// comes before it and is left out of the step's figures.
	StepDuration, Warmup time.Duration
	// Drain is how long the measured run's journeys may continue after its
	// arrivals stop (0: the scenario's drain, else the engine's default).
	// Journeys still unfinished then count as failed, so it must cover the
	// scenario's longest journeys.
	Drain time.Duration
	// Transport replaces the HTTP transport (tests).
	Transport http.RoundTripper
	// OfficerQueue, when set, reads the target's back-office queue:
	// dossiers waiting for an officer and the officers' utilisation (the
	// embedded portal's pool statistics).
	OfficerQueue func() (waiting int, utilisation float64)
	// Now, when set, is the target's clock for date templates ({{today}},
	// {{date_offset}}): the embedded portal's simulated clock, so forms
	// carry dates the portal's rules accept however far its clock has run.
	Now func() time.Time
	// NewTarget, when set, makes a fresh target for every step (e.g. a new
	// embedded portal); it replaces BaseURL and OfficerQueue, and the
	// runner closes the target after the step.
	NewTarget func(ctx context.Context, step int) (StepTarget, error)
}

// StepTarget is the target of one step.
type StepTarget struct {
	BaseURL, Label string
	OfficerQueue   func() (waiting int, utilisation float64)
	Now            func() time.Time // as EngineSteps.Now
	// Close releases the target after the step (may be nil).
	Close func() error
}

// StepEstimate is how long one step may take: warm-up, measured window and
// the scenario's drain.
func (c EngineSteps) StepEstimate() time.Duration {
	return c.Warmup + c.StepDuration + c.drain()
}

func (c EngineSteps) drain() time.Duration {
	switch {
	case c.Drain > 0:
		return c.Drain
	case c.Scenario != nil && c.Scenario.Drain > 0:
		return c.Scenario.Drain.D()
	}
	return engine.DefaultDrain
}

// NewEngineStepRunner returns a StepRunner that runs each step with
// engine.Run. The warm-up is a separate engine run over the first Warmup
// of the step, overlapping the measured run: its journeys keep going (up
// to the end of the measured run) while the measured run's arrivals begin
// at Warmup. Together they are one constant-rate arrival stream, so the
// target sees steady load — journeys of every age in flight — when
// measurement starts, and the measured summary holds only journeys that
// arrived after the warm-up. Steps share the target: with the embedded
// portal its database keeps growing from step to step, as it would in
// production; the warm-up is what lets each step settle.
func NewEngineStepRunner(c EngineSteps) (StepRunner, error) {
	if c.Scenario == nil {
		return nil, errors.New("capacity steps: no scenario")
	}
	if c.StepDuration <= 0 {
		return nil, fmt.Errorf("capacity steps: step duration %v must be positive", c.StepDuration)
	}
	if c.Warmup < 0 || c.Drain < 0 {
		return nil, fmt.Errorf("capacity steps: warm-up %v and drain %v must not be negative", c.Warmup, c.Drain)
	}
	s := c.Scenario
	slos := make([]scenario.SLO, 0, len(s.SLOs))
	for _, expr := range s.SLOs {
		slo, err := scenario.ParseSLO(expr)
		if err != nil {
			return nil, fmt.Errorf("capacity steps: slos: %w", err)
		}
		slos = append(slos, slo)
	}
	if len(slos) == 0 {
		return nil, fmt.Errorf("capacity steps: scenario %s has no SLOs, so every rate would pass; add slos: to it", s.Name)
	}
	// Two plans: the warm-up and measured runs start journeys concurrently.
	warmPlan, err := journey.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("capacity steps: compile %s: %w", s.Name, err)
	}
	measurePlan, err := journey.Compile(s)
	if err != nil {
		return nil, fmt.Errorf("capacity steps: compile %s: %w", s.Name, err)
	}
	label := c.Label
	if label == "" {
		label = c.BaseURL
	}
	var index int64
	return func(ctx context.Context, rate float64) (_ StepResult, err error) {
		if !(rate > 0) {
			return StepResult{}, fmt.Errorf("rate %v must be positive", rate)
		}
		index++
		target := StepTarget{BaseURL: c.BaseURL, Label: label, OfficerQueue: c.OfficerQueue, Now: c.Now}
		if c.NewTarget != nil {
			t, terr := c.NewTarget(ctx, int(index))
			if terr != nil {
				return StepResult{}, fmt.Errorf("target: %w", terr)
			}
			if t.Close != nil {
				defer func() {
					if cerr := t.Close(); cerr != nil && err == nil {
						err = fmt.Errorf("close target: %w", cerr)
					}
				}()
			}
			if t.Label == "" {
				t.Label = t.BaseURL
			}
			target = t
		}
		if target.Now != nil {
			warmPlan.SetClock(target.Now)
			measurePlan.SetClock(target.Now)
		}
		arrival := scenario.Arrival{Profile: scenario.ProfileConstant, Process: s.Arrival.Process, Rate: rate}
		config := func(p *journey.Plan, d, drain time.Duration, seed int64) engine.Config {
			return engine.Config{
				Scenario: s.Name, Description: s.Description, Scale: s.Scale,
				Plan:    p,
				Start:   func(id uint64, rng *rand.Rand) engine.Journey { return p.Start(id, rng) },
				BaseURL: target.BaseURL, Arrival: arrival, Duration: d, Drain: drain, Seed: seed,
				HTTP: s.HTTP, Transport: c.Transport,
			}
		}
		measureCfg := config(measurePlan, c.StepDuration, c.drain(), s.Seed+2*index)

		before, machineBefore := rusage(), machineCPU()
		t0 := time.Now()
		var warm *metrics.Summary
		var warmErr error
		var wg sync.WaitGroup
		warmCtx, stopWarm := context.WithCancel(ctx)
		defer stopWarm()
		if c.Warmup > 0 {
			// The warm-up's journeys may run until the measured run ends;
			// then it is cancelled and its summary thrown away.
			warmCfg := config(warmPlan, c.Warmup, c.StepDuration+measureCfg.Drain+engine.DefaultDrain, s.Seed+2*index-1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				warm, warmErr = engine.Run(warmCtx, warmCfg)
			}()
			select {
			case <-time.After(c.Warmup):
			case <-ctx.Done():
				stopWarm()
				wg.Wait()
				return StepResult{}, ctx.Err()
			}
		}
		var queue *OfficerQueue
		measureStart := time.Now()
		if target.OfficerQueue != nil {
			w, _ := target.OfficerQueue()
			queue = &OfficerQueue{WaitingStart: w}
		}
		sum, err := engine.Run(ctx, measureCfg)
		if queue != nil {
			queue.WaitingEnd, queue.Utilisation = target.OfficerQueue()
			if secs := time.Since(measureStart).Seconds(); secs > 0 {
				queue.GrowthPerS = float64(queue.WaitingEnd-queue.WaitingStart) / secs
			}
		}
		stopWarm()
		wg.Wait()
		wall := time.Since(t0)
		after, machineAfter := rusage(), machineCPU()
		if err != nil {
			return StepResult{}, fmt.Errorf("measured run: %w", err)
		}
		if warmErr != nil && !errors.Is(warmErr, context.Canceled) {
			return StepResult{}, fmt.Errorf("warm-up run: %w", warmErr)
		}
		if sum == nil {
			return StepResult{}, errors.New("measured run returned no summary")
		}
		sum.Target = target.Label
		report.Evaluate(sum, slos)

		requests := sum.Requests.Count + sum.Requests.Interrupted
		if warm != nil {
			requests += warm.Requests.Count + warm.Requests.Interrupted
		}
		res := Resources{
			CPUSeconds: after - before, WallSeconds: wall.Seconds(),
			Requests: requests, Cores: runtime.GOMAXPROCS(0), Officers: queue,
		}
		if requests > 0 {
			res.CPUPerRequestMS = res.CPUSeconds * 1000 / float64(requests)
		}
		if res.WallSeconds > 0 {
			res.CPUUtilisation = res.CPUSeconds / (res.WallSeconds * float64(res.Cores))
		}
		if total := machineAfter.total - machineBefore.total; total > 0 && machineBefore.total > 0 {
			res.MachineCPUBusy = float64(machineAfter.busy-machineBefore.busy) / float64(total)
		}
		return StepResult{Summary: sum, Resources: res}, nil
	}, nil
}

// rusage is the CPU time (user + system) this process has used, in
// seconds; 0 when getrusage fails.
func rusage() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return tv(ru.Utime) + tv(ru.Stime)
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

// machineTicks are the machine's CPU time counters (all cores).
type machineTicks struct{ busy, total uint64 }

// machineCPU reads the first line of /proc/stat (Linux); zero elsewhere.
// Busy is everything but idle and iowait.
func machineCPU() machineTicks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTicks{}
	}
	return parseProcStat(string(b))
}

func parseProcStat(stat string) machineTicks {
	line, _, _ := strings.Cut(stat, "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return machineTicks{}
	}
	var t machineTicks
	for i, f := range fields[1:] {
		if i >= 8 { // guest time is already in user
			break
		}
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return machineTicks{}
		}
		t.total += v
		if i != 3 && i != 4 { // idle, iowait
			t.busy += v
		}
	}
	return t
}
