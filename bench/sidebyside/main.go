// Command sidebyside measures portalsim against bare baselines on the same
// machine at the same moment and prints the ratios BENCHMARKS.md reports:
//
//   - the portal's GET /api/v1/procedures/{code} vs a bare gin handler
//     returning the same bytes;
//   - the portal's POST /api/v1/dossiers/{id}/submit on pre-created valid
//     drafts vs a bare gin handler doing one SQLite insert (same WAL pragmas);
//   - the engine's maximum request rate (a 1-step journey) vs plain vegeta
//     with a static targeter, against the same trivial net/http server;
//   - the harness's RSS after 100k and 1M requests (the real `portalsim run`
//     binary in a child process against a trivial server in this one);
//   - k6 vs `portalsim run` CPU seconds per 1,000 requests at the same
//     arrival rate, when a k6 binary is given.
//
// Rates are measured A, B, A, B, … (interleaved rounds) and each side's
// median is reported with its spread, because the machine is shared and
// noisy. Everything is loopback and bounded in time. Run it through
// bench/run.sh (make bench), which builds the binary it needs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

type options struct {
	rounds    int
	round     time.Duration
	workers   uint64
	rate      int // offered requests/s for the engine vs vegeta pair
	out       string
	portalsim string
	k6        string
	k6Rate    int
	k6For     time.Duration
	rssAt     []int
	rssRate   int
	rssLimit  time.Duration
	only      string
	profile   bool
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("sidebyside: ")
	var o options
	flag.IntVar(&o.rounds, "rounds", 5, "interleaved rounds per side (A B A B …)")
	flag.DurationVar(&o.round, "round", 3*time.Second, "length of one timed round")
	flag.Uint64Var(&o.workers, "workers", 64, "vegeta workers (connections) in max-rate mode for the portal pairs")
	flag.IntVar(&o.rate, "rate", 60000, "requests/s offered to both the engine and plain vegeta (above this machine's ceiling)")
	flag.StringVar(&o.out, "out", "", "folder for table.txt, table.json and CPU profiles (default: none)")
	flag.StringVar(&o.portalsim, "portalsim", "bin/portalsim", "portalsim binary for the memory and k6 comparisons (empty skips them)")
	flag.StringVar(&o.k6, "k6", "", "k6 binary (empty skips the k6 comparison)")
	flag.IntVar(&o.k6Rate, "k6-rate", 2000, "arrival rate (requests/s) for the k6 vs portalsim CPU comparison")
	flag.DurationVar(&o.k6For, "k6-duration", 10*time.Second, "length of each k6 / portalsim CPU run")
	rssAt := flag.String("rss-at", "100000,1000000", "first,last: the harness's RSS is sampled at every multiple of first up to last requests; growth is last minus first")
	flag.IntVar(&o.rssRate, "rss-rate", 15000, "arrival rate offered in the memory run")
	flag.DurationVar(&o.rssLimit, "rss-limit", 150*time.Second, "longest the memory run may take")
	flag.StringVar(&o.only, "only", "", "comma-separated subset: procedure,submit,engine,rss,k6")
	flag.BoolVar(&o.profile, "profile", true, "CPU-profile one extra round of the portal in each portal pair and of each side of the engine pair (needs -out)")
	flag.Parse()
	for _, s := range strings.Split(*rssAt, ",") {
		var n int
		if _, err := fmt.Sscan(strings.TrimSpace(s), &n); err != nil || n <= 0 {
			log.Fatalf("-rss-at: %q is not a positive request count", s)
		}
		o.rssAt = append(o.rssAt, n)
	}
	if o.rounds < 1 || o.round <= 0 {
		log.Fatalf("-rounds must be ≥ 1 and -round positive")
	}
	if o.out != "" {
		if err := os.MkdirAll(o.out, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	if err := run(context.Background(), o, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func (o options) want(name string) bool {
	if o.only == "" {
		return true
	}
	for _, s := range strings.Split(o.only, ",") {
		if strings.TrimSpace(s) == name {
			return true
		}
	}
	return false
}

// row is one line of the table.
type row struct {
	Pair     string  `json:"pair"`
	Subject  string  `json:"subject"`
	Baseline string  `json:"baseline"`
	Unit     string  `json:"unit"`
	A        sample  `json:"subject_value"`
	B        sample  `json:"baseline_value"`
	Ratio    float64 `json:"ratio"`
	// PairedRatios are A_i / B_i per round (rate pairs); Ratio is their
	// median and MedianRatio the ratio of the two medians, for reference.
	PairedRatios []float64 `json:"paired_ratios,omitempty"`
	MedianRatio  float64   `json:"ratio_of_medians,omitempty"`
	// RatioText replaces the printed ratio where it says more: the paired
	// ratios' range, or memory growth in MB.
	RatioText string `json:"ratio_text,omitempty"`
	Target    string `json:"target"`
	Met       bool   `json:"met"`
	// Verdict overrides met/MISSED (e.g. "incomplete").
	Verdict string `json:"verdict,omitempty"`
	Note    string `json:"note,omitempty"`
}

func run(ctx context.Context, o options, w io.Writer) error {
	started := time.Now()
	fmt.Fprintf(w, "side-by-side on %s, %d CPUs (GOMAXPROCS %d), %s; load average at start: %s\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), loadAvg())
	fmt.Fprintf(w, "rates: %d interleaved rounds of %v per side, median (min–max); ratio: median (min–max) of the per-round ratios A_i/B_i;\n", o.rounds, o.round)
	fmt.Fprintf(w, "server and generator share the cores\n\n")
	var rows []row
	add := func(r row, err error) error {
		if err != nil {
			return err
		}
		rows = append(rows, r)
		printRow(w, r)
		return nil
	}
	if o.want("procedure") || o.want("submit") {
		p, err := startPortalPair(ctx, o)
		if err != nil {
			return err
		}
		if o.want("procedure") {
			if err := add(p.procedure(ctx)); err != nil {
				p.close()
				return err
			}
		}
		if o.want("submit") {
			if err := add(p.submit(ctx)); err != nil {
				p.close()
				return err
			}
		}
		p.close()
	}
	if o.want("engine") {
		if err := add(engineVsVegeta(ctx, o)); err != nil {
			return err
		}
	}
	if o.want("rss") && o.portalsim != "" {
		if err := add(harnessRSS(ctx, o)); err != nil {
			return err
		}
	}
	if o.want("k6") {
		r, err := k6VsPortalsim(ctx, o)
		if errors.Is(err, errSkip) {
			fmt.Fprintln(w, "k6 vs portalsim: skipped (no k6 binary given; see BENCHMARKS.md)")
		} else if err := add(r, err); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\ntook %v; load average at end: %s\n", time.Since(started).Round(time.Second), loadAvg())
	fmt.Fprintln(w)
	printTable(w, rows)
	if o.out != "" {
		var b strings.Builder
		printTable(&b, rows)
		if err := os.WriteFile(filepath.Join(o.out, "table.txt"), []byte(b.String()), 0o644); err != nil {
			return err
		}
		js, _ := json.MarshalIndent(map[string]any{
			"machine": map[string]any{"cpu": cpuModel(), "nproc": runtime.NumCPU(), "go": runtime.Version(), "load_average_end": loadAvg()},
			"rounds":  o.rounds, "round_s": o.round.Seconds(), "rows": rows,
		}, "", "  ")
		if err := os.WriteFile(filepath.Join(o.out, "table.json"), js, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func printRow(w io.Writer, r row) {
	fmt.Fprintf(w, "%-34s %s: %s   %s: %s   ratio %s (target %s: %s)\n", r.Pair,
		r.Subject, r.A.format(r.Unit), r.Baseline, r.B.format(r.Unit), r.ratio(), r.Target, r.verdict())
	if r.Note != "" {
		fmt.Fprintf(w, "%-34s %s\n", "", r.Note)
	}
}

func printTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, "| Pair | portalsim side | baseline side | ratio | target | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %s: %s | %s: %s | %s | %s | %s |\n", r.Pair, r.Subject, r.A.format(r.Unit),
			r.Baseline, r.B.format(r.Unit), r.ratio(), r.Target, r.verdict())
	}
}

func (r row) ratio() string {
	if r.RatioText != "" {
		return r.RatioText
	}
	return fmt.Sprintf("%.2f", r.Ratio)
}

func (r row) verdict() string {
	switch {
	case r.Verdict != "":
		return r.Verdict
	case r.Met:
		return "met"
	}
	return "MISSED"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
