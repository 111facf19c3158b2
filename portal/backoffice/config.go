package backoffice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/mock"
)

// Profile is how officers handle one procedure. Durations are simulated
// working time; probabilities are per dossier.
type Profile struct {
	// IntakeMean is the time to check a submitted dossier before receiving,
	// refusing or asking for a supplement.
	IntakeMean time.Duration
	// HandlingMean is the time to examine a received dossier and decide.
	// Zero means derived from the statutory processing time (DefaultHandlingMean).
	HandlingMean time.Duration
	// Sigma is the log-normal shape of both times; 0 makes them exact.
	Sigma float64
	// PIntakeRefuse: refused at intake (not within competence).
	PIntakeRefuse float64
	// PIntakeSupplement: a supplement asked at intake.
	PIntakeSupplement float64
	// PSupplement: a supplement asked during processing (only if none was asked before).
	PSupplement float64
	// PReject: rejected after processing.
	PReject float64
}

// DefaultProfile is used for every procedure without its own profile.
func DefaultProfile() Profile {
	return Profile{
		IntakeMean: 10 * time.Minute, Sigma: 0.5,
		PIntakeRefuse: 0.01, PIntakeSupplement: 0.05, PSupplement: 0.05, PReject: 0.03,
	}
}

// DefaultHandlingMean derives an officer's examination time from the
// statutory processing time: 20 minutes plus 20 per working day allowed,
// at most 4 hours. Same-day procedures are quick checks; 15-day permits
// take an afternoon.
func DefaultHandlingMean(p *portal.Procedure) time.Duration {
	d := 20*time.Minute + time.Duration(p.ProcessingDays)*20*time.Minute
	return min(d, 4*time.Hour)
}

// ResultSigner signs e-results; *mock.Signer implements it.
type ResultSigner interface {
	SignContext(ctx context.Context, doc mock.ResultDocument) (mock.SignedResult, error)
}

// CitizenConfig turns on simulated citizens who answer supplement requests
// by themselves, for demos and background load. The load-test harness
// answers them in its journeys instead, so this is off by default.
type CitizenConfig struct {
	// Delay after the request (simulated time, any hour) before the citizen answers.
	Delay time.Duration
}

// Config is the back office. Start from DefaultConfig.
type Config struct {
	Officers int
	// OfficerIDPrefix names the simulated officers: prefix-01, prefix-02, ...
	// They must not collide with human officer accounts.
	OfficerIDPrefix string
	Profile         Profile
	Procedures      map[string]Profile // by procedure code; replaces Profile entirely
	// PollInterval is how long (simulated) an idle officer waits before
	// looking at the queue again, unless woken by Pool.Wake.
	PollInterval time.Duration
	// MinRealPoll is a floor on that wait in real time, so that a fast clock
	// does not turn idle officers into a busy loop on the store. Negative
	// disables the floor and the rescan throttle (step-by-step tests).
	MinRealPoll time.Duration
	// ScanLimit caps how many queued dossiers one queue scan looks at.
	ScanLimit int
	// CompleteOnIssue completes a dossier as soon as its e-result is issued:
	// a full-process e-result is delivered into the citizen's e-data store at
	// once. When false the dossier stays result_issued until the download
	// handler completes it.
	CompleteOnIssue bool
	// Signer signs e-results; nil issues results without a signature check.
	Signer ResultSigner
	// Issue, if set, issues the e-result of an approved dossier instead of
	// the pool's own signing: the portal's result service, which signs and
	// stores the document (portal.ResultService.Issue as RoleSystem). It
	// must leave the dossier approved on EUNAVAILABLE (signer down).
	Issue func(ctx context.Context, dossierID string) (*portal.Dossier, error)
	// Citizen, if set, answers supplement requests automatically.
	Citizen *CitizenConfig
	// Sleep waits in simulated time; nil means RealSleeper(service clock).
	Sleep  Sleeper
	Seed   uint64
	Logger *slog.Logger
}

// DefaultConfig returns four officers with DefaultProfile, polling every
// five simulated minutes (at least 100 ms real), completing at issue.
func DefaultConfig() Config {
	return Config{
		Officers: 4, OfficerIDPrefix: "sim-officer", Profile: DefaultProfile(),
		PollInterval: 5 * time.Minute, MinRealPoll: 100 * time.Millisecond,
		ScanLimit: 1000, CompleteOnIssue: true, Seed: 1,
	}
}

// Validate returns every problem with the configuration at once.
func (c *Config) Validate() error {
	var errs []error
	if c.Officers < 0 {
		errs = append(errs, fmt.Errorf("officers: %d, must be 0 or more", c.Officers))
	}
	if c.OfficerIDPrefix == "" {
		errs = append(errs, errors.New("officer_id_prefix: must not be empty"))
	}
	if c.PollInterval <= 0 {
		errs = append(errs, fmt.Errorf("poll_interval: %s, must be positive", c.PollInterval))
	}
	if c.ScanLimit <= 0 {
		errs = append(errs, fmt.Errorf("scan_limit: %d, must be positive", c.ScanLimit))
	}
	if c.Citizen != nil && c.Citizen.Delay < 0 {
		errs = append(errs, fmt.Errorf("citizen.delay: %s, must not be negative", c.Citizen.Delay))
	}
	errs = append(errs, c.Profile.validate("profile")...)
	for code, p := range c.Procedures {
		errs = append(errs, p.validate("procedures["+code+"]")...)
	}
	return errors.Join(errs...)
}

func (p Profile) validate(where string) []error {
	var errs []error
	for _, f := range []struct {
		name string
		v    float64
	}{{"p_intake_refuse", p.PIntakeRefuse}, {"p_intake_supplement", p.PIntakeSupplement},
		{"p_supplement", p.PSupplement}, {"p_reject", p.PReject}} {
		if f.v < 0 || f.v > 1 {
			errs = append(errs, fmt.Errorf("%s.%s: %g, must be between 0 and 1", where, f.name, f.v))
		}
	}
	if s := p.PIntakeRefuse + p.PIntakeSupplement; s > 1 {
		errs = append(errs, fmt.Errorf("%s: p_intake_refuse + p_intake_supplement = %g, must be at most 1", where, s))
	}
	if p.IntakeMean < 0 || p.HandlingMean < 0 {
		errs = append(errs, fmt.Errorf("%s: intake and handling means must not be negative", where))
	}
	if p.Sigma < 0 || p.Sigma > 3 {
		errs = append(errs, fmt.Errorf("%s.sigma: %g, must be between 0 and 3", where, p.Sigma))
	}
	return errs
}
