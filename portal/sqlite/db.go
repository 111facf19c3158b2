// Package sqlite stores the portal's dossiers, attachments and login state in
// one SQLite database (modernc.org/sqlite, no cgo). It implements
// portal.Store with one transaction per use case.
//
// The database runs in WAL mode with two connection pools: a single writer
// connection that begins every transaction IMMEDIATE, so writers queue in Go
// instead of failing with SQLITE_BUSY on a lock upgrade, and a pool of
// readers that read committed snapshots alongside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/portalsim/portalsim/portal"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// DefaultReadConns is the size of the read pool when Options.ReadConns is 0.
const DefaultReadConns = 4

// Options tune the store.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "NORMAL" (the default;
	// committed transactions survive a process crash) or "FULL" (they also
	// survive power loss, at several times the cost per commit).
	Synchronous string
	// ReadConns is the number of read connections; DefaultReadConns when 0.
	ReadConns int
}

// DB is the portal's SQLite store. It is safe for concurrent use.
type DB struct {
	path   string
	writer *sql.DB // one connection; every write transaction is BEGIN IMMEDIATE
	reader *sql.DB // ReadConns connections for reads
	w, r   *statements
}

// statements are the hot queries, prepared once per pool: database/sql keeps
// one prepared copy per connection, so SQLite parses each query once per
// connection instead of once per call (parsing was ~40% of a dossier read).
type statements struct {
	dossierByID, dossierByCode, history, attachments *sql.Stmt
	session                                          *sql.Stmt // every authenticated request
	// Writer only.
	nextSeq, insertDossier, updateDossier, insertHistory *sql.Stmt
}

func prepare(ctx context.Context, pool *sql.DB, writes bool) (*statements, error) {
	st := &statements{}
	qs := map[**sql.Stmt]string{
		&st.dossierByID:   `SELECT ` + dossierColumns + ` FROM dossiers WHERE id = ?`,
		&st.dossierByCode: `SELECT ` + dossierColumns + ` FROM dossiers WHERE code = ?`,
		&st.history:       selectHistory,
		&st.attachments:   selectAttachments,
		&st.session:       selectSession,
	}
	if writes {
		qs[&st.nextSeq] = nextSeq
		qs[&st.insertDossier] = insertDossier
		qs[&st.updateDossier] = updateDossier
		qs[&st.insertHistory] = insertHistoryEntry
	}
	for dst, q := range qs {
		s, err := pool.PrepareContext(ctx, q)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("prepare %q: %w", strings.Join(strings.Fields(q), " "), err)
		}
		*dst = s
	}
	return st, nil
}

func (st *statements) close() {
	for _, s := range []*sql.Stmt{st.dossierByID, st.dossierByCode, st.history, st.attachments, st.session,
		st.nextSeq, st.insertDossier, st.updateDossier, st.insertHistory} {
		if s != nil {
			s.Close()
		}
	}
}

var _ portal.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path, creating its parent
// directory if missing, and applies any migrations not yet applied.
func Open(path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("open sqlite store: empty database path")
	}
	sync := strings.ToUpper(strings.TrimSpace(opts.Synchronous))
	switch sync {
	case "":
		sync = "NORMAL"
	case "NORMAL", "FULL":
	default:
		return nil, fmt.Errorf("open sqlite store: synchronous %q not supported: use NORMAL or FULL", opts.Synchronous)
	}
	if opts.ReadConns < 0 {
		return nil, fmt.Errorf("open sqlite store: read conns %d must not be negative", opts.ReadConns)
	}
	readConns := opts.ReadConns
	if readConns == 0 {
		readConns = DefaultReadConns
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("open sqlite store: create directory: %w", err)
		}
	}

	base := dsn(path, sync)
	writer, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	db := &DB{path: path, writer: writer}
	// Migrate through the writer first: it also switches the file to WAL
	// before any reader opens it.
	if err := db.migrate(context.Background()); err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	reader, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	reader.SetMaxOpenConns(readConns)
	reader.SetMaxIdleConns(readConns)
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)
	db.reader = reader
	if db.w, err = prepare(context.Background(), writer, true); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	if db.r, err = prepare(context.Background(), reader, false); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	if err := db.Ping(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	return db, nil
}

func dsn(path, synchronous string) string {
	u := url.URL{Scheme: "file", Opaque: path}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous("+synchronous+")")
	u.RawQuery = q.Encode()
	return u.String()
}

// Path returns the database file's path.
func (db *DB) Path() string { return db.path }

// Ping checks that both pools can reach the database.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite writer: %w", err)
	}
	if db.reader != nil {
		var one int
		if err := db.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
			return fmt.Errorf("ping sqlite reader: %w", err)
		}
	}
	return nil
}

// Close closes both pools; the WAL is checkpointed when the last connection closes.
func (db *DB) Close() error {
	var errs []error
	for _, st := range []*statements{db.w, db.r} {
		if st != nil {
			st.close()
		}
	}
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	errs = append(errs, db.writer.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close sqlite store: %w", err)
	}
	return nil
}

// migration is one numbered schema change from migrations/NNN_name.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, n := range names {
		base := filepath.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and an underscore", base)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s have the same number %d", prev, base, v)
		}
		seen[v] = base
		body, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies, in order and each in its own transaction, the embedded
// migrations not yet recorded in schema_migrations.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	if _, err := db.writer.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range ms {
		if err := db.apply(ctx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

func (db *DB) apply(ctx context.Context, m migration) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixNano()); err != nil {
		return err
	}
	return tx.Commit()
}

// SchemaVersion returns the highest applied migration number.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	if err := db.reader.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return int(v.Int64), nil
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isForeignKeyViolation reports whether err is a FOREIGN KEY constraint failure.
func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// Times are stored as nanoseconds since the epoch, UTC; 0 is the zero time.
func encTime(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func decTime(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func encTimePtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: encTime(*t), Valid: true}
}

func decTimePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := decTime(n.Int64)
	return &t
}
