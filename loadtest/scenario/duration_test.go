package scenario

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
)

func TestDurationYAMLAndJSON(t *testing.T) {
	var v struct {
		D Duration `yaml:"d" json:"d"`
	}
	for in, want := range map[string]time.Duration{"1.5s": 1500 * time.Millisecond, "200ms": 200 * time.Millisecond, "2m": 2 * time.Minute, `"0s"`: 0} {
		if err := yaml.Unmarshal([]byte("d: "+in), &v); err != nil || v.D.D() != want {
			t.Errorf("yaml %s = %v, %v; want %v", in, v.D, err, want)
		}
		if err := json.Unmarshal([]byte(`{"d":"`+strings.Trim(in, `"`)+`"}`), &v); err != nil || v.D.D() != want {
			t.Errorf("json %s = %v, %v; want %v", in, v.D, err, want)
		}
	}
	for _, in := range []string{"d: 30", "d: 1.5", "d: soon"} {
		if err := yaml.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("yaml %q: no error", in)
		}
	}
	if err := json.Unmarshal([]byte(`{"d":30}`), &v); err == nil || !strings.Contains(err.Error(), "no unit") {
		t.Errorf("json bare number: %v, want a no-unit error", err)
	}
	v.D = Duration(1500 * time.Millisecond)
	b, _ := json.Marshal(v)
	if string(b) != `{"d":"1.5s"}` {
		t.Errorf("json = %s", b)
	}
	y, _ := yaml.Marshal(v)
	if strings.TrimSpace(string(y)) != "d: 1.5s" {
		t.Errorf("yaml = %q", y)
	}
}
