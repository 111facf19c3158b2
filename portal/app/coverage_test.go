package app_test

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/portalsim/portalsim/portal/web"
)

// walked records every operation ("METHOD /path/{param}") that any
// apiClient in this test binary sent and validated against the OpenAPI
// document, so the citizen walk and the back-office walk together must
// cover every route.
var walked sync.Map

// TestMain fails the run when a route in web.Routes() was never called by
// an e2e test. It only checks complete runs: with -run a subset is expected.
func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		var missing []string
		for _, rt := range web.Routes() {
			key := rt.Method + " " + ginParams(rt.Path)
			if _, ok := walked.Load(key); !ok {
				missing = append(missing, key)
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			for _, k := range missing {
				fmt.Fprintf(os.Stderr, "the e2e walks never call %s; extend TestCitizenJourney or TestBackOfficeJourney when adding a route\n", k)
			}
			code = 1
		}
	}
	os.Exit(code)
}
