package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"

	"github.com/portalsim/portalsim/portal"
)

//go:embed data/*.json
var dataFS embed.FS

// Data files, relative to the package directory.
const (
	proceduresFile = "data/procedures.json"
	groupsFile     = "data/groups.json"
	syntheticFile  = "data/synthetic.json"
)

// NationalSize is the number of online public services on the National
// Public Service Portal (April 2025), which Load expands the catalogue to.
const NationalSize = 3525

// Load reads the embedded real procedures and groups and expands the
// catalogue deterministically with synthetic procedures to NationalSize.
func Load() (*Catalog, error) {
	read := func(name string) ([]byte, error) {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("catalog: read %s: %w", name, err)
		}
		return b, nil
	}
	pb, err := read(proceduresFile)
	if err != nil {
		return nil, err
	}
	gb, err := read(groupsFile)
	if err != nil {
		return nil, err
	}
	sb, err := read(syntheticFile)
	if err != nil {
		return nil, err
	}
	return build(pb, gb, sb)
}

// build assembles a catalogue from the three data files' contents.
func build(proceduresJSON, groupsJSON, syntheticJSON []byte) (*Catalog, error) {
	real, err := parseProcedures(proceduresJSON, proceduresFile)
	if err != nil {
		return nil, err
	}
	groups, err := parseGroups(groupsJSON, groupsFile)
	if err != nil {
		return nil, err
	}
	spec, err := parseSynthetic(syntheticJSON, syntheticFile)
	if err != nil {
		return nil, err
	}
	synth, err := expand(spec, real)
	if err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", syntheticFile, err)
	}
	c := &Catalog{
		procedures: append(real, synth...),
		byCode:     map[string]*portal.Procedure{},
		real:       len(real),
		groups:     groups,
	}
	var errs []error
	for i, p := range c.procedures {
		file := proceduresFile
		if i >= c.real {
			file = syntheticFile
		}
		if _, dup := c.byCode[p.Code]; dup {
			errs = append(errs, fmt.Errorf("catalog: %s: procedure %s: code is used twice", file, p.Code))
		}
		c.byCode[p.Code] = p
		if err := validateProcedure(p); err != nil {
			errs = append(errs, fmt.Errorf("catalog: %s: %w", file, err))
		}
	}
	for _, g := range groups {
		if len(g.Members) < 2 {
			errs = append(errs, fmt.Errorf("catalog: %s: group %s: needs at least 2 members", groupsFile, g.Code))
		}
		for _, m := range g.Members {
			if _, ok := c.byCode[m]; !ok {
				errs = append(errs, fmt.Errorf("catalog: %s: group %s: member %s is not a procedure", groupsFile, g.Code, m))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.keys = make([]searchKey, len(c.procedures))
	for i, p := range c.procedures {
		c.keys[i] = newSearchKey(p)
	}
	return c, nil
}

// procedureEntry is one procedure in procedures.json: the procedure itself
// plus the names of shared field sets whose fields come first.
type procedureEntry struct {
	Uses []string `json:"uses"`
	portal.Procedure
}

func parseProcedures(data []byte, file string) ([]*portal.Procedure, error) {
	var f struct {
		Comment    string                        `json:"comment"`
		FieldSets  map[string][]portal.FormField `json:"field_sets"`
		Procedures []procedureEntry              `json:"procedures"`
	}
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", file, err)
	}
	out := make([]*portal.Procedure, 0, len(f.Procedures))
	for i, e := range f.Procedures {
		p := e.Procedure
		if p.Code == "" {
			return nil, fmt.Errorf("catalog: %s: procedure #%d: code is empty", file, i+1)
		}
		var fields []portal.FormField
		for _, set := range e.Uses {
			fs, ok := f.FieldSets[set]
			if !ok {
				return nil, fmt.Errorf("catalog: %s: procedure %s: uses unknown field set %q", file, p.Code, set)
			}
			fields = append(fields, fs...)
		}
		p.Fields = append(fields, p.Fields...)
		out = append(out, &p)
	}
	return out, nil
}

func parseGroups(data []byte, file string) ([]Group, error) {
	var f struct {
		Comment string  `json:"comment"`
		Groups  []Group `json:"groups"`
	}
	if err := decodeStrict(data, &f); err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", file, err)
	}
	return f.Groups, nil
}

// decodeStrict decodes one JSON document, refusing unknown fields and
// trailing data, and reports syntax errors with their line.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("line %d: %w", lineOf(data, se.Offset), err)
		case errors.As(err, &te):
			return fmt.Errorf("line %d: field %s: %w", lineOf(data, te.Offset), te.Field, err)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return fmt.Errorf("line %d: the document ends too early: %w", lineOf(data, int64(len(data))), err)
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("line %d: unexpected data after the document", lineOf(data, dec.InputOffset()))
	}
	return nil
}

