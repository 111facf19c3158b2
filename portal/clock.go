package portal

import (
	"sync"
	"time"
)

// Clock tells the time. The real clock, a fixed test clock and the
// back office's accelerated simulation clock all implement it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// ManualClock is a clock that moves only when told to; for tests.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// AcceleratedClock runs Speed times faster than real time from a start
// instant: simulated = Start + Speed × (real − realStart). It lets a run of
// seconds cover working days so on-time rates appear within a load test.
type AcceleratedClock struct {
	start     time.Time
	realStart time.Time
	speed     float64
	real      func() time.Time
}

// NewAcceleratedClock returns a clock that starts at start and runs speed
// times faster than real time. A speed <= 0 is treated as 1.
func NewAcceleratedClock(start time.Time, speed float64) *AcceleratedClock {
	if speed <= 0 {
		speed = 1
	}
	return &AcceleratedClock{start: start, realStart: time.Now(), speed: speed, real: time.Now}
}

// Now returns the simulated time.
func (c *AcceleratedClock) Now() time.Time {
	elapsed := c.real().Sub(c.realStart)
	return c.start.Add(time.Duration(float64(elapsed) * c.speed))
}

// Speed returns how many simulated seconds pass per real second.
func (c *AcceleratedClock) Speed() float64 { return c.speed }

// RealDuration converts a simulated duration into the real time it takes.
func (c *AcceleratedClock) RealDuration(sim time.Duration) time.Duration {
	return time.Duration(float64(sim) / c.speed)
}
