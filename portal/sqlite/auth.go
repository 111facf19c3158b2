package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// CreateChallenge stores a pending OTP login.
func (db *DB) CreateChallenge(ctx context.Context, c *portal.Challenge) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO challenges (id, personal_id, otp, attempts, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, c.ID, c.PersonalID, c.OTP, c.Attempts, encTime(c.CreatedAt), encTime(c.ExpiresAt))
		return err
	})
	if isUniqueViolation(err) {
		return portal.Errorf(portal.ECONFLICT, "login challenge %s already exists", c.ID)
	}
	if err != nil {
		return fmt.Errorf("create challenge %s: %w", c.ID, err)
	}
	return nil
}

// Challenge returns a challenge or ENOTFOUND.
func (db *DB) Challenge(ctx context.Context, id string) (*portal.Challenge, error) {
	var c portal.Challenge
	var created, expires int64
	err := db.reader.QueryRowContext(ctx, `SELECT id, personal_id, otp, attempts, created_at, expires_at
		FROM challenges WHERE id = ?`, id).Scan(&c.ID, &c.PersonalID, &c.OTP, &c.Attempts, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portal.Errorf(portal.ENOTFOUND, "login challenge %q not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read challenge %s: %w", id, err)
	}
	c.CreatedAt, c.ExpiresAt = decTime(created), decTime(expires)
	return &c, nil
}

// UpdateChallenge records a challenge's attempts, or returns ENOTFOUND if it
// has been consumed meanwhile.
func (db *DB) UpdateChallenge(ctx context.Context, c *portal.Challenge) error {
	return db.changeOne(ctx, fmt.Sprintf("update challenge %s", c.ID),
		portal.Errorf(portal.ENOTFOUND, "login challenge %q not found", c.ID),
		`UPDATE challenges SET attempts = ? WHERE id = ?`, c.Attempts, c.ID)
}

// DeleteChallenge consumes a challenge. It returns ENOTFOUND when the
// challenge is already gone, so of two concurrent logins with the same OTP
// only one succeeds.
func (db *DB) DeleteChallenge(ctx context.Context, id string) error {
	return db.changeOne(ctx, fmt.Sprintf("delete challenge %s", id),
		portal.Errorf(portal.ENOTFOUND, "login challenge %q not found", id),
		`DELETE FROM challenges WHERE id = ?`, id)
}

// CreateSession stores a session under its token hash.
func (db *DB) CreateSession(ctx context.Context, s *portal.Session) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, role, name, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, s.TokenHash, s.UserID, string(s.Role), s.Name, encTime(s.CreatedAt), encTime(s.ExpiresAt))
		return err
	})
	if isUniqueViolation(err) {
		return portal.Errorf(portal.ECONFLICT, "session already exists")
	}
	if err != nil {
		return fmt.Errorf("create session for %s: %w", s.UserID, err)
	}
	return nil
}

const selectSession = `SELECT token_hash, user_id, role, name, created_at, expires_at
	FROM sessions WHERE token_hash = ?`

// Session returns the session with that token hash, or ENOTFOUND.
func (db *DB) Session(ctx context.Context, tokenHash string) (*portal.Session, error) {
	var s portal.Session
	var role string
	var created, expires int64
	err := db.r.session.QueryRowContext(ctx, tokenHash).Scan(&s.TokenHash, &s.UserID, &role, &s.Name, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, portal.Errorf(portal.ENOTFOUND, "session not found")
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	s.Role, s.CreatedAt, s.ExpiresAt = portal.Role(role), decTime(created), decTime(expires)
	return &s, nil
}

// DeleteSession ends a session. Ending one that is already gone is not an
// error: logging out twice leaves the same state.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpired removes the challenges and sessions that expired before now,
// so that long load runs do not grow the tables without bound, and returns
// how many it removed.
func (db *DB) DeleteExpired(ctx context.Context, now time.Time) (int, error) {
	var n int64
	err := db.write(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"challenges", "sessions"} {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at < ?`, encTime(now))
			if err != nil {
				return fmt.Errorf("%s: %w", table, err)
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete expired logins: %w", err)
	}
	return int(n), nil
}

// changeOne runs one statement that must change exactly one row; notFound is
// returned when it changes none.
func (db *DB) changeOne(ctx context.Context, what string, notFound error, query string, args ...any) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, notFound) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return err
}
