package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	vegeta "github.com/tsenart/vegeta/v12/lib"
	_ "modernc.org/sqlite" // the same driver as the portal's store

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/mock"
)

// procedureCode is a real, full-process procedure whose submission needs no
// attachment (marital-status certificate), so a draft with a sample form is
// submittable.
const procedureCode = "1.004873"

// portalPair is the in-process portal (logging discarded, as app.New does
// without a Logger) and the bare gin baselines, each on its own loopback
// listener in this process.
type portalPair struct {
	o       options
	dir     string
	portal  *app.App
	bare    *http.Server
	bareURL string
	bareDB  *sql.DB

	procedureBody []byte
	procedureType string
	submitBody    []byte

	who   portal.Principal
	token string
	form  map[string]string
}

func startPortalPair(ctx context.Context, o options) (*portalPair, error) {
	gin.SetMode(gin.ReleaseMode)
	dir, err := os.MkdirTemp("", "portalsim-bench-")
	if err != nil {
		return nil, err
	}
	p := &portalPair{o: o, dir: dir}
	a, err := app.New(app.Config{Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "portal"), Simulator: true})
	if err != nil {
		p.close()
		return nil, err
	}
	p.portal = a
	if err := a.Start(ctx); err != nil {
		p.close()
		return nil, err
	}
	if err := p.prepare(ctx); err != nil {
		p.close()
		return nil, err
	}
	if err := p.startBare(ctx); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// prepare logs a citizen in, captures the bytes the portal answers for the
// procedure and for one submit (the bare handlers answer the same bytes),
// and checks that a pre-created draft really submits.
func (p *portalPair) prepare(ctx context.Context) error {
	a := p.portal
	pid := mock.CitizenID(42)
	ch, err := a.Auth.StartLogin(ctx, pid)
	if err != nil {
		return fmt.Errorf("log in citizen %s: %w", pid, err)
	}
	token, s, err := a.Auth.Login(ctx, ch.ID, ch.OTP)
	if err != nil {
		return fmt.Errorf("log in citizen %s: %w", pid, err)
	}
	p.token, p.who = token, portal.Principal{UserID: s.UserID, Role: s.Role, Name: s.Name}
	proc, ok := a.Catalog.Procedure(procedureCode)
	if !ok {
		return fmt.Errorf("procedure %s is not in the catalogue", procedureCode)
	}
	person, err := a.Population.Person(ctx, pid)
	if err != nil {
		return err
	}
	p.form = catalog.SampleForm(proc, person, a.Clock.Now())

	resp, err := http.Get(a.URL() + "/api/v1/procedures/" + procedureCode)
	if err != nil {
		return err
	}
	p.procedureBody, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	p.procedureType = resp.Header.Get("Content-Type")
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET procedure %s: %s: %s", procedureCode, resp.Status, p.procedureBody)
	}

	ids, err := p.drafts(ctx, 1)
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.URL()+"/api/v1/dossiers/"+ids[0]+"/submit", nil)
	req.Header.Set("Authorization", "Bearer "+p.token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	p.submitBody, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("submit a pre-created draft: %s: %s", resp.Status, p.submitBody)
	}
	return nil
}

// drafts creates n valid drafts through the dossier service (not timed).
func (p *portalPair) drafts(ctx context.Context, n int) ([]string, error) {
	ids := make([]string, 0, n)
	for range n {
		d, err := p.portal.Dossiers.CreateDraft(ctx, p.who, procedureCode, p.form)
		if err != nil {
			return nil, fmt.Errorf("create draft: %w", err)
		}
		ids = append(ids, d.ID)
	}
	return ids, nil
}

