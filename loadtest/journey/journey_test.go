package journey

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"mime"
	"mime/multipart"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal/mock"
)

// base is a scenario whose journeys the tests replace.
const base = `name: t
duration: 10s
arrival: {profile: constant, rate: 1}
feeders:
  - {name: citizen, type: citizens, count: 1000}
  - {name: people, type: csv, file: people.csv, order: sequential}


`

func compileYAML(t testing.TB, src string) *Plan {
	t.Helper()
	s, err := scenario.Parse([]byte(src), "testdata/test.yaml")
	if err != nil {
		t.Fatalf("parse:\n%v", err)
	}
	p, err := Compile(s)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	p.SetClock(func() time.Time { return time.Date(2026, 3, 2, 20, 30, 0, 0, time.UTC) }) // 03:30 on 3 March in Hà Nội
	return p
}

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

const applyJourney = `mix:
  - {journey: apply, procedure: "1.001193", weight: 1, vars: {child: "Bé {{.people.full_name}}"}}
personas:
  - name: steady
    share: 1
    think: {dist: constant, value: 2s}
    latency: {dist: constant, value: 10ms}
journeys:
  apply:
    steps:
      - name: otp
        method: POST
        path: /api/v1/auth/otp
        json: {personal_id: "{{.citizen.personal_id}}", n: 3, ok: true, none: null, list: [a, "{{.persona}}"]}
        extract: {challenge: challenge_id, otp: dev_otp}
      - name: login
        method: POST
        path: /api/v1/auth/login
        json: {challenge_id: "{{.challenge}}", otp: "{{.otp}}"}
        think: false
        extract: {token: token}
      - name: create
        method: POST
        path: /api/v1/dossiers
        headers: {authorization: "Bearer {{.token}}"}
        json: {procedure_code: "{{.procedure}}", form: {child_name: "{{.child}}"}}
        expect: [201]
        extract: {dossier_id: id}
      - name: fill
        method: PATCH
        path: /api/v1/dossiers/{{.dossier_id}}
        headers: {Authorization: "Bearer {{.token}}", Content-Type: application/json}
        body: '{"form": {"note": {{json .child}}}}'
      - name: submit
        method: POST
        path: /api/v1/dossiers/{{.dossier_id}}/submit
        headers: {Authorization: "Bearer {{.token}}"}
`

func resp(status int, body string) Response {
	return Response{Status: status, Body: []byte(body), Latency: 5 * time.Millisecond, At: time.Unix(1000, 0)}
}

var happyResponses = []Response{
	resp(200, `{"challenge_id":"c-1","dev_otp":"123456"}`),
	resp(200, `{"token":"tok","role":"citizen"}`),
	resp(201, `{"id":"d-42","status":"draft"}`),
	resp(200, `{"id":"d-42"}`),
	resp(200, `{"id":"d-42","status":"submitted"}`),
}

