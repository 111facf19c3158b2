package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/portalsim/portalsim/portal"
)

const dossierColumns = `id, code, procedure_code, owner_id, group_id, status, form, fee, payment_status, online,
	created_at, updated_at, submitted_at, received_at, appointment_at, decided_at, result_at, completed_at,
	on_time, assignee_id, supplements, rating, rating_note, version`

const (
	nextSeq = `INSERT INTO dossier_sequences (agency_code, day, last_seq) VALUES (?, ?, 1)
		ON CONFLICT (agency_code, day) DO UPDATE SET last_seq = last_seq + 1
		RETURNING last_seq`
	insertDossier = `INSERT INTO dossiers (` + dossierColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// updateDossier saves every column that can change and bumps version, if
	// the version is still the one loaded. id, code, owner_id, procedure_code
	// and created_at are fixed at creation and left out of SET: SQLite
	// rewrites an index whenever one of its columns is SET, even to the same
	// value, so naming them cost a submit three index writes (bench/walprobe).
	updateDossier = `UPDATE dossiers SET
		group_id = ?, status = ?, form = ?, fee = ?,
		payment_status = ?, online = ?, updated_at = ?, submitted_at = ?, received_at = ?,
		appointment_at = ?, decided_at = ?, result_at = ?, completed_at = ?, on_time = ?, assignee_id = ?,
		supplements = ?, rating = ?, rating_note = ?, version = version + 1
		WHERE id = ? AND version = ?`
	selectHistory = `SELECT seq, at, actor_id, actor_role, from_status, to_status, note
		FROM dossier_history WHERE dossier_id = ? ORDER BY seq`
	insertHistoryEntry = `INSERT INTO dossier_history
		(dossier_id, seq, at, actor_id, actor_role, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

// CreateDossier stores a new dossier, numbering its code from the agency's
// sequence for d.CreatedAt's day (Vietnam time) in the same transaction.
// It sets d.Code and d.Version (1); d.ID is generated when empty.
func (db *DB) CreateDossier(ctx context.Context, d *portal.Dossier, agencyCode string) error {
	if agencyCode == "" {
		return portal.Errorf(portal.EINVALID, "agency code is required to number a dossier")
	}
	if d.ID == "" {
		d.ID = portal.NewID("d")
	}
	form, err := encodeForm(d.Form)
	if err != nil {
		return fmt.Errorf("create dossier %s: %w", d.ID, err)
	}
	oldCode, oldVersion := d.Code, d.Version
	err = db.write(ctx, func(tx *sql.Tx) error {
		day := d.CreatedAt.In(portal.VietnamTime).Format("2006-01-02")
		var seq int
		if err := tx.StmtContext(ctx, db.w.nextSeq).QueryRowContext(ctx, agencyCode, day).Scan(&seq); err != nil {
			return fmt.Errorf("next sequence for %s on %s: %w", agencyCode, day, err)
		}
		d.Code = portal.DossierCode(agencyCode, d.CreatedAt, seq)
		d.Version = 1
		_, err := tx.StmtContext(ctx, db.w.insertDossier).ExecContext(ctx,
			d.ID, d.Code, d.ProcedureCode, d.OwnerID, d.GroupID, string(d.Status), form, d.Fee, d.PaymentStatus, d.Online,
			encTime(d.CreatedAt), encTime(d.UpdatedAt), encTimePtr(d.SubmittedAt), encTimePtr(d.ReceivedAt),
			encTimePtr(d.AppointmentAt), encTimePtr(d.DecidedAt), encTimePtr(d.ResultAt), encTimePtr(d.CompletedAt),
			encBoolPtr(d.OnTime), d.AssigneeID, d.Supplements, d.Rating, d.RatingNote, d.Version)
		if err != nil {
			return err
		}
		return insertHistory(ctx, tx, db.w, d.ID, d.History)
	})
	if err != nil {
		d.Code, d.Version = oldCode, oldVersion
		if isUniqueViolation(err) {
			return portal.Errorf(portal.ECONFLICT, "dossier %s already exists", d.ID)
		}
		return fmt.Errorf("create dossier %s: %w", d.ID, err)
	}
	return nil
}

// Dossier returns a dossier with its history and attachments, or ENOTFOUND.
func (db *DB) Dossier(ctx context.Context, id string) (*portal.Dossier, error) {
	return db.readDossier(ctx, "id", id)
}

// DossierByCode returns a dossier by its public code, or ENOTFOUND.
func (db *DB) DossierByCode(ctx context.Context, code string) (*portal.Dossier, error) {
	return db.readDossier(ctx, "code", code)
}

// readDossier loads a dossier and its children from one read snapshot.
func (db *DB) readDossier(ctx context.Context, column, value string) (*portal.Dossier, error) {
	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("read dossier %s: %w", value, err)
	}
	defer tx.Rollback()
	d, err := loadDossier(ctx, tx, db.r, column == "code", value)
	if err != nil {
		return nil, err
	}
	return d, tx.Commit()
}

// loadDossier reads a dossier by id (or by code), with history and attachments.
func loadDossier(ctx context.Context, tx *sql.Tx, st *statements, byCode bool, value string) (*portal.Dossier, error) {
	by := st.dossierByID
	if byCode {
		by = st.dossierByCode
	}
	d, err := scanDossier(tx.StmtContext(ctx, by).QueryRowContext(ctx, value))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portal.Errorf(portal.ENOTFOUND, "dossier %q not found", value)
	}
	if err != nil {
		return nil, fmt.Errorf("read dossier %s: %w", value, err)
	}
	if d.History, err = loadHistory(ctx, tx, st, d.ID); err != nil {
		return nil, fmt.Errorf("read history of dossier %s: %w", d.ID, err)
	}
	if d.Attachments, err = loadAttachments(ctx, tx, st, d.ID); err != nil {
		return nil, fmt.Errorf("read attachments of dossier %s: %w", d.ID, err)
	}
	return d, nil
}

func loadHistory(ctx context.Context, tx *sql.Tx, st *statements, id string) ([]portal.Transition, error) {
	rows, err := tx.StmtContext(ctx, st.history).QueryContext(ctx, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portal.Transition
	for rows.Next() {
		var t portal.Transition
		var at int64
		var role, from, to string
		if err := rows.Scan(&t.Seq, &at, &t.ActorID, &role, &from, &to, &t.Note); err != nil {
			return nil, err
		}
		t.At, t.ActorRole, t.From, t.To = decTime(at), portal.Role(role), portal.Status(from), portal.Status(to)
		out = append(out, t)
	}
	return out, rows.Err()
}

func insertHistory(ctx context.Context, tx *sql.Tx, st *statements, id string, ts []portal.Transition) error {
	if len(ts) == 0 {
		return nil
	}
	stmt := tx.StmtContext(ctx, st.insertHistory)
	for _, t := range ts {
		if _, err := stmt.ExecContext(ctx, id, t.Seq, encTime(t.At), t.ActorID, string(t.ActorRole),
			string(t.From), string(t.To), t.Note); err != nil {
			return fmt.Errorf("history entry %d: %w", t.Seq, err)
		}
	}
	return nil
}

// UpdateDossier loads a dossier in a write transaction, lets fn change it and
// saves the row (bumping Version) and the history entries fn appended. If fn
// returns an error, nothing is saved and that error is returned unchanged.
// fn runs while holding the only writer connection: it may read through db
// but must not call db's write methods, which would wait for it forever.
func (db *DB) UpdateDossier(ctx context.Context, id string, fn func(d *portal.Dossier) error) (*portal.Dossier, error) {
	var out *portal.Dossier
	var fnErr error
	err := db.write(ctx, func(tx *sql.Tx) error {
		d, err := loadDossier(ctx, tx, db.w, false, id)
		if err != nil {
			return err
		}
		seen, version := len(d.History), d.Version
		before := *d
		if fnErr = fn(d); fnErr != nil {
			return fnErr
		}
		if d.ID != id {
			return fmt.Errorf("dossier id changed from %s to %s", id, d.ID)
		}
		if d.Code != before.Code || d.OwnerID != before.OwnerID || d.ProcedureCode != before.ProcedureCode || !d.CreatedAt.Equal(before.CreatedAt) {
			return fmt.Errorf("dossier %s: code, owner, procedure and creation time are fixed at creation", id)
		}
		if err := db.saveLoaded(ctx, tx, d, seen, version); err != nil {
			return err
		}
		out = d
		return nil
	})
	if err != nil {
		return nil, dossierTxError(err, fnErr, "update dossier "+id)
	}
	return out, nil
}

// dossierTxError is what a write transaction around a caller's fn returns:
// fn's own error unchanged, domain errors as they are, a unique violation as
// a conflict, anything else wrapped with what was being done.
func dossierTxError(err, fnErr error, what string) error {
	switch {
	case fnErr != nil && errors.Is(err, fnErr):
		return fnErr
	case portal.ErrorCode(err) != portal.EINTERNAL:
		return err
	case isUniqueViolation(err):
		return portal.Errorf(portal.ECONFLICT, "%s: %v", what, err)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}

// Dossiers returns one page of matching dossiers, without history or
// attachments, and the number of all matches, from one read snapshot.
// Newest created first; with OldestFirst, oldest submitted (else created) first.
func (db *DB) Dossiers(ctx context.Context, f portal.DossierFilter) ([]*portal.Dossier, int, error) {
	if f.Offset < 0 || f.Limit < 0 {
		return nil, 0, portal.Errorf(portal.EINVALID, "offset %d and limit %d must not be negative", f.Offset, f.Limit)
	}
	var where []string
	var args []any
	if f.OwnerID != "" {
		where, args = append(where, "owner_id = ?"), append(args, f.OwnerID)
	}
	if len(f.Statuses) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.Statuses)), ", ")
		where = append(where, "status IN ("+marks+")")
		for _, s := range f.Statuses {
			args = append(args, string(s))
		}
	}
	if f.ProcedureCode != "" {
		where, args = append(where, "procedure_code = ?"), append(args, f.ProcedureCode)
	}
	if f.AssigneeID != "" {
		where, args = append(where, "assignee_id = ?"), append(args, f.AssigneeID)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	order := " ORDER BY created_at DESC, rowid DESC"
	if f.OldestFirst {
		order = " ORDER BY queued_at, rowid"
	}
	limit := -1 // SQLite: no limit
	if f.Limit > 0 {
		limit = f.Limit
	}

	tx, err := db.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, 0, fmt.Errorf("list dossiers: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM dossiers`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count dossiers: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+dossierColumns+` FROM dossiers`+cond+order+` LIMIT ? OFFSET ?`,
		append(args, limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list dossiers: %w", err)
	}
	defer rows.Close()
	var out []*portal.Dossier
	for rows.Next() {
		d, err := scanDossier(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list dossiers: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list dossiers: %w", err)
	}
	return out, total, tx.Commit()
}

// CountByStatus counts dossiers per status; every known status is present.
func (db *DB) CountByStatus(ctx context.Context) (map[portal.Status]int, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT status, COUNT(*) FROM dossiers GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count dossiers by status: %w", err)
	}
	defer rows.Close()
	out := make(map[portal.Status]int, len(portal.Statuses))
	for _, s := range portal.Statuses {
		out[s] = 0
	}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, fmt.Errorf("count dossiers by status: %w", err)
		}
		out[portal.Status(s)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count dossiers by status: %w", err)
	}
	return out, nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanDossier(r rowScanner) (*portal.Dossier, error) {
	var d portal.Dossier
	var status, form string
	var created, updated int64
	var submitted, received, appointment, decided, result, completed, onTime sql.NullInt64
	if err := r.Scan(&d.ID, &d.Code, &d.ProcedureCode, &d.OwnerID, &d.GroupID, &status, &form, &d.Fee,
		&d.PaymentStatus, &d.Online, &created, &updated, &submitted, &received, &appointment, &decided,
		&result, &completed, &onTime, &d.AssigneeID, &d.Supplements, &d.Rating, &d.RatingNote, &d.Version); err != nil {
		return nil, err
	}
	d.Status = portal.Status(status)
	if err := json.Unmarshal([]byte(form), &d.Form); err != nil {
		return nil, fmt.Errorf("dossier %s: decode form: %w", d.ID, err)
	}
	d.CreatedAt, d.UpdatedAt = decTime(created), decTime(updated)
	d.SubmittedAt, d.ReceivedAt, d.AppointmentAt = decTimePtr(submitted), decTimePtr(received), decTimePtr(appointment)
	d.DecidedAt, d.ResultAt, d.CompletedAt = decTimePtr(decided), decTimePtr(result), decTimePtr(completed)
	if onTime.Valid {
		b := onTime.Int64 != 0
		d.OnTime = &b
	}
	return &d, nil
}

func encodeForm(form map[string]string) (string, error) {
	if form == nil {
		return "{}", nil
	}
	b, err := json.Marshal(form)
	if err != nil {
		return "", fmt.Errorf("encode form: %w", err)
	}
	return string(b), nil
}

func encBoolPtr(b *bool) sql.NullBool {
	if b == nil {
		return sql.NullBool{}
	}
	return sql.NullBool{Bool: *b, Valid: true}
}

// write runs fn in a write transaction on the single writer connection
// (BEGIN IMMEDIATE) and commits if fn returns nil.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
