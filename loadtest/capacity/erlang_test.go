package capacity

import (
	"errors"
	"math"
	"testing"
)

// erlangCDirect evaluates the textbook formula
//
//	C(c,a) = (a^c/c!)·c/(c−a) / (Σ_{k<c} a^k/k! + (a^c/c!)·c/(c−a))
//
// in log space, independently of the recursion under test.
func erlangCDirect(c int, a float64) float64 {
	logTerm := func(k int) float64 { lg, _ := math.Lgamma(float64(k) + 1); return float64(k)*math.Log(a) - lg }
	top := logTerm(c) + math.Log(float64(c)/(float64(c)-a))
	// Scale by the largest term to keep exp() in range.
	m := top
	for k := 0; k < c; k++ {
		m = math.Max(m, logTerm(k))
	}
	var sum float64
	for k := 0; k < c; k++ {
		sum += math.Exp(logTerm(k) - m)
	}
	t := math.Exp(top - m)
	return t / (sum + t)
}

func TestErlangB(t *testing.T) {
	// B(3,2) by hand: B0=1, B1=2/3, B2=(4/3)/(2+4/3)=2/5, B3=(4/5)/(3+4/5)=4/19.
	if got, want := ErlangB(3, 2), 4.0/19; math.Abs(got-want) > 1e-12 {
		t.Errorf("ErlangB(3, 2) = %v, want 4/19 = %v", got, want)
	}
	if got := ErlangB(0, 5); got != 1 {
		t.Errorf("ErlangB(0, 5) = %v, want 1 (no servers: every arrival is lost)", got)
	}
}

func TestErlangC(t *testing.T) {
	tests := []struct {
		name string
		c    int
		a    float64
		want float64
		tol  float64
	}{
		// From B(2,1)=1/5: C = (1/5)/(1 − ½·⅘) = 1/3.
		{"a=1 c=2", 2, 1, 1.0 / 3, 1e-12},
		// From B(3,2)=4/19: C = (4/19)/(1 − ⅔·15/19) = (4/19)/(9/19) = 4/9 = 0.4444.
		{"a=2 c=3", 3, 2, 4.0 / 9, 1e-12},
		// From B(4,2)=2/21: C = (2/21)/(1 − ½·19/21) = (2/21)/(23/42) = 4/23 = 0.1739.
		{"a=2 c=4", 4, 2, 4.0 / 23, 1e-12},
		// Textbook call-centre case, by the sum formula:
		// Σ_{k<12} 10^k/k! = 15,347.5…, 10^12/12!·12/2 = 12,526.1… → C = 0.44939.
		{"a=10 c=12", 12, 10, 0.449388, 1e-6},
		// Unstable queue waits for sure.
		{"a=c", 5, 5, 1, 0},
		{"a>c", 5, 7, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ErlangC(tt.c, tt.a); math.Abs(got-tt.want) > tt.tol {
				t.Errorf("ErlangC(%d, %v) = %.8f, want %.8f", tt.c, tt.a, got, tt.want)
			}
		})
	}
}

// TestErlangCLarge checks the recursion against the log-space formula at
// national-pool sizes, where a^c/c! would overflow a float64.
func TestErlangCLarge(t *testing.T) {
	for _, tt := range []struct {
		c int
		a float64
	}{{200, 180}, {5000, 4900}, {5825, 4950.8}, {12000, 11990}} {
		got, want := ErlangC(tt.c, tt.a), erlangCDirect(tt.c, tt.a)
		if math.IsNaN(got) || math.Abs(got-want) > 1e-9*math.Max(1, want) {
			t.Errorf("ErlangC(%d, %v) = %.12g, direct formula %.12g", tt.c, tt.a, got, want)
		}
	}
}

func TestErlangCInvalid(t *testing.T) {
	for _, v := range []float64{ErlangC(0, 1), ErlangC(3, -1), ErlangC(3, math.NaN()), ErlangB(-1, 1)} {
		if !math.IsNaN(v) {
			t.Errorf("invalid input gave %v, want NaN", v)
		}
	}
}

