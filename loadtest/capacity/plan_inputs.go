package capacity

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/portalsim/portalsim/loadtest/scenario"
)

// ScenarioLoad is what a scenario says about one journey's load.
type ScenarioLoad struct {
	// RequestsPerJourney: the mix-weighted mean of each journey's requests.
	RequestsPerJourney float64 `json:"requests_per_journey"`
	// PerJourney: estimated requests of each journey named in the mix.
	PerJourney map[string]float64 `json:"per_journey"`
	// Procedures: share of each procedure code named in the mix (entries
	// without a procedure are left out, the rest renormalised), sorted by code.
	Procedures []ProcedureLoad `json:"procedures,omitempty"`
}

// ScenarioRequests estimates requests per journey from a scenario's mix.
// Every step counts once, conditional (when) steps included, so the figure
// is an upper bound when steps are skipped or personas abandon; a polling
// step counts as half its timeout's worth of polls (at least one), the
// expected count when the awaited state arrives uniformly within the timeout.
func ScenarioRequests(s *scenario.Scenario) (ScenarioLoad, error) {
	out := ScenarioLoad{PerJourney: map[string]float64{}}
	var total, weighted float64
	procWeight := map[string]float64{}
	var procTotal float64
	for i, m := range s.Mix {
		j, ok := s.Journeys[m.Journey]
		if !ok {
			return out, fmt.Errorf("scenario %s: mix[%d]: journey %q is not defined", s.Name, i, m.Journey)
		}
		if !(m.Weight > 0) {
			continue
		}
		n := journeyRequests(j)
		out.PerJourney[m.Journey] = n
		total += m.Weight
		weighted += m.Weight * n
		if m.Procedure != "" {
			procWeight[m.Procedure] += m.Weight
			procTotal += m.Weight
		}
	}
	if total == 0 || weighted == 0 {
		return out, fmt.Errorf("scenario %s: mix has no weighted journey with steps", s.Name)
	}
	out.RequestsPerJourney = weighted / total
	codes := make([]string, 0, len(procWeight))
	for c := range procWeight {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		out.Procedures = append(out.Procedures, ProcedureLoad{Code: c, Share: procWeight[c] / procTotal})
	}
	return out, nil
}

func journeyRequests(j scenario.Journey) float64 {
	var n float64
	for _, st := range j.Steps {
		if st.Poll == nil || st.Poll.Every <= 0 {
			n++
			continue
		}
		n += math.Max(1, float64(st.Poll.Timeout)/float64(st.Poll.Every)/2)
	}
	return n
}

// SummaryCapacity is what the planner reads from a capacity run's summary.json.
type SummaryCapacity struct {
	MaxRate            float64 // journeys per second, capacity.max_rate
	RequestsPerJourney float64 // top-level requests_per_journey (0 if absent)
	Scenario           string
}

// ReadSummaryCapacity reads capacity.max_rate and requests_per_journey
// from a summary.json written by `portalsim capacity`.
func ReadSummaryCapacity(path string) (SummaryCapacity, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return SummaryCapacity{}, fmt.Errorf("read capacity summary: %w", err)
	}
	return ParseSummaryCapacity(data, path)
}

// ParseSummaryCapacity is ReadSummaryCapacity on bytes; path names the source in errors.
func ParseSummaryCapacity(data []byte, path string) (SummaryCapacity, error) {
	var doc struct {
		Scenario           json.RawMessage `json:"scenario"`
		RequestsPerJourney *float64        `json:"requests_per_journey"`
		Capacity           *struct {
			MaxRate *float64 `json:"max_rate"`
		} `json:"capacity"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return SummaryCapacity{}, fmt.Errorf("%s: parse summary.json: %w", path, err)
	}
	if doc.Capacity == nil || doc.Capacity.MaxRate == nil {
		return SummaryCapacity{}, fmt.Errorf("%s: no capacity.max_rate: not the summary of a `portalsim capacity` run", path)
	}
	sc := SummaryCapacity{MaxRate: *doc.Capacity.MaxRate, Scenario: scenarioName(doc.Scenario)}
	if !(sc.MaxRate > 0) || math.IsInf(sc.MaxRate, 0) {
		return SummaryCapacity{}, fmt.Errorf("%s: capacity.max_rate %v must be positive", path, sc.MaxRate)
	}
	if doc.RequestsPerJourney != nil {
		sc.RequestsPerJourney = *doc.RequestsPerJourney
		if sc.RequestsPerJourney < 0 {
			return SummaryCapacity{}, errors.New(path + ": requests_per_journey must not be negative")
		}
	}
	return sc, nil
}

// scenarioName accepts the scenario as a name string or an object with a name.
func scenarioName(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return o.Name
	}
	return strings.TrimSpace(string(raw))
}
