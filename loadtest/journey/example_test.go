package journey_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/portalsim/portalsim/loadtest/journey"
	"github.com/portalsim/portalsim/loadtest/scenario"
)

func ExampleCompile() {
	s, err := scenario.Parse([]byte(`
name: example
duration: 5s
arrival: {profile: constant, rate: 1}
mix: [{journey: track, procedure: "2.000635", weight: 1}]
personas: [{name: calm, share: 1, think: {dist: constant, value: 3s}}]
journeys:
  track:
    steps:
      - {name: create, method: POST, path: /api/v1/dossiers, json: {procedure_code: "{{.procedure}}"}, expect: [201], extract: {id: id}}
      - {name: status, method: GET, path: "/api/v1/dossiers/{{.id}}"}
`), "example.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := journey.Compile(s)
	if err != nil {
		fmt.Println(err)
		return
	}
	in := plan.Start(1, rand.New(rand.NewPCG(1, 1)))
	a := in.Next()
	fmt.Println(a.Step, a.Request.Method, a.Request.Path, string(a.Request.Body), a.Delay)
	in.Handle(journey.Response{Status: 201, Body: []byte(`{"id":"d-7"}`), At: time.Now()})
	a = in.Next()
	fmt.Println(a.Step, a.Request.Method, a.Request.Path, a.Delay)
	in.Handle(journey.Response{Status: 200, Body: []byte(`{}`), At: time.Now()})
	fmt.Println(in.Next().Done, in.Outcome().Kind)
	// Output:
	// create POST /api/v1/dossiers {"procedure_code":"2.000635"} 0s
	// status GET /api/v1/dossiers/d-7 3s
	// true completed
}
