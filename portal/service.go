package portal

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// DossierService applies the rules of the dossier lifecycle. The JSON API,
// the web UI and the simulated back office all go through it, so the rules
// live in one place.
type DossierService struct {
	Store      DossierStore
	Catalog    Catalog
	Clock      Clock
	Calendar   *Calendar
	Population Population // optional: prefills forms
}

// Limits on list pages.
const (
	DefaultPerPage = 20
	MaxPerPage     = 100
)

// CreateDraft starts a dossier for a procedure, prefilled from the
// population database; values in form override the prefill.
func (s *DossierService) CreateDraft(ctx context.Context, who Principal, procedureCode string, form map[string]string) (*Dossier, error) {
	if who.Role != RoleCitizen {
		return nil, Errorf(EFORBIDDEN, "only citizens submit dossiers")
	}
	p, ok := s.Catalog.Procedure(procedureCode)
	if !ok {
		return nil, Errorf(ENOTFOUND, "procedure %q not found", procedureCode)
	}
	if len(form) > MaxFormFields {
		return nil, Errorf(EINVALID, "form has %d fields, at most %d allowed", len(form), MaxFormFields)
	}
	filled, err := s.Prefill(ctx, who, p)
	if err != nil {
		return nil, err
	}
	for k, v := range form {
		filled[norm.NFC.String(k)] = norm.NFC.String(v)
	}
	now := s.Clock.Now()
	d := &Dossier{
		ID: NewID("d"), ProcedureCode: p.Code, OwnerID: who.UserID, Status: StatusDraft,
		Form: filled, Fee: p.OnlineFee(), Online: true, CreatedAt: now, UpdatedAt: now,
		PaymentStatus: PaymentNone,
	}
	if d.Fee > 0 {
		d.PaymentStatus = PaymentUnpaid
	}
	if err := s.Store.CreateDossier(ctx, d, agencyCode(p)); err != nil {
		return nil, fmt.Errorf("create dossier: %w", err)
	}
	return d, nil
}

// Prefill returns the form values the population database knows for the
// procedure's prefillable fields. A population outage degrades to an empty
// prefill: the citizen can still type.
func (s *DossierService) Prefill(ctx context.Context, who Principal, p *Procedure) (map[string]string, error) {
	form := map[string]string{}
	if s.Population == nil {
		return form, nil
	}
	person, err := s.Population.Person(ctx, who.UserID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND || ErrorCode(err) == EUNAVAILABLE {
			return form, nil
		}
		return nil, fmt.Errorf("prefill: %w", err)
	}
	for _, f := range p.Fields {
		if v := person.Attribute(f.Prefill); f.Prefill != "" && v != "" {
			form[f.Name] = v
		}
	}
	return form, nil
}

// UpdateDraft merges form values into a draft (or a dossier whose
// supplement was requested). An empty value removes the field.
func (s *DossierService) UpdateDraft(ctx context.Context, who Principal, id string, form map[string]string) (*Dossier, error) {
	return s.update(ctx, who, id, func(d *Dossier) error {
		if d.Status != StatusDraft && d.Status != StatusSupplementRequested {
			return Errorf(ECONFLICT, "dossier %s is %s; only drafts and dossiers awaiting a supplement can be edited", d.Code, d.Status)
		}
		if d.Form == nil {
			d.Form = map[string]string{}
		}
		for k, v := range form {
			// NFC: "ế" typed as e + two combining marks is stored as the
			// one letter, so search, comparison and display agree.
			k, v = norm.NFC.String(k), norm.NFC.String(v)
			if v == "" {
				delete(d.Form, k)
			} else {
				d.Form[k] = v
			}
		}
		if len(d.Form) > MaxFormFields {
			return Errorf(EINVALID, "form has %d fields, at most %d allowed", len(d.Form), MaxFormFields)
		}
		d.UpdatedAt = s.Clock.Now()
		return nil
	})
}

