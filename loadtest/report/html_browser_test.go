package report

import (
	"context"
	"github.com/portalsim/portalsim/internal/testenv"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserEvents collects what a page did that the report must never do:
// console errors, uncaught exceptions and network requests.
type browserEvents struct {
	mu       sync.Mutex
	problems []string
	requests []string
}

func (e *browserEvents) add(list *[]string, s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	*list = append(*list, s)
}

func (e *browserEvents) snapshot() (problems, requests []string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.problems...), append([]string(nil), e.requests...)
}

func newBrowser(t *testing.T) (context.Context, *browserEvents) {
	t.Helper()
	alloc, cancelAlloc := testenv.Chromium(t)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })

	ev := &browserEvents{}
	err := chromedp.Listen(ctx, func(e any) {
		switch e := e.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				ev.add(&ev.problems, "console."+string(e.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			msg := "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			ev.add(&ev.problems, msg)
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
				ev.add(&ev.problems, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			ev.add(&ev.requests, e.Request.URL)
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// chromedp enables the Runtime, Log and Network domains of every tab.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx, ev
}

// TestHTMLReportInChromium opens report.html and plot.html from a run
// folder in headless Chromium: the charts render (SVG elements with size),
// Vietnamese text survives, nothing is logged as an error and the only
// request each page makes is for the file itself.
func TestHTMLReportInChromium(t *testing.T) {
	ctx, ev := newBrowser(t)
	dir := t.TempDir()
	s := vietnameseSummary(t)
	writeResults(t, dir, 200)
	if err := WritePlot(dir, "Đăng ký khai sinh — latency"); err != nil {
		t.Fatal(err)
	}
	if err := WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(dir, s); err != nil {
		t.Fatal(err)
	}
	reportURL := (&url.URL{Scheme: "file", Path: filepath.Join(dir, HTMLFile)}).String()

	if err := chromedp.Do(ctx, chromedp.Navigate(reportURL), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
		t.Fatalf("open report.html: %v", err)
	}
	eval := func(expr string) int {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	text := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return v
	}
	charts := eval(`document.querySelectorAll('svg.chart').length`)
	marks := eval(`document.querySelectorAll('svg.chart polyline, svg.chart rect.bar, svg.chart circle.series').length`)
	// A chart without height (an unclosed <svg>, a CSS slip) shows nothing.
	flat := eval(`[...document.querySelectorAll('svg.chart')].filter(e => e.getBoundingClientRect().height < 40).length`)
	if charts < 8 || marks < 20 || flat != 0 {
		t.Errorf("report.html rendered %d charts with %d marks, %d of them without height", charts, marks, flat)
	}
	charset, body, title := text(`document.characterSet`), text(`document.body.innerText`), text(`document.title`)
	if charset != "UTF-8" || !strings.Contains(body, "Đăng ký khai sinh và cấp thẻ BHYT cho trẻ dưới 6 tuổi.") || !strings.Contains(title, "synthetic") {
		t.Errorf("charset %q, title %q; Vietnamese description missing from the rendered text", charset, title)
	}

	if err := chromedp.Do(ctx, chromedp.Navigate((&url.URL{Scheme: "file", Path: filepath.Join(dir, PlotFile)}).String()),
		chromedp.WaitVisible(chromedp.CSS(".uplot"))); err != nil {
		t.Fatalf("open plot.html: %v", err)
	}
	if canvases, plotText := eval(`document.querySelectorAll('.uplot canvas').length`), text(`document.body.innerText`); canvases == 0 || !strings.Contains(plotText, "Đăng ký khai sinh — latency") {
		t.Errorf("plot.html: %d uPlot canvases, text %.200q", canvases, plotText)
	}

	problems, requests := ev.snapshot()
	for _, p := range problems {
		t.Errorf("browser reported: %s", p)
	}
	for _, r := range requests {
		if !strings.HasPrefix(r, "file://"+dir+"/") {
			t.Errorf("a page made a request outside its run folder: %s", r)
		}
	}
	if len(requests) != 2 {
		t.Errorf("requests %q, want only report.html and plot.html", requests)
	}
}
