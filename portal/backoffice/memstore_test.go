package backoffice

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// memStore is a DossierStore in memory, enough for the back office's tests:
// copies in and out, one lock per call so UpdateDossier is atomic.
type memStore struct {
	mu  sync.Mutex
	ds  map[string]*portal.Dossier
	seq int
}

func newMemStore() *memStore { return &memStore{ds: map[string]*portal.Dossier{}} }

func clone(d *portal.Dossier) *portal.Dossier {
	c := *d
	c.Form = maps.Clone(d.Form)
	c.History = slices.Clone(d.History)
	c.Attachments = slices.Clone(d.Attachments)
	return &c
}

func (s *memStore) CreateDossier(_ context.Context, d *portal.Dossier, agency string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	d.Code = portal.DossierCode(agency, d.CreatedAt, s.seq)
	d.Version = 1
	s.ds[d.ID] = clone(d)
	return nil
}

func (s *memStore) Dossier(_ context.Context, id string) (*portal.Dossier, error) {
	return s.find(func(d *portal.Dossier) bool { return d.ID == id }, id)
}

func (s *memStore) DossierByCode(_ context.Context, code string) (*portal.Dossier, error) {
	return s.find(func(d *portal.Dossier) bool { return d.Code == code }, code)
}

func (s *memStore) find(match func(d *portal.Dossier) bool, key string) (*portal.Dossier, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.ds {
		if match(d) {
			return clone(d), nil
		}
	}
	return nil, portal.Errorf(portal.ENOTFOUND, "dossier %q not found", key)
}

func (s *memStore) Dossiers(_ context.Context, f portal.DossierFilter) ([]*portal.Dossier, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []*portal.Dossier
	for _, d := range s.ds {
		if (f.OwnerID == "" || d.OwnerID == f.OwnerID) && (len(f.Statuses) == 0 || slices.Contains(f.Statuses, d.Status)) &&
			(f.ProcedureCode == "" || d.ProcedureCode == f.ProcedureCode) && (f.AssigneeID == "" || d.AssigneeID == f.AssigneeID) {
			c := clone(d)
			c.History = nil
			all = append(all, c)
		}
	}
	key := func(d *portal.Dossier) time.Time { return *cmp.Or(d.SubmittedAt, &d.CreatedAt) }
	slices.SortFunc(all, func(a, b *portal.Dossier) int { return cmp.Or(key(a).Compare(key(b)), strings.Compare(a.Code, b.Code)) })
	if !f.OldestFirst {
		slices.Reverse(all)
	}
	total := len(all)
	lo, hi := min(f.Offset, total), min(f.Offset+f.Limit, total)
	return all[lo:hi], total, nil
}

func (s *memStore) UpdateDossier(_ context.Context, id string, fn func(d *portal.Dossier) error) (*portal.Dossier, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.ds[id]
	if !ok {
		return nil, portal.Errorf(portal.ENOTFOUND, "dossier %q not found", id)
	}
	d := clone(cur)
	if err := fn(d); err != nil {
		return nil, err
	}
	d.Version++
	s.ds[id] = clone(d)
	return d, nil
}

func (s *memStore) CountByStatus(context.Context) (map[portal.Status]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[portal.Status]int{}
	for _, d := range s.ds {
		n[d.Status]++
	}
	return n, nil
}
