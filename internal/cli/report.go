package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/report"
)

type reportOptions struct {
	format string
	output string
	folder bool
}

func newReportCmd(env *Env) *cobra.Command {
	var o reportOptions
	cmd := &cobra.Command{
		Use:   "report DIR",
		Short: "Re-render a run's report (text, JSON, HTML or vegeta's plot) from its results folder",
		Long: `Re-render a run's report from what the run stored: summary.json for the
text, JSON and HTML reports, results.bin for vegeta's per-request plot.

DIR is a results folder (or its summary.json). The report goes to stdout,
or to --output FILE. --write-folder rewrites the folder's report.txt,
report.html and plot.html instead, e.g. after upgrading portalsim.`,
		Example: `  portalsim report results/20261125-093000-weekday
  portalsim report results/20261125-093000-weekday --format html --output /tmp/weekday.html
  portalsim report results/20261125-093000-weekday --format json | jq .completion_rate
  portalsim report results/20261125-093000-weekday --write-folder`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return renderReport(env, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "text, json, html or plot (vegeta's plot of results.bin)")
	f.StringVarP(&o.output, "output", "o", "", "write to this file instead of stdout")
	f.BoolVar(&o.folder, "write-folder", false, "rewrite report.txt, report.html and plot.html inside DIR")
	return cmd
}

func renderReport(env *Env, dir string, o reportOptions) error {
	s, err := report.ReadSummary(dir)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		dir = filepath.Dir(dir)
	}
	if o.folder {
		if o.output != "" {
			return withExit(ExitUsage, fmt.Errorf("--write-folder and --output do not go together"))
		}
		return writeReports(dir, s)
	}
	var render func(io.Writer) error
	switch o.format {
	case "text":
		render = func(w io.Writer) error { return report.Text(w, s) }
	case "json":
		render = func(w io.Writer) error {
			b, err := report.MarshalSummary(s)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		}
	case "html":
		render = func(w io.Writer) error {
			var opt report.HTMLOptions
			// Links are relative to the report; they only resolve when it
			// stays next to the run's files.
			if o.output == "" || filepath.Clean(filepath.Dir(o.output)) == filepath.Clean(dir) {
				if _, err := os.Stat(filepath.Join(dir, report.PlotFile)); err == nil {
					opt.PlotFile = report.PlotFile
				}
			}
			return report.HTML(w, s, opt)
		}
	case "plot":
		render = func(w io.Writer) error {
			f, err := os.Open(filepath.Join(dir, report.ResultsFile))
			if err != nil {
				return fmt.Errorf("plot: %w", err)
			}
			defer f.Close()
			return report.Plot(w, f, plotTitle(s))
		}
	default:
		return withExit(ExitUsage, fmt.Errorf("--format %q: want text, json, html or plot", o.format))
	}
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	if o.output == "" {
		_, err := env.Stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(o.output, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", o.output, err)
	}
	return nil
}

// writeReports (re)writes a results folder's report.txt, plot.html (when
// results.bin is there) and report.html, which links the plot.
func writeReports(dir string, s *metrics.Summary) error {
	if err := report.WriteText(dir, s); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, report.ResultsFile)); err == nil {
		if err := report.WritePlot(dir, plotTitle(s)); err != nil {
			return err
		}
	}
	return report.WriteHTML(dir, s)
}

func plotTitle(s *metrics.Summary) string {
	return fmt.Sprintf("portalsim %s — %s — latency of every request", s.Scenario, s.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC"))
}
