package backoffice

import (
	"context"
	"fmt"

	"github.com/portalsim/portalsim/portal"
)

// AnswerSupplements plays the simulated citizens once: every dossier whose
// supplement was requested at least Citizen.Delay ago (simulated) is
// supplemented by its owner through DossierService.Supplement, the same
// call the citizen API makes. It returns how many were answered. Without
// a Citizen configuration it does nothing.
func (p *Pool) AnswerSupplements(ctx context.Context) (int, error) {
	if p.cfg.Citizen == nil {
		return 0, nil
	}
	// Listing needs a back-office role; the answers are made as each owner.
	lister := portal.Principal{UserID: p.cfg.OfficerIDPrefix + "-citizen-desk", Role: portal.RoleOfficer}
	now := p.svc.Clock.Now()
	var due []*portal.Dossier
	for off := 0; off < p.cfg.ScanLimit; {
		limit := min(portal.MaxPerPage, p.cfg.ScanLimit-off)
		ds, total, err := p.svc.List(ctx, lister, portal.DossierFilter{
			Statuses: []portal.Status{portal.StatusSupplementRequested}, OldestFirst: true, Offset: off, Limit: limit})
		if err != nil {
			return 0, fmt.Errorf("list supplement requests: %w", err)
		}
		for _, d := range ds {
			if !d.UpdatedAt.Add(p.cfg.Citizen.Delay).After(now) {
				due = append(due, d)
			}
		}
		off += len(ds)
		if len(ds) < limit || off >= total {
			break
		}
	}
	answered := 0
	for _, d := range due {
		owner := portal.Principal{UserID: d.OwnerID, Role: portal.RoleCitizen}
		_, err := p.svc.Supplement(context.WithoutCancel(ctx), owner, d.ID, NoteCitizen)
		switch code := portal.ErrorCode(err); {
		case err == nil:
			answered++
		case code == portal.ECONFLICT || code == portal.ENOTFOUND:
			// answered or withdrawn meanwhile
		default:
			return answered, fmt.Errorf("supplement %s as its owner: %w", d.Code, err)
		}
	}
	if answered > 0 {
		p.count(func(t *totals) { t.citizenSupplements += answered })
		p.Wake()
	}
	return answered, nil
}

func (p *Pool) runCitizens(ctx context.Context) {
	for ctx.Err() == nil {
		wake := p.wakeChan()
		if _, err := p.AnswerSupplements(ctx); err != nil && ctx.Err() == nil {
			p.count(func(t *totals) { t.errors++ })
			p.log.Warn("simulated citizens failed", "err", err)
		}
		p.idle(ctx, wake)
	}
}
