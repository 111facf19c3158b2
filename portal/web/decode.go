package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/portalsim/portalsim/portal"
)

// decodeJSON reads exactly one JSON object from the request body into v.
// Unknown fields, trailing data, wrong types and oversized bodies are
// errors that name the problem. With allowEmpty an empty body leaves v as is.
func decodeJSON(r *http.Request, v any, allowEmpty bool) error {
	if r.Body == nil || r.Body == http.NoBody {
		if allowEmpty {
			return nil
		}
		return portal.Errorf(portal.EINVALID, "request body is empty; a JSON object is expected")
	}
	if err := checkJSONContentType(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) && allowEmpty {
			return nil
		}
		return describeDecodeError(err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return tooLarge(tooBig.Limit)
		}
		return portal.Errorf(portal.EINVALID, "invalid JSON: unexpected data after the JSON object at byte %d", dec.InputOffset())
	}
	return nil
}

// describeDecodeError turns encoding/json's errors into messages a client
// developer can act on.
func describeDecodeError(err error) error {
	var (
		tooBig  *http.MaxBytesError
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &tooBig):
		return tooLarge(tooBig.Limit)
	case errors.Is(err, io.EOF):
		return portal.Errorf(portal.EINVALID, "request body is empty; a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return portal.Errorf(portal.EINVALID, "invalid JSON: the body ends in the middle of a value")
	case errors.As(err, &syntax):
		return portal.Errorf(portal.EINVALID, "invalid JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return portal.Errorf(portal.EINVALID, "invalid JSON: expected %s, got %s", jsonType(typeErr.Type.String()), typeErr.Value)
		}
		return portal.Errorf(portal.EINVALID, "invalid JSON: field %q must be %s, got %s", typeErr.Field, jsonType(typeErr.Type.String()), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return portal.Errorf(portal.EINVALID, "invalid JSON: unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return portal.Errorf(portal.EINVALID, "invalid JSON: %v", err)
}

// jsonType names a Go type the way a JSON client thinks of it.
func jsonType(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "map["), strings.HasPrefix(goType, "struct"), strings.HasPrefix(goType, "web."):
		return "an object"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "float"):
		return "a number"
	}
	return fmt.Sprintf("of type %s", goType)
}

// checkJSONContentType refuses bodies declared as something other than
// JSON (multipart forms, XML, plain text) with 415. No Content-Type, and
// application/x-www-form-urlencoded (what `curl -d` sends unless told
// otherwise), are read as JSON: the body is parsed strictly either way.
func checkJSONContentType(ct string) error {
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return portal.Errorf(portal.EUNSUPPORTED, "Content-Type %q is malformed; send application/json", ct)
	}
	if mt == "application/json" || mt == "application/x-www-form-urlencoded" ||
		strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json") {
		return nil
	}
	return portal.Errorf(portal.EUNSUPPORTED, "Content-Type %s is not accepted here; send a JSON object as application/json", mt)
}
