// Package faults injects failures into the portal on purpose: added
// latency, error rates and outages per external dependency (e-ID,
// population database, payment gateway, signer, database) and per HTTP
// route, optionally within a time window. Load tests use it to see how the
// portal and the journeys on it degrade when something they depend on does.
package faults

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// Dependencies that can be faulted, as fault targets.
const (
	EID        = "eid"
	Population = "population"
	Payment    = "payment"
	Signer     = "signer"
	Database   = "database"
)

// Dependencies lists the dependency targets.
var Dependencies = []string{EID, Population, Payment, Signer, Database}

// MaxLatency bounds any injected delay, so a typo cannot hang a run.
const MaxLatency = time.Minute

// Distribution is the shape of an injected latency.
type Distribution string

const (
	Fixed       Distribution = "fixed"       // always Mean
	Uniform     Distribution = "uniform"     // between Min and Max
	Exponential Distribution = "exponential" // mean Mean, capped at MaxLatency
)

// Latency is a delay added before a call proceeds. The zero value adds none.
type Latency struct {
	Dist     Distribution
	Mean     time.Duration // fixed, exponential
	Min, Max time.Duration // uniform
}

// IsZero reports whether the latency adds nothing.
func (l Latency) IsZero() bool { return l == Latency{} }

// sample returns a delay for a uniform random number u in [0, 1).
func (l Latency) sample(u float64) time.Duration {
	var d time.Duration
	switch l.Dist {
	case Fixed:
		d = l.Mean
	case Uniform:
		d = l.Min + time.Duration(u*float64(l.Max-l.Min))
	case Exponential:
		d = time.Duration(-math.Log1p(-u) * float64(l.Mean))
	}
	return min(d, MaxLatency)
}

// String renders the latency in flag syntax: "200ms", "uniform:100ms..300ms", "exp:200ms".
func (l Latency) String() string {
	switch l.Dist {
	case Fixed:
		return l.Mean.String()
	case Uniform:
		return "uniform:" + l.Min.String() + ".." + l.Max.String()
	case Exponential:
		return "exp:" + l.Mean.String()
	}
	return ""
}

// Fault is what goes wrong with one target: a dependency name (EID, …) or
// a route, "<METHOD> <gin pattern>" such as "POST /api/v1/dossiers/:id/submit".
// Each call to the target first waits the latency, then fails if the target
// is in outage, else fails with probability ErrorRate. A fault with a window
// applies only from Start (inclusive) to End (exclusive) and turns itself
// off after End.
type Fault struct {
	Target    string
	Latency   Latency
	ErrorRate float64
	Outage    bool
	Start     time.Time // zero: from when it is set
	End       time.Time // zero: until cleared
	// After and For give the window relative to when the fault is set (as
	// serve flags do); Set turns them into Start and End.
	After, For time.Duration
}

// ActiveAt reports whether the fault applies at t.
func (f Fault) ActiveAt(t time.Time) bool {
	return (f.Start.IsZero() || !t.Before(f.Start)) && (f.End.IsZero() || t.Before(f.End))
}

// ExpiredAt reports whether the fault's window has ended at t.
func (f Fault) ExpiredAt(t time.Time) bool { return !f.End.IsZero() && !t.Before(f.End) }

// Kinds returns the kinds of trouble the fault causes: "latency", "error_rate", "outage".
func (f Fault) Kinds() []string {
	var k []string
	if !f.Latency.IsZero() {
		k = append(k, "latency")
	}
	if f.ErrorRate > 0 {
		k = append(k, "error_rate")
	}
	if f.Outage {
		k = append(k, "outage")
	}
	return k
}

// IsRoute reports whether the target is a route rather than a dependency.
func IsRoute(target string) bool { return strings.Contains(target, " ") }

// RouteTarget returns the target naming a gin route.
func RouteTarget(method, pattern string) string { return method + " " + pattern }

var (
	routeMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}
	// Gin patterns: segments of letters, digits and -._~, or :param / *param.
	routePattern = regexp.MustCompile(`^/([A-Za-z0-9._~-]+|[:*][A-Za-z_][A-Za-z0-9_]*)?(/([A-Za-z0-9._~-]+|[:*][A-Za-z_][A-Za-z0-9_]*))*/?$`)
)

// ValidateTarget checks that target is a known dependency or a route.
func ValidateTarget(target string) error {
	if target == "" {
		return fmt.Errorf("target is empty; want one of %s or a route like \"POST /api/v1/dossiers\"", strings.Join(Dependencies, ", "))
	}
	if !IsRoute(target) {
		for _, d := range Dependencies {
			if target == d {
				return nil
			}
		}
		return fmt.Errorf("unknown target %q; want one of %s or a route like \"POST /api/v1/dossiers\"", target, strings.Join(Dependencies, ", "))
	}
	method, path, _ := strings.Cut(target, " ")
	if !routeMethods[method] {
		return fmt.Errorf("route %q: unknown method %q", target, method)
	}
	if len(path) > 200 || !routePattern.MatchString(path) {
		return fmt.Errorf("route %q: path %q is not a gin route pattern (like /api/v1/dossiers/:id/submit)", target, path)
	}
	return nil
}

// Validate returns every problem with the fault as field errors.
func (f Fault) Validate() error {
	var errs []portal.FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, portal.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if err := ValidateTarget(f.Target); err != nil {
		add("target", "%v", err)
	}
	l := f.Latency
	switch l.Dist {
	case "":
		if !l.IsZero() {
			add("latency", "distribution is missing (fixed, uniform or exponential)")
		}
	case Fixed, Exponential:
		if l.Mean < 0 {
			add("latency", "must not be negative, got %s", l.Mean)
		} else if l.Mean > MaxLatency {
			add("latency", "%s is more than the maximum %s", l.Mean, MaxLatency)
		}
	case Uniform:
		if l.Min < 0 || l.Max < 0 {
			add("latency", "must not be negative, got %s..%s", l.Min, l.Max)
		} else if l.Max < l.Min {
			add("latency", "uniform maximum %s is below the minimum %s", l.Max, l.Min)
		} else if l.Max > MaxLatency {
			add("latency", "%s is more than the maximum %s", l.Max, MaxLatency)
		}
	default:
		add("latency", "unknown distribution %q (want fixed, uniform or exponential)", l.Dist)
	}
	if math.IsNaN(f.ErrorRate) || f.ErrorRate < 0 || f.ErrorRate > 1 {
		add("error_rate", "must be between 0 and 1, got %v", f.ErrorRate)
	}
	if f.After < 0 {
		add("after", "must not be negative, got %s", f.After)
	}
	if f.For < 0 {
		add("for", "must not be negative, got %s", f.For)
	}
	if !f.Start.IsZero() && f.After != 0 {
		add("after", "give either start or after, not both")
	}
	if !f.End.IsZero() && f.For != 0 {
		add("for", "give either end or for, not both")
	}
	if !f.Start.IsZero() && !f.End.IsZero() && !f.End.After(f.Start) {
		add("end", "%s is not after start %s", f.End.Format(time.RFC3339), f.Start.Format(time.RFC3339))
	}
	if f.Latency.IsZero() && f.ErrorRate == 0 && !f.Outage {
		add("fault", "does nothing: set latency, error_rate or outage (or clear the target)")
	}
	if len(errs) > 0 {
		return portal.ValidationError(fmt.Sprintf("fault %s: %s", f.Target, joinFieldErrors(errs)), errs)
	}
	return nil
}

func joinFieldErrors(errs []portal.FieldError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Field + ": " + e.Message
	}
	return strings.Join(parts, "; ")
}
