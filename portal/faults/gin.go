package faults

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// ErrorWriter answers a request that a fault failed; the web package passes
// its own so injected errors look like every other error.
type ErrorWriter func(c *gin.Context, err error)

// Middleware applies route faults: the target is the request's method and
// matched gin pattern (c.FullPath()), e.g. "POST /api/v1/dossiers/:id/submit".
// Unmatched requests are never faulted. A nil write uses WriteError.
func (inj *Injector) Middleware(write ErrorWriter) gin.HandlerFunc {
	if write == nil {
		write = WriteError
	}
	return func(c *gin.Context) {
		if inj.Empty() || c.FullPath() == "" {
			c.Next()
			return
		}
		if err := inj.Apply(c.Request.Context(), RouteTarget(c.Request.Method, c.FullPath())); err != nil {
			write(c, err)
			c.Abort()
			return
		}
		c.Next()
	}
}

// DependencyMiddleware applies a dependency's fault before the handler, for
// dependencies the handler reaches through a concrete type that cannot be
// wrapped: the e-ID login routes (POST /api/v1/auth/otp, /auth/login) use
// it with target EID. A nil write uses WriteError.
func (inj *Injector) DependencyMiddleware(target string, write ErrorWriter) gin.HandlerFunc {
	if write == nil {
		write = WriteError
	}
	return func(c *gin.Context) {
		if err := inj.Apply(c.Request.Context(), target); err != nil {
			write(c, err)
			c.Abort()
			return
		}
		c.Next()
	}
}

// WriteError answers with the portal's JSON error shape: 503 for an
// injected fault or a request whose context ended while waiting.
func WriteError(c *gin.Context, err error) {
	code := portal.ErrorCode(err)
	if code == portal.EINTERNAL {
		code = portal.EUNAVAILABLE // the wait was cut short: the client left or timed out
	}
	c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"error": gin.H{
		"code": code, "message": portal.ErrorMessage(err),
	}})
}
