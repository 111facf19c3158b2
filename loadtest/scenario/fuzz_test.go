package scenario

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any input either parses into a scenario that validates, or
// fails with an *Error that has at least one problem. It never panics.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"testdata/*.yaml", "../../scenarios/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "testdata/fuzz.yaml")
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || len(perr.Problems) == 0 {
				t.Fatalf("error %v (%T) is not an *Error with problems", err, err)
			}
			return
		}
		if err := s.Validate(); err != nil {
			t.Fatalf("a parsed scenario no longer validates after defaults: %v", err)
		}
	})
}
