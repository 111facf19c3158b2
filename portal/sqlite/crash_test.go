package sqlite

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// crashWriterEnv makes TestCrashWriterProcess act as the child of
// TestSurvivesKill9: it writes dossiers to the named database until killed.
const crashWriterEnv = "PORTALSIM_SQLITE_CRASH_DB"

// TestSurvivesKill9 kills a writing process with SIGKILL and checks that every
// dossier it reported as created is in the database afterwards.
func TestSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterProcess$", "-test.v")
	cmd.Env = append(os.Environ(), crashWriterEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]string{} // id → code
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(10 * time.Second)
	for len(acked) < 200 && time.Now().Before(deadline) && lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "created "); ok {
			id, code, _ := strings.Cut(rest, " ")
			acked[id] = code
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) == 0 {
		t.Fatal("child reported no dossiers")
	}

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for id, code := range acked {
		d, err := db.Dossier(context.Background(), id)
		if err != nil {
			t.Fatalf("acknowledged dossier %s lost after kill -9: %v", id, err)
		}
		if d.Code != code {
			t.Errorf("dossier %s has code %s, acknowledged %s", id, d.Code, code)
		}
	}
	t.Logf("%d acknowledged dossiers survived kill -9", len(acked))
}

// TestCrashWriterProcess is the child of TestSurvivesKill9; it does nothing
// in a normal test run.
func TestCrashWriterProcess(t *testing.T) {
	path := os.Getenv(crashWriterEnv)
	if path == "" {
		t.Skip("only runs as the child of TestSurvivesKill9")
	}
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 100000; i++ { // bounded; the parent kills us long before
		d := newDossier(fmt.Sprintf("0010990%05d", i), baseTime)
		if err := db.CreateDossier(ctx, d, "CRASH"); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("created %s %s\n", d.ID, d.Code)
	}
}
