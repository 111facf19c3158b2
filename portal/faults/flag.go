package faults

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// FromFlag parses a fault in the syntax of serve's --fault flag:
//
//	payment:latency=200ms,error_rate=0.1
//	population:latency=uniform:50ms..400ms,after=30s,for=1m
//	eid:latency=exp:150ms
//	signer:outage,start=2026-11-25T13:00:00Z,end=2026-11-25T13:05:00Z
//	route=POST /api/v1/dossiers/:id/submit:outage
//
// A target is a dependency or "route=<METHOD> <pattern>"; the settings
// after the colon are latency (fixed "200ms", "fixed:200ms",
// "uniform:MIN..MAX", "exp:MEAN"), error_rate (0–1), outage[=true|false],
// after and for (a window relative to when the fault is set), start and
// end (RFC 3339). Errors name the part of the flag that is wrong.
func FromFlag(s string) (Fault, error) {
	var f Fault
	s = strings.TrimSpace(s)
	target, settings, err := splitTarget(s)
	if err != nil {
		return f, fmt.Errorf("fault %q: %w", s, err)
	}
	f.Target = target
	if err := ValidateTarget(target); err != nil {
		return f, fmt.Errorf("fault %q: %w", s, err)
	}
	seen := map[string]bool{}
	for i, part := range strings.Split(settings, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return f, fmt.Errorf("fault %q: setting %d is empty", s, i+1)
		}
		key, value, hasValue := strings.Cut(part, "=")
		key = strings.TrimSpace(key)
		value = strings.TrimSpace(value)
		if seen[key] {
			return f, fmt.Errorf("fault %q: %s is given twice", s, key)
		}
		seen[key] = true
		if !hasValue && key != "outage" {
			return f, fmt.Errorf("fault %q: %q needs a value (%s=...)", s, key, key)
		}
		if err := f.setting(key, value, hasValue); err != nil {
			return f, fmt.Errorf("fault %q: %s", s, err)
		}
	}
	if err := f.Validate(); err != nil {
		fields := portal.ErrorFields(err)
		return f, portal.ValidationError(fmt.Sprintf("fault %q: %s", s, joinFieldErrors(fields)), fields)
	}
	return f, nil
}

// splitTarget separates the target from the settings. In a route the
// separating colon is the first one that does not start a :param segment.
func splitTarget(s string) (target, settings string, err error) {
	if route, ok := strings.CutPrefix(s, "route="); ok {
		for i := 1; i < len(route); i++ {
			if route[i] == ':' && route[i-1] != '/' {
				target = strings.TrimSpace(route[:i])
				if !IsRoute(target) {
					return "", "", fmt.Errorf("route %q: want METHOD /path, like \"POST /api/v1/dossiers\"", target)
				}
				return target, route[i+1:], nil
			}
		}
		return "", "", fmt.Errorf("route %q has no settings: add \":latency=…\", \":error_rate=…\" or \":outage\"", route)
	}
	target, settings, ok := strings.Cut(s, ":")
	if !ok {
		return "", "", fmt.Errorf("no settings after target %q: want TARGET:SETTING,… such as payment:error_rate=0.1", s)
	}
	return strings.TrimSpace(target), settings, nil
}

func (f *Fault) setting(key, value string, hasValue bool) error {
	var err error
	switch key {
	case "latency":
		f.Latency, err = ParseLatency(value)
		if err != nil {
			return fmt.Errorf("latency %q: %w", value, err)
		}
	case "error_rate":
		f.ErrorRate, err = strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("error_rate %q is not a number", value)
		}
	case "outage":
		f.Outage = true
		if hasValue {
			if f.Outage, err = strconv.ParseBool(value); err != nil {
				return fmt.Errorf("outage %q is not true or false", value)
			}
		}
	case "after", "for":
		d, err := time.ParseDuration(value)
		if err != nil {
			return fmt.Errorf("%s %q is not a duration like 30s or 5m", key, value)
		}
		if key == "after" {
			f.After = d
		} else {
			f.For = d
		}
	case "start", "end":
		t, err := time.Parse(time.RFC3339Nano, value)
		if err != nil {
			return fmt.Errorf("%s %q is not an RFC 3339 time like 2026-11-25T13:00:00Z", key, value)
		}
		if key == "start" {
			f.Start = t
		} else {
			f.End = t
		}
	default:
		return fmt.Errorf("unknown setting %q (want latency, error_rate, outage, after, for, start or end)", key)
	}
	return nil
}

