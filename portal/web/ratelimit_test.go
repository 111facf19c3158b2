package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/sqlite"
)

func TestLimiterIsATokenBucket(t *testing.T) {
	clock := portal.NewManualClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	l := newLimiter(Rate{Burst: 3, Every: 10 * time.Second}, clock)
	for i := range 3 {
		if ok, _ := l.take("a"); !ok {
			t.Fatalf("take %d of the burst refused", i+1)
		}
	}
	ok, wait := l.take("a")
	if ok || wait != 10*time.Second {
		t.Fatalf("4th take: ok=%v wait=%v, want refused for 10s", ok, wait)
	}
	if ok, _ := l.take("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	clock.Advance(4 * time.Second)
	if ok, wait := l.take("a"); ok || wait != 6*time.Second {
		t.Fatalf("after 4 s: ok=%v wait=%v, want refused for 6s more", ok, wait)
	}
	clock.Advance(6 * time.Second)
	if ok, _ := l.take("a"); !ok {
		t.Fatal("after 10 s one token must be back")
	}
	clock.Advance(time.Hour)
	for i := range 3 {
		if ok, _ := l.take("a"); !ok {
			t.Fatalf("after an hour, take %d refused: the bucket refills only to its burst", i+1)
		}
	}
	if ok, _ := l.take("a"); ok {
		t.Fatal("refilled beyond the burst")
	}
}

func TestLimiterZeroRateIsUnlimited(t *testing.T) {
	l := newLimiter(Rate{}, portal.SystemClock{})
	for range 1000 {
		if ok, _ := l.take("a"); !ok {
			t.Fatal("a zero Rate refused a request")
		}
	}
}

// TestLimiterMemoryIsBounded floods distinct keys: the map never grows
// past maxBuckets.
func TestLimiterMemoryIsBounded(t *testing.T) {
	clock := portal.NewManualClock(time.Now())
	l := newLimiter(Rate{Burst: 1, Every: time.Minute}, clock)
	for i := range maxBuckets + 1000 {
		l.take(string(rune(i)) + "k")
		if len(l.buckets) > maxBuckets {
			t.Fatalf("%d buckets after %d keys", len(l.buckets), i+1)
		}
	}
}

// limitedPortal is a router with a real store and e-ID service, the given
// login limits, dev_otp on, and a manual clock for the limits.
type limitedPortal struct {
	t     *testing.T
	h     http.Handler
	clock *portal.ManualClock
}

func newLimitedPortal(t *testing.T, limits *LoginLimits) *limitedPortal {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "portal.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	clock := portal.NewManualClock(time.Now())
	auth := &portal.AuthService{Store: store, Clock: clock, OTPSecret: []byte("0123456789abcdef0123456789abcdef")}
	h := NewRouter(Deps{Auth: auth, Store: store, Simulator: true, Clock: clock, LoginLimits: limits})
	return &limitedPortal{t: t, h: h, clock: clock}
}

func (p *limitedPortal) post(remote, path string, body any) *httptest.ResponseRecorder {
	p.t.Helper()
	b, _ := json.Marshal(body)
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = remote
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, req)
	return w
}

