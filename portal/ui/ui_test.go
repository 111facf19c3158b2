package ui

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/faults"
	"github.com/portalsim/portalsim/portal/mock"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	vi, en := slices.Sorted(maps.Keys(msgs["vi"])), slices.Sorted(maps.Keys(msgs["en"]))
	for _, k := range vi {
		if _, ok := msgs["en"][k]; !ok {
			t.Errorf("key %q is in vi.json but not en.json", k)
		}
	}
	for _, k := range en {
		if _, ok := msgs["vi"][k]; !ok {
			t.Errorf("key %q is in en.json but not vi.json", k)
		}
	}
	for lang, m := range msgs {
		for k, v := range m {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: key %q is empty", lang, k)
			}
		}
	}
}

// TestEveryUsedKeyExists finds the keys templates and handlers use,
// literally or by family (status.<status>, role.<role>, ...), and checks
// the catalogues have them.
func TestEveryUsedKeyExists(t *testing.T) {
	msgs, err := loadMessages()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]string{} // key → where
	scan := func(glob string, res ...*regexp.Regexp) {
		files, _ := filepath.Glob(glob)
		if len(files) == 0 {
			t.Fatalf("no files match %s", glob)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range res {
				for _, m := range re.FindAllStringSubmatch(string(b), -1) {
					if strings.HasSuffix(m[len(m)-1], ".") {
						continue // a family prefix, checked below
					}
					used[m[len(m)-1]] = f
				}
			}
		}
	}
	scan("templates/*.html", regexp.MustCompile(`\bt \$\.L "([^"]+)"`))
	scan("*.go", regexp.MustCompile(`s\.t\([^,()]*(\([^)]*\))?, "([^"]+)"`), regexp.MustCompile(`newView\(c, "([^"]+)"`))
	notices := regexp.MustCompile(`redirect\(c, [^\n]*, "([a-z_]+)"\)`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, m := range notices.FindAllStringSubmatch(string(b), -1) {
			used["notice."+m[1]] = f
		}
	}
	if len(used) < 100 {
		t.Fatalf("found only %d used keys; the scan is broken", len(used))
	}
	for _, st := range portal.Statuses {
		used["status."+string(st)] = "portal.Statuses"
		if st != portal.StatusDraft { // nobody moves a dossier back to draft
			used["action."+string(st)] = "portal.Statuses"
		}
	}
	for _, r := range []portal.Role{portal.RoleCitizen, portal.RoleOfficer, portal.RoleAdmin, portal.RoleSystem} {
		used["role."+string(r)] = "roles"
	}
	for _, p := range []string{portal.PaymentNone, portal.PaymentUnpaid, portal.PaymentPending, portal.PaymentPaid, portal.PaymentFailed} {
		used["payment."+p] = "payment statuses"
	}
	for _, l := range []string{portal.LevelCommune, portal.LevelProvince, portal.LevelMinistry} {
		used["level."+l] = "levels"
	}
	for _, dep := range faults.Dependencies {
		used["dep."+dep] = "faults.Dependencies"
	}
	used["decision."+mock.DecisionApproved], used["decision."+mock.DecisionRejected] = "decisions", "decisions"
	for k, where := range used {
		for _, lang := range languages {
			if _, ok := msgs[lang][k]; !ok {
				t.Errorf("%s uses key %q, missing from %s.json", where, k, lang)
			}
		}
	}
}

func TestSafeNextStaysOnSite(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/dossiers": "/dossiers", "//evil.example": "/", "https://evil.example": "/",
		"/\\evil": "/", "/procedures/1.001193?x=1": "/procedures/1.001193?x=1", "/a/../officer": "/officer",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
