package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// vmStatus reads a process's resident set (VmRSS) or its peak (VmHWM) in MB
// from /proc/<pid>/status.
func vmStatus(pid int, field string) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			f := strings.Fields(v) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseFloat(f[0], 64)
				return kb / 1024, err
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, field)
}

// harnessRSS runs the real `portalsim run` binary (results.bin,
// journeys.jsonl, summary.json written as usual) with a 1-step journey
// against a trivial server in this process, and samples the child's VmRSS
// each time the server has answered another o.rssAt[0] requests, up to the
// last count in o.rssAt (or until o.rssLimit on a slow machine).
func harnessRSS(ctx context.Context, o options) (row, error) {
	srv, err := startTrivial()
	if err != nil {
		return row{}, err
	}
	defer srv.close()
	dir, err := os.MkdirTemp("", "portalsim-rss-")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)
	// Arrivals for as long as the run may take; the run is stopped (as a
	// user would, with SIGINT) once the last count has been served.
	path := filepath.Join(dir, "bench-trivial.yaml")
	if err := os.WriteFile(path, []byte(trivialScenario(float64(o.rssRate), o.rssLimit, 32, 512)), 0o644); err != nil {
		return row{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.rssLimit+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, o.portalsim, "run", path, "--target", srv.url, "--out", filepath.Join(dir, "results"), "--quiet")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return row{}, fmt.Errorf("start %s: %w", o.portalsim, err)
	}
	pid := cmd.Process.Pid
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Samples at every multiple of the first count up to the last one.
	step, final := o.rssAt[0], o.rssAt[len(o.rssAt)-1]
	type point struct {
		n   int
		rss float64
	}
	var points []point
	var hwm float64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var exitErr error
	exited := false
	for !exited && (len(points) == 0 || points[len(points)-1].n < final) && time.Since(start) < o.rssLimit {
		select {
		case exitErr = <-done:
			exited = true
		case <-tick.C:
			served := int(srv.served.Load())
			for mark := (len(points) + 1) * step; mark <= final && served >= mark; mark = (len(points) + 1) * step {
				v, err := vmStatus(pid, "VmRSS")
				if err != nil {
					return row{}, err
				}
				points = append(points, point{mark, v})
			}
			if v, err := vmStatus(pid, "VmHWM"); err == nil {
				hwm = v
			}
		}
	}
	took := time.Since(start)
	served := srv.served.Load()
	if !exited {
		_ = cmd.Process.Signal(syscall.SIGINT)
		exitErr = <-done
	}
	if len(points) == 0 {
		return row{}, fmt.Errorf("memory run: the harness served %d requests in %v, short of %d (exit: %v; stderr: %s)",
			served, took.Round(time.Second), step, exitErr, lastLines(stderr.String(), 5))
	}
	first, last := points[0], points[len(points)-1]
	growth := last.rss - first.rss
	var trail []string
	for _, p := range points {
		trail = append(trail, fmt.Sprintf("%s %.0f", short(p.n), p.rss))
	}
	r := row{Pair: fmt.Sprintf("harness RSS %s→%s requests", short(first.n), short(last.n)),
		Subject: "RSS at " + short(last.n), Baseline: "RSS at " + short(first.n), Unit: "MB",
		A: newSample([]float64{last.rss}), B: newSample([]float64{first.rss}), Ratio: last.rss / first.rss,
		RatioText: fmt.Sprintf("%+.1f MB", growth), Target: "growth < 50 MB", Met: growth < 50,
		Note: fmt.Sprintf("`portalsim run` child (results.bin, journeys.jsonl written), %d req/s offered, %.0f achieved; RSS MB by requests: %s; peak (VmHWM) %.1f MB",
			o.rssRate, float64(served)/took.Seconds(), strings.Join(trail, ", "), hwm)}
	if last.n < final {
		r.Verdict = "incomplete"
		r.Note += fmt.Sprintf("; stopped at the %v limit with %d requests served, short of %d (a loaded machine; raise -rss-limit)",
			o.rssLimit, served, final)
	}
	return r, nil
}

func short(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], " | ")
}

// k6Script is the same simple journey as trivialScenario: one GET that must
// answer 200, at a constant arrival rate.
const k6Script = `import http from 'k6/http';
import { check } from 'k6';
export const options = {
  scenarios: { hit: { executor: 'constant-arrival-rate', rate: __ENV.RATE * 1, timeUnit: '1s',
    duration: __ENV.DURATION, preAllocatedVUs: 64, maxVUs: 512 } },
};
export default function () {
  const res = http.get(__ENV.URL + '/a');
  check(res, { 'status 200': (r) => r.status === 200 });
}
`

// cpuPerK runs a generator child process and returns its CPU seconds (user
// + system, from the kernel's rusage of the child) per 1,000 requests the
// server answered.
func cpuPerK(ctx context.Context, srv *trivialServer, name string, args ...string) (float64, uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	before := srv.served.Load()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("%s: %w: %s", name, err, lastLines(out.String(), 8))
	}
	n := srv.served.Load() - before
	if n == 0 {
		return 0, 0, fmt.Errorf("%s sent no requests: %s", name, lastLines(out.String(), 8))
	}
	cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	return cpu.Seconds() / (float64(n) / 1000), n, nil
}

// k6VsPortalsim runs k6 and `portalsim run` alternately, each sending the
// same 1-step journey at the same arrival rate to the same trivial server.
func k6VsPortalsim(ctx context.Context, o options) (row, error) {
	if o.k6 == "" || o.portalsim == "" {
		return row{}, errSkip
	}
	srv, err := startTrivial()
	if err != nil {
		return row{}, err
	}
	defer srv.close()
	dir, err := os.MkdirTemp("", "portalsim-k6-")
	if err != nil {
		return row{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "hit.js")
	yaml := filepath.Join(dir, "bench-trivial.yaml")
	if err := os.WriteFile(script, []byte(k6Script), 0o644); err != nil {
		return row{}, err
	}
	if err := os.WriteFile(yaml, []byte(trivialScenario(float64(o.k6Rate), o.k6For, 32, 512)), 0o644); err != nil {
		return row{}, err
	}
	var ps, ks []float64
	var pn, kn uint64
	for i := range 2 {
		v, n, err := cpuPerK(ctx, srv, o.portalsim, "run", yaml, "--target", srv.url, "--out", filepath.Join(dir, "results"), "--quiet")
		if err != nil {
			return row{}, err
		}
		ps, pn = append(ps, v), pn+n
		v, n, err = cpuPerK(ctx, srv, o.k6, "run", "--quiet", "--no-summary", "--no-usage-report",
			"-e", "URL="+srv.url, "-e", "RATE="+strconv.Itoa(o.k6Rate), "-e", "DURATION="+o.k6For.String(), script)
		if err != nil {
			return row{}, err
		}
		ks, kn = append(ks, v), kn+n
		_ = i
	}
	a, b := newSample(ps), newSample(ks)
	return row{Pair: fmt.Sprintf("CPU per 1k requests at %d req/s", o.k6Rate), Subject: "portalsim run", Baseline: "k6",
		Unit: "cpu-s/1k", A: a, B: b, Ratio: b.Median / a.Median, Target: "report (k6/portalsim)", Met: true,
		Note: fmt.Sprintf("2 runs of %v each, alternating; %d and %d requests in all; ratio > 1 means portalsim uses less CPU", o.k6For, pn, kn)}, nil
}

// errSkip marks a comparison that cannot run here (no k6 binary).
var errSkip = errors.New("skipped")
