// Package scenario is the declarative scenario file format of the harness:
// who arrives when (an open-model arrival profile), which procedures they
// do (mix), how they behave (personas), which data they use (feeders), the
// steps of each journey, the SLOs that make a run pass or fail, and faults
// to inject into the embedded portal. Decoding is strict and Validate
// reports every problem at once with its file:line.
package scenario

import "time"

// Scenario is one scenario file.
type Scenario struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	// Target is "embedded" (default: a fresh in-process portal) or a base URL.
	Target   string   `yaml:"target,omitempty" json:"target,omitempty"`
	Duration Duration `yaml:"duration" json:"duration"`
	// Drain is how long in-flight journeys may continue after arrivals stop.
	Drain Duration `yaml:"drain,omitempty" json:"drain,omitempty"`
	Seed  int64    `yaml:"seed,omitempty" json:"seed,omitempty"`
	// Scale states how this scenario relates to real volumes, e.g. "1:2000 of
	// national peak"; shown in reports.
	Scale   string        `yaml:"scale,omitempty" json:"scale,omitempty"`
	Portal  PortalOptions `yaml:"portal,omitempty" json:"portal,omitempty"`
	HTTP    HTTPOptions   `yaml:"http,omitempty" json:"http,omitempty"`
	Arrival Arrival       `yaml:"arrival" json:"arrival"`
	Mix     []MixEntry    `yaml:"mix" json:"mix"`
	// MixOrder is "weighted" (default: each arrival draws an entry by
	// weight) or "sequential" (arrival id modulo the number of entries,
	// weights ignored) so that short runs cover every entry.
	MixOrder string    `yaml:"mix_order,omitempty" json:"mix_order,omitempty"`
	Personas []Persona `yaml:"personas" json:"personas"`
	Feeders  []Feeder  `yaml:"feeders,omitempty" json:"feeders,omitempty"`
	// Vars every journey sees; templates rendered once when a journey
	// starts, over the built-ins and feeders.
	Vars     map[string]string  `yaml:"vars,omitempty" json:"vars,omitempty"`
	Journeys map[string]Journey `yaml:"journeys" json:"journeys"`
	SLOs     []string           `yaml:"slos,omitempty" json:"slos,omitempty"`
	Faults   []Fault            `yaml:"faults,omitempty" json:"faults,omitempty"`

	// Path is the file the scenario was read from ("" if from bytes).
	Path string `yaml:"-" json:"-"`

	// lines maps field paths ("arrival.rate") to their line in Path.
	lines map[string]int
}

// PortalOptions configure the embedded portal for this run.
type PortalOptions struct {
	// Speed: simulated seconds per real second of the back office's clock.
	Speed    float64 `yaml:"speed,omitempty" json:"speed,omitempty"`
	Officers int     `yaml:"officers,omitempty" json:"officers,omitempty"`
	// MaxInFlight bounds concurrent requests before load shedding (0 = default).
	MaxInFlight int `yaml:"max_in_flight,omitempty" json:"max_in_flight,omitempty"`
}

// HTTPOptions configure the load generator's client.
type HTTPOptions struct {
	Timeout    Duration `yaml:"timeout,omitempty" json:"timeout,omitempty"`         // per request, default 10s
	MaxWorkers uint64   `yaml:"max_workers,omitempty" json:"max_workers,omitempty"` // vegeta MaxWorkers cap, default 512
	Workers    uint64   `yaml:"workers,omitempty" json:"workers,omitempty"`         // initial workers, default 32
	MaxBody    int64    `yaml:"max_body,omitempty" json:"max_body,omitempty"`       // bytes of each response kept for extraction, default 1 MiB
	KeepAlive  *bool    `yaml:"keepalive,omitempty" json:"keepalive,omitempty"`
}

// Arrival profiles (journeys per second).
const (
	ProfileConstant = "constant"
	ProfileRamp     = "ramp"
	ProfileStages   = "stages"
	ProfileSpike    = "spike"
	ProfileDaily    = "daily"
)

