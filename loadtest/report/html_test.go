package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/portalsim/portalsim/loadtest/metrics"
)

// vietnameseSummary is the synthetic run with a Vietnamese description,
// machine and version, and the embedded portal's own figures.
func vietnameseSummary(t *testing.T) *metrics.Summary {
	t.Helper()
	s := syntheticSummary(t)
	s.Description = "Đăng ký khai sinh và cấp thẻ BHYT cho trẻ dưới 6 tuổi.\n\nGiờ cao điểm <buổi sáng> & \"thứ Hai\"."
	s.Version = "v1.2.3-test"
	s.Machine = &metrics.Machine{Hostname: "máy-kiểm-thử", GOOS: "linux", GOARCH: "amd64", CPUs: 2, GoVersion: "go1.26"}
	s.Portal = &metrics.Portal{
		Source: "http://127.0.0.1:8080",
		Samples: []metrics.PortalSample{
			{T: 0, QueueLength: 0, OfficerUtilisation: 0, InFlight: 1},
			{T: 5, QueueLength: 12, OfficerUtilisation: 0.8, InFlight: 4, ShedTotal: 2},
			{T: 10, QueueLength: 7, OfficerUtilisation: 1, InFlight: 2, ShedTotal: 3},
		},
		QueueLengthMax: 12, OfficerUtilisationMean: 0.6, ShedRequests: 3,
		Dossiers:   map[string]uint64{"submitted": 10, "processing": 4, "completed": 2},
		Indicators: map[string]float64{"on_time": 0.95, "online_submission": 1},
	}
	applied := s.StartedAt.Add(2 * time.Second)
	s.Faults = []metrics.FaultRecord{{Route: "POST /api/v1/dossiers/:id/submit", Targets: []string{"POST /api/v1/dossiers/:id/submit"},
		LatencyMS: 200, ErrorRate: 0.1, StartS: 2, EndS: 6, AppliedAt: &applied}}
	return s
}

func renderHTML(t *testing.T, s *metrics.Summary, o HTMLOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, s, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// externalRef finds src/href attributes (and CSS url()) that would make the
// browser fetch something: anything but an in-page anchor or a file of the
// run folder.
var externalRef = regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?\s*(https?:|//|data:|javascript:)|url\(\s*["']?(https?:|//)|@import`)

func TestHTMLReportIsSelfContained(t *testing.T) {
	page := renderHTML(t, vietnameseSummary(t), HTMLOptions{PlotFile: PlotFile, Files: []string{SummaryFile}})

	for _, want := range []string{
		`<html lang="en">`, `<meta charset="utf-8">`,
		"Đăng ký khai sinh và cấp thẻ BHYT cho trẻ dưới 6 tuổi.",  // raw UTF-8, not entities
		"Giờ cao điểm &lt;buổi sáng&gt; &amp; &#34;thứ Hai&#34;.", // escaped, never markup
		"máy-kiểm-thử (linux/amd64, 2 CPUs, go1.26)", "v1.2.3-test",
		"http://127.0.0.1:8080 (embedded)", "42",
		"step(submit).p95 &lt; 800ms", `no requests for step &#34;nope&#34; in this run`,
		`<span class="badge fail">FAIL</span>`,
		"Funnel: apply", "Funnel: lookup", "1.001612", "2.000001",
		"503 Service Unavailable", "The portal's own view", "on time", "95.0%", "processing",
		`<a href="plot.html">plot.html</a>`, `<a href="summary.json">summary.json</a>`,
		"Injected faults", "POST /api/v1/dossiers/:id/submit: latency 200 ms, 10.0% errors", `class="band"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if m := externalRef.FindString(page); m != "" {
		t.Errorf("report.html refers to something outside the file: %q", m)
	}
	if strings.Contains(page, "<script") {
		t.Error("report.html has a script; it must work with scripts disabled")
	}
	checkSVGs(t, page, 8)
}

// checkSVGs checks that page has at least min inline SVG charts and that
// each is well-formed XML.
func checkSVGs(t *testing.T, page string, min int) {
	t.Helper()
	opens, closes := strings.Count(page, "<svg"), strings.Count(page, "</svg>")
	if opens != closes || opens < min {
		t.Fatalf("%d <svg> and %d </svg>, want at least %d matching", opens, closes, min)
	}
	for i, svg := range regexp.MustCompile(`(?s)<svg.*?</svg>`).FindAllString(page, -1) {
		d := xml.NewDecoder(strings.NewReader(svg))
		d.Strict = true
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("svg %d is not well-formed: %v\n%.300s", i, err, svg)
			}
		}
	}
}

func TestHTMLReportWithoutOptionalSections(t *testing.T) {
	s := syntheticSummary(t)
	s.SLOs, s.Passed = nil, true
	s.TimeSeries.Points = nil
	page := renderHTML(t, s, HTMLOptions{})
	for _, want := range []string{`<span class="badge pass">PASS</span>`, "states no SLOs", "no data"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, unwanted := range []string{"The portal's own view", "plot.html", "Machine"} {
		if strings.Contains(page, unwanted) {
			t.Errorf("report.html has %q without the data for it", unwanted)
		}
	}
	checkSVGs(t, page, 4)
}

func TestWriteHTMLAndPlot(t *testing.T) {
	dir := t.TempDir()
	s := syntheticSummary(t)
	writeResults(t, dir, 50)
	if err := WriteSummary(dir, s); err != nil {
		t.Fatal(err)
	}
	if err := WritePlot(dir, "synthetic — Đăng ký khai sinh"); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(dir, s); err != nil {
		t.Fatal(err)
	}
	plot, err := os.ReadFile(filepath.Join(dir, PlotFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"uPlot", "synthetic — Đăng ký khai sinh", `synthetic: OK"`, `synthetic: ERROR"`} {
		if !bytes.Contains(plot, []byte(want)) {
			t.Errorf("plot.html lacks %q", want)
		}
	}
	if m := externalRef.Find(plot); m != nil {
		t.Errorf("plot.html refers to something outside the file: %q", m)
	}
	page, err := os.ReadFile(filepath.Join(dir, HTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`href="plot.html"`, `href="summary.json"`, `href="results.bin"`} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report.html lacks %s", want)
		}
	}
	if bytes.Contains(page, []byte(`href="journeys.jsonl"`)) {
		t.Error("report.html links journeys.jsonl, which is not in the folder")
	}
}

// writeResults writes n requests to dir/results.bin as the engine does:
// vegeta's gob stream, every tenth a 503.
func writeResults(t *testing.T, dir string, n int) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	enc := vegeta.NewEncoder(f)
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	for i := range n {
		r := vegeta.Result{Attack: "synthetic", Seq: uint64(i), Code: 200, Method: "GET", URL: "http://127.0.0.1/api/v1/procedures",
			Timestamp: start.Add(time.Duration(i) * 100 * time.Millisecond), Latency: time.Duration(5+i%7) * time.Millisecond}
		if i%10 == 9 {
			r.Code, r.Error = 503, "503 Service Unavailable"
		}
		if err := enc.Encode(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestNiceStep(t *testing.T) {
	for _, c := range []struct {
		span float64
		n    int
		want float64
	}{{4, 5, 1}, {80, 5, 20}, {13, 8, 2}, {0, 5, 1}, {0.03, 5, 0.01}, {3600, 8, 500}, {1e6, 5, 200000}} {
		if got := niceStep(c.span, c.n); got != c.want {
			t.Errorf("niceStep(%v, %d) = %v, want %v", c.span, c.n, got, c.want)
		}
	}
}