func lineOf(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

// Values the catalogue accepts.
var (
	levels       = []string{portal.LevelCommune, portal.LevelProvince, portal.LevelMinistry}
	userTypes    = []string{"citizen", "organisation"}
	fieldTypes   = []string{portal.FieldText, portal.FieldTextarea, portal.FieldDate, portal.FieldNumber, portal.FieldSelect, portal.FieldPersonalID, portal.FieldPhone, portal.FieldEmail, portal.FieldCheckbox}
	attachTypes  = []string{"application/pdf", "image/jpeg", "image/png"}
	prefillAttrs = []string{"full_name", "date_of_birth", "gender", "personal_id", "address", "province", "phone", "email", "ethnicity", "nationality"}
	fieldName    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
)

// PrefillAttributes returns the population-database attributes a form
// field's Prefill may name.
func PrefillAttributes() []string { return slices.Clone(prefillAttrs) }

// validateProcedure checks one procedure and names the first problem with
// its code and field.
func validateProcedure(p *portal.Procedure) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("procedure %s: %s", p.Code, fmt.Sprintf(format, args...))
	}
	switch {
	case p.NameVI == "" || p.NameEN == "":
		return bad("name_vi and name_en are required")
	case p.Topic == "":
		return bad("topic is required")
	case !slices.Contains(userTypes, p.UserType):
		return bad("user_type %q is not one of %v", p.UserType, userTypes)
	case !slices.Contains(levels, p.Level):
		return bad("level %q is not one of %v", p.Level, levels)
	case p.AgencyVI == "" || p.AgencyEN == "" || p.AgencyCode == "":
		return bad("agency_vi, agency_en and agency_code are required")
	case p.ProcessingDays < 0:
		return bad("processing_days %d is negative", p.ProcessingDays)
	case p.Synthetic && p.ProcessingDays == 0:
		return bad("synthetic procedures take at least one working day")
	case p.CutoffMinutes < 0 || p.CutoffMinutes >= 24*60:
		return bad("cutoff_minutes %d is not a time of day", p.CutoffMinutes)
	case p.Fee < 0 || p.FeeOnline < 0:
		return bad("fee %d / fee_online %d must not be negative", p.Fee, p.FeeOnline)
	case len(p.Fields) == 0:
		return bad("has no form fields")
	}
	seen := map[string]bool{}
	for _, f := range p.Fields {
		switch {
		case !fieldName.MatchString(f.Name):
			return bad("field %q: name must be lower-case snake_case", f.Name)
		case seen[f.Name]:
			return bad("field %s: defined twice", f.Name)
		case f.LabelVI == "" || f.LabelEN == "":
			return bad("field %s: label_vi and label_en are required", f.Name)
		case !slices.Contains(fieldTypes, f.Type):
			return bad("field %s: type %q is not one of %v", f.Name, f.Type, fieldTypes)
		case f.Type == portal.FieldSelect && len(f.Options) == 0:
			return bad("field %s: a select needs options", f.Name)
		case f.Type != portal.FieldSelect && len(f.Options) > 0:
			return bad("field %s: only a select has options", f.Name)
		case f.Prefill != "" && !slices.Contains(prefillAttrs, f.Prefill):
			return bad("field %s: prefill %q is not a population attribute %v", f.Name, f.Prefill, prefillAttrs)
		case f.MinLength < 0 || (f.MaxLength > 0 && f.MaxLength < f.MinLength):
			return bad("field %s: min_length %d / max_length %d", f.Name, f.MinLength, f.MaxLength)
		case (f.NotAfterToday || f.WithinDays != 0) && f.Type != portal.FieldDate:
			return bad("field %s: date rules on a %s field", f.Name, f.Type)
		case f.WithinDays < 0:
			return bad("field %s: within_days %d is negative", f.Name, f.WithinDays)
		case f.Min != nil && f.Max != nil && *f.Min > *f.Max:
			return bad("field %s: min %g > max %g", f.Name, *f.Min, *f.Max)
		}
		if f.Pattern != "" {
			if _, err := regexp.Compile(f.Pattern); err != nil {
				return bad("field %s: pattern: %v", f.Name, err)
			}
		}
		seen[f.Name] = true
	}
	codes := map[string]bool{}
	for _, r := range p.Attachments {
		switch {
		case !fieldName.MatchString(r.Code):
			return bad("attachment %q: code must be lower-case snake_case", r.Code)
		case codes[r.Code]:
			return bad("attachment %s: defined twice", r.Code)
		case r.NameVI == "" || r.NameEN == "":
			return bad("attachment %s: name_vi and name_en are required", r.Code)
		case len(r.Types) == 0:
			return bad("attachment %s: types are required", r.Code)
		case r.MaxBytes <= 0 || r.MaxBytes > 50<<20:
			return bad("attachment %s: max_bytes %d must be 1..%d", r.Code, r.MaxBytes, 50<<20)
		}
		for _, t := range r.Types {
			if !slices.Contains(attachTypes, t) {
				return bad("attachment %s: type %q is not one of %v", r.Code, t, attachTypes)
			}
		}
		codes[r.Code] = true
	}
	return nil
}
