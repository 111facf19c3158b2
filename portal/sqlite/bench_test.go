package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
)

// BenchmarkCreateDossier measures committed inserts (one transaction each)
// under both durability settings; ns/op inverted is inserts per second.
func BenchmarkCreateDossier(b *testing.B) {
	for _, sync := range []string{"NORMAL", "FULL"} {
		b.Run(sync, func(b *testing.B) {
			ctx := context.Background()
			db := openTest(b, Options{Synchronous: sync})
			i := 0
			for b.Loop() {
				d := newDossier(fmt.Sprintf("0010990%05d", i%100000), baseTime)
				if err := db.CreateDossier(ctx, d, "BENCH"); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
		})
	}
	b.Run("NORMAL-parallel", func(b *testing.B) {
		ctx := context.Background()
		db := openTest(b, Options{})
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := db.CreateDossier(ctx, newDossier("001099000001", baseTime), "BENCH"); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
	})
}

// BenchmarkUpdateDossier measures a submit-like update: load with history,
// transition, save the row and one history entry.
func BenchmarkUpdateDossier(b *testing.B) {
	ctx := context.Background()
	db := openTest(b, Options{})
	ids := make([]string, 0, 1024)
	for i := range cap(ids) {
		d := newDossier(fmt.Sprintf("0010990%05d", i), baseTime)
		if err := db.CreateDossier(ctx, d, "BENCH"); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	at := baseTime.Add(time.Hour)
	i := 0
	for b.Loop() {
		// Alternate submit and withdraw-free toggling so each op is a legal transition:
		// draft → submitted, then a note on the submitted dossier.
		if _, err := db.UpdateDossier(ctx, ids[i%len(ids)], func(d *portal.Dossier) error {
			if d.Status == portal.StatusDraft {
				return d.Transition(portal.StatusSubmitted, d.OwnerID, portal.RoleCitizen, "", at)
			}
			return appendNote("officer")(d)
		}); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkGetDossier measures reading a dossier with history and attachments.
func BenchmarkGetDossier(b *testing.B) {
	ctx := context.Background()
	db := openTest(b, Options{})
	d := newDossier("001099000001", baseTime)
	if err := db.CreateDossier(ctx, d, "BENCH"); err != nil {
		b.Fatal(err)
	}
	for _, fn := range []func(*portal.Dossier) error{
		func(d *portal.Dossier) error {
			return d.Transition(portal.StatusSubmitted, d.OwnerID, portal.RoleCitizen, "", baseTime)
		},
		func(d *portal.Dossier) error {
			return d.Transition(portal.StatusReceived, "o", portal.RoleOfficer, "", baseTime)
		},
	} {
		if _, err := db.UpdateDossier(ctx, d.ID, fn); err != nil {
			b.Fatal(err)
		}
	}
	if err := db.AddAttachment(ctx, &portal.Attachment{DossierID: d.ID, Requirement: "r", FileName: "f.pdf",
		ContentType: "application/pdf", UploadedAt: baseTime}, make([]byte, 64<<10)); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			if _, err := db.Dossier(ctx, d.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := db.Dossier(ctx, d.ID); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// seedQueue inserts n dossiers in one transaction, every other one submitted,
// a second apart, as a busy office's backlog.
func seedQueue(b *testing.B, db *DB, n int) {
	b.Helper()
	ctx := context.Background()
	err := db.write(ctx, func(tx *sql.Tx) error {
		ins := tx.StmtContext(ctx, db.w.insertDossier)
		for i := range n {
			at := baseTime.Add(time.Duration(i) * time.Second)
			status, submitted := portal.StatusDraft, sql.NullInt64{}
			if i%2 == 0 {
				status, submitted = portal.StatusSubmitted, encTimePtr(&at)
			}
			if _, err := ins.ExecContext(ctx, portal.NewID("d"), fmt.Sprintf("Q-%07d", i), "1.000001", "owner", "",
				string(status), `{"a":"b"}`, 0, portal.PaymentNone, true, encTime(at), encTime(at), submitted,
				nil, nil, nil, nil, nil, nil, "", 0, 0, "", 1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkQueuePage measures the back office's queue scan: one page of the
// oldest submitted/received/processing dossiers out of a 20,000 backlog.
func BenchmarkQueuePage(b *testing.B) {
	ctx := context.Background()
	db := openTest(b, Options{})
	seedQueue(b, db, 20000)
	f := portal.DossierFilter{Statuses: []portal.Status{portal.StatusSubmitted, portal.StatusReceived, portal.StatusProcessing},
		OldestFirst: true, Limit: 100}
	for b.Loop() {
		ds, total, err := db.Dossiers(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		if len(ds) != 100 || total != 10000 {
			b.Fatalf("got %d of %d", len(ds), total)
		}
	}
}
