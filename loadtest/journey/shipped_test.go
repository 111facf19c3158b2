package journey

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/loadtest/scenario"
	"github.com/portalsim/portalsim/portal/catalog"
)

// Every shipped scenario compiles, and every mix entry walks its journey to
// the end against answers that satisfy its extractions, sending valid JSON
// wherever it says it sends JSON (form values are templates in YAML strings,
// easy to get wrong).
func TestShippedScenariosRender(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios: %v", err)
	}
	answer := []byte(`{"challenge_id":"c-1","dev_otp":"123456","token":"tok","id":"d-1","code":"H01.1-260101-0001","status":"submitted","items":[{"code":"1.001193"}],` +
		`"confirm_url":"/gateway/pay/pay_1/confirm?sig=x","payment_status":"paid","group_id":"g_1","members":[{"id":"d-1"},{"id":"d-2"}],` +
		`"fee":8000,"redirect_url":"/gateway/pay/pay_1?sig=x"}`)
	for _, file := range files {
		s, err := scenario.Load(file)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		p, err := Compile(s)
		if err != nil {
			t.Fatalf("%s: compile: %v", file, err)
		}
		seen := map[string]bool{}
		for id := uint64(0); id < uint64(4*len(s.Mix)+20); id++ {
			in := p.Start(id, rng(id))
			seen[in.Journey()+" "+in.Procedure()] = true
			for {
				a := in.Next()
				if a.Done {
					break
				}
				if a.Request.Header.Get("Content-Type") == "application/json" {
					var v map[string]any
					if err := json.Unmarshal(a.Request.Body, &v); err != nil {
						t.Fatalf("%s: %s %s step %s: body is not a JSON object: %v\n%s", file, in.Journey(), in.Procedure(), a.Step, err, a.Request.Body)
					}
					if form, ok := v["form"].(map[string]any); ok {
						for k, fv := range form {
							if _, ok := fv.(string); !ok {
								t.Errorf("%s: %s form field %s = %v: form values are strings", file, in.Procedure(), k, fv)
							}
						}
					}
				}
				status := 200
				if e := s.Journeys[in.Journey()].Steps[a.StepIndex].Expect; len(e) > 0 {
					status = e[0]
				}
				body := answer
				if pl := s.Journeys[in.Journey()].Steps[a.StepIndex].Poll; pl != nil {
					body = pollAnswer(t, answer, pl)
				}
				in.Handle(Response{Status: status, Body: body, At: time.Now()})
			}
			if o := in.Outcome(); o.Kind != Completed && o.Kind != Abandoned {
				t.Errorf("%s: %s %s: %+v", file, in.Journey(), in.Procedure(), o)
			}
		}
		if s.MixOrder == scenario.MixSequential && len(seen) != len(s.Mix) {
			t.Errorf("%s: %d of %d mix entries ran", file, len(seen), len(s.Mix))
		}
	}
}

// pollAnswer is the canned answer with the poll's field at its first
// awaited value, so that a poll (e.g. a dossier's status reaching a
// decision) ends at once.
func pollAnswer(t *testing.T, answer []byte, pl *scenario.Poll) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(answer, &m); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(pl.Until.Path, ".#|@*?") {
		t.Fatalf("poll path %q: the canned answer only sets top-level fields", pl.Until.Path)
	}
	var v any = pl.Until.In[0]
	if v == "true" || v == "false" {
		v = v == "true" // a JSON boolean such as a verification's valid
	}
	m[pl.Until.Path] = v
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// smoke runs every real procedure of the catalogue.
func TestSmokeCoversEveryRealProcedure(t *testing.T) {
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	s, err := scenario.Load("../../scenarios/smoke.yaml")
	if err != nil {
		t.Fatal(err)
	}
	inMix := map[string]bool{}
	for _, m := range s.Mix {
		inMix[m.Procedure] = true
	}
	for _, p := range c.Real() {
		if !inMix[p.Code] {
			t.Errorf("smoke.yaml does not run %s (%s)", p.Code, p.NameEN)
		}
	}
}
