package journey

import "github.com/portalsim/portalsim/portal/mock"

// citizenID is the personal ID of synthetic citizen i of the portal's
// population mock, so fed citizens can log in.
func citizenID(i int) string { return mock.CitizenID(i) }
