package main

import (
	"os"
	"testing"
)

func TestNewSample(t *testing.T) {
	tests := []struct {
		in            []float64
		med, min, max float64
	}{
		{[]float64{5}, 5, 5, 5},
		{[]float64{3, 1, 2}, 2, 1, 3},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4},
	}
	for _, tt := range tests {
		s := newSample(tt.in)
		if s.Median != tt.med || s.Min != tt.min || s.Max != tt.max {
			t.Errorf("newSample(%v) = median %v min %v max %v, want %v %v %v", tt.in, s.Median, s.Min, s.Max, tt.med, tt.min, tt.max)
		}
		if len(s.Rounds) != len(tt.in) || s.Rounds[0] != tt.in[0] {
			t.Errorf("newSample(%v) rounds %v: want the rounds in run order", tt.in, s.Rounds)
		}
	}
}

func TestShort(t *testing.T) {
	for n, want := range map[int]string{100000: "100k", 1000000: "1M", 1500: "1500", 2000000: "2M", 250: "250"} {
		if got := short(n); got != want {
			t.Errorf("short(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestVMStatusReadsOwnRSS(t *testing.T) {
	rss, err := vmStatus(os.Getpid(), "VmRSS")
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if rss <= 1 || rss > 64<<10 {
		t.Fatalf("VmRSS of this test process = %.1f MB, not plausible", rss)
	}
	if _, err := vmStatus(os.Getpid(), "VmNoSuchField"); err == nil {
		t.Fatal("a missing field was not reported")
	}
}

// A slow drift (the machine got busier mid-run) hits both sides of a round
// alike: the paired ratio sees A at half of B throughout, while the ratio
// of the medians would call them equal.
func TestRatioRowPairsRounds(t *testing.T) {
	rounds := func(rates ...float64) []round {
		out := make([]round, len(rates))
		for i, r := range rates {
			out[i] = round{rate: r, success: 1}
		}
		return out
	}
	r := ratioRow("p", "a", "b", rounds(100, 50, 100), rounds(200, 100, 100), 0.6, "")
	if r.Ratio != 0.5 || r.MedianRatio != 1 {
		t.Fatalf("paired ratio %v (want 0.5), ratio of medians %v (want 1)", r.Ratio, r.MedianRatio)
	}
	if r.Met {
		t.Fatal("0.5 met a 0.6 target")
	}
	if r.RatioText != "0.50 (0.50–1.00)" {
		t.Fatalf("ratio text %q", r.RatioText)
	}
}
