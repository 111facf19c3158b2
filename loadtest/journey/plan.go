package journey

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

// Plan is a scenario compiled for running: templates parsed, attachment
// files read, feeders loaded, weights turned into cumulative tables. A Plan
// is read-only after Compile and safe for concurrent Start calls.
type Plan struct {
	tmpl     *templates
	journeys map[string]*journeyPlan
	order    []string // journey names, sorted
	mix      []mixPlan
	mixCum   []float64
	mixSeq   bool
	personas []personaPlan
	persCum  []float64
	feeders  []feederPlan
	vars     []varPlan
	// nvars sizes each instance's variable map.
	nvars int
}

type journeyPlan struct {
	name  string
	steps []stepPlan
}

type mixPlan struct {
	journey   *journeyPlan
	procedure string
	vars      []varPlan
}

// varPlan is a scenario or mix variable, a template rendered at Start.
type varPlan struct {
	name string
	val  text
}

func (p *Plan) compileVars(field string, vars map[string]string) ([]varPlan, error) {
	out := make([]varPlan, 0, len(vars))
	for _, k := range sortedKeys(vars) {
		t, err := p.tmpl.add(field+"."+k, vars[k])
		if err != nil {
			return nil, err
		}
		out = append(out, varPlan{name: k, val: t})
	}
	return out, nil
}

type personaPlan struct {
	name      string
	think     sampler
	latency   sampler
	abandon   float64
	abandonAt map[string]float64
}

type feederPlan struct {
	name       string
	sequential bool
	count      int
	rows       []map[string]string // csv
	citizenID  func(int) string    // citizens
}

type header struct {
	key string // canonical
	val text
}

type extraction struct {
	name, path string
}

type pollPlan struct {
	path    string
	label   string // last segment of path, for reasons
	in      []string
	fail    []string
	every   time.Duration
	timeout time.Duration
}

type bodyKind uint8

const (
	bodyNone bodyKind = iota
	bodyRaw
	bodyJSON
	bodyMultipart
)

type stepPlan struct {
	name      string
	method    string
	path      text
	headers   []header
	kind      bodyKind
	body      text
	json      *jsonNode
	multipart *multipartPlan
	expect    []int // empty: any 2xx
	expectStr string
	extract   []extraction
	poll      *pollPlan
	think     bool
	when      *text
}

// Compile builds a Plan from a validated scenario (Load or Parse output).
func Compile(s *scenario.Scenario) (*Plan, error) {
	return compile(s, citizenID)
}

