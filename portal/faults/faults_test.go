package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portalsim/portalsim/portal"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func TestFromFlag(t *testing.T) {
	tests := []struct {
		flag string
		want Fault
	}{
		{"payment:latency=200ms,error_rate=0.1", Fault{Target: Payment, Latency: Latency{Dist: Fixed, Mean: 200 * time.Millisecond}, ErrorRate: 0.1}},
		{"population:latency=uniform:50ms..400ms,after=30s,for=1m", Fault{Target: Population,
			Latency: Latency{Dist: Uniform, Min: 50 * time.Millisecond, Max: 400 * time.Millisecond}, After: 30 * time.Second, For: time.Minute}},
		{"eid:latency=exp:150ms", Fault{Target: EID, Latency: Latency{Dist: Exponential, Mean: 150 * time.Millisecond}}},
		{"eid:latency=fixed:1s", Fault{Target: EID, Latency: Latency{Dist: Fixed, Mean: time.Second}}},
		{" database : outage ", Fault{Target: Database, Outage: true}},
		{"signer:outage=true,start=2026-11-25T13:00:00Z,end=2026-11-25T13:05:00Z", Fault{Target: Signer, Outage: true,
			Start: t0.Add(time.Hour), End: t0.Add(time.Hour + 5*time.Minute)}},
		{"route=POST /api/v1/dossiers:outage", Fault{Target: "POST /api/v1/dossiers", Outage: true}},
		{"route=POST /api/v1/dossiers/:id/submit:error_rate=1", Fault{Target: "POST /api/v1/dossiers/:id/submit", ErrorRate: 1}},
		{"route=GET /api/v1/lookup/:code:latency=5ms", Fault{Target: "GET /api/v1/lookup/:code", Latency: Latency{Dist: Fixed, Mean: 5 * time.Millisecond}}},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			got, err := FromFlag(tt.flag)
			if err != nil {
				t.Fatalf("FromFlag: %v", err)
			}
			if got.String() != tt.want.String() || !got.Start.Equal(tt.want.Start) || got.Latency != tt.want.Latency {
				t.Errorf("FromFlag = %s, want %s", got, tt.want)
			}
			again, err := FromFlag(got.String())
			if err != nil || again.String() != got.String() {
				t.Errorf("round trip of %s: %v, %v", got, again, err)
			}
		})
	}
}

func TestFromFlagErrors(t *testing.T) {
	tests := []struct{ flag, want string }{
		{"", "target"},
		{"payment", "no settings after target"},
		{"paymnt:outage", `unknown target "paymnt"`},
		{"payment:", "setting 1 is empty"},
		{"payment:outage,,error_rate=0.1", "setting 2 is empty"},
		{"payment:error_rate=abc", `error_rate "abc" is not a number`},
		{"payment:error_rate=1.5", "error_rate: must be between 0 and 1, got 1.5"},
		{"payment:error_rate=NaN", "error_rate: must be between 0 and 1"},
		{"payment:latency=-5ms", "latency: must not be negative"},
		{"payment:latency=fast", `latency "fast": "fast" is not a duration`},
		{"payment:latency=gauss:5ms", `unknown distribution "gauss"`},
		{"payment:latency=uniform:5ms", "uniform needs MIN..MAX"},
		{"payment:latency=uniform:50ms..5ms", "uniform maximum 5ms is below the minimum 50ms"},
		{"payment:latency=2h", "more than the maximum 1m0s"},
		{"payment:error_rate", `"error_rate" needs a value`},
		{"payment:colour=red", `unknown setting "colour"`},
		{"payment:outage,outage", "outage is given twice"},
		{"payment:outage=maybe", `outage "maybe" is not true or false`},
		{"payment:for=soon", `for "soon" is not a duration`},
		{"payment:outage,start=tomorrow", `start "tomorrow" is not an RFC 3339 time`},
		{"payment:outage,start=2026-11-25T13:00:00Z,end=2026-11-25T12:00:00Z", "end: 2026-11-25T12:00:00Z is not after start"},
		{"payment:outage,start=2026-11-25T13:00:00Z,after=1s", "after: give either start or after"},
		{"payment:latency=0s,error_rate=0", ""},
		{"payment:error_rate=0", "does nothing"},
		{"route=POST /api/v1/dossiers", "has no settings"},
		{"route=payment:outage", "want METHOD /path"},
		{"route=FETCH /x:outage", `unknown method "FETCH"`},
		{"route=POST api/v1:outage", `is not a gin route pattern`},
		{"route=POST /a b:outage", `is not a gin route pattern`},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			_, err := FromFlag(tt.flag)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("FromFlag(%q) = %v, want success", tt.flag, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("FromFlag(%q) error = %v, want it to mention %q", tt.flag, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.flag) {
				t.Errorf("error %q does not quote the flag", err)
			}
		})
	}
}

