package app

import (
	"context"
	"fmt"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/backoffice"
)

// The simulated clock and the back office.
//
// Time: with Config.Speed > 1 (or a SimStart), the dossier service, the back
// office and the indicators run on an accelerated clock that starts at
// SimStart — by default the next working-day morning 08:00 ICT — so a run
// begins in office hours and a working day passes in seconds. Logins and
// sessions stay on the wall clock: a token's 8-hour lifetime and an OTP's
// 5 minutes protect real people at a real keyboard, and at speed 14,400
// simulated expiry would end a session 2 real seconds after login. Fault
// windows and payment-notification freshness are wall-clock too.

// SimulationStart returns the first working-day 08:00 (Vietnam time) at or
// after now: today's if now is before 08:00 on a working day, else the next
// working day's.
func SimulationStart(now time.Time, cal *portal.Calendar) time.Time {
	t := now.In(portal.VietnamTime)
	day := time.Date(t.Year(), t.Month(), t.Day(), 8, 0, 0, 0, portal.VietnamTime)
	if !t.Before(day) {
		day = day.AddDate(0, 0, 1)
	}
	for i := 0; i < 60 && !cal.IsWorkingDay(day); i++ {
		day = day.AddDate(0, 0, 1)
	}
	return day
}

// simulationClock is the clock of the dossier lifecycle: accelerated when
// the configuration asks for simulated time, the wall clock otherwise.
func simulationClock(cfg Config, cal *portal.Calendar) portal.Clock {
	if cfg.Speed <= 1 && cfg.SimStart.IsZero() {
		return portal.SystemClock{}
	}
	start := cfg.SimStart
	if start.IsZero() {
		start = SimulationStart(time.Now(), cal)
	}
	return portal.NewAcceleratedClock(start, max(cfg.Speed, 1))
}

// newBackOffice builds the simulated officers' pool. It is built even with
// no officers: the officer API's approve route issues results through it.
// issue is the portal's result service (it signs and stores the e-result).
func newBackOffice(cfg Config, svc *portal.DossierService,
	issue func(ctx context.Context, id string) (*portal.Dossier, error)) (*backoffice.Pool, error) {
	bcfg := backoffice.DefaultConfig()
	if cfg.BackOffice != nil {
		bcfg = *cfg.BackOffice
	}
	bcfg.Officers = cfg.Officers
	if bcfg.Logger == nil {
		bcfg.Logger = cfg.Logger
	}
	bcfg.Issue = issue
	pool, err := backoffice.New(svc, bcfg)
	if err != nil {
		return nil, fmt.Errorf("back office: %w", err)
	}
	return pool, nil
}

// issueResult issues the e-result of a dossier an officer just approved
// (the officer API's approve route), as the back office would.
func (a *App) issueResult(ctx context.Context, dossierID string) (*portal.Dossier, error) {
	return a.BackOffice.IssueResult(ctx, dossierID)
}

// systemPrincipal is the portal itself, which issues e-results.
func systemPrincipal() portal.Principal {
	return portal.Principal{UserID: "system", Role: portal.RoleSystem, Name: "Cổng Dịch vụ công"}
}
