package portal_test

import (
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

func vn(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, portal.VietnamTime)
}

func TestAppointmentDate(t *testing.T) {
	cal := portal.DefaultCalendar()
	tests := []struct {
		name     string
		received time.Time
		days     int
		cutoff   int
		want     string // YYYY-MM-DD; always at 17:00
	}{
		{"Tết 2026: Fri 13 Feb + 3 skips the 16–20 Feb holidays and the weekends", vn(2026, 2, 13, 10, 0), 3, 0, "2026-02-25"},
		{"received on a Tết holiday counts from Mon 23 Feb", vn(2026, 2, 17, 10, 0), 1, 0, "2026-02-24"},
		{"weekend-spanning: Thu + 3 → Tue", vn(2026, 3, 5, 9, 0), 3, 0, "2026-03-10"},
		{"received on Saturday counts from Monday", vn(2026, 3, 7, 9, 0), 0, 0, "2026-03-09"},
		{"same-day before 15:00", vn(2026, 3, 10, 14, 59), 0, 900, "2026-03-10"},
		{"same-day at 15:00 → next working day", vn(2026, 3, 10, 15, 0), 0, 900, "2026-03-11"},
		{"same-day Friday after 15:00 → Monday", vn(2026, 3, 13, 16, 30), 0, 900, "2026-03-16"},
		{"without a cut-off, 16:30 is still today", vn(2026, 3, 10, 16, 30), 0, 0, "2026-03-10"},
		{"after the end of the day → tomorrow", vn(2026, 3, 10, 17, 0), 0, 0, "2026-03-11"},
		{"New Year 2026: bridge Fri 2 Jan off, make-up Sat 10 Jan worked", vn(2025, 12, 31, 9, 0), 5, 0, "2026-01-09"},
		{"make-up Saturday counts as a working day", vn(2026, 1, 9, 9, 0), 1, 0, "2026-01-10"},
		{"receipt on the make-up Saturday", vn(2026, 1, 10, 9, 0), 0, 900, "2026-01-10"},
		{"Reunification and Labour Day 2026", vn(2026, 4, 29, 9, 0), 1, 0, "2026-05-04"},
		{"UTC input is converted to Vietnam time", time.Date(2026, 3, 10, 8, 30, 0, 0, time.UTC), 0, 900, "2026-03-11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.AppointmentDate(tt.received, tt.days, tt.cutoff)
			if got.Format(time.DateOnly) != tt.want || got.Hour() != 17 || got.Minute() != 0 {
				t.Fatalf("AppointmentDate(%s, %d, %d) = %s, want %s 17:00", tt.received, tt.days, tt.cutoff, got, tt.want)
			}
			if !cal.IsWorkingDay(got) {
				t.Fatalf("%s is not a working day", got)
			}
		})
	}
}

func TestWorkingDays(t *testing.T) {
	cal := portal.DefaultCalendar()
	tests := []struct {
		day     time.Time
		working bool
		holiday string
	}{
		{vn(2026, 2, 16, 9, 0), false, "Tết Nguyên đán"},
		{vn(2026, 2, 21, 9, 0), false, ""}, // Saturday
		{vn(2026, 2, 23, 9, 0), true, ""},
		{vn(2026, 1, 10, 9, 0), true, ""}, // make-up Saturday
		{vn(2026, 1, 2, 9, 0), false, "Nghỉ bù"},
		{vn(2026, 9, 2, 9, 0), false, "Quốc khánh"},
	}
	for _, tt := range tests {
		if got := cal.IsWorkingDay(tt.day); got != tt.working {
			t.Errorf("IsWorkingDay(%s) = %v", tt.day.Format(time.DateOnly), got)
		}
		h, ok := cal.Holiday(tt.day)
		if ok != (tt.holiday != "") || h.NameVI != tt.holiday {
			t.Errorf("Holiday(%s) = %+v, %v", tt.day.Format(time.DateOnly), h, ok)
		}
	}
	if n := cal.WorkingDaysBetween(vn(2026, 2, 13, 9, 0), vn(2026, 2, 25, 9, 0)); n != 3 {
		t.Errorf("WorkingDaysBetween over Tết = %d, want 3", n)
	}
	if n := cal.WorkingDaysBetween(vn(2026, 2, 25, 9, 0), vn(2026, 2, 13, 9, 0)); n != -3 {
		t.Errorf("WorkingDaysBetween backwards = %d, want -3", n)
	}
}

func TestNextWorkingTime(t *testing.T) {
	cal := portal.DefaultCalendar()
	tests := []struct{ at, want time.Time }{
		{vn(2026, 3, 10, 9, 0), vn(2026, 3, 10, 9, 0)},
		{vn(2026, 3, 10, 6, 0), vn(2026, 3, 10, 7, 30)},
		{vn(2026, 3, 10, 12, 0), vn(2026, 3, 10, 13, 0)},
		{vn(2026, 3, 10, 17, 0), vn(2026, 3, 11, 7, 30)},
		{vn(2026, 2, 13, 18, 0), vn(2026, 2, 23, 7, 30)}, // Friday evening before Tết
	}
	for _, tt := range tests {
		if got := cal.NextWorkingTime(tt.at); !got.Equal(tt.want) {
			t.Errorf("NextWorkingTime(%s) = %s, want %s", tt.at, got, tt.want)
		}
	}
}

func TestParseCalendarErrors(t *testing.T) {
	for _, data := range []string{
		`{`,
		`{"holidays":[{"date":"2026-13-01"}]}`,
		`{"extra_working_days":["yesterday"]}`,
	} {
		if _, err := portal.ParseCalendar([]byte(data)); err == nil {
			t.Errorf("ParseCalendar(%s): no error", data)
		}
	}
}
