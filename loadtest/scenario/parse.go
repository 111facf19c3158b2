package scenario

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Problem is one thing wrong with a scenario file.
type Problem struct {
	File    string
	Line    int // 0 when unknown
	Column  int // 0 when unknown
	Field   string
	Message string
}

// String formats the problem as "file:line: field: message".
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		if b.Len() == 0 {
			b.WriteString("line ")
		} else {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error lists every problem found in a scenario file, one per line.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads, strictly decodes, validates and defaults a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenario: %w", err)
	}
	return Parse(data, path)
}

// Parse strictly decodes a scenario (unknown fields, type errors and bare
// numbers as durations are errors), validates it and applies defaults. path
// names the file in errors and anchors relative feeder and attachment paths.
// A returned error is an *Error listing every problem at once.
func Parse(data []byte, path string) (*Scenario, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(path, err)}}
	}
	var body ast.Node
	switch {
	case len(file.Docs) == 0 || file.Docs[0].Body == nil:
		return nil, &Error{Problems: []Problem{{File: path, Message: "empty scenario file"}}}
	case len(file.Docs) > 1:
		return nil, &Error{Problems: []Problem{{File: path, Line: lineOf(file.Docs[1]), Message: "a scenario file holds one YAML document, found more"}}}
	default:
		body = file.Docs[0].Body
	}
	c := shapeChecker{file: path, lines: map[string]int{}}
	c.check(body, reflect.TypeOf(Scenario{}), "")
	if len(c.problems) > 0 {
		return nil, &Error{Problems: c.problems}
	}
	var s Scenario
	if err := yaml.NodeToValue(body, &s, yaml.Strict()); err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(path, err)}}
	}
	s.Path = path
	s.lines = c.lines
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s.ApplyDefaults()
	return &s, nil
}

// Resolve returns rel relative to the scenario file's folder (feeder CSVs,
// multipart files); absolute paths are returned unchanged.
func (s *Scenario) Resolve(rel string) string {
	if filepath.IsAbs(rel) || s.Path == "" {
		return rel
	}
	return filepath.Join(filepath.Dir(s.Path), rel)
}

// LineOf returns the line of a field path such as "arrival.rate" or
// "journeys.apply.steps[2].path" in the file the scenario was parsed from,
// falling back to the nearest enclosing field; 0 if unknown.
func (s *Scenario) LineOf(field string) int {
	for field != "" {
		if l, ok := s.lines[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			break
		}
		field = field[:i]
	}
	return 0
}

func yamlProblem(path string, err error) Problem {
	p := Problem{File: path, Message: err.Error()}
	var yerr yaml.Error
	if errors.As(err, &yerr) {
		p.Message = yerr.GetMessage()
		if tk := yerr.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Column = tk.Position.Line, tk.Position.Column
		}
	}
	return p
}

func lineOf(n ast.Node) int {
	if n == nil {
		return 0
	}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		return tk.Position.Line
	}
	return 0
}

var durationType = reflect.TypeOf(Duration(0))

// shapeChecker walks the YAML tree against the Go types before decoding, so
// every unknown field, wrong type and unit-less duration is reported at once
// with its line (the decoder stops at the first), and records each field's
// line for Validate.
type shapeChecker struct {
	file     string
	lines    map[string]int
	problems []Problem
}

func (c *shapeChecker) add(n ast.Node, field, format string, args ...any) {
	p := Problem{File: c.file, Field: field, Message: fmt.Sprintf(format, args...)}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		p.Line, p.Column = tk.Position.Line, tk.Position.Column
	}
	c.problems = append(c.problems, p)
}

func unwrap(n ast.Node) ast.Node {
	for {
		switch x := n.(type) {
		case *ast.TagNode:
			n = x.Value
		case *ast.AnchorNode:
			n = x.Value
		default:
			return n
		}
	}
}

func mappingValues(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch x := n.(type) {
	case *ast.MappingNode:
		return x.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{x}, true
	}
	return nil, false
}

