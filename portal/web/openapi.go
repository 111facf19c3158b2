package web

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// openapiYAML is the API's OpenAPI 3 document. It is written by hand (YAML
// keeps it reviewable) and a test keeps it and the router in agreement.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI parses and validates the embedded OpenAPI document.
func OpenAPI() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate openapi.yaml: %w", err)
	}
	return doc, nil
}

// openAPIJSON renders the document as served at /openapi.json.
func openAPIJSON() ([]byte, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("render openapi.json: %w", err)
	}
	return b, nil
}
