// Command walprobe counts the SQLite WAL frames (4 KiB pages written to the
// log) one dossier submit costs in the portal's store, next to a raw UPDATE
// with every column in SET (as the store writes it), a raw UPDATE of only
// the changed columns, and the bare one-row INSERT of bench/sidebyside's
// baseline. Pages per commit are what a write transaction pays for in
// pwrite calls and checkpoints, so this explains the submit ratio in
// BENCHMARKS.md. Run: go run ./bench/walprobe
package main

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/mock"
)

const (
	procedureCode = "1.004873" // full-process, no required attachment
	perCase       = 100
	frameBytes    = 4096 + 24 // page + frame header
	walHeader     = 32
)

func main() {
	log.SetFlags(0)
	if err := run(context.Background()); err != nil {
		log.Fatalf("walprobe: %v", err)
	}
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "walprobe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	a, err := app.New(app.Config{DataDir: dir, Simulator: true})
	if err != nil {
		return err
	}
	defer a.Shutdown(ctx)
	pid := mock.CitizenID(3)
	who := portal.Principal{UserID: pid, Role: portal.RoleCitizen}
	p, ok := a.Catalog.Procedure(procedureCode)
	if !ok {
		return fmt.Errorf("procedure %s not in the catalogue", procedureCode)
	}
	person, err := a.Population.Person(ctx, pid)
	if err != nil {
		return err
	}
	form := catalog.SampleForm(p, person, a.Clock.Now())
	var ids []string
	for range 4 * perCase {
		d, err := a.Dossiers.CreateDraft(ctx, who, p.Code, form)
		if err != nil {
			return err
		}
		ids = append(ids, d.ID)
	}
	take := func() string { id := ids[0]; ids = ids[1:]; return id }

	// A side connection to the same file checkpoints and truncates the WAL
	// before each case, so the WAL's size afterwards counts the case's frames.
	side, err := sql.Open("sqlite", "file:"+filepath.Join(dir, app.DatabaseFile)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer side.Close()
	wal := filepath.Join(dir, app.DatabaseFile+"-wal")
	measure := func(name string, op func(i int) error) error {
		if _, err := side.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return err
		}
		before, err := os.Stat(wal)
		if err != nil {
			return err
		}
		for i := range perCase {
			if err := op(i); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		after, err := os.Stat(wal)
		if err != nil {
			return err
		}
		frames := float64(max(after.Size()-walHeader, 0)-max(before.Size()-walHeader, 0)) / frameBytes
		fmt.Printf("%-44s %5.1f WAL frames per commit\n", name, frames/perCase)
		return nil
	}
	full := `UPDATE dossiers SET code = code, procedure_code = procedure_code, owner_id = owner_id, group_id = group_id,
		status = 'submitted', form = form, fee = fee, payment_status = payment_status, online = online, created_at = created_at,
		updated_at = updated_at + 1, submitted_at = 1, received_at = received_at, appointment_at = 2, decided_at = decided_at,
		result_at = result_at, completed_at = completed_at, on_time = on_time, assignee_id = assignee_id, supplements = supplements,
		rating = rating, rating_note = rating_note, version = version + 1 WHERE id = ?`
	changed := `UPDATE dossiers SET status = 'submitted', updated_at = updated_at + 1, submitted_at = 1, appointment_at = 2,
		version = version + 1 WHERE id = ?`
	if _, err := side.ExecContext(ctx, `CREATE TABLE bench_submissions (id INTEGER PRIMARY KEY, dossier_id TEXT NOT NULL,
		owner_id TEXT NOT NULL, form TEXT NOT NULL, submitted_at INTEGER NOT NULL)`); err != nil {
		return err
	}
	cases := []struct {
		name string
		op   func(i int) error
	}{
		{"portal submit (DossierService.Submit)", func(int) error { _, err := a.Dossiers.Submit(ctx, who, take()); return err }},
		{"raw UPDATE, every column in SET", func(int) error { _, err := side.ExecContext(ctx, full, take()); return err }},
		{"raw UPDATE, changed columns only", func(int) error { _, err := side.ExecContext(ctx, changed, take()); return err }},
		{"bare INSERT (sidebyside baseline)", func(i int) error {
			_, err := side.ExecContext(ctx, `INSERT INTO bench_submissions (dossier_id, owner_id, form, submitted_at) VALUES (?, ?, ?, ?)`,
				take(), pid, `{"marital_status":"Chưa kết hôn","purpose":"Đăng ký kết hôn"}`, i)
			return err
		}},
	}
	for _, c := range cases {
		if err := measure(c.name, c.op); err != nil {
			return err
		}
	}
	return nil
}
