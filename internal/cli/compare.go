package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/report"
)

// ExitRegression is compare's exit code when --fail-on-regression is set
// and a metric regressed: distinct from 1 (compare itself failed) so CI can
// tell a slower portal from a broken pipeline.
const ExitRegression = 98

type compareOptions struct {
	format           string
	output           string
	junit            string
	failOnRegression bool
	last             bool
	results          string
	thresholdsFile   string
	// Threshold flags; applied over the file's values when set.
	maxLatencyIncrease   fraction
	latencyFloor         time.Duration
	minTailSamples       uint64
	maxCompletionDrop    fraction
	maxErrorRateIncrease fraction
	maxRateDrop          fraction
}

func newCompareCmd(env *Env) *cobra.Command {
	var o compareOptions
	def := report.DefaultThresholds()
	o.maxLatencyIncrease = fraction(def.MaxLatencyIncrease)
	o.latencyFloor = time.Duration(def.LatencyFloorMS * float64(time.Millisecond))
	o.minTailSamples = def.MinTailSamples
	o.maxCompletionDrop = fraction(def.MaxCompletionDrop)
	o.maxErrorRateIncrease = fraction(def.MaxErrorRateIncrease)
	o.maxRateDrop = fraction(def.MaxRateDrop)
	cmd := &cobra.Command{
		Use:   "compare [BASE] NEW",
		Short: "Compare two runs metric by metric and flag regressions",
		Long: `Compare two results folders (or their summary.json files): completion rate
(overall and per journey), request error rate, achieved arrival rate and
service-time p50/p95/p99 (all requests and per step), with both values, the change and a
verdict: ok, improved, regression, new (only in NEW) or missing (only in
BASE).

With only NEW (or --last NEW), BASE is the latest earlier run of the same
scenario next to NEW; with no argument at all, NEW is the latest run in
--results.

Latencies are service times (vegeta's latency), over all requests (http.*)
and per step. A latency change counts only when it exceeds both the
relative threshold and the absolute floor, and a percentile is judged only
when both runs have at least --min-tail-samples requests above it (at 5, a
p95 needs 100 requests and a p99 500), so run-to-run noise is not called a
regression; unjudged rows say so.
Thresholds come from the flags below or --thresholds FILE (YAML with the
same names, underscores instead of dashes; flags win).

Exit codes: 0 compared (regressions are reported but do not fail unless
--fail-on-regression), 98 a regression with --fail-on-regression,
1 an error (unreadable run, no earlier run), 2 usage error.`,
		Example: `  portalsim compare results/20261125-093000-smoke results/20261125-094500-smoke
  portalsim compare --last results/20261125-094500-smoke
  portalsim compare --fail-on-regression --junit compare.xml
  portalsim compare A B --format html --output compare.html --max-latency-increase 10%`,
		Args: cobra.MaximumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.last && len(args) != 1 {
				return withExit(ExitUsage, errors.New("--last takes exactly one run: compare --last NEW"))
			}
			return compareRuns(env, cmd.Flags(), args, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "text, html or json")
	f.StringVarP(&o.output, "output", "o", "", "write to this file instead of stdout")
	f.StringVar(&o.junit, "junit", "", "also write JUnit XML (one test case per compared metric) to this file")
	f.BoolVar(&o.failOnRegression, "fail-on-regression", false, fmt.Sprintf("exit %d when any metric regressed", ExitRegression))
	f.BoolVar(&o.last, "last", false, "compare NEW with the latest earlier run of the same scenario in its folder")
	f.StringVar(&o.results, "results", "results", "folder of run folders, for compare without arguments")
	f.StringVar(&o.thresholdsFile, "thresholds", "", "YAML file of thresholds (flags override it)")
	f.Var(&o.maxLatencyIncrease, "max-latency-increase", "relative step latency growth that is a regression (20% or 0.2)")
	f.DurationVar(&o.latencyFloor, "latency-floor", o.latencyFloor, "latency changes smaller than this are noise")
	f.Uint64Var(&o.minTailSamples, "min-tail-samples", o.minTailSamples, "judge a percentile only when both runs have at least this many requests above it")
	f.Var(&o.maxCompletionDrop, "max-completion-drop", "completion-rate drop that is a regression, absolute (0.02 or 2%)")
	f.Var(&o.maxErrorRateIncrease, "max-error-rate-increase", "error-rate rise that is a regression, absolute (0.01 or 1%)")
	f.Var(&o.maxRateDrop, "max-rate-drop", "relative achieved-arrival-rate drop that is a regression (10% or 0.1)")
	return cmd
}

func compareRuns(env *Env, flags *pflag.FlagSet, args []string, o compareOptions) error {
	th, err := thresholdsFrom(flags, o)
	if err != nil {
		return err
	}
	var basePath, newPath string
	switch len(args) {
	case 2:
		basePath, newPath = args[0], args[1]
	case 1:
		newPath = args[0]
	case 0:
		newPath, err = latestRun(o.results)
		if err != nil {
			return err
		}
	}
	next, err := report.ReadSummary(newPath)
	if err != nil {
		return err
	}
	if basePath == "" {
		basePath, err = previousRun(runDir(newPath), next)
		if err != nil {
			return err
		}
	}
	base, err := report.ReadSummary(basePath)
	if err != nil {
		return err
	}
	c := report.Compare(runDir(basePath), base, runDir(newPath), next, th)

	var b bytes.Buffer
	switch o.format {
	case "text":
		err = report.CompareText(&b, c)
	case "html":
		err = report.CompareHTML(&b, c)
	case "json":
		var out []byte
		out, err = json.MarshalIndent(c, "", "  ")
		b.Write(append(out, '\n'))
	default:
		return withExit(ExitUsage, fmt.Errorf("--format %q: want text, html or json", o.format))
	}
	if err != nil {
		return err
	}
	if o.output == "" {
		if _, err := env.Stdout.Write(b.Bytes()); err != nil {
			return err
		}
	} else if err := os.WriteFile(o.output, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", o.output, err)
	}
	if o.junit != "" {
		if err := report.WriteJUnitFile(o.junit, report.CompareJUnit(c)); err != nil {
			return err
		}
	}
	if regs := c.Regressions(); o.failOnRegression && len(regs) > 0 {
		return withExit(ExitRegression, fmt.Errorf("%d metrics regressed", len(regs)))
	}
	return nil
}

// runDir is the results folder of a run given as a folder or its summary.json.
func runDir(path string) string {
	if fi, err := os.Stat(path); err == nil && !fi.IsDir() {
		return filepath.Dir(path)
	}
	return filepath.Clean(path)
}

// previousRun finds the run of the same scenario that started last before
// next, among the folders next to dir.
func previousRun(dir string, next *metrics.Summary) (string, error) {
	parent := filepath.Dir(dir)
	var best string
	var bestAt time.Time
	for _, cand := range runFolders(parent) {
		if filepath.Clean(cand) == filepath.Clean(dir) {
			continue
		}
		s, err := report.ReadSummary(cand)
		if err != nil || s.Scenario != next.Scenario || !s.StartedAt.Before(next.StartedAt) {
			continue
		}
		if best == "" || s.StartedAt.After(bestAt) {
			best, bestAt = cand, s.StartedAt
		}
	}
	if best == "" {
		return "", fmt.Errorf("no earlier run of scenario %q in %s to compare %s with; name the base run: compare BASE NEW", next.Scenario, parent, dir)
	}
	return best, nil
}

// latestRun is the most recently started run in results.
func latestRun(results string) (string, error) {
	var best string
	var bestAt time.Time
	for _, cand := range runFolders(results) {
		s, err := report.ReadSummary(cand)
		if err != nil {
			continue
		}
		if best == "" || s.StartedAt.After(bestAt) {
			best, bestAt = cand, s.StartedAt
		}
	}
	if best == "" {
		return "", fmt.Errorf("no runs with a summary.json in %s; run one with portalsim run, or name the runs: compare BASE NEW", results)
	}
	return best, nil
}

func runFolders(parent string) []string {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if _, err := os.Stat(filepath.Join(dir, report.SummaryFile)); err == nil {
			out = append(out, dir)
		}
	}
	return out
}

