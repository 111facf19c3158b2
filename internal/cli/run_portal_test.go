package cli

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/report"
)

// fakePortal serves /metrics whose queue grows by one per scrape and
// fixed indicators, like the embedded portal's routes.
func fakePortal(t *testing.T, indicators bool) *httptest.Server {
	var scrapes atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		n := scrapes.Add(1)
		fmt.Fprintf(w, `# HELP portalsim_officer_queue_length Dossiers waiting for an officer.
# TYPE portalsim_officer_queue_length gauge
portalsim_officer_queue_length %d
# TYPE portalsim_officer_utilisation gauge
portalsim_officer_utilisation 0.5
# TYPE portalsim_http_in_flight gauge
portalsim_http_in_flight 3
# TYPE portalsim_http_shed_total counter
portalsim_http_shed_total %d
# TYPE portalsim_dossiers gauge
portalsim_dossiers{status="submitted"} 7
portalsim_dossiers{status="draft"} 0
portalsim_dossiers{status="completed"} 2
`, n, 2*n)
	})
	if indicators {
		mux.HandleFunc("GET /api/v1/indicators", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"overall":{"submitted":9,"on_time":{"num":3,"den":4,"value":0.75},"satisfaction":{"num":0,"den":0,"value":null},"online_submission":{"num":9,"den":9,"value":1}}}`)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestPortalWatcher(t *testing.T) {
	srv := fakePortal(t, true)
	w := watchPortal(srv.URL, time.Now(), 20*time.Millisecond)
	time.Sleep(70 * time.Millisecond)
	p := w.finish(context.Background())
	if p == nil || len(p.Samples) < 3 {
		t.Fatalf("portal section %+v, want at least 3 samples", p)
	}
	n := len(p.Samples)
	last := p.Samples[n-1]
	if p.QueueLengthMax != float64(n) || last.InFlight != 2 || p.OfficerUtilisationMean != 0.5 || p.ShedRequests != uint64(2*(n-1)) {
		t.Errorf("samples %+v: queue max %v, utilisation %v, shed %d", p.Samples, p.QueueLengthMax, p.OfficerUtilisationMean, p.ShedRequests)
	}
	if len(p.Dossiers) != 2 || p.Dossiers["submitted"] != 7 || p.Dossiers["completed"] != 2 {
		t.Errorf("dossiers %v, want the non-zero statuses", p.Dossiers)
	}
	if len(p.Indicators) != 2 || p.Indicators["on_time"] != 0.75 || p.Indicators["online_submission"] != 1 {
		t.Errorf("indicators %v: want on_time and online_submission, not the undefined satisfaction", p.Indicators)
	}
	if len(p.Errors) != 0 || p.Source != srv.URL {
		t.Errorf("errors %q, source %q", p.Errors, p.Source)
	}
}

func TestPortalWatcherSaysWhatFailed(t *testing.T) {
	srv := fakePortal(t, false)
	p := watchPortal(srv.URL, time.Now(), time.Hour).finish(context.Background())
	if p == nil || len(p.Samples) != 2 || p.Indicators != nil || len(p.Errors) != 1 || !strings.Contains(p.Errors[0], "GET /api/v1/indicators: status 404") {
		t.Errorf("portal section %+v", p)
	}
	// Nothing listening: the section explains why it is empty.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	p = watchPortal(url, time.Now(), time.Hour).finish(context.Background())
	if p == nil || len(p.Samples) != 0 || len(p.Errors) == 0 {
		t.Errorf("dead portal: %+v", p)
	}
}

func TestSampleEvery(t *testing.T) {
	for _, c := range []struct{ run, want time.Duration }{{12 * time.Second, time.Second}, {10 * time.Minute, 2 * time.Second}, {time.Hour, 12 * time.Second}} {
		if got := sampleEvery(c.run); got != c.want {
			t.Errorf("sampleEvery(%s) = %s, want %s", c.run, got, c.want)
		}
	}
}

// TestRunWritesReportsAndJUnit runs a tiny scenario against the embedded
// portal: the folder gets report.html and plot.html, summary.json the
// machine, version and the portal's own figures, and --junit one test case
// per SLO (the failing one with its measured value), exit code unchanged.
func TestRunWritesReportsAndJUnit(t *testing.T) {
	out := t.TempDir()
	junit := filepath.Join(t.TempDir(), "run.xml")
	code, stdout, stderr := runCLI(t, "run", tinyScenario(t, "http.p99 < 1us"), "--out", out, "--quiet", "--junit", junit)
	if code != ExitSLOFailed {
		t.Fatalf("exit %d, want %d\n%s%s", code, ExitSLOFailed, stdout, stderr)
	}
	dir := onlyDir(t, out)
	for _, f := range []string{report.HTMLFile, report.PlotFile} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	s, err := report.ReadSummary(dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != Version || s.Machine == nil || s.Machine.CPUs == 0 || s.Machine.GOOS == "" {
		t.Errorf("summary.json: version %q, machine %+v", s.Version, s.Machine)
	}
	if s.Portal == nil || len(s.Portal.Samples) == 0 || len(s.Portal.Errors) != 0 || !strings.HasPrefix(s.Portal.Source, "http://127.0.0.1:") {
		t.Errorf("summary.json portal section %+v", s.Portal)
	}
	page, _ := os.ReadFile(filepath.Join(dir, report.HTMLFile))
	for _, want := range []string{"The portal's own view", `href="plot.html"`, "FAIL"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc report.JUnitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Tests != 2 || doc.Failures != 1 || !strings.Contains(string(b), `message="http.p99 &lt; 1us: measured`) {
		t.Errorf("junit: %d tests, %d failures\n%s", doc.Tests, doc.Failures, b)
	}
}