// startBare serves the baselines: gin.New() with no middleware, one route
// answering the captured procedure bytes, and one doing a single INSERT in
// a SQLite database opened like the portal's store (modernc driver, WAL,
// synchronous=NORMAL, busy_timeout, foreign_keys, one writer connection,
// BEGIN IMMEDIATE) and answering the captured submit bytes.
func (p *portalPair) startBare(ctx context.Context) error {
	path := filepath.Join(p.dir, "bare.db")
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_txlock", "immediate")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Opaque: path, RawQuery: q.Encode()}).String())
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	p.bareDB = db
	if _, err := db.ExecContext(ctx, `CREATE TABLE submissions (
		id INTEGER PRIMARY KEY, dossier_id TEXT NOT NULL, owner_id TEXT NOT NULL,
		form TEXT NOT NULL, submitted_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("bare sqlite: %w", err)
	}
	insert, err := db.PrepareContext(ctx, `INSERT INTO submissions (dossier_id, owner_id, form, submitted_at) VALUES (?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("bare sqlite: %w", err)
	}
	form := `{"marital_status":"Chưa kết hôn","purpose":"Đăng ký kết hôn"}`

	r := gin.New()
	r.GET("/api/v1/procedures/:code", func(c *gin.Context) {
		c.Data(http.StatusOK, p.procedureType, p.procedureBody)
	})
	r.POST("/api/v1/dossiers/:id/submit", func(c *gin.Context) {
		if _, err := insert.ExecContext(c.Request.Context(), c.Param("id"), p.who.UserID, form, time.Now().UnixNano()); err != nil {
			c.String(http.StatusInternalServerError, err.Error())
			return
		}
		c.Data(http.StatusOK, "application/json; charset=utf-8", p.submitBody)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	p.bare = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	p.bareURL = "http://" + ln.Addr().String()
	go func() { _ = p.bare.Serve(ln) }()
	return nil
}

func (p *portalPair) close() {
	if p.bare != nil {
		_ = p.bare.Close()
	}
	if p.bareDB != nil {
		_ = p.bareDB.Close()
	}
	if p.portal != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = p.portal.Shutdown(ctx)
		cancel()
	}
	_ = os.RemoveAll(p.dir)
}

// procedure: GET /api/v1/procedures/{code}, portal vs bare gin, same bytes.
func (p *portalPair) procedure(ctx context.Context) (row, error) {
	path := "/api/v1/procedures/" + procedureCode
	portalT := staticTarget(http.MethodGet, p.portal.URL()+path, nil)
	bareT := staticTarget(http.MethodGet, p.bareURL+path, nil)
	warm(portalT, p.o.workers)
	warm(bareT, p.o.workers)
	ra, rb, err := interleave(p.o.rounds,
		func() (round, error) { return maxRate(portalT, p.o.workers, p.o.round), nil },
		func() (round, error) { return maxRate(bareT, p.o.workers, p.o.round), nil })
	if err != nil {
		return row{}, fmt.Errorf("procedure pair: %w", err)
	}
	if p.o.profile && p.o.out != "" {
		if err := profiled(p.o.out, "portal-procedure", func() { maxRate(portalT, p.o.workers, p.o.round) }); err != nil {
			return row{}, err
		}
	}
	return ratioRow("GET /procedures/{code}", "portal", "bare gin, same bytes", ra, rb, 0.7,
		fmt.Sprintf("vegeta max-rate mode, %d workers; %d-byte body; p99 %.1f ms vs %.1f ms",
			p.o.workers, len(p.procedureBody), ra[len(ra)-1].p99ms, rb[len(rb)-1].p99ms)), nil
}

// submit: POST /api/v1/dossiers/{id}/submit, each request on its own
// pre-created valid draft (authenticated, loaded with history, validated,
// transitioned, saved with a history entry), vs bare gin doing one INSERT.
func (p *portalPair) submit(ctx context.Context) (row, error) {
	header := http.Header{"Authorization": {"Bearer " + p.token}}
	// Enough drafts for the fastest round we expect; more are made between
	// rounds if a round used most of them.
	guess := 4000.0
	var portalT *draftTargeter
	refill := func(rate float64) error {
		need := int(rate*1.5*p.o.round.Seconds()) + 1000
		var left []string
		if portalT != nil {
			left = portalT.unused()
		}
		if len(left) >= need {
			return nil
		}
		ids, err := p.drafts(ctx, need-len(left))
		if err != nil {
			return err
		}
		portalT = &draftTargeter{base: p.portal.URL(), header: header, ids: append(left, ids...)}
		return nil
	}
	var bareSeq atomic.Uint64
	bareT := func(t *vegeta.Target) error {
		*t = vegeta.Target{Method: http.MethodPost, Header: header,
			URL: p.bareURL + "/api/v1/dossiers/d" + strconv.FormatUint(bareSeq.Add(1), 10) + "/submit"}
		return nil
	}
	if err := refill(guess / 2); err != nil {
		return row{}, err
	}
	warm(portalT.targeter(), p.o.workers)
	warm(bareT, p.o.workers)
	portalRound := func() (round, error) {
		if err := refill(guess); err != nil {
			return round{}, err
		}
		r := maxRate(portalT.targeter(), p.o.workers, p.o.round)
		if portalT.exhausted() {
			return r, errors.New("submit pair: ran out of pre-created drafts; raise the guess")
		}
		guess = max(guess, r.rate)
		return r, nil
	}
	ra, rb, err := interleave(p.o.rounds, portalRound,
		func() (round, error) { return maxRate(bareT, p.o.workers, p.o.round), nil })
	if err != nil {
		return row{}, fmt.Errorf("submit pair: %w", err)
	}
	if p.o.profile && p.o.out != "" {
		if err := refill(guess); err != nil {
			return row{}, err
		}
		if err := profiled(p.o.out, "portal-submit", func() { maxRate(portalT.targeter(), p.o.workers, p.o.round) }); err != nil {
			return row{}, err
		}
	}
	return ratioRow("POST /dossiers/{id}/submit", "portal", "bare gin + 1 SQLite insert", ra, rb, 0.6,
		fmt.Sprintf("one submit per pre-created valid draft (drafts made between rounds, untimed); %d workers; p99 %.1f ms vs %.1f ms",
			p.o.workers, ra[len(ra)-1].p99ms, rb[len(rb)-1].p99ms)), nil
}

// draftTargeter hands each pre-created draft to exactly one request.
type draftTargeter struct {
	base   string
	header http.Header
	ids    []string
	next   atomic.Int64
	out    atomic.Bool
}

// unused returns the drafts no request has taken yet.
func (d *draftTargeter) unused() []string {
	i := min(int(d.next.Load()), len(d.ids))
	return d.ids[i:]
}

func (d *draftTargeter) targeter() vegeta.Targeter {
	return func(t *vegeta.Target) error {
		i := d.next.Add(1) - 1
		if i >= int64(len(d.ids)) {
			d.out.Store(true)
			return vegeta.ErrNoTargets
		}
		*t = vegeta.Target{Method: http.MethodPost, URL: d.base + "/api/v1/dossiers/" + d.ids[i] + "/submit", Header: d.header}
		return nil
	}
}

func (d *draftTargeter) exhausted() bool { return d.out.Load() }

// ratioRow makes a row whose ratio is the median of the per-round ratios
// A_i / B_i: each A round and the B round right after it ran under nearly
// the same background load, so pairing them cancels slow drifts that the
// ratio of the two medians would keep.
func ratioRow(pair, subject, baseline string, ra, rb []round, target float64, note string) row {
	a, b := newSample(rates(ra)), newSample(rates(rb))
	paired := make([]float64, len(ra))
	for i := range ra {
		paired[i] = ra[i].rate / rb[i].rate
	}
	pr := newSample(paired)
	return row{Pair: pair, Subject: subject, Baseline: baseline, Unit: "req/s", A: a, B: b,
		Ratio: pr.Median, RatioText: fmt.Sprintf("%.2f (%.2f–%.2f)", pr.Median, pr.Min, pr.Max),
		PairedRatios: pr.Rounds, MedianRatio: a.Median / b.Median,
		Target: fmt.Sprintf("≥ %.2f", target), Met: pr.Median >= target, Note: note}
}
