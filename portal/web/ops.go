package web

import (
	"github.com/gin-gonic/gin"
)

// metrics serves the Prometheus metrics of the portal's own registry
// (requests, shedding, dossiers by state, back office, payments, faults).
// It is unauthenticated, like the health probes: the simulator binds
// loopback unless told otherwise.
func (a *api) metrics(c *gin.Context) {
	a.metricsHandler.ServeHTTP(c.Writer, c.Request)
}
