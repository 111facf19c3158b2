package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/portalsim/portalsim/loadtest/journey"
	"github.com/portalsim/portalsim/loadtest/metrics"
	"github.com/portalsim/portalsim/loadtest/scenario"
)

// rawTarget is a TCP listener on loopback whose connections are handled by
// serve, for targets no well-behaved HTTP server would be.
func rawTarget(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { serve(c) })
		}
	}()
	t.Cleanup(func() {
		close(done)
		_ = ln.Close()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}

// closedPort returns the URL of a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return "http://" + addr
}

// readRequest consumes one request's head so the client is waiting for
// the response.
func readRequest(c net.Conn) {
	_, _ = http.ReadRequest(bufio.NewReader(c))
}

// faultRun is the outcome of one run against a faulty target.
type faultRun struct {
	sum     *metrics.Summary
	took    time.Duration
	records []JourneyRecord
	results int // results.bin entries
}

// runAgainst runs a short scenario against base and collects everything a
// results folder would get.
func runAgainst(t *testing.T, base string, plan Plan, start StartFunc, timeout time.Duration) faultRun {
	t.Helper()
	var results, journal bytes.Buffer
	cfg := Config{
		Scenario: "faults", Plan: plan, Start: start, BaseURL: base,
		Duration: 800 * time.Millisecond, Drain: 1500 * time.Millisecond, Seed: 1,
		Arrival:    scenario.Arrival{Profile: "constant", Rate: 20, Process: "uniform"},
		HTTP:       scenario.HTTPOptions{Timeout: scenario.Duration(timeout)},
		Results:    vegeta.NewEncoder(&results),
		JourneyLog: &journal,
	}
	began := time.Now()
	sum, err := Run(context.Background(), cfg)
	took := time.Since(began)
	if err != nil {
		t.Fatalf("run against a faulty target: %v", err)
	}
	// The run ends on time: arrival window + drain, plus one request
	// timeout for a request sent at the very end, plus slack.
	if limit := cfg.Duration + cfg.Drain + timeout + time.Second; took > limit {
		t.Errorf("run took %v, want at most %v", took, limit)
	}
	// summary.json is complete and parses.
	b, err := json.Marshal(sum)
	if err != nil {
		t.Fatalf("summary does not marshal: %v", err)
	}
	var back metrics.Summary
	if err := json.Unmarshal(b, &back); err != nil || back.SchemaVersion == 0 {
		t.Fatalf("summary.json does not parse back (%v): %s", err, b)
	}
	fr := faultRun{sum: sum, took: took}
	for line := range strings.SplitSeq(strings.TrimSpace(journal.String()), "\n") {
		if line == "" {
			continue
		}
		var r JourneyRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("journeys.jsonl line %q: %v", line, err)
		}
		fr.records = append(fr.records, r)
	}
	if got, want := uint64(len(fr.records)), sum.Journeys.Started+sum.Journeys.Interrupted; got != want || got == 0 {
		t.Errorf("journeys.jsonl has %d lines, summary says %d started + %d interrupted", got, sum.Journeys.Started, sum.Journeys.Interrupted)
	}
	dec := vegeta.NewDecoder(&results)
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if err != io.EOF {
				t.Fatalf("results.bin entry %d: %v", fr.results, err)
			}
			break
		}
		fr.results++
	}
	if uint64(fr.results) != sum.Requests.Count+sum.Requests.Interrupted && uint64(fr.results) != sum.Requests.Count {
		t.Errorf("results.bin has %d results, summary counts %d requests (+%d interrupted)", fr.results, sum.Requests.Count, sum.Requests.Interrupted)
	}
	return fr
}