func keyString(k ast.MapKeyNode) string {
	switch x := unwrap(k).(type) {
	case *ast.StringNode:
		return x.Value
	case *ast.MappingKeyNode:
		return keyString(x.Value.(ast.MapKeyNode))
	}
	return k.GetToken().Value
}

func kindName(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.StringType, ast.LiteralType:
		return "a string"
	case ast.IntegerType:
		return "an integer"
	case ast.FloatType, ast.InfinityType, ast.NanType:
		return "a number"
	case ast.BoolType:
		return "a boolean"
	}
	return n.Type().String()
}

func joinField(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func (c *shapeChecker) check(n ast.Node, t reflect.Type, field string) {
	n = unwrap(n)
	if n == nil || n.Type() == ast.NullType || n.Type() == ast.AliasType {
		return
	}
	if t == durationType {
		s, ok := n.(*ast.StringNode)
		if !ok {
			c.add(n, field, "duration %s has no unit: write e.g. %q or %q", n.GetToken().Value, n.GetToken().Value+"s", n.GetToken().Value+"ms")
			return
		}
		if _, err := time.ParseDuration(s.Value); err != nil {
			c.add(n, field, "invalid duration %q: want a number with a unit, e.g. \"1.5s\" or \"200ms\"", s.Value)
		}
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		c.check(n, t.Elem(), field)
	case reflect.Interface:
		// Free-form (a step's json body): anything goes.
	case reflect.Struct:
		values, ok := mappingValues(n)
		if !ok {
			c.add(n, field, "want a mapping, got %s", kindName(n))
			return
		}
		fields := yamlFields(t)
		seen := map[string]bool{}
		for _, mv := range values {
			name := keyString(mv.Key)
			sub := joinField(field, name)
			if seen[name] {
				c.add(mv.Key, sub, "field given twice")
				continue
			}
			seen[name] = true
			ft, ok := fields[name]
			if !ok {
				c.add(mv.Key, sub, "unknown field %q (known: %s)", name, strings.Join(sortedKeys(fields), ", "))
				continue
			}
			c.lines[sub] = lineOf(mv.Key)
			c.check(mv.Value, ft, sub)
		}
	case reflect.Map:
		values, ok := mappingValues(n)
		if !ok {
			c.add(n, field, "want a mapping, got %s", kindName(n))
			return
		}
		for _, mv := range values {
			name := keyString(mv.Key)
			sub := joinField(field, name)
			c.lines[sub] = lineOf(mv.Key)
			c.check(mv.Value, t.Elem(), sub)
		}
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			c.add(n, field, "want a list, got %s", kindName(n))
			return
		}
		for i, v := range seq.Values {
			sub := fmt.Sprintf("%s[%d]", field, i)
			c.lines[sub] = lineOf(v)
			c.check(v, t.Elem(), sub)
		}
	case reflect.String:
		switch n.Type() {
		case ast.StringType, ast.LiteralType, ast.IntegerType, ast.FloatType, ast.BoolType:
		default:
			c.add(n, field, "want a string, got %s", kindName(n))
		}
	case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Int32, reflect.Uint32, reflect.Uint:
		if n.Type() != ast.IntegerType {
			c.add(n, field, "want an integer, got %s %s", kindName(n), n.GetToken().Value)
		} else if (t.Kind() == reflect.Uint64 || t.Kind() == reflect.Uint || t.Kind() == reflect.Uint32) && strings.HasPrefix(n.GetToken().Value, "-") {
			c.add(n, field, "must be >= 0")
		}
	case reflect.Float64:
		if n.Type() != ast.IntegerType && n.Type() != ast.FloatType {
			c.add(n, field, "want a number, got %s %s", kindName(n), n.GetToken().Value)
		}
	case reflect.Bool:
		if n.Type() != ast.BoolType {
			c.add(n, field, "want true or false, got %s %s", kindName(n), n.GetToken().Value)
		}
	}
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