func TestSetValidates(t *testing.T) {
	inj := NewInjector(WithLogger(discard()))
	tests := []struct {
		fault  Fault
		fields []string
	}{
		{Fault{Target: "mailer", Outage: true}, []string{"target"}},
		{Fault{Target: Payment, ErrorRate: -0.1}, []string{"error_rate"}},
		{Fault{Target: Payment, ErrorRate: 2, Latency: Latency{Dist: Fixed, Mean: -time.Second}}, []string{"latency", "error_rate"}},
		{Fault{Target: Payment}, []string{"fault"}},
		{Fault{Target: Payment, Outage: true, End: t0.Add(-time.Hour)}, []string{"end"}},
	}
	for _, tt := range tests {
		err := inj.Set(tt.fault)
		if portal.ErrorCode(err) != portal.EINVALID {
			t.Errorf("Set(%s) = %v, want invalid", tt.fault, err)
			continue
		}
		var got []string
		for _, f := range portal.ErrorFields(err) {
			got = append(got, f.Field)
		}
		if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
			t.Errorf("Set(%s) fields = %v, want %v (%v)", tt.fault, got, tt.fields, err)
		}
	}
	if n := len(inj.List()); n != 0 {
		t.Errorf("invalid faults were kept: %d", n)
	}
}

func TestErrorRateIsHonoured(t *testing.T) {
	for _, rate := range []float64{0.01, 0.1, 0.5, 0.9} {
		inj := NewInjector(WithSeed(42), WithLogger(discard()))
		if err := inj.Set(Fault{Target: Payment, ErrorRate: rate}); err != nil {
			t.Fatal(err)
		}
		const n = 20000
		failed := 0
		for range n {
			if err := inj.Apply(context.Background(), Payment); err != nil {
				if portal.ErrorCode(err) != portal.EUNAVAILABLE || portal.ErrorMessage(err) != "payment is unavailable (injected fault)" {
					t.Fatalf("error = %v", err)
				}
				failed++
			}
		}
		got := float64(failed) / n
		sd := math.Sqrt(rate * (1 - rate) / n)
		if math.Abs(got-rate) > 4*sd {
			t.Errorf("rate %v: observed %v, more than 4 standard deviations (%v) off", rate, got, sd)
		}
		// Other targets are untouched.
		if err := inj.Apply(context.Background(), Population); err != nil {
			t.Errorf("population faulted: %v", err)
		}
	}
}