// TestHarnessUnderTargetFaults points the engine at targets that refuse,
// reset, trickle, hang and answer garbage: every run ends on time, every
// journey fails at the step that met the fault with a reason, and the
// results are complete.
func TestHarnessUnderTargetFaults(t *testing.T) {
	plan := faultPlan(t)
	timeout := 400 * time.Millisecond
	tests := []struct {
		name   string
		target func(t *testing.T) string
		reason string // in every failed journey's reason
	}{
		{"connection refused", closedPort, "refused"},
		{"connection reset", func(t *testing.T) string {
			return rawTarget(t, func(c net.Conn) {
				readRequest(c)
				_ = c.(*net.TCPConn).SetLinger(0) // close sends RST
				_ = c.Close()
			})
		}, "reset"},
		{"slow loris headers", func(t *testing.T) string {
			return rawTarget(t, func(c net.Conn) {
				readRequest(c)
				for _, b := range []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}") {
					if _, err := c.Write([]byte{b}); err != nil {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
			})
		}, "deadline exceeded"},
		{"never answers", func(t *testing.T) string {
			return rawTarget(t, func(c net.Conn) {
				readRequest(c)
				_, _ = io.Copy(io.Discard, c) // hold until the client gives up
			})
		}, "deadline exceeded"},
		{"truncated chunked body", func(t *testing.T) string {
			return rawTarget(t, func(c net.Conn) {
				readRequest(c)
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n10\r\n{\"token\": \"ab")
				_ = c.Close()
			})
		}, "EOF"},
		{"500 for everything", func(t *testing.T) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "boom", http.StatusInternalServerError)
			}))
			t.Cleanup(srv.Close)
			return srv.URL
		}, "status 500"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fr := runAgainst(t, tc.target(t), plan, startFrom(plan), timeout)
			c := fr.sum.Journeys
			if c.Completed != 0 || c.Failed == 0 || c.Started != c.Failed {
				t.Errorf("journeys %+v: want every started journey failed", c)
			}
			if fr.sum.Requests.Errors == 0 || fr.sum.Requests.ErrorRate == 0 {
				t.Errorf("requests %+v: the faults must count as errors", fr.sum.Requests)
			}
			for _, r := range fr.records {
				if r.Outcome == "interrupted" {
					continue
				}
				if r.Outcome != "failed" || r.Step != "login" || !strings.Contains(strings.ToLower(r.Reason), strings.ToLower(tc.reason)) {
					t.Errorf("journey record %+v: want failed at step login with a reason mentioning %q", r, tc.reason)
					break
				}
			}
			t.Logf("%s: %d journeys failed, %d requests, run took %v", tc.name, c.Failed, fr.sum.Requests.Count, fr.took.Round(time.Millisecond))
		})
	}
}

// TestHarnessUnderMalformedJSON runs a real compiled journey whose login
// step extracts the token from JSON: a target that answers 200 with
// garbage fails the journey at that step, saying why.
func TestHarnessUnderMalformedJSON(t *testing.T) {
	plan := faultPlan(t)
	for _, body := range []string{`{"token": `, `<html>not json</html>`, `{"tok": "x"}`, ``} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		}))
		fr := runAgainst(t, srv.URL, plan, startFrom(plan), 400*time.Millisecond)
		srv.Close()
		c := fr.sum.Journeys
		if c.Completed != 0 || c.Failed == 0 {
			t.Errorf("body %q: journeys %+v, want all failed", body, c)
		}
		for _, r := range fr.records {
			if r.Outcome != "interrupted" && (r.Step != "login" || r.Reason == "") {
				t.Errorf("body %q: record %+v, want failed at login with a reason", body, r)
				break
			}
		}
		if len(fr.records) > 0 {
			t.Logf("body %q: %d failed, e.g. %q", body, c.Failed, fr.records[0].Reason)
		}
	}
}

func startFrom(plan *journey.Plan) StartFunc {
	return func(id uint64, rng *rand.Rand) Journey { return plan.Start(id, rng) }
}

// faultPlan is a real compiled two-step journey whose first step extracts
// a token from a JSON answer, as the shipped scenarios' logins do.
func faultPlan(t *testing.T) *journey.Plan {
	t.Helper()
	s, err := scenario.Parse([]byte(`name: faults
duration: 1s
arrival: {profile: constant, rate: 10}
personas: [{name: citizen, share: 1}]
mix: [{journey: j, weight: 1}]
journeys:
  j:
    steps:
      - name: login
        method: POST
        path: /login
        json: {id: "1"}
        expect: [200]
        extract: {token: token}
      - name: use
        method: GET
        path: /use/{{.token}}
        expect: [200]
`), "faults.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := journey.Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}
