package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// AddAttachment stores a document and its content for a dossier and bumps
// the dossier's version, in one transaction. It sets a.Size and a.SHA256
// from the content (the client's claims are not trusted), generates a.ID
// when empty and defaults a.UploadedAt to the wall clock; callers on a
// simulated clock set it. Unknown dossier → ENOTFOUND.
func (db *DB) AddAttachment(ctx context.Context, a *portal.Attachment, content []byte) error {
	if a.DossierID == "" {
		return portal.Errorf(portal.EINVALID, "attachment has no dossier")
	}
	if a.ID == "" {
		a.ID = portal.NewID("a")
	}
	if a.UploadedAt.IsZero() {
		a.UploadedAt = time.Now().UTC()
	}
	sum := sha256.Sum256(content)
	a.Size, a.SHA256 = int64(len(content)), hex.EncodeToString(sum[:])
	if content == nil {
		content = []byte{} // the column is NOT NULL; an empty file is still a file
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE dossiers SET version = version + 1 WHERE id = ?`, a.DossierID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return portal.Errorf(portal.ENOTFOUND, "dossier %q not found", a.DossierID)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO attachments
			(id, dossier_id, requirement, file_name, content_type, size, sha256, uploaded_at, content)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.DossierID, a.Requirement, a.FileName, a.ContentType, a.Size, a.SHA256, encTime(a.UploadedAt), content)
		return err
	})
	switch {
	case err == nil:
		return nil
	case portal.ErrorCode(err) == portal.ENOTFOUND:
		return err
	case isUniqueViolation(err):
		return portal.Errorf(portal.ECONFLICT, "attachment %s already exists", a.ID)
	case isForeignKeyViolation(err):
		return portal.Errorf(portal.ENOTFOUND, "dossier %q not found", a.DossierID)
	default:
		return fmt.Errorf("add attachment to dossier %s: %w", a.DossierID, err)
	}
}

// AttachmentContent returns an attachment of a dossier with its content, or ENOTFOUND.
func (db *DB) AttachmentContent(ctx context.Context, dossierID, attachmentID string) ([]byte, *portal.Attachment, error) {
	var a portal.Attachment
	var uploaded int64
	var content []byte
	err := db.reader.QueryRowContext(ctx, `SELECT id, dossier_id, requirement, file_name, content_type, size, sha256,
		uploaded_at, content FROM attachments WHERE id = ? AND dossier_id = ?`, attachmentID, dossierID).Scan(
		&a.ID, &a.DossierID, &a.Requirement, &a.FileName, &a.ContentType, &a.Size, &a.SHA256, &uploaded, &content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, portal.Errorf(portal.ENOTFOUND, "attachment %q of dossier %q not found", attachmentID, dossierID)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read attachment %s: %w", attachmentID, err)
	}
	a.UploadedAt = decTime(uploaded)
	return content, &a, nil
}

const selectAttachments = `SELECT id, dossier_id, requirement, file_name, content_type, size, sha256, uploaded_at
	FROM attachments WHERE dossier_id = ? ORDER BY uploaded_at, rowid`

func loadAttachments(ctx context.Context, tx *sql.Tx, st *statements, dossierID string) ([]portal.Attachment, error) {
	rows, err := tx.StmtContext(ctx, st.attachments).QueryContext(ctx, dossierID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []portal.Attachment
	for rows.Next() {
		var a portal.Attachment
		var uploaded int64
		if err := rows.Scan(&a.ID, &a.DossierID, &a.Requirement, &a.FileName, &a.ContentType, &a.Size, &a.SHA256, &uploaded); err != nil {
			return nil, err
		}
		a.UploadedAt = decTime(uploaded)
		out = append(out, a)
	}
	return out, rows.Err()
}
