// Package ops is the portal's operational plumbing: Prometheus metrics on
// a dedicated registry, load shedding that keeps admitted requests fast
// under overload, and per-request timeouts. It is HTTP middleware and
// collectors; the domain knows nothing of it.
package ops

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/portalsim/portalsim/portal"
)

// UnmatchedRoute labels requests that matched no route, so that scanners
// and typos cannot blow up the number of time series.
const UnmatchedRoute = "unmatched"

// DurationBuckets are the request-duration histogram buckets, in seconds:
// 1 ms to 10 s, dense where a portal's SLOs usually sit.
var DurationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics holds the portal's Prometheus metrics on its own registry (never
// the global default one, so several portals can run in one process).
type Metrics struct {
	reg      *prometheus.Registry
	logger   *slog.Logger
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
	shed     prometheus.Counter
	payments *prometheus.CounterVec
}

// NewMetrics returns the HTTP, shedding and payment metrics, plus the Go
// runtime and process collectors, registered on a new registry. A nil
// logger uses slog.Default().
func NewMetrics(logger *slog.Logger) *Metrics {
	if logger == nil {
		logger = slog.Default()
	}
	m := &Metrics{
		reg:    prometheus.NewRegistry(),
		logger: logger,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portalsim_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portalsim_http_request_duration_seconds",
			Help:    "Time from receiving a request to finishing its response, by route pattern and method.",
			Buckets: DurationBuckets,
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portalsim_http_in_flight",
			Help: "Requests being handled now, including those about to be shed.",
		}),
		shed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portalsim_http_shed_total",
			Help: "Requests refused with 503 because too many were in flight.",
		}),
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portalsim_payments_total",
			Help: "E-payment events by outcome (started, paid, failed, duplicate, ignored, forged, stale, ...).",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.inFlight, m.shed, m.payments,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry, for registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Register adds collectors, e.g. the fault injector.
func (m *Metrics) Register(cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Handler serves the metrics in the Prometheus text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, ErrorLog: slog.NewLogLogger(m.logger.Handler(), slog.LevelError)})
}

// Middleware records every request by its route pattern (c.FullPath(),
// "unmatched" when none matched), method and status. Put it first, so
// shed and faulted requests are counted too.
func (m *Metrics) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		m.inFlight.Inc()
		defer m.inFlight.Dec()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = UnmatchedRoute
		}
		method := c.Request.Method
		m.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
		m.duration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

// ObservePayment counts a payment outcome; pass it as
// portal.PaymentService.Observe.
func (m *Metrics) ObservePayment(outcome string) { m.payments.WithLabelValues(outcome).Inc() }

// RegisterDossierStates adds portalsim_dossiers{status}, computed by count
// (e.g. the store's CountByStatus). The result is cached for ttl (default
// 1 s) so frequent scrapes do not load the database; a failed count keeps
// the previous figures and is logged.
func (m *Metrics) RegisterDossierStates(count func(ctx context.Context) (map[portal.Status]int, error), ttl time.Duration) error {
	if ttl <= 0 {
		ttl = time.Second
	}
	return m.reg.Register(&dossierStates{
		desc:   prometheus.NewDesc("portalsim_dossiers", "Dossiers by lifecycle status.", []string{"status"}, nil),
		count:  count,
		ttl:    ttl,
		logger: m.logger,
	})
}

// RegisterOfficers adds portalsim_officer_queue_length (dossiers waiting
// for an officer) and portalsim_officer_utilisation (busy share of
// officers on duty, 0–1), read from the back office at each scrape.
func (m *Metrics) RegisterOfficers(queueLength, utilisation func() float64) error {
	return m.Register(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portalsim_officer_queue_length",
			Help: "Dossiers waiting for an officer.",
		}, queueLength),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portalsim_officer_utilisation",
			Help: "Share of officers on duty who are busy, 0 to 1.",
		}, utilisation),
	)
}

type dossierStates struct {
	desc   *prometheus.Desc
	count  func(ctx context.Context) (map[portal.Status]int, error)
	ttl    time.Duration
	logger *slog.Logger

	mu   sync.Mutex
	at   time.Time
	last map[portal.Status]int
}

func (d *dossierStates) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

func (d *dossierStates) Collect(ch chan<- prometheus.Metric) {
	d.mu.Lock()
	if d.last == nil || time.Since(d.at) >= d.ttl {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		counts, err := d.count(ctx)
		cancel()
		if err != nil {
			d.logger.Warn("count dossiers by status for metrics", slog.String("error", err.Error()))
		} else {
			d.last, d.at = counts, time.Now()
		}
	}
	counts := d.last
	d.mu.Unlock()
	if counts == nil {
		return
	}
	for _, s := range portal.Statuses {
		ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(counts[s]), string(s))
	}
	for s, n := range counts {
		if !s.Valid() {
			ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, float64(n), string(s))
		}
	}
}
