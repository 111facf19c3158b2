package web

import (
	"time"

	"github.com/portalsim/portalsim/portal"
)

// The JSON shapes of responses. They are separate from the domain types so
// the API is stable when the domain grows, and every time is given in
// Vietnam time (+07:00), the portal's legal time.

// vnTime is an RFC 3339 timestamp in Vietnam time.
type vnTime string

func vn(t time.Time) vnTime { return vnTime(t.In(portal.VietnamTime).Format(time.RFC3339)) }

func vnPtr(t *time.Time) *vnTime {
	if t == nil {
		return nil
	}
	v := vn(*t)
	return &v
}

func datePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	d := t.In(portal.VietnamTime).Format(time.DateOnly)
	return &d
}

type otpResponse struct {
	ChallengeID string `json:"challenge_id"`
	ExpiresAt   vnTime `json:"expires_at"`
	DevOTP      string `json:"dev_otp,omitempty"`
}

type loginResponse struct {
	Token     string      `json:"token"`
	ExpiresAt vnTime      `json:"expires_at"`
	Role      portal.Role `json:"role"`
	Name      string      `json:"name"`
}

// procedureSummary is a catalogue entry in search results; GET
// /procedures/{code} gives the whole procedure with its form.
type procedureSummary struct {
	Code           string `json:"code"`
	NameVI         string `json:"name_vi"`
	NameEN         string `json:"name_en"`
	Topic          string `json:"topic"`
	Level          string `json:"level"`
	AgencyVI       string `json:"agency_vi"`
	AgencyEN       string `json:"agency_en"`
	ProcessingDays int    `json:"processing_days"`
	Fee            int64  `json:"fee"`
	FeeOnline      int64  `json:"fee_online"`
	FullProcess    bool   `json:"full_process"`
	Synthetic      bool   `json:"synthetic"`
	Group          string `json:"group,omitempty"`
}

func summarize(p *portal.Procedure) procedureSummary {
	return procedureSummary{
		Code: p.Code, NameVI: p.NameVI, NameEN: p.NameEN, Topic: p.Topic, Level: p.Level,
		AgencyVI: p.AgencyVI, AgencyEN: p.AgencyEN, ProcessingDays: p.ProcessingDays,
		Fee: p.Fee, FeeOnline: p.OnlineFee(), FullProcess: p.FullProcess, Synthetic: p.Synthetic, Group: p.Group,
	}
}

type pageOf[T any] struct {
	Items   []T `json:"items"`
	Total   int `json:"total"`
	Page    int `json:"page"`
	PerPage int `json:"per_page"`
}

type transitionView struct {
	Seq       int           `json:"seq"`
	At        vnTime        `json:"at"`
	ActorID   string        `json:"actor_id"`
	ActorRole portal.Role   `json:"actor_role"`
	From      portal.Status `json:"from"`
	To        portal.Status `json:"to"`
	Note      string        `json:"note,omitempty"`
}

type attachmentView struct {
	ID          string `json:"id"`
	Requirement string `json:"requirement"`
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	UploadedAt  vnTime `json:"uploaded_at"`
}

// dossierView is a dossier as its owner (or an officer) sees it. History
// is present on GET /dossiers/{id} and after each change, absent in lists.
type dossierView struct {
	ID              string            `json:"id"`
	Code            string            `json:"code"`
	ProcedureCode   string            `json:"procedure_code"`
	ProcedureName   string            `json:"procedure_name"`
	OwnerID         string            `json:"owner_id"`
	GroupID         string            `json:"group_id,omitempty"`
	Status          portal.Status     `json:"status"`
	Form            map[string]string `json:"form"`
	Fee             int64             `json:"fee"`
	PaymentStatus   string            `json:"payment_status"`
	Online          bool              `json:"online"`
	CreatedAt       vnTime            `json:"created_at"`
	UpdatedAt       vnTime            `json:"updated_at"`
	SubmittedAt     *vnTime           `json:"submitted_at,omitempty"`
	ReceivedAt      *vnTime           `json:"received_at,omitempty"`
	AppointmentDate *string           `json:"appointment_date,omitempty"`
	AppointmentAt   *vnTime           `json:"appointment_at,omitempty"`
	DecidedAt       *vnTime           `json:"decided_at,omitempty"`
	ResultAt        *vnTime           `json:"result_at,omitempty"`
	CompletedAt     *vnTime           `json:"completed_at,omitempty"`
	OnTime          *bool             `json:"on_time,omitempty"`
	AssigneeID      string            `json:"assignee_id,omitempty"` // the officer who claimed or received it
	Supplements     int               `json:"supplements"`
	Rating          int               `json:"rating,omitempty"`
	Version         int               `json:"version"`
	History         []transitionView  `json:"history,omitempty"`
	Attachments     []attachmentView  `json:"attachments"`
}