// Submit validates a draft against its procedure and submits it. Every
// problem is returned at once as field errors. The appointment date is
// computed from the submit time (online dossiers are received automatically
// on the next working day at the latest).
func (s *DossierService) Submit(ctx context.Context, who Principal, id string) (*Dossier, error) {
	return s.update(ctx, who, id, func(d *Dossier) error {
		p, ok := s.Catalog.Procedure(d.ProcedureCode)
		if !ok {
			return Errorf(ECONFLICT, "procedure %s is no longer in the catalogue", d.ProcedureCode)
		}
		now := s.Clock.Now()
		if d.Status == StatusDraft {
			if errs := s.checkComplete(p, d); len(errs) > 0 {
				return ValidationError(fmt.Sprintf("dossier has %d problems", len(errs)), errs)
			}
			if err := d.Transition(StatusSubmitted, who.UserID, who.Role, "", now); err != nil {
				return err
			}
			s.setAppointment(p, d, now)
			return nil
		}
		return Errorf(ECONFLICT, "dossier %s is %s; only drafts can be submitted (use supplement to answer a request)", d.Code, d.Status)
	})
}

// Supplement answers a supplement request: the citizen has edited the form
// or attachments, and the dossier goes back to where it was. The processing
// time restarts from the completed dossier.
func (s *DossierService) Supplement(ctx context.Context, who Principal, id, note string) (*Dossier, error) {
	return s.update(ctx, who, id, func(d *Dossier) error {
		if d.Status != StatusSupplementRequested {
			return Errorf(ECONFLICT, "dossier %s is %s; no supplement was requested", d.Code, d.Status)
		}
		p, ok := s.Catalog.Procedure(d.ProcedureCode)
		if !ok {
			return Errorf(ECONFLICT, "procedure %s is no longer in the catalogue", d.ProcedureCode)
		}
		if errs := s.checkComplete(p, d); len(errs) > 0 {
			return ValidationError(fmt.Sprintf("dossier has %d problems", len(errs)), errs)
		}
		back := StatusSubmitted
		if d.ReceivedAt != nil {
			back = StatusProcessing
		}
		now := s.Clock.Now()
		if err := d.Transition(back, who.UserID, who.Role, note, now); err != nil {
			return err
		}
		s.setAppointment(p, d, now)
		return nil
	})
}

// Withdraw withdraws a dossier on the citizen's request.
func (s *DossierService) Withdraw(ctx context.Context, who Principal, id, note string) (*Dossier, error) {
	return s.update(ctx, who, id, func(d *Dossier) error {
		return d.Transition(StatusWithdrawn, who.UserID, who.Role, note, s.Clock.Now())
	})
}

// Get returns a dossier the principal may see. Citizens see only their own:
// anyone else's is reported as not found, so existence is not revealed.
func (s *DossierService) Get(ctx context.Context, who Principal, id string) (*Dossier, error) {
	d, err := s.Store.Dossier(ctx, id)
	if err != nil {
		return nil, err
	}
	if !mayRead(who, d) {
		return nil, Errorf(ENOTFOUND, "dossier %q not found", id)
	}
	return d, nil
}

// List returns the principal's dossiers (citizens) or the filtered set
// (officers, admins), one page at a time.
func (s *DossierService) List(ctx context.Context, who Principal, f DossierFilter) ([]*Dossier, int, error) {
	if who.Role == RoleCitizen {
		f.OwnerID = who.UserID
	} else if who.Role != RoleOfficer && who.Role != RoleAdmin {
		return nil, 0, Errorf(EFORBIDDEN, "not allowed to list dossiers")
	}
	if f.Limit <= 0 {
		f.Limit = DefaultPerPage
	}
	if f.Limit > MaxPerPage {
		f.Limit = MaxPerPage
	}
	if f.Offset < 0 {
		f.Offset = 0
	}
	return s.Store.Dossiers(ctx, f)
}

// Lookup returns a dossier by its public code, for the public status
// lookup; callers must show only status and dates.
func (s *DossierService) Lookup(ctx context.Context, code string) (*Dossier, error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 64 {
		return nil, Errorf(EINVALID, "dossier code must be 1 to 64 characters")
	}
	return s.Store.DossierByCode(ctx, code)
}

// Act moves a dossier on behalf of an officer or the system: receive,
// process, request a supplement, approve, reject, issue the result,
// complete. The lifecycle table decides what is allowed. A dossier whose
// fee is unpaid cannot be received.
func (s *DossierService) Act(ctx context.Context, who Principal, id string, to Status, note string) (*Dossier, error) {
	return s.update(ctx, who, id, func(d *Dossier) error {
		return s.ActOn(d, who, to, note)
	})
}

