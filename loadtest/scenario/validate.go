package scenario

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// Limits and the closed vocabularies of the format.
const (
	MaxDuration = 24 * time.Hour
	// HoursPerDay is the length of a daily profile's hourly curve.
	HoursPerDay = 24
)

// Mix orders.
const (
	MixWeighted   = "weighted"
	MixSequential = "sequential"
)

// Dependencies a fault can target.
var faultDependencies = []string{"eid", "population", "payment", "signer", "database"}

var httpMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

// BuiltinVars are the journey variables every instance has.
var builtinVars = []string{"procedure", "journey_id", "persona"}

// CitizenFields are the columns of a citizens feeder row.
var citizenFields = []string{"personal_id", "index"}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// TemplateFuncNames are the functions journey templates may call (the
// journey package implements them).
func TemplateFuncNames() []string {
	return []string{"json", "urlquery", "default", "randInt", "uuid", "now", "today", "date_offset"}
}

// CitizenFields are the columns of a row of a citizens feeder.
func CitizenFields() []string { return append([]string(nil), citizenFields...) }

// BuiltinVars are the variables every journey instance has besides feeders,
// vars and extractions.
func BuiltinVars() []string { return append([]string(nil), builtinVars...) }

func stubFuncs() template.FuncMap {
	m := template.FuncMap{}
	for _, name := range TemplateFuncNames() {
		m[name] = func(...any) string { return "" }
	}
	return m
}

type validator struct {
	s        *Scenario
	problems []Problem
	funcs    template.FuncMap
	csvCols  map[string][]string // feeder name → CSV header
}

func (v *validator) add(field, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: v.s.Path, Line: v.s.LineOf(field), Field: field, Message: fmt.Sprintf(format, args...)})
}

// Validate checks everything that can be checked before a run and returns
// an *Error listing every problem, or nil.
func (s *Scenario) Validate() error {
	v := &validator{s: s, funcs: stubFuncs(), csvCols: map[string][]string{}}
	v.top()
	v.arrival()
	v.feeders()
	v.journeys()
	v.mix()
	v.varTemplates()
	v.personas()
	v.slos()
	v.faults()
	if len(v.problems) == 0 {
		return nil
	}
	sort.SliceStable(v.problems, func(i, j int) bool {
		a, b := v.problems[i], v.problems[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return false
	})
	return &Error{Problems: v.problems}
}

func (v *validator) top() {
	s := v.s
	if strings.TrimSpace(s.Name) == "" {
		v.add("name", "required")
	}
	switch d := s.Duration.D(); {
	case d <= 0:
		v.add("duration", "must be > 0")
	case d > MaxDuration:
		v.add("duration", "must be <= %s, got %s", MaxDuration, d)
	}
	if s.Drain < 0 {
		v.add("drain", "must be >= 0")
	}
	if err := checkTarget(s.Target); err != nil {
		v.add("target", "%v", err)
	}
	if s.Portal.Speed < 0 {
		v.add("portal.speed", "must be >= 0")
	}
	if s.Portal.Officers < 0 {
		v.add("portal.officers", "must be >= 0")
	}
	if s.Portal.MaxInFlight < 0 {
		v.add("portal.max_in_flight", "must be >= 0")
	}
	if s.HTTP.Timeout < 0 {
		v.add("http.timeout", "must be >= 0")
	}
	if s.HTTP.MaxBody < 0 {
		v.add("http.max_body", "must be >= 0")
	}
	if s.HTTP.Workers > 0 && s.HTTP.MaxWorkers > 0 && s.HTTP.Workers > s.HTTP.MaxWorkers {
		v.add("http.workers", "%d is more than max_workers %d", s.HTTP.Workers, s.HTTP.MaxWorkers)
	}
	for _, k := range sortedKeys(s.Vars) {
		v.varName("vars."+k, k)
	}
}

// varTemplates checks the templates in scenario and mix vars, rendered once
// per journey at its start: scenario vars may use built-ins and feeders, mix
// vars also scenario vars.
func (v *validator) varTemplates() {
	known := map[string][]string{}
	for _, b := range builtinVars {
		known[b] = nil
	}
	for _, f := range v.s.Feeders {
		known[f.Name] = nil
		switch f.Type {
		case FeederCitizens:
			known[f.Name] = citizenFields
		case FeederCSV:
			known[f.Name] = v.csvCols[f.Name]
		}
	}
	for _, k := range sortedKeys(v.s.Vars) {
		v.template("vars."+k, v.s.Vars[k], known)
	}
	for k := range v.s.Vars {
		known[k] = nil
	}
	for i, m := range v.s.Mix {
		for _, k := range sortedKeys(m.Vars) {
			v.template(fmt.Sprintf("mix[%d].vars.%s", i, k), m.Vars[k], known)
		}
	}
}

func (v *validator) varName(field, name string) {
	if !identRE.MatchString(name) {
		v.add(field, "variable name %q must be letters, digits and _ (not starting with a digit) so templates can use it", name)
		return
	}
	for _, b := range builtinVars {
		if name == b {
			v.add(field, "variable name %q is built in", name)
		}
	}
}

// checkTarget accepts "embedded" (or empty) and http(s) URLs on loopback:
// the harness must never load-test a machine by accident.
func checkTarget(t string) error {
	if t == "" || t == "embedded" {
		return nil
	}
	u, err := url.Parse(t)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want \"embedded\" or an http(s) base URL such as http://127.0.0.1:8080", t)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q: only loopback targets (127.0.0.0/8, ::1, localhost) are allowed, got host %q", t, host)
}

