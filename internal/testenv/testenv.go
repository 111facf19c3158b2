// Package testenv tells tests about the conditions they run in, so that
// tests asserting on measured time run only where the figures mean something.
package testenv

import "testing"

// Timing marks a test whose assertions are about measured time (latency
// percentiles, lateness, a capacity found by search, the p99 of admitted
// requests under overload). The race detector slows code 5–10×, unevenly,
// so under -race such a test is skipped; `make test` runs every TestTiming*
// test again without -race, one package at a time (see the Makefile).
func Timing(t testing.TB) {
	t.Helper()
	if RaceEnabled {
		t.Skip("timing test: skipped under -race; make test runs it in its non-race pass (go test -run '^TestTiming')")
	}
}