// ActOn applies an officer or system action to a loaded dossier; for
// callers that batch several changes in one UpdateDossier.
func (s *DossierService) ActOn(d *Dossier, who Principal, to Status, note string) error {
	if to == StatusReceived && d.PaymentStatus != PaymentNone && d.PaymentStatus != PaymentPaid {
		return Errorf(ECONFLICT, "dossier %s has an unpaid fee of %d VND and cannot be received", d.Code, d.Fee)
	}
	if (to == StatusRejected || to == StatusSupplementRequested) && strings.TrimSpace(note) == "" {
		return Errorf(EINVALID, "a reason is required to move a dossier to %s", to)
	}
	if to == StatusSupplementRequested && d.Supplements >= 1 {
		return Errorf(ECONFLICT, "a supplement may be requested only once (Decree 61); dossier %s already had one", d.Code)
	}
	now := s.Clock.Now()
	if err := d.Transition(to, who.UserID, who.Role, note, now); err != nil {
		return err
	}
	if to == StatusReceived {
		if p, ok := s.Catalog.Procedure(d.ProcedureCode); ok && d.AppointmentAt == nil {
			s.setAppointment(p, d, now)
		}
	}
	if to == StatusProcessing || to == StatusReceived {
		d.AssigneeID = who.UserID
	}
	return nil
}

// Rate records the citizen's satisfaction (1–5) with a completed dossier.
func (s *DossierService) Rate(ctx context.Context, who Principal, id string, rating int, note string) (*Dossier, error) {
	if rating < 1 || rating > 5 {
		return nil, ValidationError("invalid rating", []FieldError{{Field: "rating", Message: "must be from 1 to 5"}})
	}
	if len(note) > 2000 {
		return nil, ValidationError("invalid rating", []FieldError{{Field: "comment", Message: "must be at most 2000 bytes"}})
	}
	return s.update(ctx, who, id, func(d *Dossier) error {
		if d.Status != StatusCompleted && d.Status != StatusResultIssued && d.Status != StatusRejected {
			return Errorf(ECONFLICT, "dossier %s is %s; rate it once a result is returned", d.Code, d.Status)
		}
		if d.Rating != 0 {
			return Errorf(ECONFLICT, "dossier %s is already rated", d.Code)
		}
		d.Rating, d.RatingNote, d.UpdatedAt = rating, note, s.Clock.Now()
		return nil
	})
}

// update loads a dossier the principal may see and applies fn in one transaction.
func (s *DossierService) update(ctx context.Context, who Principal, id string, fn func(d *Dossier) error) (*Dossier, error) {
	return s.Store.UpdateDossier(ctx, id, func(d *Dossier) error {
		if !mayRead(who, d) {
			return Errorf(ENOTFOUND, "dossier %q not found", id)
		}
		return fn(d)
	})
}

func (s *DossierService) checkComplete(p *Procedure, d *Dossier) []FieldError {
	errs := p.ValidateForm(d.Form, s.Clock.Now())
	have := map[string]bool{}
	for _, a := range d.Attachments {
		have[a.Requirement] = true
	}
	for _, r := range p.Attachments {
		if r.Required && !have[r.Code] {
			errs = append(errs, FieldError{Field: "attachments." + r.Code, Message: fmt.Sprintf("%s is required", r.NameEN)})
		}
	}
	return errs
}

func (s *DossierService) setAppointment(p *Procedure, d *Dossier, from time.Time) {
	a := s.Calendar.AppointmentDate(from, p.ProcessingDays, p.CutoffMinutes)
	d.AppointmentAt = &a
}

func mayRead(who Principal, d *Dossier) bool {
	switch who.Role {
	case RoleOfficer, RoleAdmin, RoleSystem:
		return true
	case RoleCitizen:
		return d.OwnerID == who.UserID
	}
	return false
}

func agencyCode(p *Procedure) string {
	if p.AgencyCode != "" {
		return p.AgencyCode
	}
	return "000.00.00.H00"
}
