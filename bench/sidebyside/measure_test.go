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
