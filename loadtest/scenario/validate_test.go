package scenario

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func readValid(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// edit replaces old (which must occur exactly once) with new.
func edit(t *testing.T, src, old, new string) string {
	t.Helper()
	if n := strings.Count(src, old); n != 1 {
		t.Fatalf("%q occurs %d times in valid.yaml, want 1", old, n)
	}
	return strings.Replace(src, old, new, 1)
}

func TestValidFileParses(t *testing.T) {
	s, err := Parse([]byte(readValid(t)), "testdata/valid.yaml")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	// Defaults are applied after validation.
	if s.Target != "embedded" || s.HTTP.Timeout.D().String() != "10s" || s.HTTP.MaxWorkers != 512 ||
		s.HTTP.Workers != 32 || s.HTTP.MaxBody != 1<<20 || s.Drain.D().String() != "30s" || s.Seed != 1 ||
		s.Arrival.Process != "poisson" || s.Feeders[1].Order != "random" {
		t.Errorf("defaults not applied: %+v", s)
	}
	if s.Feeders[0].Count != 100 {
		t.Errorf("citizen count = %d, want 100 as written", s.Feeders[0].Count)
	}
}

func TestValidationErrors(t *testing.T) {
	const f = "testdata/case.yaml:"
	tests := []struct {
		name     string
		old, new string
		want     []string // each a substring of one reported problem, in order
	}{
		{"rate zero", "rate: 5", "rate: 0", []string{f + "5: arrival.rate: must be > 0"}},
		{"rate negative", "rate: 5", "rate: -1", []string{f + "5: arrival.rate: must be > 0"}},
		{"duration without unit", "duration: 10s", "duration: 10", []string{f + "2:11: duration: duration 10 has no unit"}},
		{"duration garbage", "duration: 10s", "duration: soon", []string{f + "2:11: duration: invalid duration \"soon\""}},
		{"duration too long", "duration: 10s", "duration: 25h", []string{f + "2: duration: must be <= 24h0m0s, got 25h0m0s"}},
		{"duration zero", "duration: 10s", "duration: 0s", []string{
			f + "2: duration: must be > 0",
		}},
		{"name missing", "name: test\n", "", []string{"testdata/case.yaml: name: required"}},
		{"unknown field", "  rate: 5\n", "  rate: 5\n  rat: 3\n", []string{f + "6:3: arrival.rat: unknown field \"rat\" (known: daily, from, process, profile, rate, spike, stages, to)"}},
		{"two unknown fields at once", "  rate: 5\n", "  rate: 5\n  rat: 3\nsedd: 4\n", []string{
			f + "6:3: arrival.rat: unknown field", f + "7:1: sedd: unknown field",
		}},
		{"type error", "weight: 1", "weight: heavy", []string{f + "9:13: mix[0].weight: want a number, got a string heavy"}},
		{"list expected", "slos:\n  - completion_rate >= 0.9\n  - step(submit).p95 < 800ms\n", "slos: fast\n", []string{f + "38:7: slos: want a list, got a string"}},
		{"remote target", "name: test\n", "name: test\ntarget: http://example.com:8080\n", []string{
			f + "2: target: \"http://example.com:8080\": only loopback targets (127.0.0.0/8, ::1, localhost) are allowed, got host \"example.com\"",
		}},
		{"target not a URL", "name: test\n", "name: test\ntarget: portal\n", []string{f + "2: target: \"portal\": want \"embedded\" or an http(s) base URL"}},
		{"process", "  rate: 5\n", "  rate: 5\n  process: bursty\n", []string{f + "6: arrival.process: \"bursty\": want poisson or uniform"}},
		{"profile unknown", "profile: constant", "profile: wave", []string{f + "4: arrival.profile: \"wave\": want constant, ramp, stages, spike or daily"}},
		{"field of another profile", "profile: constant", "profile: ramp\n  to: 3", []string{f + "6: arrival.rate: not used by profile ramp"}},
		{"stages longer than run", "  profile: constant\n  rate: 5\n", "  profile: stages\n  stages:\n    - {duration: 8s, rate: 2}\n    - {duration: 4s, rate: -1}\n", []string{
			f + "5: arrival.stages: stages last 12s, longer than the run's duration 10s",
			f + "7: arrival.stages[1].rate: must be >= 0",
		}},
		{"spike outside run", "  profile: constant\n  rate: 5\n", "  profile: spike\n  spike: {base: 1, peak: 10, at: 8s, length: 5s}\n", []string{
			f + "5: arrival.spike: spike ends at 13s, after the run's duration 10s",
		}},
		{"daily hourly", "  profile: constant\n  rate: 5\n", "  profile: daily\n  daily: {peak_rate: 3, hourly: [1, 2, -1]}\n", []string{
			f + "5: arrival.daily.hourly: want 24 entries (one per hour), got 3",
			f + "5: arrival.daily.hourly[2]: must be >= 0",
		}},
		{"mix unknown journey", "journey: apply", "journey: aply", []string{f + "7: mix[0].journey: no journey named \"aply\" (journeys: apply)"}},
		{"mix weight", "weight: 1", "weight: 0", []string{f + "9: mix[0].weight: must be > 0"}},
		{"persona share", "share: 1", "share: 0", []string{f + "12: personas[0].share: must be > 0"}},
		{"lognormal without sigma", "{dist: constant, value: 1s}", "{dist: lognormal, median: 1s}", []string{f + "13: personas[0].think.sigma: 0: want 0 < sigma <= 5"}},
		{"dist field of another kind", "{dist: constant, value: 1s}", "{dist: exponential, mean: 1s, min: 1s}", []string{f + "13: personas[0].think.min: not used by dist exponential"}},
		{"dist kind missing", "{dist: constant, value: 1s}", "{mean: 1s}", []string{f + "13: personas[0].think.dist: required when mean is set"}},
		{"uniform max below min", "{dist: constant, value: 1s}", "{dist: uniform, min: 2s, max: 1s}", []string{f + "13: personas[0].think.max: 1s is below min 2s"}},
		{"abandon_at unknown step", "{submit: 0.1}", "{sbumit: 0.1}", []string{f + "14: personas[0].abandon_at.sbumit: no step named \"sbumit\" in any journey"}},
		{"abandon_at probability", "{submit: 0.1}", "{submit: 1.5}", []string{f + "14: personas[0].abandon_at.submit: 1.5: a probability must be in [0, 1]"}},
		{"csv missing", "file: people.csv", "file: nobody.csv", []string{f + "21: feeders[1].file: open feeder file: open testdata/nobody.csv"}},
		{"csv without rows", "file: people.csv", "file: header-only.csv", []string{f + "21: feeders[1].file: testdata/header-only.csv has a header but no data rows"}},
		{"feeder type", "type: citizens", "type: people", []string{f + "17: feeders[0].type: \"people\": want citizens or csv"}},
		{"duplicate step and its consequences", "      - name: submit", "      - name: login", []string{
			f + "14: personas[0].abandon_at.submit: no step named \"submit\"",
			f + "30: journeys.apply.steps[1].name: step \"login\" appears twice in journey apply",
			f + "40: slos[1]: \"step(submit).p95 < 800ms\": no step named \"submit\" in any journey",
		}},
		{"method", "method: POST\n        path: /api/v1/auth/otp", "method: FETCH\n        path: /api/v1/auth/otp", []string{f + "26: journeys.apply.steps[0].method: \"FETCH\": want one of GET"}},
		{"path without slash", "path: /api/v1/auth/otp", "path: api/v1/auth/otp", []string{f + "27: journeys.apply.steps[0].path: \"api/v1/auth/otp\" must start with /"}},
		{"template syntax", "/{{.token}}", "/{{.token", []string{f + "32: journeys.apply.steps[1].path: template: "}},
		{"unknown variable", "/{{.token}}", "/{{.tokn}}", []string{f + "32: journeys.apply.steps[1].path: template uses unknown variable .tokn (known: citizen, journey_id, people, persona, procedure, token)"}},
		{"unknown csv column", "{{.people.full_name}}", "{{.people.name}}", []string{f + "28: journeys.apply.steps[0].json.name: template uses .people.name but people has only full_name, phone"}},
		{"unknown citizen field", "{{.citizen.personal_id}}", "{{.citizen.pid}}", []string{f + "28: journeys.apply.steps[0].json.personal_id: template uses .citizen.pid but citizen has only personal_id, index"}},
		{"unknown function", "/{{.token}}", "/{{lower .token}}", []string{f + "32: journeys.apply.steps[1].path: template: "}},
		{"expect range", "expect: [201]", "expect: [201, 999]", []string{f + "33: journeys.apply.steps[1].expect[1]: status 999: want 100–599"}},
		{"poll every", "every: 1s", "every: 0s", []string{f + "36: journeys.apply.steps[1].poll.every: must be > 0"}},
		{"poll timeout", "timeout: 5s", "timeout: 500ms", []string{f + "37: journeys.apply.steps[1].poll.timeout: 500ms is shorter than every 1s"}},
		{"poll condition", "in: [done]", "in: []", []string{f + "35: journeys.apply.steps[1].poll.until.in: at least one value is required"}},
		{"two bodies", "extract: {token: token}", "extract: {token: token}\n        body: hello", []string{f + "25: journeys.apply.steps[0]: at most one of body, json and multipart"}},
		{"extract path empty", "{token: token}", "{token: \"\"}", []string{f + "29: journeys.apply.steps[0].extract.token: gjson path required"}},
		{"multipart file missing", "extract: {token: token}", "extract: {token: token}\n      - name: upload\n        method: POST\n        path: /up\n        multipart: {files: [{field: f, path: nothing.pdf}]}", []string{f + "33: journeys.apply.steps[1].multipart.files[0].path: stat testdata/nothing.pdf"}},
		{"slo metric", "completion_rate >= 0.9", "completion >= 0.9", []string{f + "39: slos[0]: \"completion >= 0.9\": unknown metric \"completion\""}},
		{"slo ratio with unit", "completion_rate >= 0.9", "completion_rate >= 90ms", []string{f + "39: slos[0]: \"completion_rate >= 90ms\": completion_rate is a ratio, not a time"}},
		{"slo time without unit", "p95 < 800ms", "p95 < 800", []string{f + "40: slos[1]: \"step(submit).p95 < 800\": step(submit).p95 is a time: write the threshold with a unit, e.g. 800ms"}},
		{"slo unknown journey", "completion_rate >= 0.9", "journey(renew).completion_rate >= 0.9", []string{f + "39: slos[0]: \"journey(renew).completion_rate >= 0.9\": no journey named \"renew\""}},
		{"fault after run", "at: 2s", "at: 9s", []string{f + "42: faults[0]: fault ends at 12s, after the run's duration 10s"}},
		{"fault dependency", "dependency: payment", "dependency: bank", []string{f + "44: faults[0].dependency: \"bank\": want one of eid, population, payment, signer, database"}},
		{"fault dependency and route", "dependency: payment", "dependency: payment\n    route: /api/v1/dossiers", []string{f + "42: faults[0]: set dependency or route, not both"}},
		{"fault error rate", "error_rate: 0.5", "error_rate: 1.5", []string{f + "45: faults[0].error_rate: 1.5: must be in [0, 1]"}},
		{"fault does nothing", "    error_rate: 0.5\n", "", []string{f + "42: faults[0]: does nothing: set latency, error_rate or outage"}},
		{"yaml syntax", "name: test", "name: [test", []string{f + "2:1: ',' or ']' must be specified"}},
		{"two documents", "name: test\n", "name: test\n---\nname: other\n", []string{f + "3: a scenario file holds one YAML document"}},
		{"empty", "", "", nil}, // handled below
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := readValid(t)
			if tt.name == "empty" {
				src = "# nothing\n"
				tt.want = []string{"testdata/case.yaml: empty scenario file"}
			} else {
				src = edit(t, src, tt.old, tt.new)
			}
			_, err := Parse([]byte(src), "testdata/case.yaml")
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse error = %v (%T), want *Error", err, err)
			}
			if len(perr.Problems) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(perr.Problems), len(tt.want), err)
			}
			for i, w := range tt.want {
				if got := perr.Problems[i].String(); !strings.Contains(got, w) {
					t.Errorf("problem %d:\n got %s\nwant …%s…", i, got, w)
				}
			}
		})
	}
}

