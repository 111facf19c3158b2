package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// Error codes only the HTTP layer produces: the domain never sees a request body.
const (
	codePayloadTooLarge = "payload_too_large"
)

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Fields  []portal.FieldError `json:"fields,omitempty"`
}

// StatusOf maps an error code to its HTTP status; hasFields tells an
// invalid request (400) from a well-formed one that failed validation (422).
// It is the one place where domain codes become statuses.
func StatusOf(code string, hasFields bool) int {
	switch code {
	case portal.EINVALID:
		if hasFields {
			return http.StatusUnprocessableEntity
		}
		return http.StatusBadRequest
	case portal.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case portal.EFORBIDDEN:
		return http.StatusForbidden
	case portal.ENOTFOUND:
		return http.StatusNotFound
	case portal.ECONFLICT:
		return http.StatusConflict
	case portal.ETOOMANY:
		return http.StatusTooManyRequests
	case portal.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case codePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case portal.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// writeError answers with the JSON error for err and aborts the chain.
// Users see the message of a domain error; the cause of anything else is
// only logged, with the request ID, so the two can be matched.
func writeError(c *gin.Context, err error) {
	code := portal.ErrorCode(err)
	if code == portal.EINTERNAL && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
		code = portal.EUNAVAILABLE // the request's deadline passed (or the client left): retryable
	}
	fields := portal.ErrorFields(err)
	status := StatusOf(code, len(fields) > 0)
	if status >= http.StatusInternalServerError {
		loggerFrom(c.Request.Context()).LogAttrs(c.Request.Context(), slog.LevelError, "request failed",
			slog.String("code", code), slog.String("error", err.Error()))
	}
	switch status {
	case http.StatusUnauthorized:
		c.Header("WWW-Authenticate", `Bearer realm="portalsim"`)
	case http.StatusServiceUnavailable, http.StatusTooManyRequests:
		c.Header("Retry-After", "1")
	}
	c.AbortWithStatusJSON(status, errorBody{Error: errorDetail{
		Code: code, Message: portal.ErrorMessage(err), Fields: fields,
	}})
}
