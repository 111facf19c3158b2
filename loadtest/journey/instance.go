package journey

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Instance is one virtual citizen doing one journey. It is not safe for
// concurrent use; different instances may run concurrently.
type Instance struct {
	plan    *Plan
	id      uint64
	rng     *rand.Rand
	mix     *mixPlan
	persona *personaPlan
	vars    map[string]any

	step      int       // index of the current step
	attempt   int       // requests sent for the current step (polls count up)
	sent      bool      // any request sent yet
	pollStart time.Time // when the current step's first attempt left
	done      bool
	outcome   Outcome
}

// Start begins a journey for arrival id: it picks the mix entry by weight,
// the persona by share and a row of every feeder, all from rng, so a seed
// reproduces the run. rng belongs to the instance from then on.
func (p *Plan) Start(id uint64, rng *rand.Rand) *Instance {
	in := &Instance{plan: p, id: id, rng: rng}
	if p.mixSeq {
		in.mix = &p.mix[id%uint64(len(p.mix))]
	} else {
		in.mix = &p.mix[pick(p.mixCum, rng)]
	}
	in.persona = &p.personas[pick(p.persCum, rng)]
	in.vars = make(map[string]any, p.nvars)
	in.vars["procedure"] = in.mix.procedure
	in.vars["journey_id"] = id
	in.vars["persona"] = in.persona.name
	for i := range p.feeders {
		f := &p.feeders[i]
		var row int
		if f.sequential {
			row = int(id % uint64(f.count))
		} else {
			row = rng.IntN(f.count)
		}
		in.vars[f.name] = f.row(row)
	}
	if len(p.vars)+len(in.mix.vars) > 0 {
		r := &lazyRenderer{t: p.tmpl, rng: rng}
		defer r.release()
		for _, group := range [][]varPlan{p.vars, in.mix.vars} {
			for _, v := range group {
				val, err := r.string(v.val, in.vars)
				if err != nil {
					in.end(Failed, "", renderReason("var "+v.name, err))
					return in
				}
				in.vars[v.name] = val
			}
		}
	}
	return in
}

// pick returns the index chosen by a uniform draw over cumulative weights.
func pick(cum []float64, rng *rand.Rand) int {
	if len(cum) == 1 {
		return 0
	}
	r := rng.Float64() * cum[len(cum)-1]
	i := sort.SearchFloat64s(cum, r)
	if i < len(cum) && cum[i] == r {
		i++ // r falls on a boundary: it belongs to the next entry
	}
	return min(i, len(cum)-1)
}

// ID is the arrival id given to Start.
func (in *Instance) ID() uint64 { return in.id }

// Journey is the name of the journey being run.
func (in *Instance) Journey() string { return in.mix.journey.name }

// Procedure is the mix entry's procedure code ("" if none).
func (in *Instance) Procedure() string { return in.mix.procedure }

// Persona is the persona's name.
func (in *Instance) Persona() string { return in.persona.name }

// Outcome is how the journey ended; its Kind is "" while it runs.
func (in *Instance) Outcome() Outcome { return in.outcome }

// Var returns a journey variable (tests, debugging).
func (in *Instance) Var(name string) (any, bool) {
	v, ok := in.vars[name]
	return v, ok
}

func (in *Instance) end(kind, step, reason string) Action {
	in.done = true
	in.outcome = Outcome{Kind: kind, FailedStep: step, Reason: reason}
	return Action{Done: true}
}

// Next returns the next request to send, or Done. Steps whose when renders
// to anything but "true" are skipped; before each step after the first
// request the persona may abandon; the delay is think time (unless the step
// opts out, and never before the first request) plus client latency, or the
// poll interval for a repeated poll.
func (in *Instance) Next() Action {
	if in.done {
		return Action{Done: true}
	}
	steps := in.mix.journey.steps
	r := &lazyRenderer{t: in.plan.tmpl, rng: in.rng}
	defer r.release()
	for in.attempt == 0 {
		if in.step >= len(steps) {
			return in.end(Completed, "", "")
		}
		st := &steps[in.step]
		if st.when != nil {
			v, err := r.string(*st.when, in.vars)
			if err != nil {
				return in.end(Failed, st.name, renderReason("when", err))
			}
			if strings.TrimSpace(v) != "true" {
				in.step++
				continue
			}
		}
		break
	}
	st := &steps[in.step]
	var delay time.Duration
	if in.attempt == 0 {
		if in.sent {
			p := in.persona.abandon
			if at, ok := in.persona.abandonAt[st.name]; ok {
				p = at
			}
			if p > 0 && in.rng.Float64() < p {
				return in.end(Abandoned, st.name, "persona "+in.persona.name+" abandoned before "+st.name)
			}
			if st.think {
				delay += in.persona.think.Sample(in.rng)
			}
		}
	} else {
		delay += st.poll.every
	}
	delay += in.persona.latency.Sample(in.rng)
	req, err := in.render(r, st)
	if err != nil {
		return in.end(Failed, st.name, err.Error())
	}
	in.attempt++
	in.sent = true
	return Action{Delay: delay, Step: st.name, StepIndex: in.step, Attempt: in.attempt, Request: req}
}

func renderReason(what string, err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "map has no entry for key "); i >= 0 {
		return fmt.Sprintf("render %s: missing variable %s", what, msg[i+len("map has no entry for key "):])
	}
	if i := strings.LastIndex(msg, ": error calling "); i >= 0 {
		msg = msg[i+2:]
	} else if i := strings.Index(msg, "executing "); i >= 0 {
		msg = msg[i:]
	}
	return fmt.Sprintf("render %s: %s", what, msg)
}

