package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/portalsim/portalsim/portal"
)

// Rate is a token bucket: Burst requests at once, then one more every Every.
// A zero Rate is no limit.
type Rate struct {
	Burst int
	Every time.Duration
}

func (r Rate) unlimited() bool { return r.Burst <= 0 || r.Every <= 0 }

// LoginLimits are the abuse controls on the e-ID login routes: how often one
// personal ID may ask for an OTP or try a code, and how often one client
// address may call either route. A refused request gets 429 with a
// Retry-After saying when the next one would be let through.
type LoginLimits struct {
	OTPPerID   Rate // POST /auth/otp per personal ID
	LoginPerID Rate // POST /auth/login per personal ID (of the challenge)
	PerAddress Rate // both routes together, per client IP address
	// ExemptLoopback lets 127.0.0.0/8 and ::1 through unlimited, for a
	// load harness on the same machine as a portal that keeps its limits
	// for everyone else. A portal behind a local reverse proxy must not set
	// it: every client would then be loopback.
	ExemptLoopback bool
}

// DefaultLoginLimits are the limits NewRouter applies when Deps.LoginLimits
// is nil. Outside simulator mode: 5 OTPs per personal ID, then one a minute
// (an SMS costs money and an OTP request is how IDs are probed); 10 login
// attempts per personal ID, then one every 30 s (each challenge already
// allows only 5 wrong codes); 60 calls per address, then one a second.
//
// In simulator mode there are none: the OTP is handed out in the response
// (dev_otp), so there is nothing to guess, and the load harness signs in
// thousands of synthetic citizens, some many times, from one address —
// limits would only measure themselves. Overload is shed by MaxInFlight.
func DefaultLoginLimits(simulator bool) LoginLimits {
	if simulator {
		return LoginLimits{}
	}
	return LoginLimits{
		OTPPerID:   Rate{Burst: 5, Every: time.Minute},
		LoginPerID: Rate{Burst: 10, Every: 30 * time.Second},
		PerAddress: Rate{Burst: 60, Every: time.Second},
	}
}

// maxBuckets bounds each limiter's memory. Over it, buckets that have
// refilled (equivalent to absent) are dropped; if that is not enough the
// limiter starts afresh rather than grow without bound.
const maxBuckets = 1 << 16

// limiter is a set of token buckets keyed by a string (personal ID or
// address), on a clock so tests can move time.
type limiter struct {
	rate    Rate
	clock   portal.Clock
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last computed
}

func newLimiter(r Rate, clock portal.Clock) *limiter {
	return &limiter{rate: r, clock: clock, buckets: map[string]*bucket{}}
}

// take spends one token of key's bucket. When the bucket is empty it
// returns false and how long until a token is back.
func (l *limiter) take(key string) (bool, time.Duration) {
	if l == nil || l.rate.unlimited() {
		return true, 0
	}
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.sweep(now)
		}
		b = &bucket{tokens: float64(l.rate.Burst), at: now}
		l.buckets[key] = b
	}
	l.refill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) * float64(l.rate.Every))
	return false, wait
}

func (l *limiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = math.Min(float64(l.rate.Burst), b.tokens+float64(elapsed)/float64(l.rate.Every))
		b.at = now
	}
}

// sweep drops full buckets; if every bucket is in use it drops them all.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= float64(l.rate.Burst) {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}

// loginGuard applies LoginLimits to the login routes.
type loginGuard struct {
	limits             LoginLimits
	auth               *portal.AuthService
	otpByID, loginByID *limiter
	byAddress          *limiter
}

func newLoginGuard(limits LoginLimits, auth *portal.AuthService, clock portal.Clock) *loginGuard {
	return &loginGuard{
		limits:    limits,
		auth:      auth,
		otpByID:   newLimiter(limits.OTPPerID, clock),
		loginByID: newLimiter(limits.LoginPerID, clock),
		byAddress: newLimiter(limits.PerAddress, clock),
	}
}

// middleware returns the handlers to put in front of route r: a limiter for
// the two login routes, nothing for the others.
func (g *loginGuard) middleware(r Route) []gin.HandlerFunc {
	if r.Method != http.MethodPost {
		return nil
	}
	switch r.Path {
	case "/api/v1/auth/otp":
		return []gin.HandlerFunc{g.guard(g.otpByID, otpPersonalID)}
	case "/api/v1/auth/login":
		return []gin.HandlerFunc{g.guard(g.loginByID, g.challengePersonalID)}
	}
	return nil
}

// guard charges the caller's address, then the personal ID the request
// is about (found by personalID from the body), and refuses with 429 when
// either bucket is empty.
func (g *loginGuard) guard(byID *limiter, personalID func(c *gin.Context, body []byte) string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ip := net.ParseIP(c.ClientIP())
		if g.limits.ExemptLoopback && ip != nil && ip.IsLoopback() {
			c.Next()
			return
		}
		if ok, wait := g.byAddress.take(c.ClientIP()); !ok {
			tooMany(c, wait, "too many login requests from your address")
			return
		}
		if byID.rate.unlimited() {
			c.Next()
			return
		}
		body := peekBody(c.Request)
		if id := personalID(c, body); id != "" {
			if ok, wait := byID.take(id); !ok {
				tooMany(c, wait, "too many login requests for personal ID "+id)
				return
			}
		}
		c.Next()
	}
}

// peekBody reads the (size-limited) body and puts it back for the handler,
// with any read error (such as the size limit) still reported at its end.
func peekBody(r *http.Request) []byte {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	var rest io.Reader = bytes.NewReader(b)
	if err != nil {
		rest = io.MultiReader(rest, errReader{err})
	}
	r.Body = io.NopCloser(rest)
	return b
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// otpPersonalID is the personal ID an OTP request names; "" when the body
// does not say (the handler then reports the problem).
func otpPersonalID(_ *gin.Context, body []byte) string {
	var req otpRequest
	if json.Unmarshal(body, &req) != nil {
		return ""
	}
	return limiterKey(req.PersonalID)
}

// challengePersonalID is the personal ID of the challenge a login attempt
// answers, so guessing codes across many challenges for one person is
// limited too; "" for an unknown challenge (the handler answers 401).
func (g *loginGuard) challengePersonalID(c *gin.Context, body []byte) string {
	var req loginRequest
	if g.auth == nil || g.auth.Store == nil || json.Unmarshal(body, &req) != nil || req.ChallengeID == "" || len(req.ChallengeID) > 64 {
		return ""
	}
	ch, err := g.auth.Store.Challenge(c.Request.Context(), req.ChallengeID)
	if err != nil {
		return ""
	}
	return limiterKey(ch.PersonalID)
}

// limiterKey is the bucket key of a personal ID as the caller typed it:
// trimmed like the handler does; absurdly long values are not keyed (the
// handler refuses them, and they would only bloat the buckets).
func limiterKey(personalID string) string {
	id := strings.TrimSpace(personalID)
	if len(id) > 32 {
		return ""
	}
	return id
}

// tooMany answers 429 with a Retry-After of whole seconds (at least 1).
func tooMany(c *gin.Context, wait time.Duration, what string) {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	c.Header("Retry-After", strconv.Itoa(secs))
	c.AbortWithStatusJSON(http.StatusTooManyRequests, errorBody{Error: errorDetail{
		Code:    portal.ETOOMANY,
		Message: fmt.Sprintf("%s; try again in %d s", what, secs),
	}})
}
