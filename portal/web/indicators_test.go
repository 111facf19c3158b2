package web

import (
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

func TestParseBound(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, portal.VietnamTime) }
	for _, tc := range []struct {
		in   string
		end  bool
		want time.Time
		ok   bool
	}{
		{"2026-11-25", false, day(25), true},
		{"2026-11-25", true, day(26), true}, // an end date includes the whole day
		{"2026-11-25T09:30:00+07:00", true, time.Date(2026, 11, 25, 9, 30, 0, 0, portal.VietnamTime), true},
		{"2026-11-25T02:30:00Z", false, time.Date(2026, 11, 25, 9, 30, 0, 0, portal.VietnamTime), true},
		{"25/11/2026", false, time.Time{}, false},
		{"2026-02-30", false, time.Time{}, false},
		{"", false, time.Time{}, false},
	} {
		got, err := parseBound(tc.in, tc.end)
		if (err == nil) != tc.ok || (tc.ok && !got.Equal(tc.want)) {
			t.Errorf("parseBound(%q, end=%v) = %v, %v; want %v ok=%v", tc.in, tc.end, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseBound(f *testing.F) {
	for _, s := range []string{"2026-11-25", "2026-11-25T09:30:00+07:00", "x", "9999-12-31"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, end bool) {
		got, err := parseBound(s, end)
		if err != nil && !got.IsZero() {
			t.Errorf("error %v with a time %v", err, got)
		}
		if err == nil && got.IsZero() && s != "0001-01-01T00:00:00Z" {
			t.Logf("zero time from %q", s)
		}
	})
}
