package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/faults"
)

type faultData struct {
	Available    bool
	Faults       []faults.Fault
	Dependencies []string
	Target       string
	Latency      string
	ErrorRate    string
	Outage       bool
}

func (s *server) faultPanel(c *gin.Context) {
	v := s.newView(c, "faults.title", s.faultData())
	v.Nav = "admin"
	s.render(c, http.StatusOK, "faults", v)
}

func (s *server) faultData() *faultData {
	d := &faultData{Available: s.d.Faults != nil, Dependencies: faults.Dependencies, ErrorRate: "0"}
	if s.d.Faults != nil {
		d.Faults = s.d.Faults.List()
	}
	return d
}

// setFault turns a dependency's latency, error rate or outage on, at once,
// for the class to watch the dashboard react.
func (s *server) setFault(c *gin.Context) {
	if s.d.Faults == nil {
		s.fail(c, http.StatusNotImplemented, s.t(s.lang(c), "err.no_faults"))
		return
	}
	d := s.faultData()
	d.Target = strings.TrimSpace(c.PostForm("target"))
	d.Latency = strings.TrimSpace(c.PostForm("latency"))
	d.ErrorRate = strings.TrimSpace(c.PostForm("error_rate"))
	d.Outage = c.PostForm("outage") == "true"
	v := s.newView(c, "faults.title", d)
	v.Nav = "admin"
	f := faults.Fault{Target: d.Target, Outage: d.Outage}
	if d.Latency != "" {
		lat, err := faults.ParseLatency(d.Latency)
		if err != nil {
			v.Fields = append(v.Fields, fieldProblem{Anchor: "latency", Label: s.t(v.L, "faults.latency"), Message: err.Error()})
		}
		f.Latency = lat
	}
	if d.ErrorRate != "" {
		rate, err := strconv.ParseFloat(d.ErrorRate, 64)
		if err != nil {
			v.Fields = append(v.Fields, fieldProblem{Anchor: "error_rate", Label: s.t(v.L, "faults.error_rate"), Message: s.t(v.L, "faults.rate_range")})
		}
		f.ErrorRate = rate
	}
	if len(v.Fields) == 0 {
		if err := s.d.Faults.Set(f); err != nil {
			for _, fe := range portal.ErrorFields(err) {
				anchor := map[string]string{"target": "target", "latency": "latency", "error_rate": "error_rate"}[fe.Field]
				if anchor == "" {
					anchor = "target"
				}
				v.Fields = append(v.Fields, fieldProblem{Anchor: anchor, Label: fe.Field, Message: fe.Message})
			}
			if len(v.Fields) == 0 {
				v.Fields = append(v.Fields, fieldProblem{Anchor: "target", Label: s.t(v.L, "faults.target"), Message: portal.ErrorMessage(err)})
			}
		}
	}
	if len(v.Fields) > 0 {
		v.Error = s.t(v.L, "form.problems", len(v.Fields))
		s.render(c, http.StatusUnprocessableEntity, "faults", v)
		return
	}
	s.log.Info("ui: fault set by admin", "target", f.Target, "by", v.User.UserID)
	redirect(c, "/admin/faults", "fault_set")
}

func (s *server) clearFault(c *gin.Context) {
	if s.d.Faults == nil {
		s.fail(c, http.StatusNotImplemented, s.t(s.lang(c), "err.no_faults"))
		return
	}
	s.d.Faults.Clear(c.PostForm("target"))
	redirect(c, "/admin/faults", "fault_cleared")
}
