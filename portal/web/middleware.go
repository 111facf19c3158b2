package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// HeaderRequestID carries a request's correlation ID in both directions.
const HeaderRequestID = "X-Request-ID"

type ctxKey int

const (
	loggerKey ctxKey = iota
	principalKey
)

// loggerFrom returns the request-scoped logger (with the request ID).
func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// principalFrom returns the authenticated caller; only routes behind
// authenticate have one.
func principalFrom(ctx context.Context) (portal.Principal, bool) {
	p, ok := ctx.Value(principalKey).(portal.Principal)
	return p, ok
}

// withValue stores v in the request's context, where handlers (which only
// get the context, never *gin.Context) can find it.
func withValue(c *gin.Context, key ctxKey, v any) {
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), key, v))
}

// requestID takes the caller's X-Request-ID when it is a sane token, or
// makes one, and puts it in the response and the request's logger.
func requestID(base *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(HeaderRequestID)
		if !validRequestID(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Header(HeaderRequestID, id)
		withValue(c, loggerKey, base.With(slog.String("request_id", id)))
		c.Next()
	}
}

// validRequestID accepts up to 128 characters of [A-Za-z0-9._:-], so a
// caller's ID cannot inject anything into logs or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r)
		if !ok {
			return false
		}
	}
	return true
}

// accessLog writes one structured line per request. Health probes are
// skipped: orchestrators poll them every few seconds.
func accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if c.Request.URL.Path == "/healthz" {
			return
		}
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		attrs := []slog.Attr{
			slog.String("method", c.Request.Method),
			slog.String("route", route),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", c.Writer.Status()),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("remote", c.ClientIP()),
		}
		if p, ok := principalFrom(c.Request.Context()); ok {
			attrs = append(attrs, slog.String("role", string(p.Role)))
		}
		ctx := c.Request.Context()
		loggerFrom(ctx).LogAttrs(ctx, slog.LevelInfo, "request", attrs...)
	}
}

// recovery turns a panic into the JSON internal error and logs the stack;
// the server keeps serving.
func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel re-panicked by net/http
				panic(v)
			}
			ctx := c.Request.Context()
			loggerFrom(ctx).LogAttrs(ctx, slog.LevelError, "panic",
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			writeError(c, fmt.Errorf("panic: %v", v))
		}()
		c.Next()
	}
}

// limitBody caps request bodies at limit bytes. A declared Content-Length
// over the cap is refused before reading; otherwise decodeJSON reports the
// overflow when the reader hits it.
func limitBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			writeError(c, tooLarge(limit))
			return
		}
		if c.Request.Body != nil && c.Request.Body != http.NoBody {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

func tooLarge(limit int64) error {
	return portal.Errorf(codePayloadTooLarge, "request body is larger than the limit of %d bytes", limit)
}

// authenticate resolves the bearer token to a principal or answers 401.
func authenticate(auth *portal.AuthService) gin.HandlerFunc {
	return func(c *gin.Context) {
		token, err := bearerToken(c.Request)
		if err != nil {
			writeError(c, err)
			return
		}
		p, err := auth.Authenticate(c.Request.Context(), token)
		if err != nil {
			writeError(c, err)
			return
		}
		withValue(c, principalKey, p)
		c.Next()
	}
}

// bearerToken extracts the token of an "Authorization: Bearer <token>" header.
func bearerToken(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", portal.Errorf(portal.EUNAUTHORIZED, "missing Authorization: Bearer <token> header")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return "", portal.Errorf(portal.EUNAUTHORIZED, "Authorization header must be \"Bearer <token>\"")
	}
	return strings.TrimSpace(token), nil
}

// requireRole lets only the given roles through (after authenticate).
func requireRole(roles ...portal.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := principalFrom(c.Request.Context())
		if !ok {
			writeError(c, portal.Errorf(portal.EUNAUTHORIZED, "authentication required"))
			return
		}
		if !slices.Contains(roles, p.Role) {
			writeError(c, portal.Errorf(portal.EFORBIDDEN, "this action is for %s accounts; you are signed in as %s", joinRoles(roles), p.Role))
			return
		}
		c.Next()
	}
}

func joinRoles(roles []portal.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}