// ParseLatency parses "200ms" or "fixed:200ms", "uniform:100ms..300ms", "exp:200ms".
func ParseLatency(s string) (Latency, error) {
	dist, arg, ok := strings.Cut(s, ":")
	if !ok {
		dist, arg = "fixed", s
	}
	dur := func(v string) (time.Duration, error) {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 200ms", v)
		}
		return d, nil
	}
	switch dist {
	case "fixed":
		d, err := dur(arg)
		return Latency{Dist: Fixed, Mean: d}, err
	case "exp", "exponential":
		d, err := dur(arg)
		return Latency{Dist: Exponential, Mean: d}, err
	case "uniform":
		lo, hi, ok := strings.Cut(arg, "..")
		if !ok {
			return Latency{}, fmt.Errorf("uniform needs MIN..MAX, like uniform:100ms..300ms")
		}
		a, err := dur(lo)
		if err != nil {
			return Latency{}, err
		}
		b, err := dur(hi)
		return Latency{Dist: Uniform, Min: a, Max: b}, err
	}
	return Latency{}, fmt.Errorf("unknown distribution %q (want fixed, uniform or exp)", dist)
}

// String renders the fault in FromFlag's syntax; FromFlag(f.String())
// gives back f.
func (f Fault) String() string {
	var b strings.Builder
	if IsRoute(f.Target) {
		b.WriteString("route=")
	}
	b.WriteString(f.Target)
	sep := byte(':')
	add := func(s string) {
		b.WriteByte(sep)
		b.WriteString(s)
		sep = ','
	}
	if !f.Latency.IsZero() {
		add("latency=" + f.Latency.String())
	}
	if f.ErrorRate != 0 {
		add("error_rate=" + strconv.FormatFloat(f.ErrorRate, 'g', -1, 64))
	}
	if f.Outage {
		add("outage")
	}
	if f.After != 0 {
		add("after=" + f.After.String())
	}
	if f.For != 0 {
		add("for=" + f.For.String())
	}
	if !f.Start.IsZero() {
		add("start=" + f.Start.Format(time.RFC3339Nano))
	}
	if !f.End.IsZero() {
		add("end=" + f.End.Format(time.RFC3339Nano))
	}
	return b.String()
}

// faultJSON is a fault on the admin API: durations as strings ("200ms"),
// latency in flag syntax.
type faultJSON struct {
	Target    string     `json:"target"`
	Latency   string     `json:"latency,omitempty"`
	ErrorRate float64    `json:"error_rate,omitempty"`
	Outage    bool       `json:"outage,omitempty"`
	Start     *time.Time `json:"start,omitempty"`
	End       *time.Time `json:"end,omitempty"`
	After     string     `json:"after,omitempty"`
	For       string     `json:"for,omitempty"`
	Kinds     []string   `json:"kinds,omitempty"` // output only
}

// MarshalJSON encodes the fault as the admin API shows it.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{Target: f.Target, Latency: f.Latency.String(), ErrorRate: f.ErrorRate, Outage: f.Outage, Kinds: f.Kinds()}
	if !f.Start.IsZero() {
		j.Start = &f.Start
	}
	if !f.End.IsZero() {
		j.End = &f.End
	}
	if f.After != 0 {
		j.After = f.After.String()
	}
	if f.For != 0 {
		j.For = f.For.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes a fault from the admin API. Unknown fields and bad
// values are errors naming the field; call Validate (or Set) for the rules.
func (f *Fault) UnmarshalJSON(data []byte) error {
	var j faultJSON
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("fault: %w", err)
	}
	out := Fault{Target: j.Target, ErrorRate: j.ErrorRate, Outage: j.Outage}
	var err error
	if j.Latency != "" {
		if out.Latency, err = ParseLatency(j.Latency); err != nil {
			return fmt.Errorf("fault %s: latency %q: %w", j.Target, j.Latency, err)
		}
	}
	if j.Start != nil {
		out.Start = *j.Start
	}
	if j.End != nil {
		out.End = *j.End
	}
	for _, d := range []struct {
		name string
		s    string
		to   *time.Duration
	}{{"after", j.After, &out.After}, {"for", j.For, &out.For}} {
		if d.s == "" {
			continue
		}
		if *d.to, err = time.ParseDuration(d.s); err != nil {
			return fmt.Errorf("fault %s: %s %q is not a duration like 30s", j.Target, d.name, d.s)
		}
	}
	*f = out
	return nil
}
