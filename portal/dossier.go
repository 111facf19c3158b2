package portal

import (
	"fmt"
	"time"
)

// Status is a dossier's place in its lifecycle.
type Status string

// The dossier lifecycle. NationalCode gives the TrangThaiHoSo code of the
// National Portal's status sync for each.
const (
	StatusDraft               Status = "draft"
	StatusSubmitted           Status = "submitted"
	StatusReceived            Status = "received"
	StatusProcessing          Status = "processing"
	StatusSupplementRequested Status = "supplement_requested"
	StatusApproved            Status = "approved"
	StatusRejected            Status = "rejected"
	StatusResultIssued        Status = "result_issued"
	StatusCompleted           Status = "completed"
	StatusWithdrawn           Status = "withdrawn"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusDraft, StatusSubmitted, StatusReceived, StatusProcessing,
	StatusSupplementRequested, StatusApproved, StatusRejected, StatusResultIssued,
	StatusCompleted, StatusWithdrawn}

// Roles of authenticated users. RoleSystem is the portal itself (the
// e-result signer, the payment callback).
type Role string

const (
	RoleCitizen Role = "citizen"
	RoleOfficer Role = "officer"
	RoleAdmin   Role = "admin"
	RoleSystem  Role = "system"
)

// transitions is the lifecycle: from → to → roles allowed to make the move.
// Anything not in it is refused.
var transitions = map[Status]map[Status][]Role{
	StatusDraft: {
		StatusSubmitted: {RoleCitizen},
		StatusWithdrawn: {RoleCitizen},
	},
	StatusSubmitted: {
		StatusReceived:            {RoleOfficer},
		StatusSupplementRequested: {RoleOfficer},
		StatusRejected:            {RoleOfficer}, // refused at intake, with a reason
		StatusWithdrawn:           {RoleCitizen},
	},
	StatusReceived: {
		StatusProcessing: {RoleOfficer},
	},
	StatusProcessing: {
		StatusSupplementRequested: {RoleOfficer},
		StatusApproved:            {RoleOfficer},
		StatusRejected:            {RoleOfficer},
	},
	StatusSupplementRequested: {
		StatusSubmitted:  {RoleCitizen}, // supplement asked at intake: back to intake
		StatusProcessing: {RoleCitizen}, // supplement asked while processing: processing resumes
		StatusWithdrawn:  {RoleCitizen},
	},
	StatusApproved: {
		StatusResultIssued: {RoleSystem, RoleOfficer},
	},
	StatusResultIssued: {
		StatusCompleted: {RoleSystem, RoleCitizen},
	},
}

// CanTransition reports whether role may move a dossier from one status to another.
func CanTransition(from, to Status, role Role) bool {
	for _, r := range transitions[from][to] {
		if r == role {
			return true
		}
	}
	return false
}

// NextStatuses returns the statuses reachable from s by any role.
func NextStatuses(s Status) []Status {
	var out []Status
	for _, to := range Statuses {
		if _, ok := transitions[s][to]; ok {
			out = append(out, to)
		}
	}
	return out
}

// Terminal reports whether no transition leaves s.
func (s Status) Terminal() bool { return len(transitions[s]) == 0 }

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// NationalCode returns the National Portal's TrangThaiHoSo code for s.
func (s Status) NationalCode() int {
	switch s {
	case StatusSubmitted:
		return 1
	case StatusReceived:
		return 2
	case StatusProcessing:
		return 4
	case StatusSupplementRequested:
		return 5
	case StatusWithdrawn:
		return 7
	case StatusRejected:
		return 3
	case StatusApproved, StatusResultIssued:
		return 9
	case StatusCompleted:
		return 10
	}
	return 0
}

// Payment statuses of a dossier's fee.
const (
	PaymentNone    = "none"    // no fee
	PaymentUnpaid  = "unpaid"  // fee due, no payment started
	PaymentPending = "pending" // redirected to the gateway
	PaymentPaid    = "paid"
	PaymentFailed  = "failed"
)

// Transition is one recorded state change: who, when, from, to, why.
type Transition struct {
	Seq       int       `json:"seq"`
	At        time.Time `json:"at"`
	ActorID   string    `json:"actor_id"`
	ActorRole Role      `json:"actor_role"`
	From      Status    `json:"from"`
	To        Status    `json:"to"`
	Note      string    `json:"note,omitempty"`
}