func (a *api) dossierView(d *portal.Dossier, withHistory bool) dossierView {
	v := dossierView{
		ID: d.ID, Code: d.Code, ProcedureCode: d.ProcedureCode, ProcedureName: a.procedureName(d.ProcedureCode),
		OwnerID: d.OwnerID, GroupID: d.GroupID, Status: d.Status, Form: d.Form, Fee: d.Fee, PaymentStatus: d.PaymentStatus,
		Online: d.Online, CreatedAt: vn(d.CreatedAt), UpdatedAt: vn(d.UpdatedAt),
		SubmittedAt: vnPtr(d.SubmittedAt), ReceivedAt: vnPtr(d.ReceivedAt),
		AppointmentDate: datePtr(d.AppointmentAt), AppointmentAt: vnPtr(d.AppointmentAt),
		DecidedAt: vnPtr(d.DecidedAt), ResultAt: vnPtr(d.ResultAt), CompletedAt: vnPtr(d.CompletedAt),
		OnTime: d.OnTime, AssigneeID: d.AssigneeID, Supplements: d.Supplements, Rating: d.Rating, Version: d.Version,
		Attachments: []attachmentView{},
	}
	if v.Form == nil {
		v.Form = map[string]string{}
	}
	if withHistory {
		v.History = make([]transitionView, len(d.History))
		for i, t := range d.History {
			v.History[i] = transitionView{Seq: t.Seq, At: vn(t.At), ActorID: t.ActorID, ActorRole: t.ActorRole, From: t.From, To: t.To, Note: t.Note}
		}
	}
	for _, at := range d.Attachments {
		v.Attachments = append(v.Attachments, attachmentView{
			ID: at.ID, Requirement: at.Requirement, FileName: at.FileName, ContentType: at.ContentType,
			Size: at.Size, SHA256: at.SHA256, UploadedAt: vn(at.UploadedAt),
		})
	}
	return v
}

func (a *api) procedureName(code string) string {
	if p, ok := a.catalog.Procedure(code); ok {
		return p.NameVI
	}
	return ""
}

// lookupView is what anyone may learn from a dossier code: status and
// dates, nothing about the applicant or the form.
type lookupView struct {
	Code            string        `json:"code"`
	Procedure       procedureRef  `json:"procedure"`
	Status          portal.Status `json:"status"`
	SubmittedAt     *vnTime       `json:"submitted_at,omitempty"`
	AppointmentDate *string       `json:"appointment_date,omitempty"`
	AppointmentAt   *vnTime       `json:"appointment_at,omitempty"`
	UpdatedAt       vnTime        `json:"updated_at"`
}

type procedureRef struct {
	Code   string `json:"code"`
	NameVI string `json:"name_vi"`
	NameEN string `json:"name_en"`
}

func (a *api) lookupView(d *portal.Dossier) lookupView {
	ref := procedureRef{Code: d.ProcedureCode}
	if p, ok := a.catalog.Procedure(d.ProcedureCode); ok {
		ref.NameVI, ref.NameEN = p.NameVI, p.NameEN
	}
	return lookupView{
		Code: d.Code, Procedure: ref, Status: d.Status, SubmittedAt: vnPtr(d.SubmittedAt),
		AppointmentDate: datePtr(d.AppointmentAt), AppointmentAt: vnPtr(d.AppointmentAt), UpdatedAt: vn(d.UpdatedAt),
	}
}
