package portal_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// lifecycle is the dossier lifecycle written out independently of the
// table in dossier.go: every (from, to, role) that must be allowed.
var lifecycle = []struct {
	from, to portal.Status
	role     portal.Role
}{
	{portal.StatusDraft, portal.StatusSubmitted, portal.RoleCitizen},
	{portal.StatusDraft, portal.StatusWithdrawn, portal.RoleCitizen},
	{portal.StatusSubmitted, portal.StatusReceived, portal.RoleOfficer},
	{portal.StatusSubmitted, portal.StatusSupplementRequested, portal.RoleOfficer},
	{portal.StatusSubmitted, portal.StatusRejected, portal.RoleOfficer},
	{portal.StatusSubmitted, portal.StatusWithdrawn, portal.RoleCitizen},
	{portal.StatusReceived, portal.StatusProcessing, portal.RoleOfficer},
	{portal.StatusProcessing, portal.StatusSupplementRequested, portal.RoleOfficer},
	{portal.StatusProcessing, portal.StatusApproved, portal.RoleOfficer},
	{portal.StatusProcessing, portal.StatusRejected, portal.RoleOfficer},
	{portal.StatusSupplementRequested, portal.StatusSubmitted, portal.RoleCitizen},
	{portal.StatusSupplementRequested, portal.StatusProcessing, portal.RoleCitizen},
	{portal.StatusSupplementRequested, portal.StatusWithdrawn, portal.RoleCitizen},
	{portal.StatusApproved, portal.StatusResultIssued, portal.RoleSystem},
	{portal.StatusApproved, portal.StatusResultIssued, portal.RoleOfficer},
	{portal.StatusResultIssued, portal.StatusCompleted, portal.RoleSystem},
	{portal.StatusResultIssued, portal.StatusCompleted, portal.RoleCitizen},
}

var roles = []portal.Role{portal.RoleCitizen, portal.RoleOfficer, portal.RoleAdmin, portal.RoleSystem}

// Every (from, to, role) over all statuses and roles: allowed exactly when
// listed above, and Dossier.Transition agrees with CanTransition.
func TestLifecycleTable(t *testing.T) {
	allowed := map[string]bool{}
	for _, l := range lifecycle {
		allowed[fmt.Sprint(l.from, l.to, l.role)] = true
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, portal.VietnamTime)
	checked := 0
	for _, from := range portal.Statuses {
		for _, to := range portal.Statuses {
			for _, role := range roles {
				want := allowed[fmt.Sprint(from, to, role)]
				name := fmt.Sprintf("%s→%s by %s", from, to, role)
				t.Run(name, func(t *testing.T) {
					if got := portal.CanTransition(from, to, role); got != want {
						t.Fatalf("CanTransition = %v, want %v", got, want)
					}
					d := &portal.Dossier{Code: "X-260302-0001", Status: from}
					err := d.Transition(to, "actor", role, "note", at)
					if want {
						if err != nil || d.Status != to || len(d.History) != 1 {
							t.Fatalf("Transition: err %v, status %s, history %d", err, d.Status, len(d.History))
						}
						h := d.History[0]
						if h.From != from || h.To != to || h.ActorRole != role || !h.At.Equal(at) || h.Seq != 1 {
							t.Fatalf("history entry %+v", h)
						}
						return
					}
					if err == nil || d.Status != from || len(d.History) != 0 {
						t.Fatalf("forbidden move succeeded: err %v, status %s", err, d.Status)
					}
					// A move some other role may make is forbidden; one nobody may make is a conflict.
					wantCode := portal.ECONFLICT
					for _, r := range roles {
						if allowed[fmt.Sprint(from, to, r)] {
							wantCode = portal.EFORBIDDEN
						}
					}
					if portal.ErrorCode(err) != wantCode {
						t.Fatalf("error %v, want code %s", err, wantCode)
					}
				})
				checked++
			}
		}
	}
	if want := len(portal.Statuses) * len(portal.Statuses) * len(roles); checked != want {
		t.Fatalf("checked %d triples, want %d", checked, want)
	}
}

func TestTransitionUnknownStatus(t *testing.T) {
	d := &portal.Dossier{Status: portal.StatusDraft}
	if err := d.Transition("archived", "u", portal.RoleCitizen, "", time.Now()); portal.ErrorCode(err) != portal.EINVALID {
		t.Fatalf("error %v, want %s", err, portal.EINVALID)
	}
}

func TestTerminalStatuses(t *testing.T) {
	terminal := map[portal.Status]bool{portal.StatusRejected: true, portal.StatusCompleted: true, portal.StatusWithdrawn: true}
	for _, s := range portal.Statuses {
		if s.Terminal() != terminal[s] {
			t.Errorf("%s.Terminal() = %v", s, s.Terminal())
		}
		if !s.Valid() || (s != portal.StatusDraft && s.NationalCode() == 0) {
			t.Errorf("%s: Valid %v, NationalCode %d", s, s.Valid(), s.NationalCode())
		}
	}
}

// A whole happy path stamps the lifecycle timestamps and decides on-time
// against the appointment.
func TestTransitionStampsAndOnTime(t *testing.T) {
	day := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, portal.VietnamTime) }
	appointment := day(5, 17)
	tests := []struct {
		name     string
		decided  time.Time
		wantOnOK bool
	}{
		{"early", day(4, 10), true},
		{"on the day", day(5, 16), true},
		{"late", day(6, 9), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &portal.Dossier{Code: "X", Status: portal.StatusDraft, AppointmentAt: &appointment}
			steps := []struct {
				to   portal.Status
				role portal.Role
				at   time.Time
			}{
				{portal.StatusSubmitted, portal.RoleCitizen, day(2, 9)},
				{portal.StatusReceived, portal.RoleOfficer, day(2, 10)},
				{portal.StatusProcessing, portal.RoleOfficer, day(2, 11)},
				{portal.StatusApproved, portal.RoleOfficer, tt.decided},
				{portal.StatusResultIssued, portal.RoleSystem, tt.decided.Add(time.Hour)},
				{portal.StatusCompleted, portal.RoleCitizen, tt.decided.Add(2 * time.Hour)},
			}
			for _, s := range steps {
				if err := d.Transition(s.to, "u", s.role, "", s.at); err != nil {
					t.Fatal(err)
				}
			}
			if d.SubmittedAt == nil || d.ReceivedAt == nil || d.DecidedAt == nil || d.ResultAt == nil || d.CompletedAt == nil {
				t.Fatalf("missing stamps: %+v", d)
			}
			if d.OnTime == nil || *d.OnTime != tt.wantOnOK {
				t.Fatalf("OnTime = %v, want %v", d.OnTime, tt.wantOnOK)
			}
			if len(d.History) != len(steps) || d.History[len(steps)-1].Seq != len(steps) {
				t.Fatalf("history %d entries", len(d.History))
			}
		})
	}
}

func TestDossierCode(t *testing.T) {
	at := time.Date(2024, 3, 15, 23, 30, 0, 0, time.UTC) // 06:30 on the 16th in Vietnam
	if got := portal.DossierCode("000.00.13.H56", at, 1); got != "000.00.13.H56-240316-0001" {
		t.Fatalf("DossierCode = %q", got)
	}
}
