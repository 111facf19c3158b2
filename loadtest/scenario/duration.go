package scenario

import (
	"encoding/json"
	"fmt"
	"time"
)

// parseDuration accepts Go duration strings ("1.5s", "200ms", "2m"). Bare
// numbers are refused: "30" could mean seconds or milliseconds.
func parseDuration(v any) (Duration, error) {
	switch x := v.(type) {
	case string:
		d, err := time.ParseDuration(x)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: want a number with a unit, e.g. \"1.5s\" or \"200ms\"", x)
		}
		return Duration(d), nil
	case nil:
		return 0, nil
	default:
		return 0, fmt.Errorf("duration %v has no unit: write e.g. \"%vs\" or \"%vms\"", x, x, x)
	}
}

// UnmarshalYAML reads "1.5s"; a bare number is an error.
func (d *Duration) UnmarshalYAML(unmarshal func(any) error) error {
	var v any
	if err := unmarshal(&v); err != nil {
		return err
	}
	parsed, err := parseDuration(v)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// MarshalYAML writes the duration as a string such as "1.5s".
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// UnmarshalJSON reads "1.5s"; a bare number is an error.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	parsed, err := parseDuration(v)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// MarshalJSON writes the duration as a string such as "1.5s".
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// String is the Go duration string.
func (d Duration) String() string { return time.Duration(d).String() }