// Attachment is a document attached to a dossier.
type Attachment struct {
	ID          string    `json:"id"`
	DossierID   string    `json:"dossier_id"`
	Requirement string    `json:"requirement"` // Requirement.Code
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	UploadedAt  time.Time `json:"uploaded_at"`
}

// Dossier is one citizen's application (hồ sơ) for one procedure.
type Dossier struct {
	ID            string            `json:"id"`
	Code          string            `json:"code"` // <agency code>-<YYMMDD>-<seq>
	ProcedureCode string            `json:"procedure_code"`
	OwnerID       string            `json:"owner_id"` // personal ID of the applicant
	GroupID       string            `json:"group_id,omitempty"`
	Status        Status            `json:"status"`
	Form          map[string]string `json:"form"`
	Fee           int64             `json:"fee"`
	PaymentStatus string            `json:"payment_status"`
	Online        bool              `json:"online"`
	CreatedAt     time.Time         `json:"created_at"`
	UpdatedAt     time.Time         `json:"updated_at"`
	SubmittedAt   *time.Time        `json:"submitted_at,omitempty"`
	ReceivedAt    *time.Time        `json:"received_at,omitempty"`
	// AppointmentAt is the due date for the result (ngày hẹn trả).
	AppointmentAt *time.Time `json:"appointment_at,omitempty"`
	DecidedAt     *time.Time `json:"decided_at,omitempty"`
	ResultAt      *time.Time `json:"result_at,omitempty"`
	CompletedAt   *time.Time `json:"completed_at,omitempty"`
	// OnTime is set once a decision is made: decided on or before the appointment.
	OnTime      *bool        `json:"on_time,omitempty"`
	AssigneeID  string       `json:"assignee_id,omitempty"`
	Supplements int          `json:"supplements"`
	Rating      int          `json:"rating,omitempty"`
	RatingNote  string       `json:"rating_note,omitempty"`
	Version     int          `json:"version"`
	History     []Transition `json:"history,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Transition moves the dossier to status to on behalf of an actor, checking
// the lifecycle table, recording the change in History and stamping the
// lifecycle timestamps. The caller persists the dossier.
func (d *Dossier) Transition(to Status, actorID string, role Role, note string, at time.Time) error {
	if !to.Valid() {
		return Errorf(EINVALID, "unknown status %q", to)
	}
	if !CanTransition(d.Status, to, role) {
		if _, ok := transitions[d.Status][to]; ok {
			return Errorf(EFORBIDDEN, "a %s may not move a dossier from %s to %s", role, d.Status, to)
		}
		return Errorf(ECONFLICT, "dossier %s is %s and cannot become %s", d.Code, d.Status, to)
	}
	d.History = append(d.History, Transition{
		Seq: len(d.History) + 1, At: at, ActorID: actorID, ActorRole: role,
		From: d.Status, To: to, Note: note,
	})
	d.Status = to
	d.UpdatedAt = at
	switch to {
	case StatusSubmitted:
		d.SubmittedAt = &at
	case StatusReceived:
		d.ReceivedAt = &at
	case StatusApproved, StatusRejected:
		d.DecidedAt = &at
		if d.AppointmentAt != nil {
			ok := OnTime(at, *d.AppointmentAt)
			d.OnTime = &ok
		}
	case StatusResultIssued:
		d.ResultAt = &at
	case StatusCompleted:
		d.CompletedAt = &at
	case StatusSupplementRequested:
		d.Supplements++
	}
	return nil
}

// NewHistory returns the transitions recorded since the dossier had n entries.
func (d *Dossier) NewHistory(n int) []Transition {
	if n >= len(d.History) {
		return nil
	}
	return d.History[n:]
}

// Late reports whether a dossier without a decision is past its appointment at now.
func (d *Dossier) Late(now time.Time) bool {
	if d.OnTime != nil {
		return !*d.OnTime
	}
	return d.AppointmentAt != nil && now.After(*d.AppointmentAt)
}

// DossierCode formats a dossier code: agency code, receipt date, sequence.
func DossierCode(agencyCode string, day time.Time, seq int) string {
	return fmt.Sprintf("%s-%s-%04d", agencyCode, day.In(VietnamTime).Format("060102"), seq)
}
