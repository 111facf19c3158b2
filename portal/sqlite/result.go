package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/portalsim/portalsim/portal"
)

var _ portal.ResultStore = (*DB)(nil)

// IssueResult moves a dossier (through fn) and stores its signed result in
// one transaction (portal.ResultStore).
func (db *DB) IssueResult(ctx context.Context, dossierID string, fn func(d *portal.Dossier) (*portal.IssuedResult, error)) (*portal.Dossier, error) {
	var out *portal.Dossier
	var fnErr error
	err := db.write(ctx, func(tx *sql.Tx) error {
		d, err := loadDossier(ctx, tx, db.w, false, dossierID)
		if err != nil {
			return err
		}
		seen, version := len(d.History), d.Version
		var r *portal.IssuedResult
		if r, fnErr = fn(d); fnErr != nil {
			return fnErr
		}
		if r == nil || r.DossierID != d.ID || r.DossierCode != d.Code || len(r.Document) == 0 {
			return fmt.Errorf("result for dossier %s is missing or names another dossier", d.ID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO results (dossier_id, dossier_code, document, sha256, key_id, issued_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.DossierID, r.DossierCode, r.Document, r.SHA256, r.KeyID, encTime(r.IssuedAt)); err != nil {
			if isUniqueViolation(err) {
				return portal.Errorf(portal.ECONFLICT, "dossier %s already has a result", d.Code)
			}
			return fmt.Errorf("insert result: %w", err)
		}
		if err := db.saveLoaded(ctx, tx, d, seen, version); err != nil {
			return err
		}
		out = d
		return nil
	})
	if err != nil {
		return nil, dossierTxError(err, fnErr, "issue result of dossier "+dossierID)
	}
	return out, nil
}

// ResultByCode returns the result of the dossier with that code, or ENOTFOUND.
func (db *DB) ResultByCode(ctx context.Context, dossierCode string) (*portal.IssuedResult, error) {
	var r portal.IssuedResult
	var issued int64
	err := db.reader.QueryRowContext(ctx, `SELECT dossier_id, dossier_code, document, sha256, key_id, issued_at
		FROM results WHERE dossier_code = ?`, dossierCode).Scan(&r.DossierID, &r.DossierCode, &r.Document, &r.SHA256, &r.KeyID, &issued)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portal.Errorf(portal.ENOTFOUND, "no result issued for dossier %q", dossierCode)
	}
	if err != nil {
		return nil, fmt.Errorf("read result of dossier %s: %w", dossierCode, err)
	}
	r.IssuedAt = decTime(issued)
	return &r, nil
}
