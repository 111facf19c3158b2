package capacity

import (
	"math"
	"strings"
	"testing"
	"time"
)

// TestSimulateOfficersMatchesErlangC runs M/M/c queues long enough for the
// measured figures to settle and compares them with Erlang C. Seeds are
// fixed, so the test is deterministic; tolerances are several standard
// errors of runs this long.
func TestSimulateOfficersMatchesErlangC(t *testing.T) {
	tests := []struct {
		name      string
		lambda    float64 // per second
		meanS     float64
		officers  int
		horizon   time.Duration
		allowed   time.Duration
		tolShare  float64
		tolWaitRe float64
	}{
		// a=10, c=12: C=0.4494, E[W]=0.2247 s, P(W≤0.5 s)=1−0.4494·e^{−1}=0.8347.
		{"a=10 c=12", 10, 1, 12, 30000 * time.Second, 500 * time.Millisecond, 0.015, 0.08},
		// a=2, c=3 (λ=2/min, 1 min): C=4/9, E[W]=26.7 s, P(W≤60 s)=0.8365.
		{"a=2 c=3", 2.0 / 60, 60, 3, 4_000_000 * time.Second, time.Minute, 0.015, 0.08},
		// A bigger pool near the national occupancy cap: a=85, c=100.
		{"a=85 c=100", 85, 1, 100, 4000 * time.Second, 100 * time.Millisecond, 0.015, 0.12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := MMc{Lambda: tt.lambda, Mu: 1 / tt.meanS, Servers: tt.officers}
			got, err := SimulateOfficers(OfficerSim{
				ArrivalRate: tt.lambda,
				Handling:    ExponentialHandling{MeanSeconds: tt.meanS},
				Officers:    tt.officers,
				Horizon:     tt.horizon,
				AllowedWait: tt.allowed,
				Seed:        7,
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Truncated || got.Arrivals < 50_000 {
				t.Fatalf("run too short to compare: %+v", got)
			}
			if d := math.Abs(got.WaitedShare - q.ProbWait()); d > tt.tolShare {
				t.Errorf("P(wait>0): simulated %.4f, Erlang C %.4f", got.WaitedShare, q.ProbWait())
			}
			if d := math.Abs(got.OnTimeShare - q.ProbWaitWithin(tt.allowed.Seconds())); d > tt.tolShare {
				t.Errorf("on time: simulated %.4f, Erlang C %.4f", got.OnTimeShare, q.ProbWaitWithin(tt.allowed.Seconds()))
			}
			if d := math.Abs(got.Utilisation - q.Utilisation()); d > 0.01 {
				t.Errorf("utilisation: simulated %.4f, model %.4f", got.Utilisation, q.Utilisation())
			}
			if re := math.Abs(got.MeanWaitS-q.MeanWait()) / q.MeanWait(); re > tt.tolWaitRe {
				t.Errorf("mean wait: simulated %.4f s, Erlang C %.4f s (%.1f%% off)", got.MeanWaitS, q.MeanWait(), re*100)
			}
		})
	}
}

// TestSimulateOfficersFixedHandling checks M/D/1 against Pollaczek–Khinchine:
// E[W] = λE[S²] / (2(1−ρ)) = 0.5·1 / (2·0.5) = 0.5 s for λ=0.5/s, S=1 s.
func TestSimulateOfficersFixedHandling(t *testing.T) {
	got, err := SimulateOfficers(OfficerSim{
		ArrivalRate: 0.5, Handling: FixedHandling{Seconds: 1}, Officers: 1,
		Horizon: 400_000 * time.Second, Seed: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.MeanWaitS-0.5) > 0.03 {
		t.Errorf("M/D/1 mean wait %.4f s, want 0.5 s", got.MeanWaitS)
	}
	if math.Abs(got.WaitedShare-0.5) > 0.01 { // P(W>0) = ρ for any single server
		t.Errorf("M/D/1 P(wait>0) %.4f, want ρ = 0.5", got.WaitedShare)
	}
}

func TestSimulateOfficersDeterministicAndBounded(t *testing.T) {
	sim := OfficerSim{ArrivalRate: 9, Handling: LogNormalHandling{MedianSeconds: 1, Sigma: 0.5}, Officers: 12, Horizon: time.Hour, AllowedWait: time.Second, Seed: 42}
	a, err := SimulateOfficers(sim)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := SimulateOfficers(sim)
	if a != b {
		t.Errorf("same seed, different results:\n%+v\n%+v", a, b)
	}
	sim.Seed = 43
	if c, _ := SimulateOfficers(sim); c == a {
		t.Errorf("different seeds gave identical results %+v", c)
	}
	sim.MaxArrivals = 1000
	d, err := SimulateOfficers(sim)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Truncated || d.Arrivals > 1000 || d.SimulatedS >= time.Hour.Seconds() {
		t.Errorf("MaxArrivals 1000 not honoured: %+v", d)
	}
}

func TestSimulateOfficersOverloadedQueueGrows(t *testing.T) {
	// ρ = 1.25: every officer is always busy and waits grow without bound.
	got, err := SimulateOfficers(OfficerSim{ArrivalRate: 5, Handling: ExponentialHandling{MeanSeconds: 1}, Officers: 4, Horizon: 2000 * time.Second, AllowedWait: 10 * time.Second, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got.Utilisation < 0.98 || got.Utilisation > 1.0001 || got.OnTimeShare > 0.1 {
		t.Errorf("overloaded queue: %+v", got)
	}
}

func TestSimulateOfficersInvalid(t *testing.T) {
	_, err := SimulateOfficers(OfficerSim{ArrivalRate: -1, Officers: 0, Horizon: 0, MaxArrivals: -1})
	if err == nil {
		t.Fatal("no error for an invalid simulation")
	}
	for _, want := range []string{"arrival rate", "handling", "officers", "horizon", "max arrivals"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}