func TestMMcFigures(t *testing.T) {
	// λ = 2 per minute, 1 minute mean handling, 3 servers: a = 2, ρ = 2/3,
	// C = 4/9, E[W] = C/(cμ−λ) = (4/9)/(1 per min) = 26.67 s,
	// P(W ≤ 60 s) = 1 − (4/9)·e^{−1} = 0.83649.
	q := MMc{Lambda: 2.0 / 60, Mu: 1.0 / 60, Servers: 3}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"offered load", q.OfferedLoad(), 2},
		{"utilisation", q.Utilisation(), 2.0 / 3},
		{"P(wait>0)", q.ProbWait(), 4.0 / 9},
		{"mean wait", q.MeanWait(), 80.0 / 3},
		{"P(wait<=60s)", q.ProbWaitWithin(60), 1 - 4.0/9*math.Exp(-1)},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > 1e-9 {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	unstable := MMc{Lambda: 3, Mu: 1, Servers: 3}
	if unstable.Stable() || !math.IsInf(unstable.MeanWait(), 1) || unstable.ProbWaitWithin(1e9) != 0 {
		t.Errorf("a = c must be unstable with infinite mean wait and zero service level")
	}
}

func TestSmallestServers(t *testing.T) {
	const perMin = 1.0 / 60
	tests := []struct {
		name                    string
		lambda, mu, wait, level float64
		want                    int
	}{
		// a=2: c=3 answers at once 1−4/9 = 55.6%, c=4 answers 1−4/23 = 82.6%.
		{"answer at once 80%", 2 * perMin, perMin, 0, 0.80, 4},
		// c=3: 1 − (4/9)e^{−1} = 83.6% within a minute.
		{"within a minute 80%", 2 * perMin, perMin, 60, 0.80, 3},
		// c=3 gives 83.6% < 90%; c=4: 1 − (4/23)e^{−2} = 97.6%.
		{"within a minute 90%", 2 * perMin, perMin, 60, 0.90, 4},
		// a=10 answered at once: c=12 55.1%, c=15 89.8%, c=16 94.3%, c=17 96.9%.
		{"a=10 at once 95%", 10, 1, 0, 0.95, 17},
		// A very long allowed wait needs only stability: a = 4950.8 → 4951.
		{"days of slack", 4950.8 / 1477, 1.0 / 1477, 84900, 0.95, 4951},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SmallestServers(tt.lambda, tt.mu, tt.wait, tt.level)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("SmallestServers = %d, want %d", got, tt.want)
			}
			q := MMc{Lambda: tt.lambda, Mu: tt.mu, Servers: got}
			if q.ProbWaitWithin(tt.wait) < tt.level {
				t.Errorf("c=%d misses the target: %v", got, q.ProbWaitWithin(tt.wait))
			}
			if got > 1 {
				fewer := MMc{Lambda: tt.lambda, Mu: tt.mu, Servers: got - 1}
				if fewer.ProbWaitWithin(tt.wait) >= tt.level {
					t.Errorf("c=%d already meets the target; %d is not the smallest", got-1, got)
				}
			}
		})
	}
}

func TestSmallestServersErrors(t *testing.T) {
	for _, tt := range []struct {
		name                    string
		lambda, mu, wait, level float64
	}{
		{"zero arrivals", 0, 1, 0, 0.9},
		{"negative service", 1, -1, 0, 0.9},
		{"negative wait", 1, 1, -1, 0.9},
		{"target 1", 1, 1, 0, 1},
		{"target 0", 1, 1, 0, 0},
		{"NaN", math.NaN(), 1, 0, 0.9},
	} {
		if _, err := SmallestServers(tt.lambda, tt.mu, tt.wait, tt.level); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
	if _, err := SmallestServers(2e6, 1, 0, 0.9); !errors.Is(err, ErrNoStaffing) {
		t.Errorf("offered load beyond the bound: err = %v, want ErrNoStaffing", err)
	}
}
