package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/faults"
)

// Fault injection at runtime (admin role): the same faults as serve's
// --fault flags, as JSON.

type faultList struct {
	Faults []faults.Fault `json:"faults"`
}

func (a *api) listFaults(c *gin.Context) {
	if a.faults == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "fault injection is not configured"))
		return
	}
	c.JSON(http.StatusOK, faultList{Faults: a.faults.List()})
}

// putFaults sets one fault (a fault object: its target's fault is
// replaced, others stay) or the whole set ({"faults": [...]}: every other
// fault is cleared; an empty list clears all). It answers with every fault now set.
func (a *api) putFaults(c *gin.Context) {
	if a.faults == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "fault injection is not configured"))
		return
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(c, tooLarge(tooBig.Limit))
			return
		}
		writeError(c, portal.Errorf(portal.EINVALID, "read request body: %v", err))
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		writeError(c, portal.Errorf(portal.EINVALID, "invalid JSON: want a fault object or {\"faults\": [...]}: %v", err))
		return
	}
	if list, ok := fields["faults"]; ok {
		if len(fields) != 1 {
			writeError(c, portal.Errorf(portal.EINVALID, "give either one fault or {\"faults\": [...]}, not both"))
			return
		}
		var fs []faults.Fault
		if err := strictJSON(list, &fs); err != nil {
			writeError(c, err)
			return
		}
		if err := a.faults.Replace(fs...); err != nil {
			writeError(c, err)
			return
		}
	} else {
		var f faults.Fault
		if err := strictJSON(body, &f); err != nil {
			writeError(c, err)
			return
		}
		if err := a.faults.Set(f); err != nil {
			writeError(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, faultList{Faults: a.faults.List()})
}

// strictJSON decodes one JSON value (faults.Fault refuses unknown fields itself).
func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return portal.Errorf(portal.EINVALID, "invalid fault: %v", err)
	}
	if dec.More() {
		return portal.Errorf(portal.EINVALID, "invalid fault: unexpected data after the JSON value")
	}
	return nil
}

// deleteFault clears the fault of one target. A route target has spaces
// and slashes: send it URL-encoded, e.g. POST%20%2Fapi%2Fv1%2Fdossiers.
func (a *api) deleteFault(c *gin.Context) {
	if a.faults == nil {
		writeError(c, portal.Errorf(portal.EUNAVAILABLE, "fault injection is not configured"))
		return
	}
	target := strings.TrimPrefix(c.Param("target"), "/")
	if !a.faults.Clear(target) {
		writeError(c, portal.Errorf(portal.ENOTFOUND, "no fault is set on %s", fmt.Sprintf("%q", target)))
		return
	}
	c.Status(http.StatusNoContent)
}
