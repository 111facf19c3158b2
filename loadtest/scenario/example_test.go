package scenario_test

import (
	"fmt"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

func ExampleParse() {
	src := []byte(`
name: lookup
duration: 5s
arrival: {profile: constant, rate: 2}
mix: [{journey: lookup, weight: 1}]
personas: [{name: anyone, share: 1}]
journeys:
  lookup:
    steps:
      - {name: healthz, method: GET, path: /api/v1/healthz}
`)
	s, err := scenario.Parse(src, "lookup.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(s.Name, s.Duration, s.Target, s.HTTP.Timeout, s.Arrival.Process)
	// Output: lookup 5s embedded 10s poisson
}

func ExampleParse_errors() {
	src := []byte(`name: broken
duration: 5s
arrival: {profile: constant, rate: 0}
mix: [{journey: lookup, weight: 1}]
personas: [{name: anyone, share: 1}]
journeys:
  lookup:
    steps:
      - {name: healthz, method: GET, path: healthz}
`)
	_, err := scenario.Parse(src, "broken.yaml")
	fmt.Println(err)
	// Output:
	// broken.yaml:3: arrival.rate: must be > 0
	// broken.yaml:9: journeys.lookup.steps[0].path: "healthz" must start with /
}

func ExampleParseSLO() {
	slo, _ := scenario.ParseSLO("step(submit).p95 < 800ms")
	fmt.Println(slo.Metric, slo.Step, slo.Op, slo.Value, slo.Holds(0.65))
	// Output: step.p95 submit < 0.8 true
}
