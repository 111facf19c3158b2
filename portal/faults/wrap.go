package faults

import (
	"context"

	"github.com/portalsim/portalsim/portal"
)

// WrapPopulation returns a population database that suffers the Population fault.
func WrapPopulation(p portal.Population, inj *Injector) portal.Population {
	return &population{next: p, inj: inj}
}

type population struct {
	next portal.Population
	inj  *Injector
}

func (p *population) Person(ctx context.Context, personalID string) (*portal.Person, error) {
	if err := p.inj.Apply(ctx, Population); err != nil {
		return nil, err
	}
	return p.next.Person(ctx, personalID)
}

// WrapStore returns a store every method of which suffers the Database fault.
func WrapStore(s portal.Store, inj *Injector) portal.Store {
	return &store{next: s, inj: inj}
}

type store struct {
	next portal.Store
	inj  *Injector
}

func (s *store) CreateDossier(ctx context.Context, d *portal.Dossier, agencyCode string) error {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return err
	}
	return s.next.CreateDossier(ctx, d, agencyCode)
}

func (s *store) Dossier(ctx context.Context, id string) (*portal.Dossier, error) {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return nil, err
	}
	return s.next.Dossier(ctx, id)
}

func (s *store) DossierByCode(ctx context.Context, code string) (*portal.Dossier, error) {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return nil, err
	}
	return s.next.DossierByCode(ctx, code)
}

func (s *store) Dossiers(ctx context.Context, f portal.DossierFilter) ([]*portal.Dossier, int, error) {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return nil, 0, err
	}
	return s.next.Dossiers(ctx, f)
}

func (s *store) UpdateDossier(ctx context.Context, id string, fn func(d *portal.Dossier) error) (*portal.Dossier, error) {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return nil, err
	}
	return s.next.UpdateDossier(ctx, id, fn)
}

func (s *store) CountByStatus(ctx context.Context) (map[portal.Status]int, error) {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return nil, err
	}
	return s.next.CountByStatus(ctx)
}

func (s *store) CreateChallenge(ctx context.Context, c *portal.Challenge) error {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return err
	}
	return s.next.CreateChallenge(ctx, c)
}

func (s *store) Challenge(ctx context.Context, id string) (*portal.Challenge, error) {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return nil, err
	}
	return s.next.Challenge(ctx, id)
}

func (s *store) UpdateChallenge(ctx context.Context, c *portal.Challenge) error {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return err
	}
	return s.next.UpdateChallenge(ctx, c)
}

func (s *store) DeleteChallenge(ctx context.Context, id string) error {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return err
	}
	return s.next.DeleteChallenge(ctx, id)
}

func (s *store) CreateSession(ctx context.Context, sess *portal.Session) error {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return err
	}
	return s.next.CreateSession(ctx, sess)
}

func (s *store) Session(ctx context.Context, tokenHash string) (*portal.Session, error) {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return nil, err
	}
	return s.next.Session(ctx, tokenHash)
}

func (s *store) DeleteSession(ctx context.Context, tokenHash string) error {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return err
	}
	return s.next.DeleteSession(ctx, tokenHash)
}

// WrapPaymentStore returns a payment store that suffers the Database fault.
func WrapPaymentStore(s portal.PaymentStore, inj *Injector) portal.PaymentStore {
	return &paymentStore{next: s, inj: inj}
}

type paymentStore struct {
	next portal.PaymentStore
	inj  *Injector
}

func (s *paymentStore) CreatePayment(ctx context.Context, p *portal.Payment, check func(d *portal.Dossier) error) error {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return err
	}
	return s.next.CreatePayment(ctx, p, check)
}

func (s *paymentStore) Payment(ctx context.Context, id string) (*portal.Payment, error) {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return nil, err
	}
	return s.next.Payment(ctx, id)
}

func (s *paymentStore) ApplyPaymentNotification(ctx context.Context, n *portal.PaymentNotification, decide func(p *portal.Payment, d *portal.Dossier) error) (*portal.Payment, bool, error) {
	if err := s.inj.Apply(ctx, Database); err != nil {
		return nil, false, err
	}
	return s.next.ApplyPaymentNotification(ctx, n, decide)
}
