package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// openTest opens a store in a fresh temporary directory and closes it when the test ends.
func openTest(t testing.TB, opts Options) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "portal.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// baseTime has nanoseconds and a non-UTC zone, to prove times round-trip exactly.
var baseTime = time.Date(2026, 11, 25, 9, 30, 15, 123456789, portal.VietnamTime)

func newDossier(owner string, at time.Time) *portal.Dossier {
	return &portal.Dossier{
		ID: portal.NewID("d"), ProcedureCode: "1.001234", OwnerID: owner, Status: portal.StatusDraft,
		Form:          map[string]string{"full_name": "Nguyễn Thị Ánh", "note": "Xin cảm ơn 🙏🇻🇳", "empty": ""},
		Fee:           50000,
		PaymentStatus: portal.PaymentUnpaid, Online: true, CreatedAt: at, UpdatedAt: at,
	}
}

// inUTC returns a copy of d with every time in UTC, so that dossiers equal in
// time compare equal with reflect.DeepEqual.
func inUTC(d *portal.Dossier) *portal.Dossier {
	c := *d
	utc := func(p *time.Time) *time.Time {
		if p == nil {
			return nil
		}
		u := p.UTC()
		return &u
	}
	c.CreatedAt, c.UpdatedAt = d.CreatedAt.UTC(), d.UpdatedAt.UTC()
	c.SubmittedAt, c.ReceivedAt, c.AppointmentAt = utc(d.SubmittedAt), utc(d.ReceivedAt), utc(d.AppointmentAt)
	c.DecidedAt, c.ResultAt, c.CompletedAt = utc(d.DecidedAt), utc(d.ResultAt), utc(d.CompletedAt)
	c.History = nil
	for _, h := range d.History {
		h.At = h.At.UTC()
		c.History = append(c.History, h)
	}
	c.Attachments = nil
	for _, a := range d.Attachments {
		a.UploadedAt = a.UploadedAt.UTC()
		c.Attachments = append(c.Attachments, a)
	}
	return &c
}

func assertSameDossier(t *testing.T, want, got *portal.Dossier) {
	t.Helper()
	if w, g := inUTC(want), inUTC(got); !reflect.DeepEqual(w, g) {
		t.Errorf("dossier differs\nwant %+v\n got %+v", w, g)
	}
}

func assertCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := portal.ErrorCode(err); got != code {
		t.Fatalf("error %v has code %q, want %q", err, got, code)
	}
}

func TestDossierRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	d := newDossier("001099000001", baseTime)
	d.GroupID = "g_birth"
	if err := db.CreateDossier(ctx, d, "H01.31"); err != nil {
		t.Fatal(err)
	}
	if want := "H01.31-261125-0001"; d.Code != want {
		t.Errorf("code %q, want %q", d.Code, want)
	}
	if d.Version != 1 {
		t.Errorf("version %d after create, want 1", d.Version)
	}

	submitted := baseTime.Add(time.Hour)
	appointment := time.Date(2026, 11, 30, 17, 0, 0, 0, portal.VietnamTime)
	updated, err := db.UpdateDossier(ctx, d.ID, func(d *portal.Dossier) error {
		if err := d.Transition(portal.StatusSubmitted, d.OwnerID, portal.RoleCitizen, "nộp hồ sơ", submitted); err != nil {
			return err
		}
		d.AppointmentAt = &appointment
		d.Form["address"] = "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.Version != 2 || len(updated.History) != 1 || updated.Status != portal.StatusSubmitted {
		t.Fatalf("after update: version %d, %d history entries, status %s", updated.Version, len(updated.History), updated.Status)
	}
	decided := baseTime.Add(48 * time.Hour)
	updated, err = db.UpdateDossier(ctx, d.ID, func(d *portal.Dossier) error {
		for _, to := range []portal.Status{portal.StatusReceived, portal.StatusProcessing, portal.StatusApproved} {
			if err := d.Transition(to, "001085000001", portal.RoleOfficer, "", decided); err != nil {
				return err
			}
		}
		d.AssigneeID = "001085000001"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.OnTime == nil || !*updated.OnTime {
		t.Fatalf("on time %v, want true", updated.OnTime)
	}

	byID, err := db.Dossier(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertSameDossier(t, updated, byID)
	byCode, err := db.DossierByCode(ctx, d.Code)
	if err != nil {
		t.Fatal(err)
	}
	assertSameDossier(t, updated, byCode)
	if got := byID.Form["note"]; got != "Xin cảm ơn 🙏🇻🇳" {
		t.Errorf("form note %q", got)
	}
	if !byID.SubmittedAt.Equal(submitted) || !byID.History[0].At.Equal(submitted) {
		t.Errorf("submitted at %v / history at %v, want %v", byID.SubmittedAt, byID.History[0].At, submitted)
	}
	for i, h := range byID.History {
		if h.Seq != i+1 {
			t.Errorf("history[%d].Seq = %d", i, h.Seq)
		}
	}

	_, err = db.Dossier(ctx, "d_missing")
	assertCode(t, err, portal.ENOTFOUND)
	_, err = db.DossierByCode(ctx, "H01.31-261125-9999")
	assertCode(t, err, portal.ENOTFOUND)
}

func TestCreateDossierDuplicateID(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	d := newDossier("001099000001", baseTime)
	if err := db.CreateDossier(ctx, d, "A"); err != nil {
		t.Fatal(err)
	}
	again := newDossier("001099000001", baseTime)
	again.ID = d.ID
	assertCode(t, db.CreateDossier(ctx, again, "A"), portal.ECONFLICT)
	if again.Code != "" {
		t.Errorf("failed create left code %q", again.Code)
	}
}

func TestCodesSequentialPerAgencyPerDay(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	const n = 50
	codes := make([]string, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			d := newDossier(fmt.Sprintf("0010990%05d", i), baseTime.Add(time.Duration(i)*time.Second))
			if err := db.CreateDossier(ctx, d, "G12.34"); err != nil {
				errs <- err
				return
			}
			codes[i] = d.Code
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	slices.Sort(codes)
	for i, c := range codes {
		if want := fmt.Sprintf("G12.34-261125-%04d", i+1); c != want {
			t.Fatalf("codes[%d] = %q, want %q (all: %v)", i, c, want, codes)
		}
	}

	// Another agency, and the next day in Vietnam (17:00 UTC is midnight ICT), start again at 0001.
	tests := []struct {
		agency string
		at     time.Time
		want   string
	}{
		{"X99", baseTime, "X99-261125-0001"},
		{"X99", baseTime, "X99-261125-0002"},
		{"G12.34", time.Date(2026, 11, 25, 16, 59, 59, 0, time.UTC), "G12.34-261125-0051"},
		{"G12.34", time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC), "G12.34-261126-0001"},
	}
	for _, tt := range tests {
		d := newDossier("001099000001", tt.at)
		if err := db.CreateDossier(ctx, d, tt.agency); err != nil {
			t.Fatal(err)
		}
		if d.Code != tt.want {
			t.Errorf("%s at %v: code %q, want %q", tt.agency, tt.at, d.Code, tt.want)
		}
	}
}

func TestUpdateDossierFnErrorRollsBack(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	d := newDossier("001099000001", baseTime)
	if err := db.CreateDossier(ctx, d, "A"); err != nil {
		t.Fatal(err)
	}
	before, err := db.Dossier(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	refusal := portal.Errorf(portal.ECONFLICT, "not now")
	_, err = db.UpdateDossier(ctx, d.ID, func(d *portal.Dossier) error {
		if err := d.Transition(portal.StatusSubmitted, d.OwnerID, portal.RoleCitizen, "", baseTime); err != nil {
			return err
		}
		d.Form["full_name"] = "changed"
		return refusal
	})
	if err != refusal { //nolint:errorlint // the very same error must come back
		t.Fatalf("got error %v, want the fn's error unchanged", err)
	}
	after, err := db.Dossier(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertSameDossier(t, before, after)

	// A lifecycle refusal from portal itself is returned as is too.
	_, err = db.UpdateDossier(ctx, d.ID, func(d *portal.Dossier) error {
		return d.Transition(portal.StatusApproved, "x", portal.RoleCitizen, "", baseTime)
	})
	assertCode(t, err, portal.ECONFLICT)
}

func TestUpdateDossierNotFound(t *testing.T) {
	db := openTest(t, Options{})
	called := false
	_, err := db.UpdateDossier(context.Background(), "d_nope", func(*portal.Dossier) error { called = true; return nil })
	assertCode(t, err, portal.ENOTFOUND)
	if called {
		t.Error("fn called for a missing dossier")
	}
}

func TestUpdateDossierRefusesHistoryRewrite(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	d := newDossier("001099000001", baseTime)
	if err := db.CreateDossier(ctx, d, "A"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateDossier(ctx, d.ID, func(d *portal.Dossier) error {
		return d.Transition(portal.StatusSubmitted, d.OwnerID, portal.RoleCitizen, "", baseTime)
	}); err != nil {
		t.Fatal(err)
	}
	_, err := db.UpdateDossier(ctx, d.ID, func(d *portal.Dossier) error { d.History = nil; return nil })
	if err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("got %v, want an append-only error", err)
	}
}

// appendNote is a transition-like change: it appends one history entry and
// counts it, as many officers touching one dossier at once would.
func appendNote(actor string) func(d *portal.Dossier) error {
	return func(d *portal.Dossier) error {
		d.History = append(d.History, portal.Transition{
			Seq: len(d.History) + 1, At: baseTime, ActorID: actor, ActorRole: portal.RoleOfficer,
			From: d.Status, To: d.Status, Note: "ghi chú",
		})
		d.Supplements++
		return nil
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{ReadConns: 8})
	d := newDossier("001099000001", baseTime)
	if err := db.CreateDossier(ctx, d, "A"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateDossier(ctx, d.ID, func(d *portal.Dossier) error {
		return d.Transition(portal.StatusSubmitted, d.OwnerID, portal.RoleCitizen, "", baseTime)
	}); err != nil {
		t.Fatal(err)
	}
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			if _, err := db.UpdateDossier(ctx, d.ID, appendNote(fmt.Sprintf("officer-%d", i))); err != nil {
				errs <- err
			}
		})
		wg.Go(func() { // readers alongside the writers see committed, consistent snapshots
			got, err := db.Dossier(ctx, d.ID)
			if err != nil {
				errs <- err
				return
			}
			if len(got.History) != got.Supplements+1 {
				errs <- fmt.Errorf("inconsistent read: %d history entries, %d notes", len(got.History), got.Supplements)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := db.Dossier(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != n+1 || got.Supplements != n || got.Version != n+2 {
		t.Fatalf("history %d (want %d), notes %d (want %d), version %d (want %d)",
			len(got.History), n+1, got.Supplements, n, got.Version, n+2)
	}
	actors := map[string]bool{}
	for i, h := range got.History {
		if h.Seq != i+1 {
			t.Fatalf("history[%d].Seq = %d", i, h.Seq)
		}
		actors[h.ActorID] = true
	}
	if len(actors) != n+1 {
		t.Errorf("%d distinct actors, want %d", len(actors), n+1)
	}
}

func TestDossiersFilterOrderPage(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	// Five dossiers created a minute apart: 0,1 by alice; 2,3,4 by bob.
	// 1 and 3 submitted (3 before 1); 4 submitted and assigned to officer.
	ids := make([]string, 5)
	for i := range ids {
		owner := "alice"
		if i >= 2 {
			owner = "bob"
		}
		d := newDossier(owner, baseTime.Add(time.Duration(i)*time.Minute))
		if i == 4 {
			d.ProcedureCode = "2.000001"
		}
		if err := db.CreateDossier(ctx, d, "A"); err != nil {
			t.Fatal(err)
		}
		ids[i] = d.ID
	}
	submit := func(i int, at time.Time, assignee string) {
		t.Helper()
		if _, err := db.UpdateDossier(ctx, ids[i], func(d *portal.Dossier) error {
			d.AssigneeID = assignee
			return d.Transition(portal.StatusSubmitted, d.OwnerID, portal.RoleCitizen, "", at)
		}); err != nil {
			t.Fatal(err)
		}
	}
	submit(1, baseTime.Add(time.Hour), "")
	submit(3, baseTime.Add(30*time.Minute), "")
	submit(4, baseTime.Add(2*time.Hour), "officer")

	tests := []struct {
		name      string
		filter    portal.DossierFilter
		want      []int
		wantTotal int
	}{
		{"all newest first", portal.DossierFilter{}, []int{4, 3, 2, 1, 0}, 5},
		{"owner", portal.DossierFilter{OwnerID: "alice"}, []int{1, 0}, 2},
		{"status queue oldest submitted first", portal.DossierFilter{Statuses: []portal.Status{portal.StatusSubmitted}, OldestFirst: true}, []int{3, 1, 4}, 3},
		{"several statuses", portal.DossierFilter{Statuses: []portal.Status{portal.StatusSubmitted, portal.StatusDraft}, OwnerID: "bob"}, []int{4, 3, 2}, 3},
		{"procedure", portal.DossierFilter{ProcedureCode: "2.000001"}, []int{4}, 1},
		{"assignee", portal.DossierFilter{AssigneeID: "officer"}, []int{4}, 1},
		{"page 2 of 2", portal.DossierFilter{Offset: 2, Limit: 2}, []int{2, 1}, 5},
		{"past the end", portal.DossierFilter{Offset: 10, Limit: 2}, nil, 5},
		{"no match", portal.DossierFilter{OwnerID: "carol"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := db.Dossiers(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			var gotIdx []int
			for _, d := range got {
				gotIdx = append(gotIdx, slices.Index(ids, d.ID))
				if d.History != nil {
					t.Errorf("list returned history for %s", d.ID)
				}
			}
			if !slices.Equal(gotIdx, tt.want) || total != tt.wantTotal {
				t.Errorf("got %v total %d, want %v total %d", gotIdx, total, tt.want, tt.wantTotal)
			}
		})
	}
	_, _, err := db.Dossiers(ctx, portal.DossierFilter{Limit: -1})
	assertCode(t, err, portal.EINVALID)

	counts, err := db.CountByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[portal.StatusDraft] != 2 || counts[portal.StatusSubmitted] != 3 || counts[portal.StatusCompleted] != 0 || len(counts) != len(portal.Statuses) {
		t.Errorf("counts %v", counts)
	}
}

func TestReopenKeepsDataAndAppliesMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "dir", "portal.db") // parent created by Open
	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := newDossier("001099000001", baseTime)
	if err := db.CreateDossier(ctx, d, "A"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSession(ctx, &portal.Session{TokenHash: "h", UserID: "u", Role: portal.RoleCitizen, CreatedAt: baseTime, ExpiresAt: baseTime.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		db, err = Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var applied int
		if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&applied); err != nil {
			t.Fatal(err)
		}
		if applied != len(ms) {
			t.Errorf("%d migrations recorded, want %d", applied, len(ms))
		}
		if v, err := db.SchemaVersion(ctx); err != nil || v != ms[len(ms)-1].version {
			t.Errorf("schema version %d, %v", v, err)
		}
		got, err := db.Dossier(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertSameDossier(t, d, got)
		if _, err := db.Session(ctx, "h"); err != nil {
			t.Fatal(err)
		}
		// Codes continue after a restart.
		next := newDossier("001099000002", baseTime)
		if err := db.CreateDossier(ctx, next, "A"); err != nil {
			t.Fatal(err)
		}
		if next.Code == d.Code {
			t.Errorf("code %s reused after reopen", next.Code)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenOptions(t *testing.T) {
	tests := []struct {
		opts     Options
		wantSync int // PRAGMA synchronous: 1 NORMAL, 2 FULL
		wantErr  string
	}{
		{Options{}, 1, ""},
		{Options{Synchronous: "NORMAL"}, 1, ""},
		{Options{Synchronous: "full"}, 2, ""},
		{Options{Synchronous: "FULL", ReadConns: 1}, 2, ""},
		{Options{Synchronous: "OFF"}, 0, `synchronous "OFF" not supported`},
		{Options{Synchronous: "EXTRA"}, 0, `synchronous "EXTRA" not supported`},
		{Options{ReadConns: -1}, 0, "read conns -1"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.opts), func(t *testing.T) {
			db, err := Open(filepath.Join(t.TempDir(), "p.db"), tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			for name, pool := range map[string]interface {
				QueryRowContext(context.Context, string, ...any) *sql.Row
			}{"writer": db.writer, "reader": db.reader} {
				var sync, fk int
				var mode string
				if err := pool.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
					t.Fatal(err)
				}
				if err := pool.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
					t.Fatal(err)
				}
				if err := pool.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
					t.Fatal(err)
				}
				if sync != tt.wantSync || fk != 1 || mode != "wal" {
					t.Errorf("%s: synchronous %d (want %d), foreign_keys %d, journal_mode %s", name, sync, tt.wantSync, fk, mode)
				}
			}
			if err := db.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	if _, err := Open("", Options{}); err == nil {
		t.Error("empty path accepted")
	}
}

func TestChallengeLifecycle(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	c := &portal.Challenge{ID: "c_1", PersonalID: "001099000001", OTP: "123456", CreatedAt: baseTime, ExpiresAt: baseTime.Add(5 * time.Minute)}
	if err := db.CreateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	assertCode(t, db.CreateChallenge(ctx, c), portal.ECONFLICT)
	c.Attempts = 2
	if err := db.UpdateChallenge(ctx, c); err != nil {
		t.Fatal(err)
	}
	got, err := db.Challenge(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Attempts != 2 || got.OTP != c.OTP || got.PersonalID != c.PersonalID ||
		!got.CreatedAt.Equal(c.CreatedAt) || !got.ExpiresAt.Equal(c.ExpiresAt) {
		t.Errorf("got %+v, want %+v", got, c)
	}
	if err := db.DeleteChallenge(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	// A consumed challenge is gone for every later use: single use.
	_, err = db.Challenge(ctx, c.ID)
	assertCode(t, err, portal.ENOTFOUND)
	assertCode(t, db.DeleteChallenge(ctx, c.ID), portal.ENOTFOUND)
	assertCode(t, db.UpdateChallenge(ctx, c), portal.ENOTFOUND)
}

func TestSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	_, hash := portal.NewToken()
	s := &portal.Session{TokenHash: hash, UserID: "001085000001", Role: portal.RoleOfficer, Name: "Cán bộ 1",
		CreatedAt: baseTime, ExpiresAt: baseTime.Add(8 * time.Hour)}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	assertCode(t, db.CreateSession(ctx, s), portal.ECONFLICT)
	got, err := db.Session(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	if got.UserID != s.UserID || got.Role != s.Role || got.Name != s.Name ||
		!got.CreatedAt.Equal(s.CreatedAt) || !got.ExpiresAt.Equal(s.ExpiresAt) {
		t.Errorf("got %+v, want %+v", got, s)
	}
	if err := db.DeleteSession(ctx, hash); err != nil {
		t.Fatal(err)
	}
	_, err = db.Session(ctx, hash)
	assertCode(t, err, portal.ENOTFOUND)
	if err := db.DeleteSession(ctx, hash); err != nil {
		t.Errorf("second logout: %v", err)
	}
}

func TestAttachmentRoundTrip(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	d := newDossier("001099000001", baseTime)
	if err := db.CreateDossier(ctx, d, "A"); err != nil {
		t.Fatal(err)
	}
	content := []byte("%PDF-1.7 giấy chứng sinh \x00\xff binary")
	a := &portal.Attachment{DossierID: d.ID, Requirement: "birth_cert", FileName: "giấy chứng sinh.pdf",
		ContentType: "application/pdf", Size: 1, SHA256: "client lies", UploadedAt: baseTime}
	if err := db.AddAttachment(ctx, a, content); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if a.ID == "" || a.Size != int64(len(content)) || a.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("attachment after add: %+v", a)
	}
	gotContent, got, err := db.AttachmentContent(ctx, d.ID, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(gotContent) != string(content) {
		t.Errorf("content %q, want %q", gotContent, content)
	}
	if got.FileName != a.FileName || got.SHA256 != a.SHA256 || got.Size != a.Size || !got.UploadedAt.Equal(a.UploadedAt) {
		t.Errorf("got %+v, want %+v", got, a)
	}
	withAtt, err := db.Dossier(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(withAtt.Attachments) != 1 || withAtt.Attachments[0].ID != a.ID || withAtt.Version != 2 {
		t.Errorf("dossier attachments %+v, version %d", withAtt.Attachments, withAtt.Version)
	}
	empty := &portal.Attachment{DossierID: d.ID, Requirement: "other", FileName: "empty.txt", ContentType: "text/plain", UploadedAt: baseTime}
	if err := db.AddAttachment(ctx, empty, nil); err != nil {
		t.Fatal(err)
	}
	if c, _, err := db.AttachmentContent(ctx, d.ID, empty.ID); err != nil || len(c) != 0 {
		t.Errorf("empty attachment: %q, %v", c, err)
	}

	assertCode(t, db.AddAttachment(ctx, &portal.Attachment{DossierID: "d_missing", UploadedAt: baseTime}, content), portal.ENOTFOUND)
	_, _, err = db.AttachmentContent(ctx, d.ID, "a_missing")
	assertCode(t, err, portal.ENOTFOUND)
	_, _, err = db.AttachmentContent(ctx, "d_other", a.ID)
	assertCode(t, err, portal.ENOTFOUND)
}

func TestStoreErrorsWrapContext(t *testing.T) {
	db := openTest(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := db.CreateDossier(ctx, newDossier("x", baseTime), "A")
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "create dossier") {
		t.Fatalf("got %v, want a wrapped context.Canceled naming the operation", err)
	}
}

func TestDeleteExpired(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, Options{})
	for i, exp := range []time.Duration{-time.Minute, time.Minute} {
		c := &portal.Challenge{ID: fmt.Sprintf("c_%d", i), PersonalID: "p", OTP: "1", CreatedAt: baseTime, ExpiresAt: baseTime.Add(exp)}
		if err := db.CreateChallenge(ctx, c); err != nil {
			t.Fatal(err)
		}
		s := &portal.Session{TokenHash: fmt.Sprintf("h_%d", i), UserID: "u", Role: portal.RoleCitizen, CreatedAt: baseTime, ExpiresAt: baseTime.Add(exp)}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.DeleteExpired(ctx, baseTime)
	if err != nil || n != 2 {
		t.Fatalf("deleted %d, %v; want 2", n, err)
	}
	_, err = db.Challenge(ctx, "c_0")
	assertCode(t, err, portal.ENOTFOUND)
	_, err = db.Session(ctx, "h_0")
	assertCode(t, err, portal.ENOTFOUND)
	if _, err := db.Challenge(ctx, "c_1"); err != nil {
		t.Error(err)
	}
	if _, err := db.Session(ctx, "h_1"); err != nil {
		t.Error(err)
	}
}

// TestMigrateAppliesOnlyNew opens a database that has only the first
// migration, with data in it, and checks that Open applies the rest on top.
func TestMigrateAppliesOnlyNew(t *testing.T) {
	ctx := context.Background()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) < 2 {
		t.Skip("needs at least two migrations")
	}
	path := filepath.Join(t.TempDir(), "old.db")
	w, err := sql.Open("sqlite", dsn(path, "NORMAL"))
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	old := &DB{writer: w}
	if _, err := w.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := old.apply(ctx, ms[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ExecContext(ctx, `INSERT INTO dossiers (id, code, procedure_code, owner_id, status, created_at, updated_at)
		VALUES ('d_old', 'OLD-261125-0001', '1.0', 'o', 'draft', ?, ?)`, encTime(baseTime), encTime(baseTime)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(ctx); err != nil || v != ms[len(ms)-1].version {
		t.Fatalf("schema version %d, %v; want %d", v, err, ms[len(ms)-1].version)
	}
	var n int64
	if err := db.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != int64(len(ms)) {
		t.Errorf("%d migrations recorded, want %d", n, len(ms))
	}
	d, err := db.Dossier(ctx, "d_old")
	if err != nil {
		t.Fatal(err)
	}
	if d.Version != 1 || !d.CreatedAt.Equal(baseTime) || len(d.Form) != 0 {
		t.Errorf("old dossier after migration: %+v", d)
	}
	list, _, err := db.Dossiers(ctx, portal.DossierFilter{Statuses: []portal.Status{portal.StatusDraft}, OldestFirst: true})
	if err != nil || len(list) != 1 {
		t.Fatalf("queue after migration: %d dossiers, %v", len(list), err)
	}
}
