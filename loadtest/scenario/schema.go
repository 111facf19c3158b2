package scenario

import (
	"encoding/json"
	"reflect"
	"strings"
)

// durationPattern matches Go duration strings such as "1.5s" and "1m30s".
const durationPattern = `^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))*$`

// schemaEnums are the closed vocabularies, by YAML field name.
var schemaEnums = map[string][]string{
	"profile":    {ProfileConstant, ProfileRamp, ProfileStages, ProfileSpike, ProfileDaily},
	"process":    {"poisson", "uniform"},
	"mix_order":  {MixWeighted, MixSequential},
	"dist":       {DistConstant, DistUniform, DistExponential, DistLogNormal},
	"type":       {FeederCitizens, FeederCSV},
	"order":      {"random", "sequential"},
	"method":     {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"},
	"dependency": faultDependencies,
}

// schemaDescriptions document the top-level fields for editors.
var schemaDescriptions = map[string]string{
	"name":        "Scenario name, used in result folder names and reports.",
	"description": "What this scenario models.",
	"target":      `"embedded" (default: a fresh in-process portal) or a loopback base URL such as http://127.0.0.1:8080.`,
	"duration":    `How long arrivals last, e.g. "60s" (at most 24h).`,
	"drain":       `How long in-flight journeys may continue after arrivals stop (default "30s").`,
	"seed":        "Random seed: the same seed replays the same arrivals, mix, personas and data (default 1).",
	"scale":       `How this scenario relates to real volumes, e.g. "1:2000 of national peak".`,
	"arrival":     "Open-model arrival profile in journeys per second.",
	"mix":         "Weighted journeys (one per procedure).",
	"mix_order":   `"weighted" (default) or "sequential" (arrival id modulo entries; covers every entry in short runs).`,
	"personas":    "Kinds of citizens: share, think time, abandonment, client latency.",
	"feeders":     "Per-journey data: synthetic citizens known to the portal, or CSV rows.",
	"vars":        "Variables every journey sees.",
	"journeys":    "Declarative steps by journey name.",
	"slos":        `Thresholds such as "completion_rate >= 0.95" or "step(submit).p95 < 800ms"; a failed one makes run exit 99.`,
	"faults":      "Fault schedule applied to the embedded portal through its admin API.",
}

// JSONSchema returns a JSON Schema (draft 2020-12) of the scenario format
// for editors, generated from the Go types so it cannot drift from them.
// Semantic rules (rates > 0, steps that exist, ...) are Validate's job.
func JSONSchema() ([]byte, error) {
	root := schemaOf(reflect.TypeOf(Scenario{}), "")
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$id"] = "https://github.com/portalsim/portalsim/scenarios/scenario.schema.json"
	root["title"] = "portalsim scenario"
	props := root["properties"].(map[string]any)
	for name, d := range schemaDescriptions {
		if p, ok := props[name].(map[string]any); ok {
			p["description"] = d
		}
	}
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

func schemaOf(t reflect.Type, field string) map[string]any {
	if t == durationType {
		return map[string]any{"type": "string", "pattern": durationPattern}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), field)
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" {
				continue
			}
			props[name] = schemaOf(f.Type, name)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), "")}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), "")}
	case reflect.String:
		s := map[string]any{"type": "string"}
		if enum, ok := schemaEnums[field]; ok {
			s["enum"] = enum
		}
		return s
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	}
	return map[string]any{}
}
