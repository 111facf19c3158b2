package engine

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

func dur(d time.Duration) scenario.Duration { return scenario.Duration(d) }

func TestArrivalCountsFollowTheProfile(t *testing.T) {
	const d = 100 * time.Second
	tests := []struct {
		name    string
		arrival scenario.Arrival
		want    float64 // expected arrivals over d
	}{
		{"constant", scenario.Arrival{Profile: "constant", Rate: 20}, 2000},
		{"ramp", scenario.Arrival{Profile: "ramp", From: 0, To: 40}, 2000},
		{"stages", scenario.Arrival{Profile: "stages", From: 10, Stages: []scenario.Stage{{Duration: dur(50 * time.Second), Rate: 30}, {Duration: dur(20 * time.Second), Rate: 30}}}, 20*50 + 30*50},
		{"spike", scenario.Arrival{Profile: "spike", Spike: &scenario.Spike{Base: 10, Peak: 100, At: dur(40 * time.Second), Length: dur(10 * time.Second)}}, 10*90 + 100*10},
		{"daily", scenario.Arrival{Profile: "daily", Daily: &scenario.Daily{PeakRate: 24, Hourly: []float64{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}}}, 24 * 4 * (100.0 / 24)},
	}
	for _, tt := range tests {
		for _, process := range []string{"uniform", "poisson"} {
			t.Run(tt.name+"/"+process, func(t *testing.T) {
				a := tt.arrival
				a.Process = process
				g, err := newArrivals(a, d, rand.New(rand.NewPCG(7, 7)))
				if err != nil {
					t.Fatal(err)
				}
				n, last := 0, time.Duration(-1)
				for {
					at, ok := g.next()
					if !ok {
						break
					}
					if at < last || at >= d {
						t.Fatalf("arrival %d at %v after %v (window %v)", n, at, last, d)
					}
					last = at
					n++
				}
				tol := 1.5 // uniform: rounding at the ends
				if process == "poisson" {
					tol = 4 * math.Sqrt(tt.want) // four standard deviations
				}
				if math.Abs(float64(n)-tt.want) > tol {
					t.Errorf("%d arrivals, want %.0f ± %.0f", n, tt.want, tol)
				}
			})
		}
	}
}

func TestUniformArrivalsAreEvenlySpaced(t *testing.T) {
	g, err := newArrivals(scenario.Arrival{Profile: "constant", Rate: 8, Process: "uniform"}, 2*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		at, ok := g.next()
		if !ok {
			if i != 16 {
				t.Fatalf("%d arrivals, want 16 (%v)", i, at)
			}
			return
		}
		want := time.Duration(i) * 125 * time.Millisecond
		if (at - want).Abs() > 10*time.Microsecond {
			t.Fatalf("arrival %d at %v, want %v", i, at, want)
		}
	}
}

func TestScaleArrivalSetsPeak(t *testing.T) {
	a := scenario.Arrival{Profile: "spike", Spike: &scenario.Spike{Base: 5, Peak: 50, At: dur(time.Second), Length: dur(time.Second)}}
	peak, err := PeakRate(a, 10*time.Second)
	if err != nil || peak != 50 {
		t.Fatalf("peak %v, %v", peak, err)
	}
	scaled := ScaleArrival(a, 200/peak)
	if p, _ := PeakRate(scaled, 10*time.Second); p != 200 {
		t.Errorf("scaled peak %v, want 200", p)
	}
	if a.Spike.Peak != 50 {
		t.Errorf("ScaleArrival changed its input")
	}
}