func TestSeedMakesDrawsReproducible(t *testing.T) {
	run := func(seed uint64) string {
		inj := NewInjector(WithSeed(seed), WithLogger(discard()))
		_ = inj.Set(Fault{Target: Signer, ErrorRate: 0.5})
		var b strings.Builder
		for range 64 {
			if inj.Apply(context.Background(), Signer) != nil {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	if a, b := run(7), run(7); a != b {
		t.Errorf("same seed, different draws:\n%s\n%s", a, b)
	}
	if a, b := run(7), run(8); a == b {
		t.Errorf("different seeds, same draws: %s", a)
	}
}

func TestLatencySamples(t *testing.T) {
	const n = 50000
	e := &entry{stream: 3}
	uni := Latency{Dist: Uniform, Min: 10 * time.Millisecond, Max: 30 * time.Millisecond}
	exp := Latency{Dist: Exponential, Mean: 100 * time.Millisecond}
	var sumU, sumE float64
	for range n {
		d := uni.sample(e.uniform())
		if d < uni.Min || d > uni.Max {
			t.Fatalf("uniform sample %s outside [%s, %s]", d, uni.Min, uni.Max)
		}
		sumU += float64(d)
		sumE += float64(exp.sample(e.uniform()))
	}
	if mean := time.Duration(sumU / n); mean < 19*time.Millisecond || mean > 21*time.Millisecond {
		t.Errorf("uniform mean = %s, want ≈ 20ms", mean)
	}
	// The exponential's standard error of the mean is mean/√n ≈ 0.45ms.
	if mean := time.Duration(sumE / n); mean < 98*time.Millisecond || mean > 102*time.Millisecond {
		t.Errorf("exponential mean = %s, want ≈ 100ms", mean)
	}
	if d := (Latency{Dist: Fixed, Mean: 7 * time.Millisecond}).sample(0.99); d != 7*time.Millisecond {
		t.Errorf("fixed sample = %s", d)
	}
	if d := (Latency{Dist: Exponential, Mean: 50 * time.Second}).sample(0.999999); d != MaxLatency {
		t.Errorf("exponential sample not capped: %s", d)
	}
}

func TestLatencyIsAppliedAndHonoursContext(t *testing.T) {
	inj := NewInjector(WithLogger(discard()))
	if err := inj.Set(Fault{Target: Population, Latency: Latency{Dist: Fixed, Mean: 30 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := inj.Apply(context.Background(), Population); err != nil {
		t.Fatalf("latency only: %v", err)
	}
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Errorf("Apply returned after %s, want at least 30ms", el)
	}

	if err := inj.Set(Fault{Target: Population, Latency: Latency{Dist: Fixed, Mean: time.Minute}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	err := inj.Apply(ctx, Population)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Apply with a short deadline = %v, want deadline exceeded", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("Apply ignored the context for %s", el)
	}
}

func TestOutage(t *testing.T) {
	inj := NewInjector(WithLogger(discard()))
	if err := inj.Set(Fault{Target: Database, Outage: true}); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if err := inj.Apply(context.Background(), Database); portal.ErrorCode(err) != portal.EUNAVAILABLE {
			t.Fatalf("Apply in outage = %v", err)
		}
	}
	if !inj.Clear(Database) {
		t.Error("Clear reported no fault")
	}
	if inj.Clear(Database) {
		t.Error("second Clear reported a fault")
	}
	if err := inj.Apply(context.Background(), Database); err != nil {
		t.Errorf("Apply after Clear = %v", err)
	}
	var nilInj *Injector
	if err := nilInj.Apply(context.Background(), Database); err != nil {
		t.Errorf("nil injector = %v", err)
	}
}

func TestWindowOpensAndExpires(t *testing.T) {
	clock := portal.NewManualClock(t0)
	var logs bytes.Buffer
	inj := NewInjector(WithClock(clock), WithLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	reg := prometheus.NewRegistry()
	reg.MustRegister(inj)
	f, err := FromFlag("payment:outage,error_rate=0.5,after=10s,for=30s")
	if err != nil {
		t.Fatal(err)
	}
	if err := inj.Set(f); err != nil {
		t.Fatal(err)
	}
	listed := inj.List()
	if len(listed) != 1 || !listed[0].Start.Equal(t0.Add(10*time.Second)) || !listed[0].End.Equal(t0.Add(40*time.Second)) {
		t.Fatalf("List = %v, want the window resolved to [t0+10s, t0+40s)", listed)
	}
	active := func() int { return len(gathered(t, reg, "portalsim_fault_active")) }

	if err := inj.Apply(context.Background(), Payment); err != nil || active() != 0 {
		t.Errorf("before the window: %v, %d active gauges", err, active())
	}
	clock.Advance(10 * time.Second)
	if err := inj.Apply(context.Background(), Payment); err == nil {
		t.Error("inside the window: no error")
	}
	got := gathered(t, reg, "portalsim_fault_active")
	if len(got) != 2 || got["kind=error_rate,target=payment"] != 1 || got["kind=outage,target=payment"] != 1 {
		t.Errorf("portalsim_fault_active = %v", got)
	}
	clock.Advance(30 * time.Second)
	if err := inj.Apply(context.Background(), Payment); err != nil {
		t.Errorf("after the window: %v", err)
	}
	if n := len(inj.List()); n != 0 || active() != 0 {
		t.Errorf("after the window: %d faults listed, %d active gauges", n, active())
	}
	for _, msg := range []string{`"msg":"fault set"`, `"msg":"fault expired"`, `"target":"payment"`} {
		if !strings.Contains(logs.String(), msg) {
			t.Errorf("logs lack %s:\n%s", msg, logs.String())
		}
	}
	if c := gathered(t, reg, "portalsim_fault_injected_total")["kind=outage,target=payment"]; c != 1 {
		t.Errorf("injected outage count = %v, want 1", c)
	}
}

func TestReplace(t *testing.T) {
	inj := NewInjector(WithLogger(discard()))
	_ = inj.Set(Fault{Target: EID, Outage: true})
	err := inj.Replace(Fault{Target: Signer, Outage: true}, Fault{Target: "bogus", Outage: true})
	if err == nil {
		t.Fatal("Replace accepted an unknown target")
	}
	if got := inj.List(); len(got) != 1 || got[0].Target != EID {
		t.Errorf("failed Replace changed the faults: %v", got)
	}
	if err := inj.Replace(Fault{Target: Signer, Outage: true}, Fault{Target: Payment, ErrorRate: 0.2}); err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, f := range inj.List() {
		targets = append(targets, f.Target)
	}
	if strings.Join(targets, ",") != "payment,signer" {
		t.Errorf("after Replace: %v", targets)
	}
}

func TestJSON(t *testing.T) {
	in := `[{"target":"POST /api/v1/dossiers/:id/submit","latency":"uniform:10ms..20ms","error_rate":0.25,"for":"1m"},
	        {"target":"signer","outage":true,"start":"2026-11-25T13:00:00Z"}]`
	var fs []Fault
	if err := json.Unmarshal([]byte(in), &fs); err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].Latency.Max != 20*time.Millisecond || fs[0].For != time.Minute || !fs[1].Start.Equal(t0.Add(time.Hour)) {
		t.Fatalf("decoded %v", fs)
	}
	out, err := json.Marshal(fs[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"target":"POST /api/v1/dossiers/:id/submit","latency":"uniform:10ms..20ms","error_rate":0.25,"for":"1m0s","kinds":["latency","error_rate"]}`
	if string(out) != want {
		t.Errorf("Marshal = %s\nwant      %s", out, want)
	}
	for _, bad := range []string{`{"target":"eid","colour":1}`, `{"target":"eid","latency":"soon"}`, `{"target":"eid","after":"x"}`} {
		var f Fault
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

func TestMiddleware(t *testing.T) {
	gin.SetMode(gin.TestMode)
	inj := NewInjector(WithLogger(discard()))
	r := gin.New()
	r.Use(inj.Middleware(nil))
	ok := func(c *gin.Context) { c.String(http.StatusOK, "ok") }
	r.POST("/api/v1/dossiers/:id/submit", ok)
	r.GET("/api/v1/dossiers/:id", ok)
	auth := r.Group("/api/v1/auth", inj.DependencyMiddleware(EID, nil))
	auth.POST("/otp", ok)

	do := func(method, path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		r.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		return w
	}
	if w := do("POST", "/api/v1/dossiers/d_1/submit"); w.Code != http.StatusOK {
		t.Fatalf("no fault: %d", w.Code)
	}
	f, err := FromFlag("route=POST /api/v1/dossiers/:id/submit:outage")
	if err != nil {
		t.Fatal(err)
	}
	if err := inj.Set(f); err != nil {
		t.Fatal(err)
	}
	_ = inj.Set(Fault{Target: EID, Outage: true})
	w := do("POST", "/api/v1/dossiers/d_1/submit")
	want := `{"error":{"code":"unavailable","message":"POST /api/v1/dossiers/:id/submit is unavailable (injected fault)"}}`
	if w.Code != http.StatusServiceUnavailable || w.Body.String() != want {
		t.Errorf("faulted route: %d %s", w.Code, w.Body)
	}
	if w := do("GET", "/api/v1/dossiers/d_1"); w.Code != http.StatusOK {
		t.Errorf("other route: %d", w.Code)
	}
	if w := do("POST", "/nowhere"); w.Code != http.StatusNotFound {
		t.Errorf("unmatched: %d", w.Code)
	}
	if w := do("POST", "/api/v1/auth/otp"); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "eid is unavailable") {
		t.Errorf("e-ID outage: %d %s", w.Code, w.Body)
	}
	inj.Clear(f.Target)
	if w := do("POST", "/api/v1/dossiers/d_1/submit"); w.Code != http.StatusOK {
		t.Errorf("after Clear: %d", w.Code)
	}
}

type people struct{ calls int }

func (p *people) Person(_ context.Context, id string) (*portal.Person, error) {
	p.calls++
	return &portal.Person{PersonalID: id}, nil
}

func TestWrapPopulation(t *testing.T) {
	inj := NewInjector(WithLogger(discard()))
	next := &people{}
	pop := WrapPopulation(next, inj)
	if p, err := pop.Person(context.Background(), "001090000123"); err != nil || p.PersonalID != "001090000123" {
		t.Fatalf("no fault: %v, %v", p, err)
	}
	_ = inj.Set(Fault{Target: Population, Outage: true})
	if _, err := pop.Person(context.Background(), "001090000123"); portal.ErrorCode(err) != portal.EUNAVAILABLE {
		t.Errorf("outage: %v", err)
	}
	if next.calls != 1 {
		t.Errorf("the database was called %d times, want 1 (not during the outage)", next.calls)
	}
}

func TestConcurrentUse(t *testing.T) {
	inj := NewInjector(WithLogger(discard()))
	reg := prometheus.NewRegistry()
	reg.MustRegister(inj)
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, target := range Dependencies {
					_ = inj.Apply(ctx, target)
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 300 {
			target := Dependencies[i%len(Dependencies)]
			if err := inj.Set(Fault{Target: target, ErrorRate: 0.5, Latency: Latency{Dist: Fixed, Mean: time.Microsecond}}); err != nil {
				t.Error(err)
			}
			_ = inj.List()
			if _, err := reg.Gather(); err != nil {
				t.Error(err)
			}
			if i%3 == 0 {
				inj.Clear(target)
			}
		}
		close(stop)
	})
	wg.Wait()
}

func FuzzFromFlag(f *testing.F) {
	for _, s := range []string{
		"payment:latency=200ms,error_rate=0.1",
		"route=POST /api/v1/dossiers/:id/submit:outage",
		"population:latency=uniform:50ms..400ms,after=30s,for=1m",
		"signer:outage,start=2026-11-25T13:00:00Z,end=2026-11-25T13:05:00Z",
		"eid:latency=exp:1s", "route=GET /:x:latency=1ms", "database:outage=false,error_rate=1e-3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fault, err := FromFlag(s)
		if err != nil {
			return
		}
		if err := fault.Validate(); err != nil {
			t.Fatalf("FromFlag(%q) accepted an invalid fault: %v", s, err)
		}
		again, err := FromFlag(fault.String())
		if err != nil {
			t.Fatalf("FromFlag(%q) = %s, which does not parse: %v", s, fault, err)
		}
		if again.String() != fault.String() {
			t.Fatalf("round trip changed %s into %s", fault, again)
		}
	})
}

// gathered returns the samples of one metric family by their labels, "k=v,k=v".
func gathered(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			out[strings.Join(labels, ",")] = v
		}
	}
	return out
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
