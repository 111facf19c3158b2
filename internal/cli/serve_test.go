package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an io.Writer safe to read while a command writes to it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listeningURL = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

func TestServeStartsAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	dir := t.TempDir()
	env := &Env{
		Ctx: ctx, Args: []string{"serve", "--addr", "127.0.0.1:0"}, Stdin: strings.NewReader(""),
		Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string {
			if k == "PORTALSIM_DATA_DIR" {
				return dir // flags also come from the environment
			}
			return ""
		},
	}
	exit := make(chan int, 1)
	go func() { exit <- Main(env) }()

	var base string
	deadline := time.Now().Add(20 * time.Second)
	for base == "" {
		if m := listeningURL.FindStringSubmatch(stdout.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-exit:
			t.Fatalf("serve exited with %d before listening; stderr: %s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not print its URL; stdout: %s", stdout.String())
		}
	}
	if !strings.Contains(stdout.String(), "001085000001") || !strings.Contains(stdout.String(), dir) {
		t.Errorf("banner lacks the demo logins or the data directory: %s", stdout.String())
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("readyz: %d", resp.StatusCode)
	}

	cancel()
	select {
	case code := <-exit:
		if code != ExitOK {
			t.Errorf("exit %d after cancel; stderr: %s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	// Logs are JSON lines on stderr, including the access log.
	var sawRequest bool
	for _, line := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("stderr line %q is not JSON: %v", line, err)
		}
		sawRequest = sawRequest || (m["msg"] == "request" && m["route"] == "/readyz")
	}
	if !sawRequest {
		t.Errorf("no access log line for /readyz in %s", stderr.String())
	}
}

func TestServeRefusesNonLoopbackWithoutPublic(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
		ok     bool
	}{
		{"127.0.0.1:0", false, true},
		{"[::1]:8080", false, true},
		{"localhost:8080", false, true},
		{"0.0.0.0:8080", false, false},
		{":8080", false, false},
		{"10.1.2.3:8080", false, false},
		{"0.0.0.0:8080", true, true},
		{"no-port", false, false},
	} {
		err := checkBindAddress(tc.addr, tc.public)
		if (err == nil) != tc.ok {
			t.Errorf("checkBindAddress(%q, public=%v) = %v, want ok=%v", tc.addr, tc.public, err, tc.ok)
		}
	}
	var stderr lockedBuffer
	env := &Env{Ctx: context.Background(), Args: []string{"serve", "--addr", "0.0.0.0:0", "--data-dir", t.TempDir()},
		Stdin: strings.NewReader(""), Stdout: &lockedBuffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }}
	if code := Main(env); code != ExitUsage || !strings.Contains(stderr.String(), "--public") {
		t.Errorf("serve on 0.0.0.0: exit %d, stderr %q; want usage error mentioning --public", code, stderr.String())
	}
}

func TestServeDataDir(t *testing.T) {
	for _, tc := range []struct {
		o          serveOptions
		dataDirSet bool
		want       string
	}{
		{serveOptions{dataDir: "./portalsim-data"}, false, "./portalsim-data"},
		{serveOptions{dataDir: "./portalsim-data", db: "./portalsim.db"}, false, "."},
		{serveOptions{dataDir: "./portalsim-data", db: "/var/lib/p/portal.db"}, false, "/var/lib/p"},
		{serveOptions{dataDir: "/keys", db: "/var/lib/p/portal.db"}, true, "/keys"},
	} {
		if got := serveDataDir(tc.o, tc.dataDirSet); got != tc.want {
			t.Errorf("serveDataDir(%+v, set=%v) = %q, want %q", tc.o, tc.dataDirSet, got, tc.want)
		}
	}
}

func TestServeRefusesBadFaultFlag(t *testing.T) {
	for _, tc := range []struct{ flag, inMessage string }{
		{"teapot:outage", `unknown target "teapot"`},
		{"payment:error_rate=2", "error_rate"},
		{"population", "no settings"},
	} {
		var stderr lockedBuffer
		env := &Env{Ctx: context.Background(), Args: []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--fault", tc.flag},
			Stdin: strings.NewReader(""), Stdout: &lockedBuffer{}, Stderr: &stderr, Getenv: func(string) string { return "" }}
		if code := Main(env); code != ExitUsage || !strings.Contains(stderr.String(), tc.inMessage) {
			t.Errorf("--fault %q: exit %d, stderr %q; want a usage error naming %q", tc.flag, code, stderr.String(), tc.inMessage)
		}
	}
}
