package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/portalsim/portalsim/portal"
)

// runCatalog runs `portalsim catalog args...` in process through NewRoot.
func runCatalog(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{
		Ctx:    context.Background(),
		Args:   append([]string{"catalog"}, args...),
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errOut,
		Getenv: func(string) string { return "" },
	}
	code := Main(env)
	return code, out.String(), errOut.String()
}

func TestCatalogList(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string
		notWant []string
	}{
		{"default page", nil, []string{"CODE", "LEVEL", "DAYS", "FEE ONLINE", "FULL", "NAME", "1.001193", "Đăng ký khai sinh", "1–20 of 3,525 procedures (page 1 of 177)"}, nil},
		{"search without diacritics", []string{"--q", "dang ky khai sinh"}, []string{"1.001193", "commune", "Đăng ký khai sinh"}, []string{"1.004873"}},
		{"real partial", []string{"--real", "--full-process=false"}, []string{"1.000894", "1.009994", "1.001978", "partial", "1–3 of 3 procedures"}, []string{"1.001193", " full "}},
		{"level and fee", []string{"--real", "--level", "province", "--q", "ly lich"}, []string{"2.000488", "200,000 VND", "10"}, nil},
		{"paging", []string{"--page", "2", "--per-page", "5"}, []string{"6–10 of 3,525 procedures (page 2 of 705)"}, nil},
		{"per page clamped", []string{"--per-page", "1000", "--page", "36"}, []string{"3,501–3,525 of 3,525 procedures (page 36 of 36)"}, nil},
		{"no match", []string{"--q", "khong ton tai xyz"}, []string{"0 procedures match"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCatalog(t, append([]string{"list"}, tt.args...)...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestCatalogListJSON(t *testing.T) {
	code, out, errOut := runCatalog(t, "list", "--json", "--real", "--q", "thuong tru")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var page struct {
		Items   []portal.Procedure `json:"items"`
		Total   int                `json:"total"`
		Page    int                `json:"page"`
		PerPage int                `json:"per_page"`
	}
	if err := json.Unmarshal([]byte(out), &page); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if page.Page != 1 || page.PerPage != 20 {
		t.Errorf("page %d per_page %d, want 1 and 20", page.Page, page.PerPage)
	}
	var codes []string
	for _, p := range page.Items {
		codes = append(codes, p.Code)
	}
	// Permanent residence, its deregistration, and both interconnected groups.
	if page.Total != 4 || len(codes) != 4 || codes[0] != "1.004222" {
		t.Fatalf("got total %d, codes %v", page.Total, codes)
	}
}

func TestCatalogShow(t *testing.T) {
	code, out, errOut := runCatalog(t, "show", "1.001193")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, w := range []string{"1.001193  Đăng ký khai sinh", "Birth registration", "same working day (received from 15:00: next working day)",
		"full-process", "child_dob", "within 60 days", "not in the future", "applicant_id", "personal_id", "birth_notice", "5 MiB",
		"Group:", "1.011536", "Luật Hộ tịch 2014"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	code, out, _ = runCatalog(t, "show", "2.002107", "--json")
	var p portal.Procedure
	if code != ExitOK || json.Unmarshal([]byte(out), &p) != nil || len(p.Attachments) != 3 || p.Fee != 200000 {
		t.Fatalf("show --json: exit %d, %+v\n%s", code, p, out)
	}
}

func TestCatalogErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown code", []string{"show", "9.999999"}, ExitError, `procedure "9.999999" is not in the catalogue`},
		{"missing code", []string{"show"}, ExitError, "accepts 1 arg"},
		{"bad level", []string{"list", "--level", "district"}, ExitUsage, `--level "district"`},
		{"bad flag", []string{"list", "--nope"}, ExitUsage, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCatalog(t, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d, stderr %q; want exit %d mentioning %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
