package scenario

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/goccy/go-yaml"
)

var update = flag.Bool("update", false, "rewrite scenarios/scenario.schema.json from the Go types")

const schemaFile = "../../scenarios/scenario.schema.json"

func shippedScenarios(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("found %d shipped scenarios, want at least smoke and weekday", len(files))
	}
	return files
}

// Every shipped scenario loads and validates.
func TestShippedScenariosValidate(t *testing.T) {
	for _, file := range shippedScenarios(t) {
		if _, err := Load(file); err != nil {
			t.Errorf("%s:\n%v", file, err)
		}
	}
}

func TestSchemaUpToDate(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatalf("%v (run go test ./loadtest/scenario -run TestSchemaUpToDate -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: run go test ./loadtest/scenario -run TestSchemaUpToDate -update", schemaFile)
	}
}

// loadSchema reads the shipped schema as an OpenAPI schema object, whose
// vocabulary covers what JSONSchema emits (type, properties, required,
// additionalProperties, items, enum, pattern, minimum).
func loadSchema(t *testing.T) *openapi3.Schema {
	t.Helper()
	b, err := os.ReadFile(schemaFile)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	for _, top := range []string{"name", "duration", "arrival", "mix", "personas", "journeys", "slos", "faults", "feeders"} {
		if _, ok := raw["properties"].(map[string]any)[top]; !ok {
			t.Errorf("schema lacks top-level field %s", top)
		}
	}
	delete(raw, "$schema")
	delete(raw, "$id")
	b, _ = json.Marshal(raw)
	var s openapi3.Schema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("schema: %v", err)
	}
	return &s
}

func yamlToJSONValue(t *testing.T, data []byte) any {
	t.Helper()
	jb, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(jb, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestShippedScenariosMatchSchema(t *testing.T) {
	schema := loadSchema(t)
	files := append(shippedScenarios(t), "testdata/valid.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.VisitJSON(yamlToJSONValue(t, data)); err != nil {
			msg, _, _ := strings.Cut(err.Error(), "\n")
			t.Errorf("%s does not match the schema: %s", file, msg)
		}
	}
	// The schema rejects what strict decoding rejects.
	for _, bad := range []string{
		"name: x\nduration: 5s\nrat: 3\narrival: {profile: constant}\nmix: []\npersonas: []\njourneys: {}\n",
		"name: x\nduration: 30\narrival: {profile: constant}\nmix: []\npersonas: []\njourneys: {}\n",
		"name: x\nduration: 5s\narrival: {profile: wave}\nmix: []\npersonas: []\njourneys: {}\n",
	} {
		if err := schema.VisitJSON(yamlToJSONValue(t, []byte(bad))); err == nil {
			t.Errorf("schema accepts %q", bad)
		}
	}
}