// thresholdsFrom starts from the defaults, applies --thresholds FILE and
// then every threshold flag the user set.
func thresholdsFrom(flags *pflag.FlagSet, o compareOptions) (report.Thresholds, error) {
	th := report.DefaultThresholds()
	if o.thresholdsFile != "" {
		if err := readThresholds(o.thresholdsFile, &th); err != nil {
			return th, err
		}
	}
	if flags.Changed("max-latency-increase") {
		th.MaxLatencyIncrease = float64(o.maxLatencyIncrease)
	}
	if flags.Changed("latency-floor") {
		th.LatencyFloorMS = float64(o.latencyFloor) / float64(time.Millisecond)
	}
	if flags.Changed("min-tail-samples") {
		th.MinTailSamples = o.minTailSamples
	}
	if flags.Changed("max-completion-drop") {
		th.MaxCompletionDrop = float64(o.maxCompletionDrop)
	}
	if flags.Changed("max-error-rate-increase") {
		th.MaxErrorRateIncrease = float64(o.maxErrorRateIncrease)
	}
	if flags.Changed("max-rate-drop") {
		th.MaxRateDrop = float64(o.maxRateDrop)
	}
	if err := th.Validate(); err != nil {
		return th, withExit(ExitUsage, err)
	}
	return th, nil
}

