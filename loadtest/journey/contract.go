// Package journey runs one virtual citizen through a scenario's declarative
// journey: it renders each step's request from the citizen's variables,
// checks and extracts from each response (gjson paths), decides think time,
// polling and abandonment, and reports how the journey ended. It does no
// I/O and knows nothing of vegeta: the engine sends what it asks for.
package journey

import (
	"net/http"
	"time"
)

// Request is a fully rendered HTTP request for one step. Path is relative
// to the target's base URL (it starts with "/") unless it is absolute.
type Request struct {
	Method string
	Path   string
	Header http.Header // nil when the step sends no headers
	Body   []byte      // nil when the step has no body
}

// Action is what a journey wants next.
type Action struct {
	// Done is true when the journey has ended; Outcome says how.
	Done bool
	// Delay is how long after the previous response (or the arrival, for the
	// first step) the request is intended to leave: think time, polling
	// interval, client-side latency. The engine schedules it, never sleeps.
	Delay time.Duration
	// Step names the step (unique within the journey); StepIndex is its
	// position; Attempt counts polls of the same step from 1.
	Step      string
	StepIndex int
	Attempt   int
	Request   Request
}

// Response is what came back for the last Action's request.
type Response struct {
	Status  int    // 0 when no response arrived
	Body    []byte // may be truncated by the engine
	Error   string // transport error, timeout, ...
	Latency time.Duration
	// At is when the response arrived (intended send + lateness + latency).
	At time.Time
}

// Outcome kinds. Completion rate = completed / started.
const (
	Completed = "completed"
	Abandoned = "abandoned" // the persona gave up: not a portal failure
	Failed    = "failed"    // wrong status, transport error, extraction or poll timeout
)

// Outcome is how a journey ended.
type Outcome struct {
	Kind       string
	FailedStep string // the step where it stopped (failed or abandoned)
	Reason     string // e.g. "status 503, want 201", "poll timeout after 60s"
}
