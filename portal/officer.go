package portal

import (
	"context"
	"slices"
)

// Officer desk: a human officer claims a dossier from the queue so that
// two officers (or an officer and the simulated back office) do not work
// on it at once, then acts on it. The claim is the dossier's AssigneeID.

// claimableStatuses are the statuses in which an officer can still act.
var claimableStatuses = []Status{StatusSubmitted, StatusReceived, StatusProcessing, StatusSupplementRequested}

// Claim assigns a dossier to the officer. Claiming one's own dossier again
// changes nothing; a dossier assigned to someone else is a conflict naming
// the assignee, and so is one that needs no officer any more.
func (s *DossierService) Claim(ctx context.Context, who Principal, id string) (*Dossier, error) {
	if who.Role != RoleOfficer && who.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "only officers claim dossiers")
	}
	return s.update(ctx, who, id, func(d *Dossier) error {
		if !slices.Contains(claimableStatuses, d.Status) {
			return Errorf(ECONFLICT, "dossier %s is %s; there is nothing left for an officer to do", d.Code, d.Status)
		}
		if d.AssigneeID == who.UserID {
			return nil
		}
		if d.AssigneeID != "" {
			return Errorf(ECONFLICT, "dossier %s is claimed by %s", d.Code, d.AssigneeID)
		}
		d.AssigneeID = who.UserID
		d.UpdatedAt = s.Clock.Now()
		return nil
	})
}

// ActAssigned is Act for the officer desk: the dossier must be unclaimed
// or claimed by the caller (admins may act on anyone's), checked in the
// same transaction as the move.
func (s *DossierService) ActAssigned(ctx context.Context, who Principal, id string, to Status, note string) (*Dossier, error) {
	if who.Role != RoleOfficer && who.Role != RoleAdmin {
		return nil, Errorf(EFORBIDDEN, "only officers act on dossiers")
	}
	return s.update(ctx, who, id, func(d *Dossier) error {
		if d.AssigneeID != "" && d.AssigneeID != who.UserID && who.Role != RoleAdmin {
			return Errorf(ECONFLICT, "dossier %s is claimed by %s", d.Code, d.AssigneeID)
		}
		if who.Role == RoleAdmin {
			// The lifecycle table names officers; an admin acts as one.
			who.Role = RoleOfficer
		}
		return s.ActOn(d, who, to, note)
	})
}
