package ops

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// ShedConfig bounds the requests the portal works on at once.
type ShedConfig struct {
	// MaxInFlight is how many requests may be handled at once; 0 disables shedding.
	MaxInFlight int
	// QueueWait is how long a request over the limit may wait for a free
	// slot before it is shed. A few tens of milliseconds absorb the bursts
	// of a Poisson arrival stream near capacity without letting a queue
	// build up: an admitted request's latency stays within QueueWait plus
	// its own service time. 0 sheds at once.
	QueueWait time.Duration
	// Exempt paths are never shed (default /healthz and /metrics), so
	// probes and scrapes still answer under overload.
	Exempt []string
}

// DefaultQueueWait is the queue wait the portal uses unless told otherwise.
const DefaultQueueWait = 25 * time.Millisecond

// shedBody is the JSON error of a shed request, encoded once.
var shedBody = []byte(`{"error":{"code":"unavailable","message":"server busy, retry later"}}`)

// Shed returns middleware that admits at most cfg.MaxInFlight requests at
// once and answers the rest at once (after at most cfg.QueueWait) with 503,
// Retry-After: 1 and a JSON error, counting them in portalsim_http_shed_total.
// Under overload the portal then serves what it can at normal latency
// instead of queueing everyone into timeouts.
func (m *Metrics) Shed(cfg ShedConfig) gin.HandlerFunc {
	if cfg.MaxInFlight <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	exempt := map[string]bool{"/healthz": true, "/metrics": true}
	if cfg.Exempt != nil {
		exempt = map[string]bool{}
		for _, p := range cfg.Exempt {
			exempt[p] = true
		}
	}
	slots := make(chan struct{}, cfg.MaxInFlight)
	return func(c *gin.Context) {
		if exempt[c.Request.URL.Path] {
			c.Next()
			return
		}
		select {
		case slots <- struct{}{}:
		default:
			if !waitForSlot(c.Request.Context(), slots, cfg.QueueWait) {
				m.shed.Inc()
				c.Header("Retry-After", "1")
				c.Data(http.StatusServiceUnavailable, "application/json; charset=utf-8", shedBody)
				c.Abort()
				return
			}
		}
		defer func() { <-slots }()
		c.Next()
	}
}

func waitForSlot(ctx context.Context, slots chan struct{}, wait time.Duration) bool {
	if wait <= 0 {
		return false
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// timeoutBody is the JSON error of a request that ran out of time.
var timeoutBody = []byte(`{"error":{"code":"unavailable","message":"request timed out, retry later"}}`)

// Timeout gives every request a context deadline of d, so the database,
// dependencies and injected latency stop waiting when it passes. If the
// handler wrote nothing by then, the client gets a 503 JSON error. Handlers
// should map context.DeadlineExceeded to 503 as well. d <= 0 disables it.
func Timeout(d time.Duration) gin.HandlerFunc {
	if d <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) && !c.Writer.Written() {
			c.Header("Retry-After", "1")
			c.Data(http.StatusServiceUnavailable, "application/json; charset=utf-8", timeoutBody)
			c.Abort()
		}
	}
}
