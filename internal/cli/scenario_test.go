package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Ctx: context.Background(), Args: args, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code = Main(env)
	return code, out.String(), errb.String()
}

func TestScenarioValidate(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte(`name: bad
duration: 5s
arrival: {profile: constant, rate: 0}
mix: [{journey: j, weight: 1}]
personas: [{name: p, share: 1}]
journeys:
  j:
    steps:
      - {name: s, method: GET, path: nowhere}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	good := "../../scenarios/smoke.yaml"

	code, stdout, stderr := runCLI(t, "scenario", "validate", good)
	if code != ExitOK || stdout != "ok "+good+"\n" || stderr != "" {
		t.Errorf("valid file: code %d stdout %q stderr %q", code, stdout, stderr)
	}

	code, stdout, stderr = runCLI(t, "scenario", "validate", good, bad, filepath.Join(dir, "missing.yaml"))
	if code != ExitUsage {
		t.Errorf("exit code = %d, want %d", code, ExitUsage)
	}
	if stdout != "ok "+good+"\n" {
		t.Errorf("stdout = %q", stdout)
	}
	for _, want := range []string{
		bad + ":3: arrival.rate: must be > 0\n",
		bad + `:9: journeys.j.steps[0].path: "nowhere" must start with /` + "\n",
		"missing.yaml: read scenario: open ",
		"portalsim: 2 of 3 scenario files invalid\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	if code, _, stderr := runCLI(t, "scenario", "validate"); code == ExitOK {
		t.Errorf("no files: exit 0 (%s)", stderr)
	}
}

func TestScenarioSchema(t *testing.T) {
	code, stdout, _ := runCLI(t, "scenario", "schema")
	var v map[string]any
	if code != ExitOK || json.Unmarshal([]byte(stdout), &v) != nil || v["title"] != "portalsim scenario" {
		t.Errorf("code %d, schema %.200s", code, stdout)
	}
}