func (v *validator) arrival() {
	a := v.s.Arrival
	dur := v.s.Duration.D()
	used := map[string]bool{}
	switch a.Process {
	case "", "poisson", "uniform":
	default:
		v.add("arrival.process", "%q: want poisson or uniform", a.Process)
	}
	switch a.Profile {
	case "":
		v.add("arrival.profile", "required: constant, ramp, stages, spike or daily")
	case ProfileConstant:
		used["rate"] = true
		if !(a.Rate > 0) {
			v.add("arrival.rate", "must be > 0")
		}
	case ProfileRamp:
		used["from"], used["to"] = true, true
		if a.From < 0 {
			v.add("arrival.from", "must be >= 0")
		}
		if a.To < 0 {
			v.add("arrival.to", "must be >= 0")
		}
		if a.From == 0 && a.To == 0 {
			v.add("arrival.to", "a ramp from 0 to 0 starts no journeys")
		}
	case ProfileStages:
		used["stages"], used["from"] = true, true
		if a.From < 0 {
			v.add("arrival.from", "must be >= 0")
		}
		if len(a.Stages) == 0 {
			v.add("arrival.stages", "required for profile stages")
		}
		var sum time.Duration
		for i, st := range a.Stages {
			f := fmt.Sprintf("arrival.stages[%d]", i)
			if st.Duration <= 0 {
				v.add(f+".duration", "must be > 0")
			}
			if st.Rate < 0 {
				v.add(f+".rate", "must be >= 0")
			}
			sum += st.Duration.D()
		}
		if dur > 0 && sum > dur {
			v.add("arrival.stages", "stages last %s, longer than the run's duration %s", sum, dur)
		}
	case ProfileSpike:
		used["spike"] = true
		sp := a.Spike
		if sp == nil {
			v.add("arrival.spike", "required for profile spike")
			break
		}
		if sp.Base < 0 {
			v.add("arrival.spike.base", "must be >= 0")
		}
		if !(sp.Peak > 0) {
			v.add("arrival.spike.peak", "must be > 0")
		} else if sp.Peak < sp.Base {
			v.add("arrival.spike.peak", "%g is below base %g", sp.Peak, sp.Base)
		}
		if sp.At < 0 {
			v.add("arrival.spike.at", "must be >= 0")
		}
		if sp.Length <= 0 {
			v.add("arrival.spike.length", "must be > 0")
		}
		if dur > 0 && sp.At.D()+sp.Length.D() > dur {
			v.add("arrival.spike", "spike ends at %s, after the run's duration %s", sp.At.D()+sp.Length.D(), dur)
		}
	case ProfileDaily:
		used["daily"] = true
		d := a.Daily
		if d == nil {
			v.add("arrival.daily", "required for profile daily")
			break
		}
		if !(d.PeakRate > 0) {
			v.add("arrival.daily.peak_rate", "must be > 0")
		}
		if len(d.Hourly) > 0 {
			if len(d.Hourly) != HoursPerDay {
				v.add("arrival.daily.hourly", "want %d entries (one per hour), got %d", HoursPerDay, len(d.Hourly))
			}
			positive := false
			for i, w := range d.Hourly {
				if w < 0 || math.IsNaN(w) {
					v.add(fmt.Sprintf("arrival.daily.hourly[%d]", i), "must be >= 0")
				}
				positive = positive || w > 0
			}
			if !positive {
				v.add("arrival.daily.hourly", "at least one hour must have a weight > 0")
			}
		}
	default:
		v.add("arrival.profile", "%q: want constant, ramp, stages, spike or daily", a.Profile)
		return
	}
	set := map[string]bool{"rate": a.Rate != 0, "from": a.From != 0, "to": a.To != 0, "stages": len(a.Stages) > 0, "spike": a.Spike != nil, "daily": a.Daily != nil}
	for _, f := range []string{"rate", "from", "to", "stages", "spike", "daily"} {
		if set[f] && !used[f] {
			v.add("arrival."+f, "not used by profile %s", a.Profile)
		}
	}
}

