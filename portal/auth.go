package portal

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// Principal is who is making a request.
type Principal struct {
	UserID string // personal ID of a citizen, or an officer/admin account ID
	Role   Role
	Name   string
}

// Auth config defaults.
const (
	DefaultSessionTTL   = 8 * time.Hour
	DefaultChallengeTTL = 5 * time.Minute
	MaxOTPAttempts      = 5
)

// AuthService is the mock national e-ID login: personal ID + one-time code,
// then a bearer session.
type AuthService struct {
	Store      AuthStore
	Clock      Clock
	SessionTTL time.Duration
	// OTPSecret makes OTPs deterministic per challenge, so a simulator can
	// hand them to load scripts (dev_otp) without a phone.
	OTPSecret []byte
	// Officers and Admins map personal IDs to display names; everyone else
	// with a valid personal ID logs in as a citizen.
	Officers map[string]string
	Admins   map[string]string
	// Population, if set, must know a citizen for them to log in.
	Population Population
}

// StartLogin checks the personal ID and creates an OTP challenge.
func (a *AuthService) StartLogin(ctx context.Context, personalID string) (*Challenge, error) {
	pid, err := ParsePersonalID(personalID)
	if err != nil {
		return nil, err
	}
	now := a.Clock.Now()
	if err := pid.ValidateBirthYear(now.Year()); err != nil {
		return nil, err
	}
	if a.role(personalID) == RoleCitizen && a.Population != nil {
		if _, err := a.Population.Person(ctx, personalID); err != nil {
			if ErrorCode(err) == ENOTFOUND {
				return nil, Errorf(ENOTFOUND, "no citizen with personal ID %s in the population database", personalID)
			}
			return nil, fmt.Errorf("population lookup: %w", err)
		}
	}
	c := &Challenge{ID: NewID("ch"), PersonalID: personalID, CreatedAt: now, ExpiresAt: now.Add(DefaultChallengeTTL)}
	c.OTP = a.otp(c.ID)
	if err := a.Store.CreateChallenge(ctx, c); err != nil {
		return nil, fmt.Errorf("create challenge: %w", err)
	}
	return c, nil
}

// Login checks the OTP of a challenge and opens a session. It returns the
// bearer token (shown once) and the session.
func (a *AuthService) Login(ctx context.Context, challengeID, otp string) (string, *Session, error) {
	c, err := a.Store.Challenge(ctx, challengeID)
	if ErrorCode(err) == ENOTFOUND {
		return "", nil, Errorf(EUNAUTHORIZED, "login challenge not found or already used")
	} else if err != nil {
		return "", nil, fmt.Errorf("load challenge: %w", err)
	}
	now := a.Clock.Now()
	if now.After(c.ExpiresAt) {
		_ = a.Store.DeleteChallenge(ctx, c.ID)
		return "", nil, Errorf(EUNAUTHORIZED, "login challenge expired")
	}
	if !hmac.Equal([]byte(otp), []byte(c.OTP)) {
		c.Attempts++
		if c.Attempts >= MaxOTPAttempts {
			_ = a.Store.DeleteChallenge(ctx, c.ID)
			return "", nil, Errorf(EUNAUTHORIZED, "wrong OTP; too many attempts, start again")
		}
		if err := a.Store.UpdateChallenge(ctx, c); err != nil {
			return "", nil, fmt.Errorf("record attempt: %w", err)
		}
		return "", nil, Errorf(EUNAUTHORIZED, "wrong OTP (%d of %d attempts used)", c.Attempts, MaxOTPAttempts)
	}
	if err := a.Store.DeleteChallenge(ctx, c.ID); ErrorCode(err) == ENOTFOUND {
		// Another login with the same OTP won the race: one code, one session.
		return "", nil, Errorf(EUNAUTHORIZED, "login challenge already used")
	} else if err != nil {
		return "", nil, fmt.Errorf("consume challenge: %w", err)
	}
	ttl := a.SessionTTL
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	token, hash := NewToken()
	s := &Session{TokenHash: hash, UserID: c.PersonalID, Role: a.role(c.PersonalID), CreatedAt: now, ExpiresAt: now.Add(ttl)}
	switch s.Role {
	case RoleOfficer:
		s.Name = a.Officers[c.PersonalID]
	case RoleAdmin:
		s.Name = a.Admins[c.PersonalID]
	default:
		if a.Population != nil {
			if p, err := a.Population.Person(ctx, c.PersonalID); err == nil {
				s.Name = p.FullName
			}
		}
	}
	if err := a.Store.CreateSession(ctx, s); err != nil {
		return "", nil, fmt.Errorf("create session: %w", err)
	}
	return token, s, nil
}

// Authenticate resolves a bearer token to its principal.
func (a *AuthService) Authenticate(ctx context.Context, token string) (Principal, error) {
	if token == "" {
		return Principal{}, Errorf(EUNAUTHORIZED, "missing bearer token")
	}
	s, err := a.Store.Session(ctx, HashToken(token))
	if ErrorCode(err) == ENOTFOUND {
		return Principal{}, Errorf(EUNAUTHORIZED, "invalid or revoked token")
	} else if err != nil {
		return Principal{}, fmt.Errorf("load session: %w", err)
	}
	if a.Clock.Now().After(s.ExpiresAt) {
		return Principal{}, Errorf(EUNAUTHORIZED, "token expired")
	}
	return Principal{UserID: s.UserID, Role: s.Role, Name: s.Name}, nil
}

// Logout revokes a bearer token.
func (a *AuthService) Logout(ctx context.Context, token string) error {
	return a.Store.DeleteSession(ctx, HashToken(token))
}

func (a *AuthService) role(personalID string) Role {
	if _, ok := a.Admins[personalID]; ok {
		return RoleAdmin
	}
	if _, ok := a.Officers[personalID]; ok {
		return RoleOfficer
	}
	return RoleCitizen
}

// otp derives a 6-digit code from the challenge ID.
func (a *AuthService) otp(challengeID string) string {
	m := hmac.New(sha256.New, a.OTPSecret)
	m.Write([]byte(challengeID))
	sum := m.Sum(nil)
	return fmt.Sprintf("%06d", binary.BigEndian.Uint32(sum[:4])%1000000)
}