func TestHappyJourney(t *testing.T) {
	p := compileYAML(t, base+applyJourney)
	in := p.Start(7, rng(1))
	if in.Journey() != "apply" || in.Procedure() != "1.001193" || in.Persona() != "steady" || in.ID() != 7 {
		t.Fatalf("instance = %s %s %s %d", in.Journey(), in.Procedure(), in.Persona(), in.ID())
	}
	citizen, _ := in.Var("citizen")
	pid := citizen.(map[string]string)["personal_id"]
	idx := citizen.(map[string]string)["index"]
	if pid == "" || pid != mock.CitizenID(atoi(t, idx)) {
		t.Fatalf("citizen %v is not mock citizen %s", citizen, idx)
	}
	wantDelays := []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 2010 * time.Millisecond, 2010 * time.Millisecond, 2010 * time.Millisecond}
	var got []Action
	for i, r := range happyResponses {
		a := in.Next()
		if a.Done {
			t.Fatalf("step %d: done early: %+v", i, in.Outcome())
		}
		if a.StepIndex != i || a.Attempt != 1 || a.Delay != wantDelays[i] {
			t.Errorf("step %d: index %d attempt %d delay %v, want %d 1 %v", i, a.StepIndex, a.Attempt, a.Delay, i, wantDelays[i])
		}
		got = append(got, a)
		in.Handle(r)
	}
	if a := in.Next(); !a.Done || in.Outcome().Kind != Completed {
		t.Fatalf("after last step: %+v %+v", a, in.Outcome())
	}
	if a := in.Next(); !a.Done {
		t.Error("Next after Done is not Done")
	}

	otp := got[0].Request
	if otp.Method != "POST" || otp.Path != "/api/v1/auth/otp" || otp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("otp request = %+v", otp)
	}
	wantBody := `{"list":["a","steady"],"n":3,"none":null,"ok":true,"personal_id":"` + pid + `"}`
	if string(otp.Body) != wantBody {
		t.Errorf("otp body = %s, want %s", otp.Body, wantBody)
	}
	if b := string(got[1].Request.Body); b != `{"challenge_id":"c-1","otp":"123456"}` {
		t.Errorf("login body = %s", b)
	}
	create := got[2].Request
	if create.Header.Get("Authorization") != "Bearer tok" {
		t.Errorf("create headers = %v", create.Header)
	}
	if b := string(create.Body); b != `{"form":{"child_name":"Bé Trần Thị Bình"},"procedure_code":"1.001193"}` {
		t.Errorf("create body = %s (sequential feeder: journey 7 of 3 rows takes row 1)", b)
	}
	fill := got[3].Request
	if fill.Method != "PATCH" || fill.Path != "/api/v1/dossiers/d-42" || string(fill.Body) != `{"form": {"note": "Bé Trần Thị Bình"}}` {
		t.Errorf("fill = %s %s %s", fill.Method, fill.Path, fill.Body)
	}
	if got[4].Request.Path != "/api/v1/dossiers/d-42/submit" || got[4].Request.Body != nil || got[4].Request.Header.Get("Content-Type") != "" {
		t.Errorf("submit = %+v", got[4].Request)
	}
	if v, _ := in.Var("dossier_id"); v != "d-42" {
		t.Errorf("dossier_id = %v", v)
	}
}