func (v *validator) feeders() {
	seen := map[string]bool{}
	for i, f := range v.s.Feeders {
		p := fmt.Sprintf("feeders[%d]", i)
		if f.Name == "" {
			v.add(p+".name", "required")
		} else {
			v.varName(p+".name", f.Name)
			if seen[f.Name] {
				v.add(p+".name", "feeder %q defined twice", f.Name)
			}
			if _, ok := v.s.Vars[f.Name]; ok {
				v.add(p+".name", "%q is also a scenario variable", f.Name)
			}
			seen[f.Name] = true
		}
		switch f.Order {
		case "", "random", "sequential":
		default:
			v.add(p+".order", "%q: want random or sequential", f.Order)
		}
		if f.Count < 0 {
			v.add(p+".count", "must be >= 0")
		}
		switch f.Type {
		case FeederCitizens:
			if f.File != "" {
				v.add(p+".file", "not used by a citizens feeder")
			}
		case FeederCSV:
			if f.Count != 0 {
				v.add(p+".count", "not used by a csv feeder (every row is used)")
			}
			if f.File == "" {
				v.add(p+".file", "required for a csv feeder")
				continue
			}
			cols, err := csvHeader(v.s.Resolve(f.File))
			if err != nil {
				v.add(p+".file", "%v", err)
				continue
			}
			v.csvCols[f.Name] = cols
		case "":
			v.add(p+".type", "required: citizens or csv")
		default:
			v.add(p+".type", "%q: want citizens or csv", f.Type)
		}
	}
}

// csvHeader reads the header of a feeder CSV and checks it has a data row.
func csvHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open feeder file: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%s is empty: want a header row and at least one data row", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for _, h := range header {
		if !identRE.MatchString(h) {
			return nil, fmt.Errorf("%s: header column %q must be letters, digits and _ so templates can use it", path, h)
		}
	}
	if _, err := r.Read(); err == io.EOF {
		return nil, fmt.Errorf("%s has a header but no data rows", path)
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return header, nil
}