func compile(s *scenario.Scenario, citizen func(int) string) (*Plan, error) {
	p := &Plan{
		tmpl:     newTemplates(time.Now),
		journeys: map[string]*journeyPlan{},
	}
	p.mixSeq = s.MixOrder == scenario.MixSequential
	var err error
	if p.vars, err = p.compileVars("vars", s.Vars); err != nil {
		return nil, err
	}
	for _, name := range sortedKeys(s.Journeys) {
		jp, err := p.compileJourney(s, name, s.Journeys[name])
		if err != nil {
			return nil, err
		}
		p.journeys[name] = jp
		p.order = append(p.order, name)
	}
	if len(s.Mix) == 0 {
		return nil, fmt.Errorf("compile scenario %s: empty mix", s.Name)
	}
	total := 0.0
	maxMixVars := 0
	for i, m := range s.Mix {
		jp, ok := p.journeys[m.Journey]
		if !ok {
			return nil, fmt.Errorf("compile scenario %s: mix[%d] names unknown journey %q", s.Name, i, m.Journey)
		}
		if !(m.Weight > 0) {
			return nil, fmt.Errorf("compile scenario %s: mix[%d] weight must be > 0", s.Name, i)
		}
		total += m.Weight
		vars, err := p.compileVars(fmt.Sprintf("mix[%d].vars", i), m.Vars)
		if err != nil {
			return nil, err
		}
		p.mix = append(p.mix, mixPlan{journey: jp, procedure: m.Procedure, vars: vars})
		p.mixCum = append(p.mixCum, total)
		maxMixVars = max(maxMixVars, len(m.Vars))
	}
	if len(s.Personas) == 0 {
		return nil, fmt.Errorf("compile scenario %s: no personas", s.Name)
	}
	total = 0
	for i, ps := range s.Personas {
		if !(ps.Share > 0) {
			return nil, fmt.Errorf("compile scenario %s: personas[%d] share must be > 0", s.Name, i)
		}
		total += ps.Share
		p.personas = append(p.personas, personaPlan{
			name: ps.Name, think: newSampler(ps.Think), latency: newSampler(ps.Latency),
			abandon: ps.Abandon, abandonAt: ps.AbandonAt,
		})
		p.persCum = append(p.persCum, total)
	}
	for _, f := range s.Feeders {
		fp := feederPlan{name: f.Name, sequential: f.Order == "sequential"}
		switch f.Type {
		case scenario.FeederCitizens:
			fp.count = f.Count
			if fp.count == 0 {
				fp.count = scenario.DefaultCitizenCount
			}
			fp.citizenID = citizen
		case scenario.FeederCSV:
			rows, err := readCSV(s.Resolve(f.File))
			if err != nil {
				return nil, fmt.Errorf("compile feeder %s: %w", f.Name, err)
			}
			fp.rows, fp.count = rows, len(rows)
		default:
			return nil, fmt.Errorf("compile feeder %s: unknown type %q", f.Name, f.Type)
		}
		p.feeders = append(p.feeders, fp)
	}
	p.nvars = len(s.Vars) + maxMixVars + len(p.feeders) + len(scenario.BuiltinVars()) + 8
	return p, nil
}

// Journeys returns the journey names, sorted.
func (p *Plan) Journeys() []string { return append([]string(nil), p.order...) }

// Steps returns the step names of a journey in order (nil if unknown).
func (p *Plan) Steps(journey string) []string {
	jp, ok := p.journeys[journey]
	if !ok {
		return nil
	}
	out := make([]string, len(jp.steps))
	for i, st := range jp.steps {
		out[i] = st.name
	}
	return out
}

// SetClock replaces the clock the now, today and date_offset template
// functions read (tests; a simulated clock). Call before Start.
func (p *Plan) SetClock(now func() time.Time) {
	p.tmpl = p.tmpl.withClock(now)
}

func (t *templates) withClock(now func() time.Time) *templates {
	n := &templates{root: t.root, names: t.names, now: now}
	n.pool.New = func() any { return n.newRenderer() }
	return n
}

func (p *Plan) compileJourney(s *scenario.Scenario, name string, j scenario.Journey) (*journeyPlan, error) {
	jp := &journeyPlan{name: name}
	for i, st := range j.Steps {
		field := fmt.Sprintf("journeys.%s.steps[%d]", name, i)
		sp := stepPlan{name: st.Name, method: st.Method, think: i > 0, expect: st.Expect}
		if st.Think != nil {
			sp.think = *st.Think
		}
		var err error
		if sp.path, err = p.tmpl.add(field+".path", st.Path); err != nil {
			return nil, err
		}
		if st.When != "" {
			w, err := p.tmpl.add(field+".when", st.When)
			if err != nil {
				return nil, err
			}
			sp.when = &w
		}
		for _, k := range sortedKeys(st.Header) {
			v, err := p.tmpl.add(field+".headers."+k, st.Header[k])
			if err != nil {
				return nil, err
			}
			sp.headers = append(sp.headers, header{key: canonicalHeader(k), val: v})
		}
		switch {
		case st.Body != "":
			sp.kind = bodyRaw
			if sp.body, err = p.tmpl.add(field+".body", st.Body); err != nil {
				return nil, err
			}
		case st.JSON != nil:
			sp.kind = bodyJSON
			if sp.json, err = p.compileJSON(field+".json", st.JSON); err != nil {
				return nil, err
			}
		case st.Multipart != nil:
			sp.kind = bodyMultipart
			if sp.multipart, err = p.compileMultipart(s, field+".multipart", st.Multipart); err != nil {
				return nil, err
			}
		}
		if len(st.Expect) == 0 {
			sp.expectStr = "2xx"
		} else {
			sp.expectStr = fmt.Sprint(st.Expect)
		}
		for _, k := range sortedKeys(st.Extract) {
			sp.extract = append(sp.extract, extraction{name: k, path: st.Extract[k]})
		}
		if pl := st.Poll; pl != nil {
			label := pl.Until.Path
			if i := strings.LastIndexByte(label, '.'); i >= 0 {
				label = label[i+1:]
			}
			sp.poll = &pollPlan{path: pl.Until.Path, label: label, in: pl.Until.In, fail: pl.Until.Fail, every: pl.Every.D(), timeout: pl.Timeout.D()}
		}
		jp.steps = append(jp.steps, sp)
	}
	return jp, nil
}