func (p *limitedPortal) otp(remote, personalID string) (int, string, string) {
	w := p.post(remote, "/api/v1/auth/otp", map[string]string{"personal_id": personalID})
	var ch struct {
		ChallengeID string `json:"challenge_id"`
		DevOTP      string `json:"dev_otp"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &ch)
	return w.Code, ch.ChallengeID, ch.DevOTP
}

// want429 checks a refusal: 429, the JSON error, and a Retry-After of
// the expected whole seconds.
func want429(t *testing.T, w *httptest.ResponseRecorder, retryAfter, message string) {
	t.Helper()
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("got %d %s, want 429", w.Code, w.Body)
	}
	if got := w.Header().Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After %q, want %q", got, retryAfter)
	}
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body.Error.Code != portal.ETOOMANY || !strings.Contains(body.Error.Message, message) {
		t.Errorf("429 body %s (%v), want code %s and a message with %q", w.Body, err, portal.ETOOMANY, message)
	}
}

const (
	alice   = "001190000001"
	bob     = "001190000002"
	carol   = "001190000003"
	remoteA = "198.51.100.7:5000"
	remoteB = "198.51.100.8:5000"
)

func TestOTPLimitedPerPersonalID(t *testing.T) {
	p := newLimitedPortal(t, &LoginLimits{OTPPerID: Rate{Burst: 3, Every: time.Minute}})
	for i := range 3 {
		if code, _, _ := p.otp(remoteA, alice); code != 200 {
			t.Fatalf("OTP %d: %d, want 200", i+1, code)
		}
	}
	// The same person from another address is still refused.
	want429(t, p.post(remoteB, "/api/v1/auth/otp", map[string]string{"personal_id": " " + alice + " "}), "60", "personal ID "+alice)
	if code, _, _ := p.otp(remoteA, bob); code != 200 {
		t.Errorf("another person's OTP: %d, want 200", code)
	}
	p.clock.Advance(59 * time.Second)
	want429(t, p.post(remoteA, "/api/v1/auth/otp", map[string]string{"personal_id": alice}), "1", "try again in 1 s")
	p.clock.Advance(time.Second)
	if code, _, _ := p.otp(remoteA, alice); code != 200 {
		t.Errorf("after a minute: %d, want 200", code)
	}
}

// TestLoginAttemptsLimitedPerPersonalID guesses codes across fresh
// challenges: the person's attempts are counted, whichever challenge.
func TestLoginAttemptsLimitedPerPersonalID(t *testing.T) {
	p := newLimitedPortal(t, &LoginLimits{LoginPerID: Rate{Burst: 4, Every: 30 * time.Second}})
	var last, lastOTP string
	for i := range 4 {
		_, ch, otp := p.otp(remoteA, alice)
		last, lastOTP = ch, otp
		wrong := "000000"
		if otp == wrong {
			wrong = "111111"
		}
		if w := p.post(remoteA, "/api/v1/auth/login", map[string]string{"challenge_id": ch, "otp": wrong}); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: %d %s, want 401", i+1, w.Code, w.Body)
		}
	}
	// Even the right code waits now: the limit is on the person.
	want429(t, p.post(remoteB, "/api/v1/auth/login", map[string]string{"challenge_id": last, "otp": lastOTP}), "30", "personal ID "+alice)
	// Bob is not affected, nor are unknown challenges counted against anyone.
	_, ch, otp := p.otp(remoteA, bob)
	if w := p.post(remoteA, "/api/v1/auth/login", map[string]string{"challenge_id": ch, "otp": otp}); w.Code != 200 {
		t.Errorf("bob's login: %d %s", w.Code, w.Body)
	}
	if w := p.post(remoteA, "/api/v1/auth/login", map[string]string{"challenge_id": "ch_nope", "otp": "123456"}); w.Code != http.StatusUnauthorized {
		t.Errorf("unknown challenge: %d %s, want 401", w.Code, w.Body)
	}
	p.clock.Advance(30 * time.Second)
	if w := p.post(remoteA, "/api/v1/auth/login", map[string]string{"challenge_id": last, "otp": lastOTP}); w.Code != 200 {
		t.Errorf("after 30 s the right code: %d %s, want 200", w.Code, w.Body)
	}
}

func TestLoginLimitedPerAddress(t *testing.T) {
	p := newLimitedPortal(t, &LoginLimits{PerAddress: Rate{Burst: 5, Every: 2 * time.Second}})
	for i := range 5 {
		if code, _, _ := p.otp(remoteA, fmt.Sprintf("0011900%05d", i+10)); code != 200 {
			t.Fatalf("OTP %d from one address: %d", i+1, code)
		}
	}
	want429(t, p.post(remoteA, "/api/v1/auth/otp", map[string]string{"personal_id": carol}), "2", "from your address")
	want429(t, p.post(remoteA, "/api/v1/auth/login", map[string]string{"challenge_id": "x", "otp": "1"}), "2", "from your address")
	if code, _, _ := p.otp(remoteB, carol); code != 200 {
		t.Errorf("another address: %d, want 200", code)
	}
	// Malformed bodies are charged to the address too, and the handler
	// still reports the problem once let through.
	p.clock.Advance(2 * time.Second)
	w := p.post(remoteA, "/api/v1/auth/otp", "not an object")
	if w.Code != http.StatusBadRequest {
		t.Errorf("malformed body after the wait: %d %s, want the handler's 400", w.Code, w.Body)
	}
}

func TestLoopbackExemptionAndSimulatorDefaults(t *testing.T) {
	limits := DefaultLoginLimits(false)
	limits.ExemptLoopback = true
	p := newLimitedPortal(t, &limits)
	for i := range 20 {
		if code, _, _ := p.otp("127.0.0.1:40000", alice); code != 200 {
			t.Fatalf("loopback OTP %d: %d, want 200 (exempt)", i+1, code)
		}
		if code, _, _ := p.otp("[::1]:40000", bob); code != 200 {
			t.Fatalf("::1 OTP %d: %d, want 200 (exempt)", i+1, code)
		}
	}
	for range 5 {
		p.otp(remoteA, carol)
	}
	want429(t, p.post(remoteA, "/api/v1/auth/otp", map[string]string{"personal_id": carol}), "60", "personal ID")

	// Simulator mode: dev_otp is public, so no limits by default.
	if l := DefaultLoginLimits(true); !l.OTPPerID.unlimited() || !l.LoginPerID.unlimited() || !l.PerAddress.unlimited() {
		t.Errorf("simulator defaults %+v, want no limits", l)
	}
	sim := newLimitedPortal(t, nil)
	for i := range 30 {
		if code, _, _ := sim.otp(remoteA, alice); code != 200 {
			t.Fatalf("simulator OTP %d: %d, want 200", i+1, code)
		}
	}
}