func (v *validator) journeys() {
	if len(v.s.Journeys) == 0 {
		v.add("journeys", "at least one journey is required")
	}
	for _, name := range sortedKeys(v.s.Journeys) {
		j := v.s.Journeys[name]
		p := "journeys." + name
		if len(j.Steps) == 0 {
			v.add(p+".steps", "at least one step is required")
		}
		known := v.knownVars(name)
		seen := map[string]bool{}
		for i, st := range j.Steps {
			sp := fmt.Sprintf("%s.steps[%d]", p, i)
			if st.Name == "" {
				v.add(sp+".name", "required")
			} else if seen[st.Name] {
				v.add(sp+".name", "step %q appears twice in journey %s", st.Name, name)
			}
			seen[st.Name] = true
			if !httpMethods[st.Method] {
				v.add(sp+".method", "%q: want one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS", st.Method)
			}
			if !strings.HasPrefix(st.Path, "/") {
				v.add(sp+".path", "%q must start with /", st.Path)
			}
			v.template(sp+".path", st.Path, known)
			v.template(sp+".when", st.When, known)
			for _, h := range sortedKeys(st.Header) {
				if h == "" {
					v.add(sp+".headers", "empty header name")
				}
				v.template(sp+".headers."+h, st.Header[h], known)
			}
			bodies := 0
			if st.Body != "" {
				bodies++
				v.template(sp+".body", st.Body, known)
			}
			if st.JSON != nil {
				bodies++
				v.jsonTemplates(sp+".json", st.JSON, known)
			}
			if st.Multipart != nil {
				bodies++
				v.multipart(sp+".multipart", st.Multipart, known)
			}
			if bodies > 1 {
				v.add(sp, "at most one of body, json and multipart")
			}
			for k, code := range st.Expect {
				if code < 100 || code > 599 {
					v.add(fmt.Sprintf("%s.expect[%d]", sp, k), "status %d: want 100–599", code)
				}
			}
			for _, k := range sortedKeys(st.Extract) {
				if !identRE.MatchString(k) {
					v.add(sp+".extract."+k, "variable name %q must be letters, digits and _", k)
				}
				if strings.TrimSpace(st.Extract[k]) == "" {
					v.add(sp+".extract."+k, "gjson path required")
				}
			}
			if pl := st.Poll; pl != nil {
				pp := sp + ".poll"
				if pl.Every <= 0 {
					v.add(pp+".every", "must be > 0")
				}
				if pl.Timeout < pl.Every {
					v.add(pp+".timeout", "%s is shorter than every %s", pl.Timeout, pl.Every)
				}
				if strings.TrimSpace(pl.Until.Path) == "" {
					v.add(pp+".until.path", "gjson path required")
				}
				if len(pl.Until.In) == 0 {
					v.add(pp+".until.in", "at least one value is required")
				}
			}
		}
	}
}

// knownVars are the variables a journey's templates can use: built-ins,
// scenario vars, feeders, vars of the mix entries that run this journey,
// and every extraction of the journey. nil entries are maps whose fields
// are not known.
func (v *validator) knownVars(journey string) map[string][]string {
	known := map[string][]string{}
	for _, b := range builtinVars {
		known[b] = nil
	}
	for k := range v.s.Vars {
		known[k] = nil
	}
	for _, f := range v.s.Feeders {
		switch f.Type {
		case FeederCitizens:
			known[f.Name] = citizenFields
		case FeederCSV:
			known[f.Name] = v.csvCols[f.Name]
		default:
			known[f.Name] = nil
		}
	}
	for _, m := range v.s.Mix {
		if m.Journey == journey {
			for k := range m.Vars {
				known[k] = nil
			}
		}
	}
	for _, st := range v.s.Journeys[journey].Steps {
		for k := range st.Extract {
			known[k] = nil
		}
	}
	return known
}

