package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/backoffice"
	"github.com/portalsim/portalsim/portal/faults"
	"github.com/portalsim/portalsim/portal/ops"
	"github.com/portalsim/portalsim/portal/sqlite"
)

// DefaultRequestTimeout bounds each request unless Config.RequestTimeout says otherwise.
const DefaultRequestTimeout = 30 * time.Second

// newFaults returns the fault injector with the configured faults set
// (serve --fault). Fault windows run on the wall clock: an operator says
// "for 1m" in real time.
func newFaults(cfg Config, logger *slog.Logger) (*faults.Injector, error) {
	inj := faults.NewInjector(faults.WithLogger(logger))
	for _, f := range cfg.Faults {
		if err := inj.Set(f); err != nil {
			return nil, fmt.Errorf("fault %s: %w", f.Target, err)
		}
	}
	return inj, nil
}

// faultedStore is the store the services use: every method first suffers
// the database fault.
func faultedStore(store *sqlite.DB, inj *faults.Injector) portal.Store {
	return faults.WrapStore(store, inj)
}

// wireOperations puts the fault hooks on the citizen services'
// dependencies (signer, payment gateway, payment store), builds the back
// office on the result service, and registers the metrics.
func (a *App) wireOperations() error {
	inj := a.Faults
	a.Signer.Fail = inj.Check(faults.Signer)
	a.Payments.GatewayAvailable = inj.Check(faults.Payment)
	a.Payments.Store = faults.WrapPaymentStore(a.Payments.Store, inj)
	pool, err := newBackOffice(a.Config, a.Dossiers, func(ctx context.Context, id string) (*portal.Dossier, error) {
		return a.Results.Issue(ctx, systemPrincipal(), id)
	})
	if err != nil {
		return err
	}
	a.BackOffice = pool
	if a.Metrics, err = newMetrics(a.Logger, a.Store, inj, pool); err != nil {
		return err
	}
	a.Payments.Observe = a.Metrics.ObservePayment
	return nil
}

// newMetrics registers everything /metrics shows on the portal's own
// registry: requests and sheds (ops), active faults, dossiers by state,
// the back office's queue and utilisation (both the summary gauges and the
// pool's detailed collector).
func newMetrics(logger *slog.Logger, store *sqlite.DB, inj *faults.Injector, pool *backoffice.Pool) (*ops.Metrics, error) {
	m := ops.NewMetrics(logger)
	if err := m.Register(inj, pool); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := m.RegisterDossierStates(store.CountByStatus, time.Second); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	err := m.RegisterOfficers(
		func() float64 { return float64(pool.Stats().Waiting) },
		func() float64 { return pool.Stats().Utilisation },
	)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}

// requestTimeout is the configured per-request timeout (negative: none).
func requestTimeout(cfg Config) time.Duration {
	switch {
	case cfg.RequestTimeout == 0:
		return DefaultRequestTimeout
	case cfg.RequestTimeout < 0:
		return 0
	}
	return cfg.RequestTimeout
}
