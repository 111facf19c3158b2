package portal_test

import (
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/catalog"
)

// happyPath is a dossier's usual life: submitted online, received,
// processed, approved, result issued, completed.
var happyPath = []struct {
	to   portal.Status
	role portal.Role
}{
	{portal.StatusSubmitted, portal.RoleCitizen},
	{portal.StatusReceived, portal.RoleOfficer},
	{portal.StatusProcessing, portal.RoleOfficer},
	{portal.StatusApproved, portal.RoleOfficer},
	{portal.StatusResultIssued, portal.RoleSystem},
	{portal.StatusCompleted, portal.RoleCitizen},
}

// BenchmarkTransition measures one lifecycle transition (table check,
// history entry, timestamps): each op walks a fresh dossier through the
// six transitions of the happy path, reported per transition.
func BenchmarkTransition(b *testing.B) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, portal.VietnamTime)
	appointment := at.AddDate(0, 0, 5)
	for b.Loop() {
		d := &portal.Dossier{Code: "X-260302-0001", Status: portal.StatusDraft, AppointmentAt: &appointment}
		for _, step := range happyPath {
			if err := d.Transition(step.to, "actor", step.role, "", at); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(happyPath)), "ns/transition")
}

// BenchmarkTransitionRefused measures a refused move (the error a wrong
// role or state gets), which a confused client can send at any rate.
func BenchmarkTransitionRefused(b *testing.B) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, portal.VietnamTime)
	d := &portal.Dossier{Code: "X-260302-0001", Status: portal.StatusDraft}
	for b.Loop() {
		if err := d.Transition(portal.StatusApproved, "actor", portal.RoleCitizen, "", at); err == nil {
			b.Fatal("a citizen approved a draft")
		}
	}
}

// BenchmarkValidateForm measures form validation on the real procedures'
// sample forms (valid: the submit path) and on empty forms (every required
// field reported).
func BenchmarkValidateForm(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	today := time.Date(2026, 3, 10, 10, 0, 0, 0, portal.VietnamTime)
	real := cat.Real()
	forms := make([]map[string]string, len(real))
	for i, p := range real {
		forms[i] = catalog.SampleForm(p, nil, today)
		if errs := p.ValidateForm(forms[i], today); len(errs) > 0 {
			b.Fatalf("sample form for %s is invalid: %v", p.Code, errs)
		}
	}
	b.Run("valid", func(b *testing.B) {
		i := 0
		for b.Loop() {
			p := real[i%len(real)]
			if errs := p.ValidateForm(forms[i%len(real)], today); len(errs) > 0 {
				b.Fatal(errs)
			}
			i++
		}
	})
	b.Run("empty", func(b *testing.B) {
		i := 0
		empty := map[string]string{}
		for b.Loop() {
			if errs := real[i%len(real)].ValidateForm(empty, today); len(errs) == 0 {
				b.Fatalf("empty form for %s passed", real[i%len(real)].Code)
			}
			i++
		}
	})
}
