package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/tidwall/gjson"

	"github.com/portalsim/portalsim/loadtest/metrics"
)

// thisMachine describes the computer running portalsim, for summary.json.
func thisMachine() *metrics.Machine {
	host, _ := os.Hostname()
	return &metrics.Machine{Hostname: host, GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
}

// The embedded portal's gauges and counters read from /metrics.
const (
	metricQueueLength = "portalsim_officer_queue_length"
	metricUtilisation = "portalsim_officer_utilisation"
	metricInFlight    = "portalsim_http_in_flight"
	metricShed        = "portalsim_http_shed_total"
	metricDossiers    = "portalsim_dossiers"
)

// portalWatcher samples the embedded portal's own view of the run (officer
// queue, utilisation, requests in flight, shed requests) every interval,
// and at the end adds dossier counts and the service-quality indicators.
type portalWatcher struct {
	base   string
	client *http.Client
	start  time.Time
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once

	mu      sync.Mutex
	samples []metrics.PortalSample
	dossier map[string]uint64
	errs    []string
}

// watchPortal starts sampling base every interval until finish.
func watchPortal(base string, start time.Time, every time.Duration) *portalWatcher {
	w := &portalWatcher{base: strings.TrimSuffix(base, "/"), client: &http.Client{Timeout: 5 * time.Second},
		start: start, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(every)
		defer t.Stop()
		w.sample(context.Background())
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.sample(context.Background())
			}
		}
	}()
	return w
}

// sampleEvery spreads about 300 samples over the run, at most one a second.
func sampleEvery(runLength time.Duration) time.Duration {
	return max(time.Second, (runLength / 300).Round(time.Second))
}

func (w *portalWatcher) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	msg := err.Error()
	if len(w.errs) < 5 && !slices.Contains(w.errs, msg) {
		w.errs = append(w.errs, msg)
	}
}

func (w *portalWatcher) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return body, nil
}

// sample scrapes /metrics once.
func (w *portalWatcher) sample(ctx context.Context) {
	at := time.Since(w.start).Seconds()
	body, err := w.get(ctx, "/metrics")
	if err != nil {
		w.fail(err)
		return
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		w.fail(fmt.Errorf("parse /metrics: %w", err))
		return
	}
	value := func(name string) float64 {
		f := families[name]
		if f == nil || len(f.Metric) == 0 {
			return 0
		}
		return metricValue(f.Metric[0])
	}
	s := metrics.PortalSample{
		T:                  round3(at),
		QueueLength:        value(metricQueueLength),
		OfficerUtilisation: value(metricUtilisation),
		// The scrape itself is one of the requests in flight.
		InFlight:  max(0, value(metricInFlight)-1),
		ShedTotal: value(metricShed),
	}
	dossiers := map[string]uint64{}
	if f := families[metricDossiers]; f != nil {
		for _, m := range f.Metric {
			for _, l := range m.GetLabel() {
				if l.GetName() == "status" && metricValue(m) > 0 {
					dossiers[l.GetValue()] = uint64(metricValue(m))
				}
			}
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.samples = append(w.samples, s)
	w.dossier = dossiers
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// stopSampling ends the periodic scrapes; it may be called more than once.
func (w *portalWatcher) stopSampling() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

// finish stops sampling, takes a last sample and the indicators, and
// returns summary.json's portal section; nil when nothing was scraped.
func (w *portalWatcher) finish(ctx context.Context) *metrics.Portal {
	w.stopSampling()
	w.sample(ctx)
	p := &metrics.Portal{Source: w.base}
	if body, err := w.get(ctx, "/api/v1/indicators"); err != nil {
		w.fail(err)
	} else {
		// The ratios of the "overall" object; an undefined one (nothing to
		// judge yet) is null there and left out here.
		overall := gjson.GetBytes(body, "overall")
		for _, name := range []string{"on_time", "online_submission", "full_process_dossiers", "online_payment", "digitised_results", "satisfaction"} {
			if v := overall.Get(name + ".value"); v.Exists() && v.Type == gjson.Number {
				if p.Indicators == nil {
					p.Indicators = map[string]float64{}
				}
				p.Indicators[name] = v.Float()
			}
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	p.Samples, p.Dossiers, p.Errors = w.samples, w.dossier, w.errs
	if len(p.Samples) == 0 && p.Indicators == nil {
		if len(p.Errors) == 0 {
			return nil
		}
		return p
	}
	var util float64
	for _, s := range p.Samples {
		p.QueueLengthMax = max(p.QueueLengthMax, s.QueueLength)
		util += s.OfficerUtilisation
	}
	if n := len(p.Samples); n > 0 {
		p.OfficerUtilisationMean = round3(util / float64(n))
		p.ShedRequests = uint64(max(0, p.Samples[n-1].ShedTotal-p.Samples[0].ShedTotal))
	}
	if len(p.Dossiers) == 0 {
		p.Dossiers = nil
	}
	return p
}