func (v *validator) template(field, text string, known map[string][]string) {
	if !strings.Contains(text, "{{") {
		return
	}
	t, err := template.New(field).Funcs(v.funcs).Option("missingkey=error").Parse(text)
	if err != nil {
		msg := err.Error()
		if i := strings.Index(msg, field+":"); i >= 0 {
			msg = strings.TrimSpace(msg[i+len(field)+1:])
		}
		v.add(field, "template: %s", msg)
		return
	}
	if known == nil {
		return
	}
	for _, ref := range fieldRefs(t.Tree.Root) {
		cols, ok := known[ref[0]]
		if !ok {
			v.add(field, "template uses unknown variable .%s (known: %s)", ref[0], strings.Join(sortedKeys(known), ", "))
			continue
		}
		if len(ref) > 1 && cols != nil && !contains(cols, ref[1]) {
			v.add(field, "template uses .%s.%s but %s has only %s", ref[0], ref[1], ref[0], strings.Join(cols, ", "))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// fieldRefs lists the .a.b references of a template (not $ variables).
func fieldRefs(n parse.Node) [][]string {
	var out [][]string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(x.Pipe)
		case *parse.PipeNode:
			if x == nil {
				return
			}
			for _, c := range x.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range x.Args {
				walk(a)
			}
		case *parse.FieldNode:
			out = append(out, x.Ident)
		case *parse.IfNode:
			walk(x.Pipe)
			walk(x.List)
			walk(x.ElseList)
		case *parse.RangeNode:
			walk(x.Pipe)
		case *parse.WithNode:
			walk(x.Pipe)
		}
	}
	walk(n)
	return out
}

func (v *validator) jsonTemplates(field string, body any, known map[string][]string) {
	switch x := body.(type) {
	case string:
		v.template(field, x, known)
	case map[string]any:
		for _, k := range sortedKeys(x) {
			v.jsonTemplates(field+"."+k, x[k], known)
		}
	case []any:
		for i, e := range x {
			v.jsonTemplates(fmt.Sprintf("%s[%d]", field, i), e, known)
		}
	}
}

func (v *validator) multipart(field string, m *Multipart, known map[string][]string) {
	for _, k := range sortedKeys(m.Fields) {
		v.template(field+".fields."+k, m.Fields[k], known)
	}
	if len(m.Files) == 0 && len(m.Fields) == 0 {
		v.add(field, "needs fields or files")
	}
	for i, f := range m.Files {
		p := fmt.Sprintf("%s.files[%d]", field, i)
		if f.Field == "" {
			v.add(p+".field", "required")
		}
		if f.Path == "" {
			v.add(p+".path", "required")
			continue
		}
		if st, err := os.Stat(v.s.Resolve(f.Path)); err != nil {
			v.add(p+".path", "%v", err)
		} else if st.IsDir() {
			v.add(p+".path", "%s is a folder", f.Path)
		}
	}
}

func (v *validator) mix() {
	if len(v.s.Mix) == 0 {
		v.add("mix", "at least one entry is required")
	}
	switch v.s.MixOrder {
	case "", MixWeighted, MixSequential:
	default:
		v.add("mix_order", "%q: want weighted or sequential", v.s.MixOrder)
	}
	for i, m := range v.s.Mix {
		p := fmt.Sprintf("mix[%d]", i)
		if m.Journey == "" {
			v.add(p+".journey", "required")
		} else if _, ok := v.s.Journeys[m.Journey]; !ok {
			v.add(p+".journey", "no journey named %q (journeys: %s)", m.Journey, strings.Join(sortedKeys(v.s.Journeys), ", "))
		}
		if !(m.Weight > 0) {
			v.add(p+".weight", "must be > 0")
		}
		for _, k := range sortedKeys(m.Vars) {
			v.varName(p+".vars."+k, k)
		}
	}
}

func (v *validator) personas() {
	if len(v.s.Personas) == 0 {
		v.add("personas", "at least one persona is required")
	}
	steps := map[string]bool{}
	for _, j := range v.s.Journeys {
		for _, st := range j.Steps {
			steps[st.Name] = true
		}
	}
	seen := map[string]bool{}
	for i, p := range v.s.Personas {
		f := fmt.Sprintf("personas[%d]", i)
		if p.Name == "" {
			v.add(f+".name", "required")
		} else if seen[p.Name] {
			v.add(f+".name", "persona %q defined twice", p.Name)
		}
		seen[p.Name] = true
		if !(p.Share > 0) {
			v.add(f+".share", "must be > 0")
		}
		v.dist(f+".think", p.Think)
		v.dist(f+".latency", p.Latency)
		if p.Abandon < 0 || p.Abandon > 1 {
			v.add(f+".abandon", "%g: a probability must be in [0, 1]", p.Abandon)
		}
		for _, step := range sortedKeys(p.AbandonAt) {
			if !steps[step] {
				v.add(f+".abandon_at."+step, "no step named %q in any journey", step)
			}
			if pr := p.AbandonAt[step]; pr < 0 || pr > 1 {
				v.add(f+".abandon_at."+step, "%g: a probability must be in [0, 1]", pr)
			}
		}
	}
}

func (v *validator) dist(field string, d Dist) {
	set := map[string]bool{"value": d.Value != 0, "min": d.Min != 0, "max": d.Max != 0, "mean": d.Mean != 0, "median": d.Median != 0, "sigma": d.Sigma != 0}
	used := map[string]bool{}
	switch d.Dist {
	case "":
		for _, k := range sortedKeys(set) {
			if set[k] {
				v.add(field+".dist", "required when %s is set: constant, uniform, exponential or lognormal", k)
				return
			}
		}
	case DistConstant:
		used["value"] = true
		if d.Value < 0 {
			v.add(field+".value", "must be >= 0")
		}
	case DistUniform:
		used["min"], used["max"] = true, true
		if d.Min < 0 {
			v.add(field+".min", "must be >= 0")
		}
		if d.Max < d.Min {
			v.add(field+".max", "%s is below min %s", d.Max, d.Min)
		}
	case DistExponential:
		used["mean"] = true
		if d.Mean <= 0 {
			v.add(field+".mean", "must be > 0")
		}
	case DistLogNormal:
		used["median"], used["sigma"] = true, true
		if d.Median <= 0 {
			v.add(field+".median", "must be > 0")
		}
		if !(d.Sigma > 0) || d.Sigma > 5 {
			v.add(field+".sigma", "%g: want 0 < sigma <= 5", d.Sigma)
		}
	default:
		v.add(field+".dist", "%q: want constant, uniform, exponential or lognormal", d.Dist)
		return
	}
	for _, k := range sortedKeys(set) {
		if set[k] && !used[k] && d.Dist != "" {
			v.add(field+"."+k, "not used by dist %s", d.Dist)
		}
	}
	if d.Cap < 0 {
		v.add(field+".cap", "must be >= 0")
	}
}

func (v *validator) slos() {
	steps := map[string]bool{}
	for _, j := range v.s.Journeys {
		for _, st := range j.Steps {
			steps[st.Name] = true
		}
	}
	for i, expr := range v.s.SLOs {
		f := fmt.Sprintf("slos[%d]", i)
		slo, err := ParseSLO(expr)
		if err != nil {
			v.add(f, "%v", err)
			continue
		}
		if slo.Step != "" && !steps[slo.Step] {
			v.add(f, "%q: no step named %q in any journey", expr, slo.Step)
		}
		if slo.Journey != "" {
			if _, ok := v.s.Journeys[slo.Journey]; !ok {
				v.add(f, "%q: no journey named %q", expr, slo.Journey)
			}
		}
	}
}

func (v *validator) faults() {
	dur := v.s.Duration.D()
	for i, f := range v.s.Faults {
		p := fmt.Sprintf("faults[%d]", i)
		if f.At < 0 {
			v.add(p+".at", "must be >= 0")
		}
		if f.Duration <= 0 {
			v.add(p+".duration", "must be > 0")
		}
		if dur > 0 && f.At.D()+f.Duration.D() > dur {
			v.add(p, "fault ends at %s, after the run's duration %s", f.At.D()+f.Duration.D(), dur)
		}
		switch {
		case f.Dependency == "" && f.Route == "":
			v.add(p, "set dependency (%s) or route", strings.Join(faultDependencies, ", "))
		case f.Dependency != "" && f.Route != "":
			v.add(p, "set dependency or route, not both")
		case f.Dependency != "" && !contains(faultDependencies, f.Dependency):
			v.add(p+".dependency", "%q: want one of %s", f.Dependency, strings.Join(faultDependencies, ", "))
		case f.Route != "" && !strings.HasPrefix(f.Route, "/"):
			v.add(p+".route", "%q must start with /", f.Route)
		}
		if f.ErrorRate < 0 || f.ErrorRate > 1 {
			v.add(p+".error_rate", "%g: must be in [0, 1]", f.ErrorRate)
		}
		if f.Latency < 0 {
			v.add(p+".latency", "must be >= 0")
		}
		if f.Latency == 0 && f.ErrorRate == 0 && !f.Outage {
			v.add(p, "does nothing: set latency, error_rate or outage")
		}
	}
}

// ParsedSLOs returns the scenario's SLOs parsed (Validate has checked them).
func (s *Scenario) ParsedSLOs() ([]SLO, error) {
	out := make([]SLO, 0, len(s.SLOs))
	for _, e := range s.SLOs {
		slo, err := ParseSLO(e)
		if err != nil {
			return nil, err
		}
		out = append(out, slo)
	}
	return out, nil
}
