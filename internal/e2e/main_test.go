package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the portalsim executable built once by TestMain.
var binary string

// long reports whether the long variants were asked for (make test-long).
func long() bool { return os.Getenv("PORTALSIM_LONG") == "1" }

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "portalsim-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "portalsim")
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	build := exec.Command(gobin, "build", "-o", binary, "github.com/portalsim/portalsim/cmd/portalsim")
	build.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build portalsim: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// server is a running `portalsim serve` child process.
type server struct {
	t      testing.TB
	cmd    *exec.Cmd
	URL    string
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, set before done closes
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// tail returns the last n bytes of the server's log, for failure messages.
func (s *server) tail(n int) string {
	out := s.stderr.String()
	if len(out) > n {
		out = "…" + out[len(out)-n:]
	}
	return out
}

// startServer runs `portalsim serve --addr 127.0.0.1:0 --data-dir dir
// extra...`, reads the URL from its banner and waits for /readyz. The
// process is killed at the end of the test if still running.
func startServer(t testing.TB, dataDir string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "warn"}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = cleanEnv()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{t: t, cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start portalsim serve: %v", err)
	}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() { s.kill() })

	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "portalsim portal listening on "); ok {
				urlc <- strings.TrimSpace(rest)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case s.URL = <-urlc:
	case <-s.done:
		t.Fatalf("portalsim serve exited before listening (%v):\n%s", s.err, s.tail(4000))
	case <-time.After(30 * time.Second):
		t.Fatalf("portalsim serve printed no banner within 30 s:\n%s", s.tail(4000))
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz not 200 within 15 s (last error %v):\n%s", s.URL, err, s.tail(4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cleanEnv is the test's environment without PORTALSIM_* settings, which
// serve would read as flags.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTALSIM_") {
			env = append(env, kv)
		}
	}
	return env
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// pid returns the server's process ID.
func (s *server) pid() int { return s.cmd.Process.Pid }

// rssKB reads the resident set size of a process from /proc.
func rssKB(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, errors.New("no VmRSS line")
}

// client calls the portal's JSON API.
type client struct {
	base string
	http *http.Client
}

func newClient(base string) *client {
	return &client{base: base, http: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}}
}

// apiError is a non-2xx answer.
type apiError struct {
	Status int
	Body   string
}

func (e *apiError) Error() string { return fmt.Sprintf("status %d: %s", e.Status, e.Body) }

// call sends a JSON request and decodes a 2xx JSON answer into out. A
// non-2xx answer is an *apiError; a transport failure is any other error.
func (c *client) call(ctx context.Context, method, path, token string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{Status: resp.StatusCode, Body: string(data)}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode %q: %w", method, path, data, err)
		}
	}
	return nil
}

// callSigned posts a payment notification with its signature header, as
// the gateway does.
func (c *client) callSigned(ctx context.Context, path string, body []byte, signature string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Signature", signature)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &apiError{Status: resp.StatusCode, Body: string(data)}
	}
	return json.Unmarshal(data, out)
}

// login signs in through OTP with the simulator's dev_otp.
func (c *client) login(ctx context.Context, personalID string) (string, error) {
	var ch struct {
		ChallengeID string `json:"challenge_id"`
		DevOTP      string `json:"dev_otp"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/v1/auth/otp", "", map[string]string{"personal_id": personalID}, &ch); err != nil {
		return "", fmt.Errorf("otp for %s: %w", personalID, err)
	}
	var s struct {
		Token string `json:"token"`
	}
	if err := c.call(ctx, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"challenge_id": ch.ChallengeID, "otp": ch.DevOTP}, &s); err != nil {
		return "", fmt.Errorf("login %s: %w", personalID, err)
	}
	return s.Token, nil
}

// historyEntry is one transition in a dossier's history.
type historyEntry struct {
	From      string `json:"from"`
	To        string `json:"to"`
	ActorRole string `json:"actor_role"`
	At        string `json:"at"`
}

type dossier struct {
	ID      string         `json:"id"`
	Code    string         `json:"code"`
	Status  string         `json:"status"`
	History []historyEntry `json:"history"`
}

// maritalStatus is a full-process procedure without a fee or a required
// attachment, with a form every citizen can fill.
const maritalStatus = "1.004873"

var maritalForm = map[string]string{"marital_status": "Chưa kết hôn", "purpose": "Đăng ký kết hôn"}

// temporaryResidence has a fee paid online.
const temporaryResidence = "1.004194"

func residenceForm() map[string]string {
	return map[string]string{
		"temporary_address": "25 Lý Thường Kiệt, Hoàn Kiếm, Hà Nội",
		"stay_from":         time.Now().In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02"),
		"stay_months":       "12",
		"purpose":           "Lao động",
	}
}
