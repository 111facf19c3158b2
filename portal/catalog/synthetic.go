package catalog

import (
	"fmt"
	"slices"

	"github.com/portalsim/portalsim/portal"
)

// syntheticSpec is synthetic.json: vocabularies from which procedure names
// are composed (action + object + qualifier) and the value sets their
// deadlines, fees and forms are drawn from.
type syntheticSpec struct {
	Comment string `json:"comment"`
	// Seed fixes the expansion: the same seed gives the same catalogue.
	Seed uint64 `json:"seed"`
	// Total is the size of the whole catalogue, real procedures included.
	Total int `json:"total"`
	// CodePrefix starts every synthetic code; real national codes start
	// with 1. or 2., so a different prefix cannot collide with them.
	CodePrefix string `json:"code_prefix"`
	// FullProcessPerMille is the share of full-process synthetic procedures.
	FullProcessPerMille int                `json:"full_process_per_mille"`
	Days                []int              `json:"days"`
	Fees                []int64            `json:"fees"`
	Actions             []term             `json:"actions"`
	Qualifiers          []term             `json:"qualifiers"`
	Topics              []syntheticTopic   `json:"topics"`
	Fields              []portal.FormField `json:"fields"`
	// Attachment is required by partial synthetic procedures and optional
	// for full-process ones.
	Attachment portal.Requirement `json:"attachment"`
}

type term struct {
	VI       string `json:"vi"`
	EN       string `json:"en"`
	UserType string `json:"user_type,omitempty"`
}

type agency struct {
	VI   string `json:"vi"`
	EN   string `json:"en"`
	Code string `json:"code"`
}

type syntheticTopic struct {
	Topic    string            `json:"topic"`
	UserType string            `json:"user_type"`
	Agencies map[string]agency `json:"agencies"` // by level
	Objects  []term            `json:"objects"`
}

func parseSynthetic(data []byte, file string) (*syntheticSpec, error) {
	var s syntheticSpec
	if err := decodeStrict(data, &s); err != nil {
		return nil, fmt.Errorf("catalog: %s: %w", file, err)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("catalog: %s: %s", file, fmt.Sprintf(format, args...))
	}
	switch {
	case s.Total <= 0:
		return nil, bad("total %d must be positive", s.Total)
	case s.CodePrefix == "" || s.CodePrefix[0] == '1' || s.CodePrefix[0] == '2':
		return nil, bad("code_prefix %q must be set and must not start like a national code (1. or 2.)", s.CodePrefix)
	case s.FullProcessPerMille < 0 || s.FullProcessPerMille > 1000:
		return nil, bad("full_process_per_mille %d must be 0..1000", s.FullProcessPerMille)
	case len(s.Days) == 0 || len(s.Fees) == 0 || len(s.Actions) == 0 || len(s.Qualifiers) == 0 || len(s.Topics) == 0:
		return nil, bad("days, fees, actions, qualifiers and topics must not be empty")
	case len(s.Fields) == 0:
		return nil, bad("fields must not be empty")
	}
	for _, d := range s.Days {
		if d <= 0 {
			return nil, bad("days: %d must be positive", d)
		}
	}
	for _, f := range s.Fees {
		if f < 0 {
			return nil, bad("fees: %d must not be negative", f)
		}
	}
	for _, t := range s.Topics {
		if len(t.Agencies) == 0 || len(t.Objects) == 0 {
			return nil, bad("topic %s: agencies and objects must not be empty", t.Topic)
		}
		for lvl, a := range t.Agencies {
			if !slices.Contains(levels, lvl) {
				return nil, bad("topic %s: agency level %q is not one of %v", t.Topic, lvl, levels)
			}
			if a.VI == "" || a.EN == "" || a.Code == "" {
				return nil, bad("topic %s: agency %s: vi, en and code are required", t.Topic, lvl)
			}
		}
	}
	return &s, nil
}

// splitMix64 is a tiny fixed PRNG: the expansion must not change when the
// standard library's generators or shuffles do.
type splitMix64 struct{ state uint64 }

func (r *splitMix64) next() uint64 {
	r.state += 0x9e3779b97f4a7c15
	z := r.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n); the modulo bias is irrelevant here.
func (r *splitMix64) intn(n int) int { return int(r.next() % uint64(n)) }

// expand composes spec.Total − len(real) synthetic procedures. Names are
// distinct combinations of action, object and qualifier, drawn in a
// seeded shuffle; every other attribute comes from the same generator.
func expand(spec *syntheticSpec, real []*portal.Procedure) ([]*portal.Procedure, error) {
	n := spec.Total - len(real)
	if n < 0 {
		return nil, fmt.Errorf("total %d is smaller than the %d real procedures", spec.Total, len(real))
	}
	type combo struct{ topic, object, action, qualifier int }
	var combos []combo
	for ti, t := range spec.Topics {
		for oi := range t.Objects {
			for ai := range spec.Actions {
				for qi := range spec.Qualifiers {
					combos = append(combos, combo{ti, oi, ai, qi})
				}
			}
		}
	}
	if len(combos) < n {
		return nil, fmt.Errorf("vocabularies give %d distinct names, %d needed", len(combos), n)
	}
	rng := &splitMix64{state: spec.Seed}
	for i := len(combos) - 1; i > 0; i-- {
		j := rng.intn(i + 1)
		combos[i], combos[j] = combos[j], combos[i]
	}
	out := make([]*portal.Procedure, 0, n)
	for i, c := range combos[:n] {
		t := spec.Topics[c.topic]
		obj, act, q := t.Objects[c.object], spec.Actions[c.action], spec.Qualifiers[c.qualifier]
		lvls := make([]string, 0, len(t.Agencies))
		for _, l := range levels { // fixed order, not map order
			if _, ok := t.Agencies[l]; ok {
				lvls = append(lvls, l)
			}
		}
		level := lvls[rng.intn(len(lvls))]
		ag := t.Agencies[level]
		userType := t.UserType
		if q.UserType != "" {
			userType = q.UserType
		}
		fee := spec.Fees[rng.intn(len(spec.Fees))]
		// Spread full-process procedures evenly at the requested share.
		full := (i+1)*spec.FullProcessPerMille/1000 != i*spec.FullProcessPerMille/1000
		p := &portal.Procedure{
			Code:           fmt.Sprintf("%s%06d", spec.CodePrefix, i+1),
			NameVI:         joinName(act.VI, obj.VI, q.VI),
			NameEN:         joinName(act.EN, obj.EN, q.EN),
			Topic:          t.Topic,
			UserType:       userType,
			Level:          level,
			AgencyVI:       ag.VI,
			AgencyEN:       ag.EN,
			AgencyCode:     ag.Code,
			ProcessingDays: spec.Days[rng.intn(len(spec.Days))],
			Fee:            fee,
			FeeOnline:      fee,
			FullProcess:    full,
			Synthetic:      true,
			Fields:         slices.Clone(spec.Fields),
		}
		if spec.Attachment.Code != "" {
			a := spec.Attachment
			a.Types = slices.Clone(a.Types)
			a.Required = !full
			p.Attachments = []portal.Requirement{a}
		}
		out = append(out, p)
	}
	return out, nil
}

func joinName(parts ...string) string {
	s := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if s != "" {
			s += " "
		}
		s += p
	}
	return s
}