func TestTargetsAccepted(t *testing.T) {
	for _, target := range []string{"embedded", "http://127.0.0.1:8080", "https://localhost", "http://[::1]:9000/base", "http://127.1.2.3"} {
		src := edit(t, readValid(t), "name: test\n", "name: test\ntarget: "+target+"\n")
		if _, err := Parse([]byte(src), "testdata/ok.yaml"); err != nil {
			t.Errorf("target %s: %v", target, err)
		}
	}
}

// An error-ridden file reports every problem in one error, in line order.
func TestEveryProblemAtOnce(t *testing.T) {
	src := `name: ""
duration: 0s
target: http://10.0.0.1
arrival:
  profile: constant
  rate: -3
  process: bursty
mix:
  - journey: nope
    weight: 0
personas:
  - name: p
    share: -1
    abandon: 2
    think: {dist: uniform, min: 3s, max: 1s}
journeys:
  j:
    steps:
      - name: a
        method: get
        path: x
        expect: [42]
      - name: a
        method: POST
        path: /{{.missing}}
slos: [nonsense]
faults:
  - {at: 1s, duration: 1s, dependency: moon}
`
	_, err := Parse([]byte(src), "bad.yaml")
	var perr *Error
	if !errors.As(err, &perr) {
		t.Fatalf("want *Error, got %v", err)
	}
	want := []string{
		"bad.yaml:1: name: required",
		"bad.yaml:2: duration: must be > 0",
		"bad.yaml:3: target:",
		"bad.yaml:6: arrival.rate: must be > 0",
		"bad.yaml:7: arrival.process:",
		"bad.yaml:9: mix[0].journey: no journey named \"nope\"",
		"bad.yaml:10: mix[0].weight: must be > 0",
		"bad.yaml:13: personas[0].share: must be > 0",
		"bad.yaml:14: personas[0].abandon:",
		"bad.yaml:15: personas[0].think.max: 1s is below min 3s",
		"bad.yaml:20: journeys.j.steps[0].method:",
		"bad.yaml:21: journeys.j.steps[0].path: \"x\" must start with /",
		"bad.yaml:22: journeys.j.steps[0].expect[0]: status 42",
		"bad.yaml:23: journeys.j.steps[1].name: step \"a\" appears twice",
		"bad.yaml:25: journeys.j.steps[1].path: template uses unknown variable .missing",
		"bad.yaml:26: slos[0]:",
		"bad.yaml:28: faults[0].dependency: \"moon\"",
		"bad.yaml:28: faults[0]: does nothing",
	}
	if len(perr.Problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(perr.Problems), len(want), err)
	}
	for i, w := range want {
		if got := perr.Problems[i].String(); !strings.HasPrefix(got, w) {
			t.Errorf("problem %d:\n got %s\nwant %s…", i, got, w)
		}
	}
}
