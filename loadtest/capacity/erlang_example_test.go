package capacity_test

import (
	"fmt"

	"github.com/portalsim/portalsim/loadtest/capacity"
)

// A counter receives 2 dossiers a minute and each takes an officer one
// minute on average. How many officers answer 80% of citizens within a
// minute?
func ExampleSmallestServers() {
	lambda, mu := 2.0/60, 1.0/60 // per second
	c, err := capacity.SmallestServers(lambda, mu, 60, 0.80)
	if err != nil {
		panic(err)
	}
	q := capacity.MMc{Lambda: lambda, Mu: mu, Servers: c}
	fmt.Printf("officers %d, C(c,a) %.4f, within a minute %.1f%%, mean wait %.1f s\n",
		c, q.ProbWait(), 100*q.ProbWaitWithin(60), q.MeanWait())
	// Output: officers 3, C(c,a) 0.4444, within a minute 83.6%, mean wait 26.7 s
}

// The national plan of DOMAIN.md with its documented defaults.
func ExamplePlan() {
	in := capacity.DefaultPlanInput()
	in.CapacityPerInstance = 50 // journeys/s per instance, from a capacity run
	in.SimulateDays = 0
	r, err := capacity.Plan(in)
	if err != nil {
		panic(err)
	}
	fmt.Printf("today: %.0f submissions a working day, %.2f/s average, %.2f/s peak\n",
		r.Baseline.DailySubmissions, r.Baseline.AvgJourneysPerS, r.Baseline.PeakJourneysPerS)
	fmt.Printf("planned (×%.3f): %.2f/s peak, %.1f requests/s peak\n", r.Growth, r.Planned.PeakJourneysPerS, r.Planned.PeakRequestsPerS)
	fmt.Printf("instances %d + %d, officers %d (Erlang C alone %d)\n",
		r.Instances.Needed, r.Instances.Redundancy, r.BackOffice.Officers, r.BackOffice.ErlangCOfficers)
	// Output:
	// today: 76190 submissions a working day, 2.54/s average, 12.70/s peak
	// planned (×1.267): 16.09/s peak, 643.6 requests/s peak
	// instances 2 + 1, officers 5825 (Erlang C alone 4951)
}
