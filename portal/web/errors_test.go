package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

func TestStatusOf(t *testing.T) {
	tests := []struct {
		code      string
		hasFields bool
		want      int
	}{
		{portal.EINVALID, false, http.StatusBadRequest},
		{portal.EINVALID, true, http.StatusUnprocessableEntity},
		{portal.EUNAUTHORIZED, false, http.StatusUnauthorized},
		{portal.EFORBIDDEN, false, http.StatusForbidden},
		{portal.ENOTFOUND, false, http.StatusNotFound},
		{portal.ECONFLICT, false, http.StatusConflict},
		{portal.ETOOMANY, false, http.StatusTooManyRequests},
		{portal.EUNAVAILABLE, false, http.StatusServiceUnavailable},
		{portal.EINTERNAL, false, http.StatusInternalServerError},
		{codePayloadTooLarge, false, http.StatusRequestEntityTooLarge},
		{"made_up", false, http.StatusInternalServerError},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.code, tt.hasFields); got != tt.want {
			t.Errorf("StatusOf(%q, %v) = %d, want %d", tt.code, tt.hasFields, got, tt.want)
		}
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantMsg    string
		wantFields int
		wantHeader [2]string
	}{
		{"not found", portal.Errorf(portal.ENOTFOUND, "dossier %q not found", "d_1"), 404, "not_found", `dossier "d_1" not found`, 0, [2]string{}},
		{"wrapped domain error keeps its code", fmt.Errorf("submit: %w", portal.Errorf(portal.ECONFLICT, "already submitted")), 409, "conflict", "already submitted", 0, [2]string{}},
		{"validation", portal.ValidationError("2 problems", []portal.FieldError{{Field: "a", Message: "is required"}, {Field: "b", Message: "is required"}}), 422, "invalid", "2 problems", 2, [2]string{}},
		{"unauthorized challenges", portal.Errorf(portal.EUNAUTHORIZED, "token expired"), 401, "unauthorized", "token expired", 0, [2]string{"WWW-Authenticate", `Bearer realm="portalsim"`}},
		{"unavailable says when to retry", portal.Errorf(portal.EUNAVAILABLE, "busy"), 503, "unavailable", "busy", 0, [2]string{"Retry-After", "1"}},
		{"internal cause hidden", errors.New("disk I/O error at /var/secret.db"), 500, "internal", "internal error", 0, [2]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(w)
			c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
			writeError(c, tt.err)
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tt.wantStatus)
			}
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			if body.Error.Code != tt.wantCode || body.Error.Message != tt.wantMsg || len(body.Error.Fields) != tt.wantFields {
				t.Errorf("body %s, want code %s message %q and %d fields", w.Body, tt.wantCode, tt.wantMsg, tt.wantFields)
			}
			if strings.Contains(w.Body.String(), "secret") {
				t.Errorf("internal cause leaked: %s", w.Body)
			}
			if tt.wantHeader[0] != "" && w.Header().Get(tt.wantHeader[0]) != tt.wantHeader[1] {
				t.Errorf("%s = %q, want %q", tt.wantHeader[0], w.Header().Get(tt.wantHeader[0]), tt.wantHeader[1])
			}
		})
	}
}
