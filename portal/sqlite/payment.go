package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/portalsim/portalsim/portal"
)

var _ portal.PaymentStore = (*DB)(nil)

const paymentColumns = `id, dossier_id, amount, status, provider, gateway_ref, created_at, updated_at, confirmed_at`

// CreatePayment loads the dossier, lets check enforce the rules and set the
// dossier's payment status, then inserts the payment and saves the dossier,
// all in one transaction (portal.PaymentStore).
func (db *DB) CreatePayment(ctx context.Context, p *portal.Payment, check func(d *portal.Dossier) error) error {
	var checkErr error
	err := db.write(ctx, func(tx *sql.Tx) error {
		d, err := loadDossier(ctx, tx, db.w, false, p.DossierID)
		if err != nil {
			return err
		}
		seen, version := len(d.History), d.Version
		if checkErr = check(d); checkErr != nil {
			return checkErr
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (`+paymentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.DossierID, p.Amount, p.Status, p.Provider, p.GatewayRef, encTime(p.CreatedAt), encTime(p.UpdatedAt),
			encTimePtr(p.ConfirmedAt)); err != nil {
			return fmt.Errorf("insert payment: %w", err)
		}
		return db.saveLoaded(ctx, tx, d, seen, version)
	})
	switch {
	case err == nil:
		return nil
	case checkErr != nil && errors.Is(err, checkErr):
		return checkErr
	case portal.ErrorCode(err) != portal.EINTERNAL:
		return err
	case isUniqueViolation(err):
		return portal.Errorf(portal.ECONFLICT, "payment %s already exists", p.ID)
	default:
		return fmt.Errorf("create payment for dossier %s: %w", p.DossierID, err)
	}
}

// Payment returns a payment by ID, or ENOTFOUND.
func (db *DB) Payment(ctx context.Context, id string) (*portal.Payment, error) {
	p, err := scanPayment(db.reader.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portal.Errorf(portal.ENOTFOUND, "payment %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read payment %s: %w", id, err)
	}
	return p, nil
}

// PaymentsOf returns a dossier's payments, oldest first.
func (db *DB) PaymentsOf(ctx context.Context, dossierID string) ([]*portal.Payment, error) {
	rows, err := db.reader.QueryContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE dossier_id = ? ORDER BY created_at, rowid`, dossierID)
	if err != nil {
		return nil, fmt.Errorf("list payments of dossier %s: %w", dossierID, err)
	}
	defer rows.Close()
	out := []*portal.Payment{}
	for rows.Next() {
		p, err := scanPayment(rows)
		if err != nil {
			return nil, fmt.Errorf("list payments of dossier %s: %w", dossierID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ApplyPaymentNotification applies a gateway notification at most once per
// (payment, nonce), in one transaction with the dossier's payment status
// (portal.PaymentStore). The single writer connection serialises
// concurrent deliveries; the notifications table's primary key backs it up.
func (db *DB) ApplyPaymentNotification(ctx context.Context, n *portal.PaymentNotification, decide func(p *portal.Payment, d *portal.Dossier) error) (*portal.Payment, bool, error) {
	var out *portal.Payment
	applied := false
	var decideErr error
	err := db.write(ctx, func(tx *sql.Tx) error {
		p, err := scanPayment(tx.QueryRowContext(ctx, `SELECT `+paymentColumns+` FROM payments WHERE id = ?`, n.PaymentID))
		if errors.Is(err, sql.ErrNoRows) {
			return portal.Errorf(portal.ENOTFOUND, "payment %q not found", n.PaymentID)
		} else if err != nil {
			return fmt.Errorf("read payment %s: %w", n.PaymentID, err)
		}
		var seenBefore int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM payment_notifications WHERE payment_id = ? AND nonce = ?`,
			n.PaymentID, n.Nonce).Scan(&seenBefore); err != nil {
			return fmt.Errorf("look up notification nonce: %w", err)
		}
		if seenBefore > 0 {
			out = p
			return nil
		}
		d, err := loadDossier(ctx, tx, db.w, false, p.DossierID)
		if err != nil {
			return err
		}
		seen, version := len(d.History), d.Version
		if decideErr = decide(p, d); decideErr != nil {
			return decideErr
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payments SET status = ?, gateway_ref = ?, updated_at = ?, confirmed_at = ? WHERE id = ?`,
			p.Status, p.GatewayRef, encTime(p.UpdatedAt), encTimePtr(p.ConfirmedAt), p.ID); err != nil {
			return fmt.Errorf("update payment: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_notifications (payment_id, nonce, status, applied_at) VALUES (?, ?, ?, ?)`,
			n.PaymentID, n.Nonce, n.Status, encTime(p.UpdatedAt)); err != nil {
			return fmt.Errorf("record notification nonce: %w", err)
		}
		if err := db.saveLoaded(ctx, tx, d, seen, version); err != nil {
			return err
		}
		out, applied = p, true
		return nil
	})
	switch {
	case err == nil:
		return out, applied, nil
	case decideErr != nil && errors.Is(err, decideErr):
		return nil, false, decideErr
	case portal.ErrorCode(err) != portal.EINTERNAL:
		return nil, false, err
	default:
		return nil, false, fmt.Errorf("apply notification for payment %s: %w", n.PaymentID, err)
	}
}

func scanPayment(r rowScanner) (*portal.Payment, error) {
	var p portal.Payment
	var created, updated int64
	var confirmed sql.NullInt64
	if err := r.Scan(&p.ID, &p.DossierID, &p.Amount, &p.Status, &p.Provider, &p.GatewayRef, &created, &updated, &confirmed); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt, p.ConfirmedAt = decTime(created), decTime(updated), decTimePtr(confirmed)
	return &p, nil
}

// saveLoaded saves a dossier loaded in tx at version, with the history
// entries appended after the first seen, bumping its version, as
// UpdateDossier does; for write methods that change a dossier together
// with rows of their own.
func (db *DB) saveLoaded(ctx context.Context, tx *sql.Tx, d *portal.Dossier, seen, version int) error {
	if len(d.History) < seen {
		return fmt.Errorf("history of dossier %s shortened from %d to %d entries; history is append-only", d.ID, seen, len(d.History))
	}
	form, err := encodeForm(d.Form)
	if err != nil {
		return err
	}
	res, err := tx.StmtContext(ctx, db.w.updateDossier).ExecContext(ctx,
		d.GroupID, string(d.Status), form, d.Fee,
		d.PaymentStatus, d.Online, encTime(d.UpdatedAt), encTimePtr(d.SubmittedAt),
		encTimePtr(d.ReceivedAt), encTimePtr(d.AppointmentAt), encTimePtr(d.DecidedAt), encTimePtr(d.ResultAt),
		encTimePtr(d.CompletedAt), encBoolPtr(d.OnTime), d.AssigneeID, d.Supplements, d.Rating, d.RatingNote,
		d.ID, version)
	if err != nil {
		return fmt.Errorf("save dossier %s: %w", d.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return portal.Errorf(portal.ECONFLICT, "dossier %s changed while it was being updated", d.ID)
	}
	if err := insertHistory(ctx, tx, db.w, d.ID, d.History[seen:]); err != nil {
		return err
	}
	d.Version = version + 1
	return nil
}
