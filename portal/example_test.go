package portal_test

import (
	"fmt"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// A dossier received on the Friday before Tết 2026 with 3 working days is
// due after the holiday week: Mon 23, Tue 24, Wed 25 February.
func ExampleCalendar_AppointmentDate() {
	cal := portal.DefaultCalendar()
	received := time.Date(2026, 2, 13, 10, 0, 0, 0, portal.VietnamTime)
	fmt.Println(cal.AppointmentDate(received, 3, 0).Format("Mon 2006-01-02 15:04"))

	// A same-day civil-status procedure received after the 15:00 cut-off
	// is due the next working day.
	late := time.Date(2026, 3, 10, 15, 30, 0, 0, portal.VietnamTime)
	fmt.Println(cal.AppointmentDate(late, 0, 15*60).Format("Mon 2006-01-02 15:04"))
	// Output:
	// Wed 2026-02-25 17:00
	// Wed 2026-03-11 17:00
}

func ExampleParsePersonalID() {
	id, err := portal.ParsePersonalID("079190123456")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(portal.ProvinceCodes[id.ProvinceCode], id.BirthYear, id.Female)

	_, err = portal.ParsePersonalID("07919012345X")
	fmt.Println(err)
	// Output:
	// Hồ Chí Minh 1990 true
	// invalid: personal ID must contain only digits (position 12 is 'X')
}
