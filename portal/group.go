package portal

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// ProcedureGroup is an interconnected group (liên thông): procedures of
// different agencies a citizen applies for together, e.g. birth
// registration, permanent residence and a child's health-insurance card.
type ProcedureGroup struct {
	Code    string
	NameVI  string
	NameEN  string
	Members []string // procedure codes
}

// GroupService applies the rules of interconnected applications: one draft
// per member procedure sharing a GroupID and the form values the members
// have in common, submitted all together or not at all. The back office
// recognises members by Dossier.GroupID and moves them on together.
type GroupService struct {
	Dossiers *DossierService
	Groups   []ProcedureGroup
}

// Group returns the group with that code.
func (s *GroupService) Group(code string) (ProcedureGroup, bool) {
	for _, g := range s.Groups {
		if g.Code == strings.TrimSpace(code) {
			return g, true
		}
	}
	return ProcedureGroup{}, false
}

// Create starts one draft per member procedure of the group, each prefilled
// from the population database, with the form values that belong to it
// (a value no member asks for is a field error). Drafts are created one
// transaction each; if one fails, those already created are withdrawn, so
// no half group is left open.
func (s *GroupService) Create(ctx context.Context, who Principal, groupCode string, form map[string]string) (string, []*Dossier, error) {
	if who.Role != RoleCitizen {
		return "", nil, Errorf(EFORBIDDEN, "only citizens submit dossiers")
	}
	g, ok := s.Group(groupCode)
	if !ok {
		return "", nil, Errorf(ENOTFOUND, "procedure group %q not found", groupCode)
	}
	if len(form) > MaxFormFields {
		return "", nil, Errorf(EINVALID, "form has %d fields, at most %d allowed", len(form), MaxFormFields)
	}
	var procs []*Procedure
	used := map[string]bool{}
	for _, code := range g.Members {
		p, ok := s.Dossiers.Catalog.Procedure(code)
		if !ok {
			return "", nil, Errorf(ECONFLICT, "member procedure %s of group %s is not in the catalogue", code, g.Code)
		}
		procs = append(procs, p)
		for _, f := range p.Fields {
			used[f.Name] = true
		}
	}
	var unknown []FieldError
	for name := range form {
		if !used[name] {
			unknown = append(unknown, FieldError{Field: name, Message: "is not a field of any procedure of group " + g.Code})
		}
	}
	if len(unknown) > 0 {
		sort.Slice(unknown, func(i, j int) bool { return unknown[i].Field < unknown[j].Field })
		return "", nil, ValidationError(fmt.Sprintf("form has %d fields no member procedure asks for", len(unknown)), unknown)
	}
	groupID := NewID("g")
	var created []*Dossier
	for _, p := range procs {
		d, err := s.createMember(ctx, who, p, groupID, form)
		if err != nil {
			for _, c := range created {
				_, _ = s.Dossiers.Withdraw(context.WithoutCancel(ctx), who, c.ID, "group "+g.Code+" could not be created")
			}
			return "", nil, fmt.Errorf("create member %s of group %s: %w", p.Code, g.Code, err)
		}
		created = append(created, d)
	}
	return groupID, created, nil
}

func (s *GroupService) createMember(ctx context.Context, who Principal, p *Procedure, groupID string, form map[string]string) (*Dossier, error) {
	filled, err := s.Dossiers.Prefill(ctx, who, p)
	if err != nil {
		return nil, err
	}
	for k, v := range form {
		if _, ok := p.Field(k); ok && v != "" {
			filled[k] = v
		}
	}
	now := s.Dossiers.Clock.Now()
	d := &Dossier{
		ID: NewID("d"), ProcedureCode: p.Code, OwnerID: who.UserID, GroupID: groupID, Status: StatusDraft,
		Form: filled, Fee: p.OnlineFee(), Online: true, CreatedAt: now, UpdatedAt: now, PaymentStatus: PaymentNone,
	}
	if d.Fee > 0 {
		d.PaymentStatus = PaymentUnpaid
	}
	if err := s.Dossiers.Store.CreateDossier(ctx, d, agencyCode(p)); err != nil {
		return nil, err
	}
	return d, nil
}

// Members returns the dossiers of one of the citizen's groups, in
// creation order; a group with none of theirs is ENOTFOUND.
func (s *GroupService) Members(ctx context.Context, who Principal, groupID string) ([]*Dossier, error) {
	if groupID == "" || len(groupID) > 64 {
		return nil, Errorf(ENOTFOUND, "group %q not found", groupID)
	}
	if who.Role != RoleCitizen {
		// Officers see members through the dossiers' group_id.
		return nil, Errorf(EFORBIDDEN, "groups are listed for their applicant")
	}
	// The store filters by owner; a citizen's dossiers are few, so they are
	// scanned for the group's members.
	f := DossierFilter{OwnerID: who.UserID, Limit: MaxPerPage}
	var out []*Dossier
	for {
		ds, total, err := s.Dossiers.Store.Dossiers(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("members of group %s: %w", groupID, err)
		}
		for _, d := range ds {
			if d.GroupID == groupID {
				full, err := s.Dossiers.Get(ctx, who, d.ID)
				if err != nil {
					return nil, err
				}
				out = append(out, full)
			}
		}
		f.Offset += f.Limit
		if f.Offset >= total || len(ds) == 0 {
			break
		}
	}
	if len(out) == 0 {
		return nil, Errorf(ENOTFOUND, "group %q not found", groupID)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// Submit submits every member of a group, or none: every member is checked
// first and all problems are returned at once, each field prefixed by its
// procedure code ("1.001193.child_name"). Members are then submitted one
// transaction each; a member that fails at that point (a race with another
// change) is reported and the members already submitted stay submitted.
func (s *GroupService) Submit(ctx context.Context, who Principal, groupID string) ([]*Dossier, error) {
	if who.Role != RoleCitizen {
		return nil, Errorf(EFORBIDDEN, "only the applicant submits a group")
	}
	members, err := s.Members(ctx, who, groupID)
	if err != nil {
		return nil, err
	}
	var problems []FieldError
	for _, d := range members {
		if d.Status != StatusDraft {
			problems = append(problems, FieldError{Field: d.ProcedureCode, Message: fmt.Sprintf("dossier %s is %s, not a draft", d.Code, d.Status)})
			continue
		}
		p, ok := s.Dossiers.Catalog.Procedure(d.ProcedureCode)
		if !ok {
			problems = append(problems, FieldError{Field: d.ProcedureCode, Message: "procedure is no longer in the catalogue"})
			continue
		}
		for _, fe := range s.Dossiers.checkComplete(p, d) {
			problems = append(problems, FieldError{Field: d.ProcedureCode + "." + fe.Field, Message: fe.Message})
		}
	}
	if len(problems) > 0 {
		return nil, ValidationError(fmt.Sprintf("group has %d problems; nothing was submitted", len(problems)), problems)
	}
	out := make([]*Dossier, 0, len(members))
	for _, d := range members {
		sub, err := s.Dossiers.Submit(ctx, who, d.ID)
		if err != nil {
			return nil, fmt.Errorf("submit member %s of group %s (%d of %d already submitted): %w", d.Code, groupID, len(out), len(members), err)
		}
		out = append(out, sub)
	}
	return out, nil
}
