package backoffice

import (
	"context"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// Sleeper waits until the simulated clock shows until, or returns ctx's
// error when ctx ends first. It is the seam between simulated and real
// time: RealSleeper waits in real time, JumpSleeper moves a test clock.
type Sleeper func(ctx context.Context, until time.Time) error

// RealSleeper waits in real time, converting simulated durations with the
// clock's speed (an AcceleratedClock's Speed, 1 for any other clock). It
// re-reads the clock after every wait, so a clock moved by hand is noticed
// at the next wake-up.
func RealSleeper(clock portal.Clock) Sleeper {
	speed := speedOf(clock)
	return func(ctx context.Context, until time.Time) error {
		for {
			left := until.Sub(clock.Now())
			if left <= 0 {
				return ctx.Err()
			}
			wait := time.Duration(float64(left) / speed)
			if wait < 50*time.Microsecond {
				wait = 50 * time.Microsecond // never spin on rounding
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

// JumpSleeper moves a manual clock forward to until and returns at once:
// with it, Pool.Work runs a dossier's whole handling in no real time, for
// deterministic step-by-step tests and what-if runs.
func JumpSleeper(clock *portal.ManualClock) Sleeper {
	return func(ctx context.Context, until time.Time) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if until.After(clock.Now()) {
			clock.Set(until)
		}
		return nil
	}
}

// speedOf returns how many simulated seconds pass per real second.
func speedOf(clock portal.Clock) float64 {
	if c, ok := clock.(interface{ Speed() float64 }); ok && c.Speed() > 0 {
		return c.Speed()
	}
	return 1
}

// shiftEnd returns the end of the working shift t falls in; t must be
// working time.
func shiftEnd(cal *portal.Calendar, t time.Time) time.Time {
	t = t.In(cal.Location)
	y, m, d := t.Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, cal.Location)
	if t.Hour()*60+t.Minute() < cal.MorningEnd {
		return day.Add(time.Duration(cal.MorningEnd) * time.Minute)
	}
	return day.Add(time.Duration(cal.AfternoonEnd) * time.Minute)
}

// workingDuration is the working time between from and to on the calendar.
func workingDuration(cal *portal.Calendar, from, to time.Time) time.Duration {
	var total time.Duration
	for t := from; t.Before(to); {
		if !cal.IsWorkingTime(t) {
			next := cal.NextWorkingTime(t)
			if !next.After(t) { // calendar without working time ahead
				break
			}
			t = next
			continue
		}
		end := shiftEnd(cal, t)
		if end.After(to) {
			end = to
		}
		total += end.Sub(t)
		t = end
	}
	return total
}
