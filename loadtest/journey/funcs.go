package journey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"text/template"
	"text/template/parse"
	"time"
)

// vietnam is the portal's time zone (UTC+7, no daylight saving); a fixed zone
// needs no tzdata on the machine.
var vietnam = time.FixedZone("ICT", 7*60*60)

// funcState is what template functions read: the rendering instance's rng
// (so randInt and uuid are reproducible for a seed) and the plan's clock.
type funcState struct {
	rng *rand.Rand
	now func() time.Time
}

func templateFuncs(st *funcState) template.FuncMap {
	return template.FuncMap{
		// json encodes a value as JSON, quotes included for strings:
		// {"name": {{json .citizen.name}}}.
		"json": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(b), err
		},
		// default returns def when v is empty. With missingkey=error a
		// missing variable still fails: default covers empty values.
		"default": func(def string, v any) any {
			if v == nil {
				return def
			}
			if s, ok := v.(string); ok && s == "" {
				return def
			}
			return v
		},
		// randInt returns an integer in [a, b).
		"randInt": func(a, b int) (int, error) {
			if b <= a {
				return 0, fmt.Errorf("randInt %d %d: want a < b", a, b)
			}
			return a + st.rng.IntN(b-a), nil
		},
		"uuid": func() string {
			var u [16]byte
			hi, lo := st.rng.Uint64(), st.rng.Uint64()
			for i := 0; i < 8; i++ {
				u[i], u[8+i] = byte(hi>>(56-8*i)), byte(lo>>(56-8*i))
			}
			u[6] = u[6]&0x0f | 0x40
			u[8] = u[8]&0x3f | 0x80
			return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
		},
		"now":   func() string { return st.now().In(vietnam).Format(time.RFC3339) },
		"today": func() string { return st.now().In(vietnam).Format(time.DateOnly) },
		"date_offset": func(days int) string {
			return st.now().In(vietnam).AddDate(0, 0, days).Format(time.DateOnly)
		},
	}
}

// templates holds every template of a plan in one namespace, parsed once.
// Execution goes through renderers: clones whose functions are bound to
// their own funcState, pooled so concurrent instances never share one.
type templates struct {
	root  *template.Template
	names []string
	now   func() time.Time
	pool  sync.Pool
}

// text is a template or, when it has no actions, a literal. Templates that
// are only text and variable references ({{.a}}, {{.a.b}}) also get segs,
// rendered by map lookups without text/template's reflection: that is most
// templates on the engine's hot path.
type text struct {
	lit  string
	id   int // index into templates.names; -1 for a literal
	segs []segment
}

// segment is literal text (path nil) or a variable reference.
type segment struct {
	lit  string
	path []string
}

// simpleSegments returns the segments of a template made only of text and
// {{.a}} / {{.a.b}} actions, or nil.
func simpleSegments(t *template.Template) []segment {
	var segs []segment
	for _, n := range t.Tree.Root.Nodes {
		switch x := n.(type) {
		case *parse.TextNode:
			segs = append(segs, segment{lit: string(x.Text)})
		case *parse.ActionNode:
			if len(x.Pipe.Decl) > 0 || len(x.Pipe.Cmds) != 1 || len(x.Pipe.Cmds[0].Args) != 1 {
				return nil
			}
			f, ok := x.Pipe.Cmds[0].Args[0].(*parse.FieldNode)
			if !ok || len(f.Ident) > 2 {
				return nil
			}
			segs = append(segs, segment{path: f.Ident})
		default:
			return nil
		}
	}
	return segs
}

// appendSegments renders segments with text/template's semantics for the
// values journeys hold (strings, maps of strings, the uint64 journey id),
// including its "map has no entry for key" error for missing variables.
func appendSegments(dst []byte, segs []segment, vars map[string]any) ([]byte, error) {
	for _, sg := range segs {
		if sg.path == nil {
			dst = append(dst, sg.lit...)
			continue
		}
		v, ok := vars[sg.path[0]]
		if !ok {
			return dst, fmt.Errorf("map has no entry for key %q", sg.path[0])
		}
		if len(sg.path) == 2 {
			m, ok := v.(map[string]string)
			if !ok {
				return dst, fmt.Errorf("%s is not a record, cannot read .%s", sg.path[0], sg.path[1])
			}
			s, ok := m[sg.path[1]]
			if !ok {
				return dst, fmt.Errorf("map has no entry for key %q", sg.path[1])
			}
			dst = append(dst, s...)
			continue
		}
		switch x := v.(type) {
		case string:
			dst = append(dst, x...)
		case uint64:
			dst = strconv.AppendUint(dst, x, 10)
		default:
			dst = fmt.Append(dst, x)
		}
	}
	return dst, nil
}

func newTemplates(now func() time.Time) *templates {
	t := &templates{now: now}
	t.root = template.New("").Funcs(templateFuncs(&funcState{})).Option("missingkey=error")
	t.pool.New = func() any { return t.newRenderer() }
	return t
}

func (t *templates) add(name, src string) (text, error) {
	if !bytes.Contains([]byte(src), []byte("{{")) {
		return text{lit: src, id: -1}, nil
	}
	parsed, err := t.root.New(name).Parse(src)
	if err != nil {
		return text{}, fmt.Errorf("template %s: %w", name, err)
	}
	t.names = append(t.names, name)
	return text{id: len(t.names) - 1, segs: simpleSegments(parsed)}, nil
}

type renderer struct {
	state funcState
	byID  []*template.Template
	buf   bytes.Buffer
}

func (t *templates) newRenderer() *renderer {
	r := &renderer{state: funcState{now: t.now}}
	clone := template.Must(t.root.Clone()).Funcs(templateFuncs(&r.state))
	r.byID = make([]*template.Template, len(t.names))
	for i, n := range t.names {
		r.byID[i] = clone.Lookup(n)
	}
	return r
}

func (t *templates) get(rng *rand.Rand) *renderer {
	r := t.pool.Get().(*renderer)
	r.state.rng = rng
	return r
}

func (t *templates) put(r *renderer) {
	r.state.rng = nil
	t.pool.Put(r)
}

// lazyRenderer renders texts, taking a pooled renderer only when a
// template needs text/template (functions, conditions).
type lazyRenderer struct {
	t   *templates
	rng *rand.Rand
	r   *renderer
	tmp []byte
}

func (l *lazyRenderer) release() {
	if l.r != nil {
		l.t.put(l.r)
		l.r = nil
	}
}

func (l *lazyRenderer) template(id int) *template.Template {
	if l.r == nil {
		l.r = l.t.get(l.rng)
	}
	return l.r.byID[id]
}

// appendText renders x into dst.
func (l *lazyRenderer) appendText(dst *bytes.Buffer, x text, vars map[string]any) error {
	switch {
	case x.id < 0:
		dst.WriteString(x.lit)
		return nil
	case x.segs != nil:
		var err error
		l.tmp, err = appendSegments(l.tmp[:0], x.segs, vars)
		dst.Write(l.tmp)
		return err
	}
	return l.template(x.id).Execute(dst, vars)
}

// string renders x to a string.
func (l *lazyRenderer) string(x text, vars map[string]any) (string, error) {
	switch {
	case x.id < 0:
		return x.lit, nil
	case x.segs != nil:
		var err error
		l.tmp, err = appendSegments(l.tmp[:0], x.segs, vars)
		return string(l.tmp), err
	}
	t := l.template(x.id)
	l.r.buf.Reset()
	if err := t.Execute(&l.r.buf, vars); err != nil {
		return "", err
	}
	return l.r.buf.String(), nil
}
