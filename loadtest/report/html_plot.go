package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"github.com/tsenart/vegeta/v12/lib/plot"
)

// PlotFile is vegeta's interactive latency plot of every request, made
// from results.bin. report.html links it; it inlines its own script
// (uPlot), so it works offline too.
const PlotFile = "plot.html"

// plotThreshold is how many points per series vegeta keeps (it
// downsamples with LTTB beyond that), so plot.html stays a few hundred
// kilobytes however long the run.
const plotThreshold = 4000

// Plot renders vegeta's plot of the results stream r.
func Plot(w io.Writer, r io.Reader, title string) error {
	p := plot.New(plot.Title(title), plot.Downsample(plotThreshold), plot.Label(plot.ErrorLabeler))
	dec := vegeta.NewDecoder(r)
	for {
		var res vegeta.Result
		if err := dec.Decode(&res); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("read results: %w", err)
		}
		if err := p.Add(&res); err != nil {
			return fmt.Errorf("plot: %w", err)
		}
	}
	p.Close()
	_, err := p.WriteTo(w)
	return err
}

// WritePlot writes dir/plot.html from dir/results.bin.
func WritePlot(dir, title string) error {
	f, err := os.Open(filepath.Join(dir, ResultsFile))
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	defer f.Close()
	return writeFile(filepath.Join(dir, PlotFile), func(w io.Writer) error {
		return Plot(w, bufio.NewReaderSize(f, 256<<10), title)
	})
}
