package backoffice

import (
	"context"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/mock"
)

// TestRealCatalogueStoreAndPopulation runs one dossier of a real procedure
// (permanent residence deregistration, 1 working day) through the pool as
// the app wires it: SQLite store, embedded catalogue, population prefill,
// a signer kept in the data directory.
func TestRealCatalogueStoreAndPopulation(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	signer, err := mock.LoadOrCreateSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	clock := portal.NewManualClock(monday(9, 0))
	pop := mock.NewPopulation(1000)
	svc := &portal.DossierService{Store: sqliteStore(t), Catalog: cat, Clock: clock,
		Calendar: portal.DefaultCalendar(), Population: pop}
	cfg := DefaultConfig()
	cfg.Officers, cfg.MinRealPoll, cfg.Signer, cfg.Sleep = 1, -1, signer, JumpSleeper(clock)
	cfg.Profile.PIntakeRefuse, cfg.Profile.PIntakeSupplement, cfg.Profile.PSupplement, cfg.Profile.PReject = 0, 0, 0, 0
	pool, err := New(svc, cfg)
	if err != nil {
		t.Fatal(err)
	}

	ctx := context.Background()
	owner := portal.Principal{UserID: mock.CitizenID(7), Role: portal.RoleCitizen}
	person, err := pop.Person(ctx, owner.UserID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.CreateDraft(ctx, owner, "1.004227", map[string]string{
		"subject_name": "Lê Văn Cường", "subject_id": mock.CitizenID(8), "reason": "Lý do khác"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = svc.Submit(ctx, owner, d.ID); err != nil {
		t.Fatalf("submit: %v (fields %v)", err, portal.ErrorFields(err))
	}
	mustWork(t, pool, StepIssued)

	d, err = svc.Get(ctx, owner, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	proc, _ := cat.Procedure("1.004227")
	if d.Status != portal.StatusCompleted || d.OnTime == nil || !*d.OnTime {
		t.Fatalf("%s, on time %v", d.Status, d.OnTime)
	}
	// Intake ~10 min and an examination around DefaultHandlingMean (40 min) on a log-normal draw.
	if took := d.DecidedAt.Sub(monday(9, 0)); took < 5*time.Minute || took > 8*time.Hour {
		t.Errorf("decided after %v", took)
	}
	doc, err := mock.NewResultDocument(d, proc)
	if err != nil {
		t.Fatal(err)
	}
	if doc.ApplicantName != person.FullName || doc.IssuingAgency != proc.AgencyVI || doc.ProcedureNameVI != proc.NameVI {
		t.Errorf("e-result %+v; applicant should be %q", doc, person.FullName)
	}
	// After a restart the same key verifies the rebuilt document.
	again, err := mock.LoadOrCreateSigner(dir)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := signer.Sign(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := again.Verify(signed); err != nil {
		t.Fatal(err)
	}

	counts := portal.CountIndicators([]*portal.Dossier{d}, portal.Period{}, func(code string) bool {
		p, ok := cat.Procedure(code)
		return ok && p.FullProcess
	})
	r := portal.ComputeIndicators(portal.Period{}, counts, portal.SummarizeCatalog(cat.All()))
	if v, _ := r.Overall.DigitisedResults.Value(); v != 1 || r.Score.Total == nil {
		t.Errorf("indicators %+v", r.Overall)
	}
	t.Logf("catalogue: %d procedures, full-process %v, published %v; score %.1f (%s)", cat.Len(),
		r.FullProcessProcedures, r.PublishedProcedures, *r.Score.Total, r.Score.Band)
}