// thresholdsFile is the YAML form; values are written as in the flags
// ("20%", 0.2, "2ms").
type thresholdsFile struct {
	MaxLatencyIncrease   any `yaml:"max_latency_increase"`
	LatencyFloor         any `yaml:"latency_floor"`
	MinTailSamples       any `yaml:"min_tail_samples"`
	MaxCompletionDrop    any `yaml:"max_completion_drop"`
	MaxErrorRateIncrease any `yaml:"max_error_rate_increase"`
	MaxRateDrop          any `yaml:"max_rate_drop"`
}

func readThresholds(path string, th *report.Thresholds) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("thresholds: %w", err)
	}
	var f thresholdsFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.DisallowUnknownField()); err != nil {
		return fmt.Errorf("thresholds %s: %w", path, err)
	}
	var problems []string
	setFraction := func(name string, v any, dst *float64) {
		if v == nil {
			return
		}
		p, err := parseFraction(fmt.Sprint(v))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", name, err))
			return
		}
		*dst = p
	}
	setFraction("max_latency_increase", f.MaxLatencyIncrease, &th.MaxLatencyIncrease)
	setFraction("max_completion_drop", f.MaxCompletionDrop, &th.MaxCompletionDrop)
	setFraction("max_error_rate_increase", f.MaxErrorRateIncrease, &th.MaxErrorRateIncrease)
	setFraction("max_rate_drop", f.MaxRateDrop, &th.MaxRateDrop)
	if f.LatencyFloor != nil {
		s := fmt.Sprint(f.LatencyFloor)
		if d, err := time.ParseDuration(s); err == nil {
			th.LatencyFloorMS = float64(d) / float64(time.Millisecond)
		} else if ms, err := strconv.ParseFloat(s, 64); err == nil {
			th.LatencyFloorMS = ms
		} else {
			problems = append(problems, fmt.Sprintf("latency_floor: %q is not a duration such as 2ms", s))
		}
	}
	if f.MinTailSamples != nil {
		n, err := strconv.ParseUint(fmt.Sprint(f.MinTailSamples), 10, 64)
		if err != nil {
			problems = append(problems, fmt.Sprintf("min_tail_samples: %q is not a whole number", fmt.Sprint(f.MinTailSamples)))
		}
		th.MinTailSamples = n
	}
	if len(problems) > 0 {
		return fmt.Errorf("thresholds %s: %s", path, strings.Join(problems, "; "))
	}
	return nil
}

// fraction is a flag value written as a percentage ("20%") or a fraction
// of one ("0.2").
type fraction float64

func (f *fraction) String() string {
	return strconv.FormatFloat(float64(*f)*100, 'f', -1, 64) + "%"
}

func (f *fraction) Set(s string) error {
	v, err := parseFraction(s)
	if err != nil {
		return err
	}
	*f = fraction(v)
	return nil
}

func (f *fraction) Type() string { return "percent" }

// parseFraction reads "20%" as 0.2 and "0.2" as 0.2; a bare number above 1
// is refused because "20" is ambiguous.
func parseFraction(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%q is not a percentage such as 20%%", s)
		}
		return v / 100, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q is not a percentage (20%%) or a fraction (0.2)", s)
	}
	if v > 1 {
		return 0, fmt.Errorf("%q is ambiguous: write %s%% or %s", s, s, strconv.FormatFloat(v/100, 'f', -1, 64))
	}
	return v, nil
}
