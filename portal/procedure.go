package portal

import (
	"fmt"
	"net/mail"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Agency levels after the July 2025 two-level local government reform.
const (
	LevelCommune  = "commune"
	LevelProvince = "province"
	LevelMinistry = "ministry"
)

// Field types a procedure's form can have.
const (
	FieldText       = "text"
	FieldTextarea   = "textarea"
	FieldDate       = "date" // YYYY-MM-DD
	FieldNumber     = "number"
	FieldSelect     = "select"
	FieldPersonalID = "personal_id"
	FieldPhone      = "phone"
	FieldEmail      = "email"
	FieldCheckbox   = "checkbox"
)

// Procedure is one administrative procedure (thủ tục hành chính) of the catalogue.
type Procedure struct {
	Code           string `json:"code"` // e.g. 1.001193 or 2.001218.000.00.00.H38
	NameVI         string `json:"name_vi"`
	NameEN         string `json:"name_en"`
	Topic          string `json:"topic"`     // e.g. civil_status, residence, justice
	UserType       string `json:"user_type"` // citizen or organisation
	Level          string `json:"level"`     // commune, province, ministry
	AgencyVI       string `json:"agency_vi"`
	AgencyEN       string `json:"agency_en"`
	AgencyCode     string `json:"agency_code"` // prefix of dossier codes, e.g. 000.00.13.H56
	ProcessingDays int    `json:"processing_days"`
	// CutoffMinutes: dossiers received at or after this time of day
	// (minutes after midnight) count from the next working day; 0 = end of day.
	CutoffMinutes int           `json:"cutoff_minutes,omitempty"`
	Fee           int64         `json:"fee"`        // VND, at the counter
	FeeOnline     int64         `json:"fee_online"` // VND, when submitted online
	FullProcess   bool          `json:"full_process"`
	Synthetic     bool          `json:"synthetic"`
	Group         string        `json:"group,omitempty"` // interconnected group code, if any
	LegalBasis    string        `json:"legal_basis,omitempty"`
	Fields        []FormField   `json:"fields"`
	Attachments   []Requirement `json:"attachments"`
}

// FormField is one field of a procedure's e-form and its validation rules.
type FormField struct {
	Name      string   `json:"name"`
	LabelVI   string   `json:"label_vi"`
	LabelEN   string   `json:"label_en"`
	Type      string   `json:"type"`
	Required  bool     `json:"required"`
	MinLength int      `json:"min_length,omitempty"`
	MaxLength int      `json:"max_length,omitempty"`
	Pattern   string   `json:"pattern,omitempty"`
	Options   []string `json:"options,omitempty"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	// Prefill names the population-database attribute that fills this field
	// (full_name, date_of_birth, gender, personal_id, address, province, ...).
	Prefill string `json:"prefill,omitempty"`
	// NotAfterToday / NotBeforeDays constrain dates relative to the submit day.
	NotAfterToday bool `json:"not_after_today,omitempty"`
	WithinDays    int  `json:"within_days,omitempty"`
}

// Requirement is one document a procedure asks to be attached.
type Requirement struct {
	Code     string   `json:"code"`
	NameVI   string   `json:"name_vi"`
	NameEN   string   `json:"name_en"`
	Required bool     `json:"required"`
	Types    []string `json:"types"`     // allowed MIME types: application/pdf, image/jpeg, image/png
	MaxBytes int64    `json:"max_bytes"` // per file
}

// OnlineFee returns the fee due when the procedure is done online.
func (p *Procedure) OnlineFee() int64 {
	if p.FeeOnline > 0 || p.Fee == 0 {
		return p.FeeOnline
	}
	return p.Fee
}

// Field returns the named form field.
func (p *Procedure) Field(name string) (FormField, bool) {
	for _, f := range p.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return FormField{}, false
}

// Requirement returns the named attachment requirement.
func (p *Procedure) Requirement(code string) (Requirement, bool) {
	for _, r := range p.Attachments {
		if r.Code == code {
			return r, true
		}
	}
	return Requirement{}, false
}

// Limits on form input, whatever the procedure says.
const (
	MaxFormFields     = 100
	MaxFieldBytes     = 4096
	DefaultFieldChars = 500
)

var (
	phonePattern = regexp.MustCompile(`^(\+84|0)[35789][0-9]{8}$`)
	datePattern  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// ValidateForm checks a form against the procedure's rules and returns every
// problem at once, in field order. Unknown fields are problems too. today is
// the submit day, used by relative date rules.
func (p *Procedure) ValidateForm(form map[string]string, today time.Time) []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if len(form) > MaxFormFields {
		add("form", "has %d fields, at most %d allowed", len(form), MaxFormFields)
		return errs
	}
	for _, f := range p.Fields {
		v, present := form[f.Name]
		v = strings.TrimSpace(v)
		if !present || v == "" {
			if f.Required && !(f.Type == FieldCheckbox && present) {
				add(f.Name, "is required")
			}
			continue
		}
		if len(v) > MaxFieldBytes {
			add(f.Name, "is %d bytes long, at most %d allowed", len(v), MaxFieldBytes)
			continue
		}
		if !utf8.ValidString(v) {
			add(f.Name, "is not valid UTF-8 text")
			continue
		}
		if msg := validateValue(f, v, today); msg != "" {
			add(f.Name, "%s", msg)
		}
	}
	var unknown []string
	for name := range form {
		if _, ok := p.Field(name); !ok {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	for _, name := range unknown {
		add(name, "is not a field of procedure %s", p.Code)
	}
	return errs
}

func validateValue(f FormField, v string, today time.Time) string {
	n := utf8.RuneCountInString(v)
	maxLen := f.MaxLength
	if maxLen == 0 && (f.Type == FieldText || f.Type == FieldTextarea) {
		maxLen = DefaultFieldChars
		if f.Type == FieldTextarea {
			maxLen = 2000
		}
	}
	if f.MinLength > 0 && n < f.MinLength {
		return fmt.Sprintf("must be at least %d characters", f.MinLength)
	}
	if maxLen > 0 && n > maxLen {
		return fmt.Sprintf("must be at most %d characters", maxLen)
	}
	for _, r := range v {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return "must not contain control characters"
		}
	}
	switch f.Type {
	case FieldDate:
		if !datePattern.MatchString(v) {
			return "must be a date as YYYY-MM-DD"
		}
		d, err := time.ParseInLocation(time.DateOnly, v, VietnamTime)
		if err != nil {
			return "is not a valid date"
		}
		day := startOfDay(today.In(VietnamTime))
		if f.NotAfterToday && d.After(day) {
			return "must not be in the future"
		}
		if f.WithinDays > 0 && d.Before(day.AddDate(0, 0, -f.WithinDays)) {
			return fmt.Sprintf("must be within the last %d days", f.WithinDays)
		}
	case FieldNumber:
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return "must be a number"
		}
		if f.Min != nil && x < *f.Min {
			return fmt.Sprintf("must be at least %g", *f.Min)
		}
		if f.Max != nil && x > *f.Max {
			return fmt.Sprintf("must be at most %g", *f.Max)
		}
	case FieldSelect:
		ok := false
		for _, o := range f.Options {
			ok = ok || o == v
		}
		if !ok {
			return fmt.Sprintf("must be one of %s", strings.Join(f.Options, ", "))
		}
	case FieldPersonalID:
		if _, err := ParsePersonalID(v); err != nil {
			return ErrorMessage(err)
		}
	case FieldPhone:
		if !phonePattern.MatchString(v) {
			return "must be a Vietnamese mobile number such as 0912345678"
		}
	case FieldEmail:
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			return "must be an e-mail address"
		}
	case FieldCheckbox:
		if v != "true" && v != "false" {
			return "must be true or false"
		}
	}
	if f.Pattern != "" {
		re, err := regexp.Compile("^(?:" + f.Pattern + ")$")
		if err == nil && !re.MatchString(v) {
			return "has the wrong format"
		}
	}
	return ""
}
