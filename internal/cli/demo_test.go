package cli

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/mock"
)

func TestSeedDemoPutsADossierInEveryState(t *testing.T) {
	a, err := app.New(app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Simulator: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown(context.Background())
	ctx := context.Background()
	seeded, err := SeedDemo(ctx, a, mock.CitizenID(0))
	if err != nil {
		t.Fatal(err)
	}
	got := map[portal.Status]*portal.Dossier{}
	for _, d := range seeded {
		got[d.Status] = d
	}
	for _, st := range portal.Statuses {
		if got[st] == nil {
			t.Errorf("no sample dossier is %s", st)
		}
	}
	admin := portal.Principal{UserID: DemoAdminID, Role: portal.RoleAdmin}
	done, err := a.Dossiers.Get(ctx, admin, got[portal.StatusCompleted].ID)
	if err != nil {
		t.Fatal(err)
	}
	var path []string
	for _, tr := range done.History {
		path = append(path, string(tr.To))
	}
	want := "submitted received processing supplement_requested processing approved result_issued completed"
	if strings.Join(path, " ") != want || done.Rating != 5 || done.OwnerID != mock.CitizenID(0) {
		t.Errorf("completed sample: history %v rating %d owner %s; want %s, rated 5, the demo citizen's", path, done.Rating, done.OwnerID, want)
	}
	if got[portal.StatusSubmitted].AssigneeID != DemoOfficerID {
		t.Errorf("submitted sample is assigned to %q, want the demo officer (so simulated officers leave it)", got[portal.StatusSubmitted].AssigneeID)
	}
	if _, err := a.Results.Download(ctx, admin, got[portal.StatusResultIssued].Code); err != nil {
		t.Errorf("result_issued sample has no downloadable e-result: %v", err)
	}
	// A second seed keeps the existing data.
	again, err := SeedDemo(ctx, a, mock.CitizenID(0))
	if err != nil || len(again) != 0 {
		t.Errorf("second seed created %d dossiers (err %v), want none", len(again), err)
	}
}

var demoPortalURL = regexp.MustCompile(`portal:\s+(http://127\.0\.0\.1:\d+)/`)

func TestDemoPrintsURLsAndLoginsAndServesTheUI(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	env := &Env{Ctx: ctx, Args: []string{"demo", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir()},
		Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	exit := make(chan int, 1)
	go func() { exit <- Main(env) }()
	var base string
	for deadline := time.Now().Add(20 * time.Second); base == ""; {
		if m := demoPortalURL.FindStringSubmatch(stdout.String()); m != nil && strings.Contains(stdout.String(), "Ctrl-C") {
			base = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner after 20 s; stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		select {
		case code := <-exit:
			t.Fatalf("demo exited with %d; stderr:\n%s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	out := stdout.String()
	for _, want := range []string{mock.CitizenID(0), DemoOfficerID, DemoAdminID, base + "/dashboard", base + "/admin/faults",
		"completed", "supplement_requested", "withdrawn"} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `<html lang="vi">`) {
		t.Fatalf("GET /: %d, want the Vietnamese home page", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-exit:
		if code != ExitOK {
			t.Fatalf("demo exit code %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("demo did not stop after cancel")
	}
}

func TestDemoRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"demo", "--addr", "0.0.0.0:0"},
		{"demo", "--speed", "0"},
		{"demo", "--load-rate", "500"},
		{"demo", "--load", "no-such-scenario.yaml"},
		{"demo", "--officers", "-2"},
	} {
		var stdout, stderr lockedBuffer
		env := &Env{Ctx: context.Background(), Args: args, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
			Getenv: func(string) string { return "" }}
		if code := Main(env); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", args, code, ExitUsage, stderr.String())
		}
	}
}
