package capacity

import (
	"errors"
	"fmt"
	"math"
)

// ErlangB is the Erlang loss formula B(c, a): the probability that an
// arrival finds all c servers busy in an M/M/c/c system offered a Erlangs.
// It uses the recursion B(0)=1, B(k) = a·B(k−1) / (k + a·B(k−1)), which
// never forms a^c or c! and so stays accurate for thousands of servers.
func ErlangB(c int, a float64) float64 {
	if c < 0 || a < 0 || math.IsNaN(a) {
		return math.NaN()
	}
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	return b
}

// ErlangC is the Erlang delay formula C(c, a): the probability that an
// arrival must wait in an M/M/c queue offered a = λ/μ Erlangs. It is
// derived from Erlang B as C = B / (1 − ρ(1 − B)) with ρ = a/c. An unstable
// queue (a ≥ c) waits with certainty, so C = 1.
func ErlangC(c int, a float64) float64 {
	if c <= 0 || a < 0 || math.IsNaN(a) {
		return math.NaN()
	}
	if a >= float64(c) {
		return 1
	}
	return erlangCFromB(ErlangB(c, a), c, a)
}

func erlangCFromB(b float64, c int, a float64) float64 {
	rho := a / float64(c)
	return b / (1 - rho*(1-b))
}

// MMc is an M/M/c queue: Poisson arrivals at Lambda per second,
// exponential service at Mu per second per server, Servers servers, first
// come first served, unlimited waiting room.
type MMc struct {
	Lambda  float64 `json:"lambda_per_s"`
	Mu      float64 `json:"mu_per_s"`
	Servers int     `json:"servers"`
}

// OfferedLoad is a = λ/μ in Erlangs: the mean number of busy servers.
func (q MMc) OfferedLoad() float64 { return q.Lambda / q.Mu }

// Utilisation is ρ = a/c, the share of time an average server is busy.
func (q MMc) Utilisation() float64 { return q.OfferedLoad() / float64(q.Servers) }

// Stable reports whether the queue has a steady state (ρ < 1).
func (q MMc) Stable() bool { return q.Servers > 0 && q.Lambda < float64(q.Servers)*q.Mu }

// ProbWait is P(W > 0), the Erlang C probability of waiting at all.
func (q MMc) ProbWait() float64 { return ErlangC(q.Servers, q.OfferedLoad()) }

// MeanWait is E[W] = C / (cμ − λ) in seconds; +Inf when unstable.
func (q MMc) MeanWait() float64 {
	if !q.Stable() {
		return math.Inf(1)
	}
	return q.ProbWait() / (float64(q.Servers)*q.Mu - q.Lambda)
}

// ProbWaitWithin is P(W ≤ t) = 1 − C·e^{−(cμ−λ)t} for t in seconds: the
// service level, i.e. the share of arrivals that start service within t.
func (q MMc) ProbWaitWithin(t float64) float64 {
	if !q.Stable() {
		return 0
	}
	return 1 - q.ProbWait()*math.Exp(-(float64(q.Servers)*q.Mu-q.Lambda)*t)
}

// maxServers bounds the staffing search; national back-office figures are
// in the tens of thousands, so a million means the inputs are wrong.
const maxServers = 1_000_000

// ErrNoStaffing reports that no number of servers up to the search bound
// meets the target.
var ErrNoStaffing = errors.New("no staffing within the search bound meets the target")

// SmallestServers returns the smallest c such that an M/M/c queue with
// arrival rate lambda and service rate mu has P(W ≤ allowedWait) ≥ target
// (allowedWait in seconds, target in (0,1)). The search walks c upward from
// the first stable value, extending the Erlang B recursion one step at a
// time, so the whole search is O(c).
func SmallestServers(lambda, mu, allowedWait, target float64) (int, error) {
	switch {
	case !(lambda > 0) || math.IsInf(lambda, 0):
		return 0, fmt.Errorf("smallest servers: arrival rate %v must be positive and finite", lambda)
	case !(mu > 0) || math.IsInf(mu, 0):
		return 0, fmt.Errorf("smallest servers: service rate %v must be positive and finite", mu)
	case !(allowedWait >= 0):
		return 0, fmt.Errorf("smallest servers: allowed wait %v must not be negative", allowedWait)
	case !(target > 0 && target < 1):
		return 0, fmt.Errorf("smallest servers: target %v must be between 0 and 1 (exclusive)", target)
	}
	a := lambda / mu
	c0 := int(math.Floor(a)) + 1 // smallest stable c
	if c0 > maxServers {
		return 0, fmt.Errorf("smallest servers: offered load %.0f Erlangs exceeds %d servers: %w", a, maxServers, ErrNoStaffing)
	}
	b := ErlangB(c0, a)
	for c := c0; c <= maxServers; c++ {
		if c > c0 {
			b = a * b / (float64(c) + a*b)
		}
		pw := erlangCFromB(b, c, a)
		if 1-pw*math.Exp(-(float64(c)*mu-lambda)*allowedWait) >= target {
			return c, nil
		}
	}
	return 0, fmt.Errorf("smallest servers: a=%.1f Erlangs, target %v: %w", a, target, ErrNoStaffing)
}