// Arrival is the open-model arrival profile: journeys start at these rates
// whether or not earlier ones have finished.
type Arrival struct {
	Profile string `yaml:"profile" json:"profile"`
	// Process is "poisson" (exponential inter-arrivals, default) or "uniform".
	Process string  `yaml:"process,omitempty" json:"process,omitempty"`
	Rate    float64 `yaml:"rate,omitempty" json:"rate,omitempty"` // constant
	From    float64 `yaml:"from,omitempty" json:"from,omitempty"` // ramp start
	To      float64 `yaml:"to,omitempty" json:"to,omitempty"`     // ramp end
	// Stages: each ramps linearly from the previous stage's end rate (or From)
	// to its Rate over its Duration.
	Stages []Stage `yaml:"stages,omitempty" json:"stages,omitempty"`
	Spike  *Spike  `yaml:"spike,omitempty" json:"spike,omitempty"`
	Daily  *Daily  `yaml:"daily,omitempty" json:"daily,omitempty"`
}

// Stage is one leg of a stages profile.
type Stage struct {
	Duration Duration `yaml:"duration" json:"duration"`
	Rate     float64  `yaml:"rate" json:"rate"`
}

// Spike is a base rate with a burst to Peak starting At for Length.
type Spike struct {
	Base   float64  `yaml:"base" json:"base"`
	Peak   float64  `yaml:"peak" json:"peak"`
	At     Duration `yaml:"at" json:"at"`
	Length Duration `yaml:"length" json:"length"`
}

// Daily compresses a 24-hour curve into the run: Hourly holds 24 relative
// weights (default: office hours with a morning peak); the busiest hour
// runs at PeakRate.
type Daily struct {
	PeakRate float64   `yaml:"peak_rate" json:"peak_rate"`
	Hourly   []float64 `yaml:"hourly,omitempty" json:"hourly,omitempty"`
}

// MixEntry is one share of arrivals: a journey run for one procedure.
type MixEntry struct {
	Journey   string  `yaml:"journey" json:"journey"`
	Procedure string  `yaml:"procedure,omitempty" json:"procedure,omitempty"`
	Weight    float64 `yaml:"weight" json:"weight"`
	// Vars are extra journey variables for this entry (e.g. form values).
	// They are templates rendered once when a journey starts, over the
	// built-ins, feeders and scenario vars (e.g. "{{date_offset -10}}").
	Vars map[string]string `yaml:"vars,omitempty" json:"vars,omitempty"`
}

// Persona is one kind of citizen.
type Persona struct {
	Name  string  `yaml:"name" json:"name"`
	Share float64 `yaml:"share" json:"share"`
	Think Dist    `yaml:"think,omitempty" json:"think,omitempty"`
	// Abandon is the probability of giving up before each step; AbandonAt
	// overrides it for named steps.
	Abandon   float64            `yaml:"abandon,omitempty" json:"abandon,omitempty"`
	AbandonAt map[string]float64 `yaml:"abandon_at,omitempty" json:"abandon_at,omitempty"`
	// Latency is extra client-side delay (device, network) added before each request.
	Latency Dist `yaml:"latency,omitempty" json:"latency,omitempty"`
}

// Distributions of durations.
const (
	DistConstant    = "constant"
	DistUniform     = "uniform"
	DistExponential = "exponential"
	DistLogNormal   = "lognormal"
)

// Dist is a duration distribution. constant: Value; uniform: Min..Max;
// exponential: Mean; lognormal: Median and Sigma (of the underlying normal).
type Dist struct {
	Dist   string   `yaml:"dist,omitempty" json:"dist,omitempty"`
	Value  Duration `yaml:"value,omitempty" json:"value,omitempty"`
	Min    Duration `yaml:"min,omitempty" json:"min,omitempty"`
	Max    Duration `yaml:"max,omitempty" json:"max,omitempty"`
	Mean   Duration `yaml:"mean,omitempty" json:"mean,omitempty"`
	Median Duration `yaml:"median,omitempty" json:"median,omitempty"`
	Sigma  float64  `yaml:"sigma,omitempty" json:"sigma,omitempty"`
	// Cap bounds any sample (default: none).
	Cap Duration `yaml:"cap,omitempty" json:"cap,omitempty"`
}

// Feeder kinds.
const (
	FeederCitizens = "citizens" // synthetic citizens known to the portal's population mock
	FeederCSV      = "csv"
)