func (in *Instance) render(r *lazyRenderer, st *stepPlan) (Request, error) {
	req := Request{Method: st.method}
	var err error
	if req.Path, err = r.string(st.path, in.vars); err != nil {
		return req, fmt.Errorf("%s", renderReason("path", err))
	}
	nh := len(st.headers)
	if st.kind != bodyNone {
		nh++
	}
	if nh > 0 {
		req.Header = make(http.Header, nh)
	}
	for _, h := range st.headers {
		v, err := r.string(h.val, in.vars)
		if err != nil {
			return req, fmt.Errorf("%s", renderReason("header "+h.key, err))
		}
		req.Header[h.key] = []string{v}
	}
	switch st.kind {
	case bodyRaw:
		var b bytes.Buffer
		if err := r.appendText(&b, st.body, in.vars); err != nil {
			return req, fmt.Errorf("%s", renderReason("body", err))
		}
		req.Body = b.Bytes()
	case bodyJSON:
		b := bytes.NewBuffer(make([]byte, 0, 256))
		if err := in.appendJSON(r, b, st.json); err != nil {
			return req, fmt.Errorf("%s", renderReason("json body", err))
		}
		req.Body = b.Bytes()
		if _, ok := req.Header["Content-Type"]; !ok {
			req.Header["Content-Type"] = []string{"application/json"}
		}
	case bodyMultipart:
		var b bytes.Buffer
		ct, err := in.appendMultipart(r, &b, st.multipart)
		if err != nil {
			return req, err
		}
		req.Body = b.Bytes()
		req.Header["Content-Type"] = []string{ct}
	}
	return req, nil
}

func (in *Instance) appendJSON(r *lazyRenderer, b *bytes.Buffer, n *jsonNode) error {
	switch n.kind {
	case 'v':
		b.Write(n.raw)
	case 's':
		s, err := r.string(n.str, in.vars)
		if err != nil {
			return err
		}
		appendJSONString(b, s)
	case 'o':
		b.WriteByte('{')
		for i, c := range n.children {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(n.keys[i])
			if err := in.appendJSON(r, b, c); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, c := range n.children {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := in.appendJSON(r, b, c); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	}
	return nil
}

// appendJSONString writes s as a JSON string without reflection.
func appendJSONString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			default:
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			b.WriteString(`\u202`)
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

func (in *Instance) appendMultipart(r *lazyRenderer, b *bytes.Buffer, mp *multipartPlan) (string, error) {
	w := multipart.NewWriter(b)
	for _, f := range mp.fields {
		v, err := r.string(f.val, in.vars)
		if err != nil {
			return "", fmt.Errorf("%s", renderReason("multipart field "+f.name, err))
		}
		if err := w.WriteField(f.name, v); err != nil {
			return "", fmt.Errorf("multipart field %s: %w", f.name, err)
		}
	}
	for _, f := range mp.files {
		h := make(textproto.MIMEHeader, 2)
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, f.field, f.filename))
		h.Set("Content-Type", f.contentType)
		part, err := w.CreatePart(h)
		if err != nil {
			return "", fmt.Errorf("multipart file %s: %w", f.filename, err)
		}
		if _, err := part.Write(f.content); err != nil {
			return "", fmt.Errorf("multipart file %s: %w", f.filename, err)
		}
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("multipart: %w", err)
	}
	return w.FormDataContentType(), nil
}

// Handle takes the response to the last Action: it checks the status,
// extracts variables, evaluates the poll condition and moves on.
func (in *Instance) Handle(resp Response) {
	if in.done || in.attempt == 0 {
		return
	}
	st := &in.mix.journey.steps[in.step]
	if resp.Error != "" {
		in.end(Failed, st.name, "transport error: "+resp.Error)
		return
	}
	if !statusOK(st.expect, resp.Status) {
		in.end(Failed, st.name, fmt.Sprintf("status %d, want %s%s", resp.Status, st.expectStr, snippet(resp.Body)))
		return
	}
	for _, x := range st.extract {
		v := gjson.GetBytes(resp.Body, x.path)
		if !v.Exists() {
			in.end(Failed, st.name, fmt.Sprintf("extract %s: path %s not found%s", x.name, x.path, snippet(resp.Body)))
			return
		}
		in.vars[x.name] = v.String()
	}
	if pl := st.poll; pl != nil {
		if in.attempt == 1 {
			in.pollStart = resp.At.Add(-resp.Latency)
		}
		v := gjson.GetBytes(resp.Body, pl.path).String()
		for _, f := range pl.fail {
			if v == f {
				in.end(Failed, st.name, fmt.Sprintf("poll: %s=%s", pl.label, v))
				return
			}
		}
		met := false
		for _, want := range pl.in {
			if v == want {
				met = true
				break
			}
		}
		if !met {
			if elapsed := resp.At.Sub(in.pollStart); elapsed+pl.every > pl.timeout {
				in.end(Failed, st.name, fmt.Sprintf("poll timeout after %s (last %s=%s)", pl.timeout, pl.label, v))
			}
			return // poll again
		}
	}
	in.step++
	in.attempt = 0
}

func statusOK(expect []int, status int) bool {
	if len(expect) == 0 {
		return status >= 200 && status < 300
	}
	for _, c := range expect {
		if c == status {
			return true
		}
	}
	return false
}

// snippet is a short single-line extract of a body for failure reasons.
func snippet(body []byte) string {
	const max = 120
	if len(body) == 0 {
		return ""
	}
	s := body
	if len(s) > max {
		s = s[:max]
		for len(s) > 0 && !utf8.Valid(s) {
			s = s[:len(s)-1]
		}
	}
	out := strings.Join(strings.Fields(string(s)), " ")
	if len(body) > max {
		out += "…"
	}
	return ": " + out
}