// canonicalHeader is textproto's canonical form, as http.Header.Set stores it.
func canonicalHeader(k string) string { return textproto.CanonicalMIMEHeaderKey(k) }

func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read header of %s: %w", path, err)
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		row := make(map[string]string, len(header))
		for i, h := range header {
			row[h] = rec[i]
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s has no data rows", path)
	}
	return rows, nil
}

// jsonNode is a JSON body given as YAML: objects keep their keys sorted,
// string leaves are templates, other scalars are encoded once.
type jsonNode struct {
	kind     byte // 'o' object, 'a' array, 's' templated string, 'v' pre-encoded value
	raw      []byte
	str      text
	keys     [][]byte // pre-encoded keys with the colon
	children []*jsonNode
}

func (p *Plan) compileJSON(field string, v any) (*jsonNode, error) {
	switch x := v.(type) {
	case map[string]any:
		n := &jsonNode{kind: 'o'}
		for _, k := range sortedKeys(x) {
			kb, _ := json.Marshal(k)
			c, err := p.compileJSON(field+"."+k, x[k])
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, append(kb, ':'))
			n.children = append(n.children, c)
		}
		return n, nil
	case []any:
		n := &jsonNode{kind: 'a'}
		for i, e := range x {
			c, err := p.compileJSON(fmt.Sprintf("%s[%d]", field, i), e)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, c)
		}
		return n, nil
	case string:
		t, err := p.tmpl.add(field, x)
		if err != nil {
			return nil, err
		}
		if t.id < 0 {
			raw, _ := json.Marshal(x)
			return &jsonNode{kind: 'v', raw: raw}, nil
		}
		return &jsonNode{kind: 's', str: t}, nil
	default:
		raw, err := json.Marshal(x)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		return &jsonNode{kind: 'v', raw: raw}, nil
	}
}

type multipartPlan struct {
	fields []multipartField
	files  []multipartFile
}

type multipartField struct {
	name string
	val  text
}

type multipartFile struct {
	field, filename, contentType string
	content                      []byte
}

func (p *Plan) compileMultipart(s *scenario.Scenario, field string, m *scenario.Multipart) (*multipartPlan, error) {
	mp := &multipartPlan{}
	for _, k := range sortedKeys(m.Fields) {
		v, err := p.tmpl.add(field+".fields."+k, m.Fields[k])
		if err != nil {
			return nil, err
		}
		mp.fields = append(mp.fields, multipartField{name: k, val: v})
	}
	for i, f := range m.Files {
		content, err := os.ReadFile(s.Resolve(f.Path))
		if err != nil {
			return nil, fmt.Errorf("%s.files[%d]: %w", field, i, err)
		}
		name := f.FileName
		if name == "" {
			name = filepath.Base(f.Path)
		}
		ct := f.ContentType
		if ct == "" {
			ct = mime.TypeByExtension(filepath.Ext(name))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		mp.files = append(mp.files, multipartFile{field: f.Field, filename: name, contentType: ct, content: content})
	}
	return mp, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// citizenRow is a citizens feeder's row for citizen i.
func (f *feederPlan) row(i int) map[string]string {
	if f.rows != nil {
		return f.rows[i]
	}
	return map[string]string{"personal_id": f.citizenID(i), "index": strconv.Itoa(i)}
}