// Feeder supplies per-journey data under its Name (e.g. {{.citizen.personal_id}}).
type Feeder struct {
	Name string `yaml:"name" json:"name"`
	Type string `yaml:"type" json:"type"`
	// Count of synthetic citizens (citizens), default 10000.
	Count int `yaml:"count,omitempty" json:"count,omitempty"`
	// File is a CSV with a header row, relative to the scenario file (csv).
	File string `yaml:"file,omitempty" json:"file,omitempty"`
	// Order is "random" (default) or "sequential" (wraps around).
	Order string `yaml:"order,omitempty" json:"order,omitempty"`
}

// Journey is a declarative sequence of steps.
type Journey struct {
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	Steps       []Step `yaml:"steps" json:"steps"`
}

// Step is one request of a journey. Path, Body, Header values and JSON are
// templates over the journey's variables.
type Step struct {
	Name   string            `yaml:"name" json:"name"`
	Method string            `yaml:"method" json:"method"`
	Path   string            `yaml:"path" json:"path"`
	Header map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	// Body is a raw body template; JSON is a body given as YAML and sent as
	// JSON (string leaves are templates). At most one of Body, JSON, Multipart.
	Body      string            `yaml:"body,omitempty" json:"body,omitempty"`
	JSON      any               `yaml:"json,omitempty" json:"json,omitempty"`
	Multipart *Multipart        `yaml:"multipart,omitempty" json:"multipart,omitempty"`
	Expect    []int             `yaml:"expect,omitempty" json:"expect,omitempty"`   // default: any 2xx
	Extract   map[string]string `yaml:"extract,omitempty" json:"extract,omitempty"` // var name → gjson path
	Poll      *Poll             `yaml:"poll,omitempty" json:"poll,omitempty"`
	// Think: whether the persona's think time comes before this step (default true
	// except for the first step).
	Think *bool `yaml:"think,omitempty" json:"think,omitempty"`
	// When: a template; the step is skipped unless it renders to "true"
	// (e.g. skip payment for free procedures).
	When string `yaml:"when,omitempty" json:"when,omitempty"`
}

// Multipart is a multipart/form-data body with files read at compile time.
type Multipart struct {
	Fields map[string]string `yaml:"fields,omitempty" json:"fields,omitempty"`
	Files  []FilePart        `yaml:"files,omitempty" json:"files,omitempty"`
}

// FilePart is one file of a multipart body, relative to the scenario file.
type FilePart struct {
	Field       string `yaml:"field" json:"field"`
	Path        string `yaml:"path" json:"path"`
	FileName    string `yaml:"filename,omitempty" json:"filename,omitempty"`
	ContentType string `yaml:"content_type,omitempty" json:"content_type,omitempty"`
}

// Poll repeats a step every Every until the gjson path Until.Path has one of
// Until.In, failing the journey after Timeout.
type Poll struct {
	Until   Condition `yaml:"until" json:"until"`
	Every   Duration  `yaml:"every" json:"every"`
	Timeout Duration  `yaml:"timeout" json:"timeout"`
}

// Condition on a JSON response.
type Condition struct {
	Path string   `yaml:"path" json:"path"`
	In   []string `yaml:"in" json:"in"`
	// Fail: values that end the poll as a failure at once (e.g. rejected).
	Fail []string `yaml:"fail,omitempty" json:"fail,omitempty"`
}

// Fault is one entry of the fault schedule, applied to the embedded portal
// (or a target with the same admin API) from At for Duration.
type Fault struct {
	At       Duration `yaml:"at" json:"at"`
	Duration Duration `yaml:"duration" json:"duration"`
	// Dependency: eid, population, payment, signer, database; or Route: a route pattern.
	Dependency string   `yaml:"dependency,omitempty" json:"dependency,omitempty"`
	Route      string   `yaml:"route,omitempty" json:"route,omitempty"`
	Latency    Duration `yaml:"latency,omitempty" json:"latency,omitempty"`
	ErrorRate  float64  `yaml:"error_rate,omitempty" json:"error_rate,omitempty"`
	Outage     bool     `yaml:"outage,omitempty" json:"outage,omitempty"`
}

// Duration is a time.Duration written as "1.5s", "200ms", "2m".
type Duration time.Duration

// D returns the standard library duration.
func (d Duration) D() time.Duration { return time.Duration(d) }
