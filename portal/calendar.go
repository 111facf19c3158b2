package portal

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"
)

// Vietnam keeps one offset all year (no daylight saving), so a fixed zone
// avoids depending on the machine's tz database.
var VietnamTime = time.FixedZone("ICT", 7*60*60)

//go:embed data/holidays.json
var holidaysJSON []byte

// Holiday is one public holiday on the calendar.
type Holiday struct {
	Date   string `json:"date"` // YYYY-MM-DD
	NameVI string `json:"name_vi"`
	NameEN string `json:"name_en"`
}

// Calendar decides working days and working hours for deadline arithmetic.
// Saturdays and Sundays are off, public holidays are off, and listed
// make-up Saturdays are worked.
type Calendar struct {
	Location     *time.Location
	holidays     map[string]Holiday
	extraWorking map[string]bool
	// Working hours: morning and afternoon shifts, minutes after midnight.
	MorningStart, MorningEnd, AfternoonStart, AfternoonEnd int
}

// DefaultCalendar returns the embedded Vietnamese calendar for 2025–2027
// with counter hours 07:30–11:30 and 13:00–17:00.
func DefaultCalendar() *Calendar {
	c, err := ParseCalendar(holidaysJSON)
	if err != nil {
		panic(fmt.Sprintf("embedded holidays.json: %v", err)) // data shipped with the binary
	}
	return c
}

// ParseCalendar reads a calendar from the JSON format of data/holidays.json.
func ParseCalendar(data []byte) (*Calendar, error) {
	var f struct {
		Holidays         []Holiday `json:"holidays"`
		ExtraWorkingDays []string  `json:"extra_working_days"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse calendar: %w", err)
	}
	c := &Calendar{
		Location:     VietnamTime,
		holidays:     map[string]Holiday{},
		extraWorking: map[string]bool{},
		MorningStart: 7*60 + 30, MorningEnd: 11*60 + 30,
		AfternoonStart: 13 * 60, AfternoonEnd: 17 * 60,
	}
	for i, h := range f.Holidays {
		if _, err := time.Parse(time.DateOnly, h.Date); err != nil {
			return nil, fmt.Errorf("calendar holiday %d: date %q: %w", i, h.Date, err)
		}
		c.holidays[h.Date] = h
	}
	for i, d := range f.ExtraWorkingDays {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return nil, fmt.Errorf("calendar extra working day %d: %q: %w", i, d, err)
		}
		c.extraWorking[d] = true
	}
	return c, nil
}

// Holiday returns the public holiday on t's day, if any.
func (c *Calendar) Holiday(t time.Time) (Holiday, bool) {
	h, ok := c.holidays[t.In(c.Location).Format(time.DateOnly)]
	return h, ok
}

// IsWorkingDay reports whether t's calendar day (in the calendar's zone) is
// a working day.
func (c *Calendar) IsWorkingDay(t time.Time) bool {
	t = t.In(c.Location)
	key := t.Format(time.DateOnly)
	if c.extraWorking[key] {
		return true
	}
	if _, ok := c.holidays[key]; ok {
		return false
	}
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// IsWorkingTime reports whether t falls inside a working shift of a working day.
func (c *Calendar) IsWorkingTime(t time.Time) bool {
	t = t.In(c.Location)
	if !c.IsWorkingDay(t) {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	return (m >= c.MorningStart && m < c.MorningEnd) || (m >= c.AfternoonStart && m < c.AfternoonEnd)
}

// NextWorkingTime returns t if it is working time, otherwise the start of
// the next working shift.
func (c *Calendar) NextWorkingTime(t time.Time) time.Time {
	t = t.In(c.Location)
	for i := 0; i < 400; i++ {
		if c.IsWorkingTime(t) {
			return t
		}
		day := startOfDay(t)
		m := t.Hour()*60 + t.Minute()
		switch {
		case c.IsWorkingDay(t) && m < c.MorningStart:
			return day.Add(time.Duration(c.MorningStart) * time.Minute)
		case c.IsWorkingDay(t) && m >= c.MorningEnd && m < c.AfternoonStart:
			return day.Add(time.Duration(c.AfternoonStart) * time.Minute)
		default:
			t = day.AddDate(0, 0, 1)
		}
	}
	return t
}

// AddWorkingDays returns the day n working days after t's day (n = 0 is
// t's own day if it is a working day, else the next working day). The
// result is the end of that day's working hours.
func (c *Calendar) AddWorkingDays(t time.Time, n int) time.Time {
	day := startOfDay(t.In(c.Location))
	for !c.IsWorkingDay(day) {
		day = day.AddDate(0, 0, 1)
	}
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		if c.IsWorkingDay(day) {
			n--
		}
	}
	return day.Add(time.Duration(c.AfternoonEnd) * time.Minute)
}

// ReceiptDay returns the day a dossier received at t starts counting from:
// t's day if it is a working day and t is before the cut-off (minutes after
// midnight; 0 means the end of the afternoon shift), else the next working day.
func (c *Calendar) ReceiptDay(t time.Time, cutoffMinutes int) time.Time {
	t = t.In(c.Location)
	if cutoffMinutes <= 0 {
		cutoffMinutes = c.AfternoonEnd
	}
	day := startOfDay(t)
	if !c.IsWorkingDay(t) || t.Hour()*60+t.Minute() >= cutoffMinutes {
		day = day.AddDate(0, 0, 1)
	}
	for !c.IsWorkingDay(day) {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// AppointmentDate is the day a result is due (ngày hẹn trả): the receipt
// day (see ReceiptDay) plus the statutory working days, at the end of the
// working day. Same-day procedures (0 days) are due on the receipt day.
func (c *Calendar) AppointmentDate(receivedAt time.Time, workingDays, cutoffMinutes int) time.Time {
	return c.AddWorkingDays(c.ReceiptDay(receivedAt, cutoffMinutes), workingDays)
}

// WorkingDaysBetween counts working days after from's day up to and
// including to's day; negative when to is before from.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) int {
	a, b := startOfDay(from.In(c.Location)), startOfDay(to.In(c.Location))
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return sign * n
}

// OnTime reports whether a result at resultAt meets the appointment:
// on or before the appointment day counts as on time, early included.
func OnTime(resultAt, appointment time.Time) bool {
	return !resultAt.After(appointment)
}

func startOfDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
