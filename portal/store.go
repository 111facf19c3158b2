package portal

import (
	"context"
	"time"
)

// DossierFilter selects dossiers for a list.
type DossierFilter struct {
	OwnerID       string   // only this applicant's dossiers when set
	Statuses      []Status // any of these when set
	ProcedureCode string
	AssigneeID    string
	Offset, Limit int
	OldestFirst   bool // queue order; newest first otherwise
}

// DossierStore persists dossiers. Each method is one transaction: what a
// method returned success for is durable.
type DossierStore interface {
	// CreateDossier stores a new dossier, assigning d.Code from agencyCode,
	// d.CreatedAt's date and the next sequence number for that agency and day.
	CreateDossier(ctx context.Context, d *Dossier, agencyCode string) error
	// Dossier returns a dossier with its history and attachments, or ENOTFOUND.
	Dossier(ctx context.Context, id string) (*Dossier, error)
	// DossierByCode returns a dossier by its public code, or ENOTFOUND.
	DossierByCode(ctx context.Context, code string) (*Dossier, error)
	// Dossiers returns one page of matching dossiers (without history) and the total.
	Dossiers(ctx context.Context, f DossierFilter) ([]*Dossier, int, error)
	// UpdateDossier loads a dossier, lets fn change it, and saves it with any
	// history entries fn appended, all in one transaction. If fn returns an
	// error nothing is saved and that error is returned.
	UpdateDossier(ctx context.Context, id string, fn func(d *Dossier) error) (*Dossier, error)
	// CountByStatus counts dossiers per status.
	CountByStatus(ctx context.Context) (map[Status]int, error)
}

// Session is a logged-in user's bearer token (only its hash is stored).
type Session struct {
	TokenHash string
	UserID    string
	Role      Role
	Name      string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Challenge is a pending e-ID OTP login.
type Challenge struct {
	ID         string
	PersonalID string
	OTP        string
	Attempts   int
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// AuthStore persists login challenges and sessions.
type AuthStore interface {
	CreateChallenge(ctx context.Context, c *Challenge) error
	// Challenge returns a challenge or ENOTFOUND.
	Challenge(ctx context.Context, id string) (*Challenge, error)
	// UpdateChallenge records attempts; DeleteChallenge consumes it.
	UpdateChallenge(ctx context.Context, c *Challenge) error
	DeleteChallenge(ctx context.Context, id string) error
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the session with that token hash, or ENOTFOUND.
	Session(ctx context.Context, tokenHash string) (*Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// Store is everything the portal persists.
type Store interface {
	DossierStore
	AuthStore
}