func atoi(t *testing.T, s string) int {
	var n int
	if err := json.Unmarshal([]byte(s), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Same seed, same choices; over many journeys the mix follows the weights.
func TestStartDeterminismAndWeights(t *testing.T) {
	p := compileYAML(t, base+`mix:
  - {journey: a, procedure: A, weight: 3}
  - {journey: b, procedure: B, weight: 1}
personas:
  - {name: x, share: 1}
  - {name: y, share: 4}
journeys:
  a: {steps: [{name: s, method: GET, path: "/a/{{.citizen.personal_id}}"}]}
  b: {steps: [{name: s, method: GET, path: "/b/{{.citizen.personal_id}}"}]}
`)
	r1, r2 := rng(42), rng(42)
	for i := uint64(0); i < 50; i++ {
		a, b := p.Start(i, r1), p.Start(i, r2)
		if a.Procedure() != b.Procedure() || a.Persona() != b.Persona() || a.Next().Request.Path != b.Next().Request.Path {
			t.Fatalf("journey %d differs between equal seeds", i)
		}
	}
	const n = 40000
	counts := map[string]int{}
	r := rng(3)
	for i := uint64(0); i < n; i++ {
		in := p.Start(i, r)
		counts[in.Procedure()]++
		counts[in.Persona()]++
	}
	for key, want := range map[string]float64{"A": 0.75, "B": 0.25, "x": 0.2, "y": 0.8} {
		got := float64(counts[key]) / n
		sd := math.Sqrt(want * (1 - want) / n)
		if math.Abs(got-want) > 4*sd {
			t.Errorf("share of %s = %.4f, want %.2f ± %.4f", key, got, want, 4*sd)
		}
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name     string
		at       int // response index replaced
		resp     Response
		wantStep string
		want     string
	}{
		{"wrong status", 2, resp(503, `{"error":{"code":"unavailable","message":"overloaded"}}`), "create",
			`status 503, want [201]: {"error":{"code":"unavailable","message":"overloaded"}}`},
		{"non-2xx by default", 0, resp(429, ""), "otp", "status 429, want 2xx"},
		{"transport", 1, Response{Error: "dial tcp 127.0.0.1:1: connection refused"}, "login", "transport error: dial tcp 127.0.0.1:1: connection refused"},
		{"extract missing", 2, resp(201, `{"status":"draft"}`), "create", `extract dossier_id: path id not found: {"status":"draft"}`},
		{"long body snippet", 3, resp(500, strings.Repeat("x", 300)), "fill", "status 500, want 2xx: " + strings.Repeat("x", 120) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compileYAML(t, base+applyJourney)
			in := p.Start(1, rng(1))
			for i, r := range happyResponses {
				if a := in.Next(); a.Done {
					break
				}
				if i == tt.at {
					r = tt.resp
				}
				in.Handle(r)
			}
			o := in.Outcome()
			if o.Kind != Failed || o.FailedStep != tt.wantStep || o.Reason != tt.want {
				t.Errorf("outcome = %+v\nwant failed at %s: %s", o, tt.wantStep, tt.want)
			}
			if a := in.Next(); !a.Done {
				t.Error("failed journey continues")
			}
		})
	}
}

func TestMissingVariableFailsAtRender(t *testing.T) {
	p := compileYAML(t, base+`mix: [{journey: j, weight: 1}]
personas: [{name: p, share: 1}]
journeys:
  j:
    steps:
      - {name: early, method: GET, path: "/x/{{.late}}"}
      - {name: later, method: GET, path: /y, extract: {late: id}}
`)
	in := p.Start(1, rng(1))
	if a := in.Next(); !a.Done {
		t.Fatalf("rendered %+v with a missing variable", a.Request)
	}
	if o := in.Outcome(); o.Kind != Failed || o.FailedStep != "early" || o.Reason != `render path: missing variable "late"` {
		t.Errorf("outcome = %+v", o)
	}
}

func TestWhenSkipsSteps(t *testing.T) {
	p := compileYAML(t, base+`mix:
  - {journey: j, weight: 1, vars: {fee: "0"}}
personas: [{name: p, share: 1}]
journeys:
  j:
    steps:
      - {name: a, method: GET, path: /a}
      - {name: pay, method: POST, path: /pay, when: '{{ne .fee "0"}}'}
      - {name: b, method: GET, path: /b, when: "true"}
      - {name: c, method: GET, path: /c, when: '{{if eq .persona "p"}}false{{else}}true{{end}}'}
`)
	in := p.Start(1, rng(1))
	var steps []string
	for {
		a := in.Next()
		if a.Done {
			break
		}
		steps = append(steps, a.Step)
		in.Handle(resp(200, "{}"))
	}
	if strings.Join(steps, ",") != "a,b" || in.Outcome().Kind != Completed {
		t.Errorf("steps = %v, outcome %+v; want a,b completed", steps, in.Outcome())
	}
}

const pollJourney = base + `mix: [{journey: j, weight: 1}]
personas: [{name: p, share: 1, think: {dist: constant, value: 1s}, latency: {dist: constant, value: 5ms}}]
journeys:
  j:
    steps:
      - {name: submit, method: POST, path: /s, extract: {id: id}}
      - name: wait
        method: GET
        path: /d/{{.id}}
        poll: {until: {path: dossier.status, in: [received, processing], fail: [rejected]}, every: 2s, timeout: 10s}
      - {name: done, method: GET, path: /done}
`

func TestPoll(t *testing.T) {
	at := func(sec int, status string) Response {
		return Response{Status: 200, Body: []byte(`{"dossier":{"status":"` + status + `"}}`), Latency: 10 * time.Millisecond, At: time.Unix(int64(1000+sec), 0)}
	}
	tests := []struct {
		name      string
		responses []Response
		attempts  int
		want      Outcome
	}{
		{"met on third attempt", []Response{at(0, "submitted"), at(2, "submitted"), at(4, "received")}, 3, Outcome{Kind: Completed}},
		{"met at once", []Response{at(0, "processing")}, 1, Outcome{Kind: Completed}},
		{"fail value", []Response{at(0, "submitted"), at(2, "rejected")}, 2, Outcome{Kind: Failed, FailedStep: "wait", Reason: "poll: status=rejected"}},
		{"timeout", []Response{at(0, "submitted"), at(2, "submitted"), at(4, "submitted"), at(6, "submitted"), at(8, "submitted")}, 5,
			Outcome{Kind: Failed, FailedStep: "wait", Reason: "poll timeout after 10s (last status=submitted)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := compileYAML(t, pollJourney).Start(1, rng(1))
			in.Next()
			in.Handle(resp(200, `{"id":"d1"}`))
			attempts := 0
			for _, r := range tt.responses {
				a := in.Next()
				if a.Done || a.Step != "wait" {
					t.Fatalf("attempt %d: %+v %+v", attempts+1, a, in.Outcome())
				}
				attempts++
				if a.Attempt != attempts || a.Request.Path != "/d/d1" {
					t.Errorf("attempt = %d path %s, want %d /d/d1", a.Attempt, a.Request.Path, attempts)
				}
				want := 1*time.Second + 5*time.Millisecond
				if attempts > 1 {
					want = 2*time.Second + 5*time.Millisecond // the poll interval replaces think time
				}
				if a.Delay != want {
					t.Errorf("attempt %d delay = %v, want %v", attempts, a.Delay, want)
				}
				in.Handle(r)
			}
			if tt.want.Kind == Completed {
				if a := in.Next(); a.Step != "done" {
					t.Fatalf("after poll: %+v %+v", a, in.Outcome())
				}
				in.Handle(resp(200, ""))
				in.Next()
			}
			if attempts != tt.attempts || in.Outcome() != tt.want {
				t.Errorf("attempts %d outcome %+v, want %d %+v", attempts, in.Outcome(), tt.attempts, tt.want)
			}
		})
	}
}

func TestAbandonment(t *testing.T) {
	src := base + `mix: [{journey: j, weight: 1}]
personas:
  - {name: quitter, share: 1, abandon: 0.2, abandon_at: {c: 1}}
journeys:
  j:
    steps:
      - {name: a, method: GET, path: /a}
      - {name: b, method: GET, path: /b}
      - {name: c, method: GET, path: /c}
`
	p := compileYAML(t, src)
	const n = 20000
	stopped := map[string]int{}
	r := rng(9)
	for i := uint64(0); i < n; i++ {
		in := p.Start(i, r)
		for {
			a := in.Next()
			if a.Done {
				break
			}
			in.Handle(resp(200, ""))
		}
		o := in.Outcome()
		if o.Kind != Abandoned {
			t.Fatalf("journey %d: %+v, want abandoned (c has probability 1)", i, o)
		}
		stopped[o.FailedStep]++
	}
	// Never before the first request; 0.2 before b; the rest before c.
	if stopped["a"] != 0 {
		t.Errorf("%d abandoned before the first request", stopped["a"])
	}
	got := float64(stopped["b"]) / n
	if sd := math.Sqrt(0.2 * 0.8 / n); math.Abs(got-0.2) > 4*sd {
		t.Errorf("abandon rate before b = %.4f, want 0.2 ± %.4f", got, 4*sd)
	}
	if stopped["b"]+stopped["c"] != n {
		t.Errorf("stopped = %v", stopped)
	}
}

func TestTemplateFunctions(t *testing.T) {
	p := compileYAML(t, base+`mix: [{journey: j, weight: 1, vars: {empty: ""}}]
personas: [{name: p, share: 1}]
journeys:
  j:
    steps:
      - name: s
        method: POST
        path: '/q?q={{urlquery "khai sinh & tử"}}&n={{randInt 5 6}}'
        headers:
          X-Today: "{{today}}"
          X-Now: "{{now}}"
          X-Week: "{{date_offset -7}}"
          X-Default: '{{default "none" .empty}}'
          X-UUID: "{{uuid}}"
        body: '{"name": {{json .people.full_name}}, "q": {{json "a\"b"}}}'
`)
	in := p.Start(0, rng(1))
	a := in.Next()
	if a.Done {
		t.Fatal(in.Outcome())
	}
	h := a.Request.Header
	if a.Request.Path != "/q?q=khai+sinh+%26+t%E1%BB%AD&n=5" {
		t.Errorf("path = %s", a.Request.Path)
	}
	if h.Get("X-Today") != "2026-03-03" || h.Get("X-Now") != "2026-03-03T03:30:00+07:00" || h.Get("X-Week") != "2026-02-24" {
		t.Errorf("dates (Vietnam time) = %s %s %s", h.Get("X-Today"), h.Get("X-Now"), h.Get("X-Week"))
	}
	if h.Get("X-Default") != "none" {
		t.Errorf("default = %q", h.Get("X-Default"))
	}
	if u := h.Get("X-UUID"); len(u) != 36 || u[14] != '4' {
		t.Errorf("uuid = %q", u)
	}
	if b := string(a.Request.Body); b != `{"name": "Nguyễn Văn An", "q": "a\"b"}` {
		t.Errorf("body = %s", b)
	}
	// uuid comes from the instance rng: same seed, same id.
	if b := p.Start(0, rng(1)).Next().Request.Header.Get("X-UUID"); b != h.Get("X-UUID") {
		t.Errorf("uuid not reproducible: %s vs %s", b, h.Get("X-UUID"))
	}
}

func TestRandIntBadRangeFails(t *testing.T) {
	p := compileYAML(t, base+`mix: [{journey: j, weight: 1}]
personas: [{name: p, share: 1}]
journeys: {j: {steps: [{name: s, method: GET, path: "/{{randInt 5 5}}"}]}}
`)
	in := p.Start(0, rng(1))
	if a := in.Next(); !a.Done || !strings.Contains(in.Outcome().Reason, "randInt 5 5: want a < b") {
		t.Errorf("outcome = %+v", in.Outcome())
	}
}

func TestMultipart(t *testing.T) {
	p := compileYAML(t, base+`mix: [{journey: j, weight: 1}]
personas: [{name: p, share: 1}]
journeys:
  j:
    steps:
      - name: upload
        method: POST
        path: /up
        multipart:
          fields: {requirement: birth_notice, owner: "{{.people.phone}}"}
          files: [{field: file, path: notice.pdf}]
`)
	a := p.Start(0, rng(1)).Next()
	mt, params, err := mime.ParseMediaType(a.Request.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("content type %q: %v", a.Request.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(bytes.NewReader(a.Request.Body), params["boundary"])
	got := map[string]string{}
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		key := part.FormName()
		if part.FileName() != "" {
			key += ":" + part.FileName() + ":" + part.Header.Get("Content-Type")
		}
		got[key] = string(b)
	}
	want := map[string]string{"owner": "0912345678", "requirement": "birth_notice", "file:notice.pdf:application/pdf": "%PDF-1.4 fake birth notice\n"}
	if len(got) != len(want) {
		t.Errorf("parts = %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("part %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestPlanJourneysAndSteps(t *testing.T) {
	p := compileYAML(t, base+applyJourney)
	if j := p.Journeys(); len(j) != 1 || j[0] != "apply" {
		t.Errorf("Journeys = %v", j)
	}
	if s := strings.Join(p.Steps("apply"), ","); s != "otp,login,create,fill,submit" {
		t.Errorf("Steps = %s", s)
	}
	if p.Steps("nope") != nil {
		t.Error("Steps of an unknown journey")
	}
}

func TestDistSampling(t *testing.T) {
	const n = 100000
	r := rng(5)
	sample := func(d scenario.Dist) []float64 {
		s := newSampler(d)
		out := make([]float64, n)
		for i := range out {
			out[i] = s.Sample(r).Seconds()
		}
		sort.Float64s(out)
		return out
	}
	mean := func(xs []float64) float64 {
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		return sum / float64(len(xs))
	}
	sec := func(f float64) scenario.Duration { return scenario.Duration(f * float64(time.Second)) }

	if xs := sample(scenario.Dist{}); xs[n-1] != 0 {
		t.Errorf("no dist sampled %v", xs[n-1])
	}
	if xs := sample(scenario.Dist{Dist: "constant", Value: sec(1.5)}); xs[0] != 1.5 || xs[n-1] != 1.5 {
		t.Errorf("constant: %v..%v", xs[0], xs[n-1])
	}
	xs := sample(scenario.Dist{Dist: "uniform", Min: sec(1), Max: sec(3)})
	if m := mean(xs); math.Abs(m-2) > 0.02 || xs[0] < 1 || xs[n-1] > 3 {
		t.Errorf("uniform 1..3: mean %.3f range %.3f..%.3f", m, xs[0], xs[n-1])
	}
	xs = sample(scenario.Dist{Dist: "exponential", Mean: sec(2)})
	if m := mean(xs); math.Abs(m-2) > 0.04 {
		t.Errorf("exponential mean 2: got %.3f", m)
	}
	if med := xs[n/2]; math.Abs(med-2*math.Ln2) > 0.04 {
		t.Errorf("exponential median = %.3f, want %.3f", med, 2*math.Ln2)
	}
	xs = sample(scenario.Dist{Dist: "lognormal", Median: sec(3), Sigma: 0.5})
	if med := xs[n/2]; math.Abs(med-3) > 0.05 {
		t.Errorf("lognormal median = %.3f, want 3", med)
	}
	if m, want := mean(xs), 3*math.Exp(0.125); math.Abs(m-want) > 0.05 {
		t.Errorf("lognormal mean = %.3f, want %.3f", m, want)
	}
	xs = sample(scenario.Dist{Dist: "exponential", Mean: sec(2), Cap: sec(1)})
	if xs[n-1] != 1 {
		t.Errorf("cap 1s: max %.3f", xs[n-1])
	}
	if got, want := float64(sort.SearchFloat64s(xs, 1))/n, 1-math.Exp(-0.5); math.Abs(got-want) > 0.01 {
		t.Errorf("share below the cap = %.3f, want %.3f", got, want)
	}
}

func TestCSVRandomOrderCoversRows(t *testing.T) {
	p := compileYAML(t, strings.Replace(base, "order: sequential", "order: random", 1)+applyJourney)
	seen := map[string]bool{}
	r := rng(2)
	for i := uint64(0); i < 200; i++ {
		v, _ := p.Start(i, r).Var("people")
		seen[v.(map[string]string)["phone"]] = true
	}
	if len(seen) != 3 {
		t.Errorf("random order used %d of 3 rows", len(seen))
	}
}

func TestVarsRenderedAtStart(t *testing.T) {
	p := compileYAML(t, base+`vars: {}
mix: [{journey: j, weight: 1, vars: {form: '{"dob": "{{date_offset -10}}", "q": {{json .people.full_name}}}'}}]
personas: [{name: p, share: 1}]
journeys: {j: {steps: [{name: s, method: PATCH, path: /d, body: '{"form": {{.form}}}'}]}}
`)
	a := p.Start(0, rng(1)).Next()
	var v map[string]map[string]string
	if err := json.Unmarshal(a.Request.Body, &v); err != nil {
		t.Fatalf("body %s: %v", a.Request.Body, err)
	}
	if v["form"]["dob"] != "2026-02-21" || v["form"]["q"] != "Nguyễn Văn An" {
		t.Errorf("form = %v", v)
	}
}

// BenchmarkInstanceStep is Next+Handle over a 5-step journey: the engine's
// hot path per request.
func BenchmarkInstanceStep(b *testing.B) {
	p := compileYAML(b, base+applyJourney)
	r := rng(1)
	b.ReportAllocs()
	b.ResetTimer()
	steps := 0
	for steps < b.N {
		in := p.Start(uint64(steps), r)
		for _, resp := range happyResponses {
			if in.Next().Done {
				b.Fatal(in.Outcome())
			}
			in.Handle(resp)
			steps++
		}
		in.Next()
	}
}

// A Plan serves many goroutines: each renders with its own instance's rng
// through pooled template clones.
func TestPlanConcurrentInstances(t *testing.T) {
	p := compileYAML(t, base+`mix: [{journey: j, weight: 1}]
personas: [{name: p, share: 1}]
journeys:
  j:
    steps:
      - {name: a, method: GET, path: "/a/{{randInt 0 1000000}}/{{uuid}}"}
      - {name: b, method: GET, path: "/b/{{.citizen.personal_id}}"}
`)
	const workers = 8
	paths := make([][]string, workers)
	done := make(chan int)
	for w := 0; w < workers; w++ {
		go func(w int) {
			defer func() { done <- w }()
			for i := 0; i < 200; i++ {
				in := p.Start(uint64(i), rng(uint64(i)))
				for a := in.Next(); !a.Done; a = in.Next() {
					paths[w] = append(paths[w], a.Request.Path)
					in.Handle(resp(200, "{}"))
				}
			}
		}(w)
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	// Same ids and seeds on every goroutine: the same requests, whatever the interleaving.
	for w := 1; w < workers; w++ {
		if strings.Join(paths[w], " ") != strings.Join(paths[0], " ") {
			t.Fatalf("goroutine %d rendered different requests from goroutine 0", w)
		}
	}
}
