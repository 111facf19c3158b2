package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/mock"
)

// benchPortal is the assembled portal (app.New, logging discarded) with one
// logged-in citizen, driven through its handler without a socket.
type benchPortal struct {
	app   *app.App
	h     http.Handler
	who   portal.Principal
	token string
	form  map[string]string
}

// benchProcedure is a real full-process procedure whose submission needs no
// attachment, so a draft with a sample form submits.
const benchProcedure = "1.004873"

func newBenchPortal(b *testing.B) *benchPortal {
	return newBenchPortalLogging(b, nil)
}

// newBenchPortalLogging is newBenchPortal with the portal's logger (nil:
// logs discarded, as in every other benchmark).
func newBenchPortalLogging(b *testing.B, logger *slog.Logger) *benchPortal {
	b.Helper()
	a, err := app.New(app.Config{DataDir: b.TempDir(), Simulator: true, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	ctx := context.Background()
	pid := mock.CitizenID(7)
	ch, err := a.Auth.StartLogin(ctx, pid)
	if err != nil {
		b.Fatal(err)
	}
	token, s, err := a.Auth.Login(ctx, ch.ID, ch.OTP)
	if err != nil {
		b.Fatal(err)
	}
	p, ok := a.Catalog.Procedure(benchProcedure)
	if !ok {
		b.Fatalf("procedure %s missing", benchProcedure)
	}
	person, err := a.Population.Person(ctx, pid)
	if err != nil {
		b.Fatal(err)
	}
	return &benchPortal{app: a, h: a.Handler(), token: token,
		who:  portal.Principal{UserID: s.UserID, Role: s.Role, Name: s.Name},
		form: catalog.SampleForm(p, person, a.Clock.Now())}
}

// serve runs one request through the handler and checks its status.
func (p *benchPortal) serve(b *testing.B, method, path string, auth bool, want int) {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	if auth {
		req.Header.Set("Authorization", "Bearer "+p.token)
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("%s %s: %d, want %d: %s", method, path, rec.Code, want, rec.Body.String())
	}
}

// BenchmarkRouterDispatch measures the whole middleware chain and handler of
// representative routes, in process (httptest, no socket): what a request
// costs the portal before the network.
func BenchmarkRouterDispatch(b *testing.B) {
	p := newBenchPortal(b)
	d, err := p.app.Dossiers.CreateDraft(context.Background(), p.who, benchProcedure, p.form)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name, method, path string
		auth               bool
		want               int
	}{
		{"healthz", http.MethodGet, "/healthz", false, http.StatusOK},
		{"procedure", http.MethodGet, "/api/v1/procedures/" + benchProcedure, false, http.StatusOK},
		{"search", http.MethodGet, "/api/v1/procedures?q=ho+chieu&per_page=10", false, http.StatusOK},
		{"dossier", http.MethodGet, "/api/v1/dossiers/" + d.ID, true, http.StatusOK},
		{"unauthorized", http.MethodGet, "/api/v1/dossiers", false, http.StatusUnauthorized},
		{"no-route", http.MethodGet, "/api/v1/nothing-here", false, http.StatusNotFound},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				p.serve(b, c.method, c.path, c.auth, c.want)
			}
		})
	}
}

// BenchmarkAccessLog measures what logging costs a cheap request: GET
// /api/v1/procedures/{code} with logs discarded (app.Config without a
// Logger, as benchmarks run), at warn (access lines filtered out), and at
// info as JSON into io.Discard (every request formats an access line).
func BenchmarkAccessLog(b *testing.B) {
	path := "/api/v1/procedures/" + benchProcedure
	for _, c := range []struct {
		name   string
		logger *slog.Logger
	}{
		{"discarded", nil},
		{"warn", slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))},
		{"info-json", slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := newBenchPortalLogging(b, c.logger)
			for b.Loop() {
				p.serve(b, http.MethodGet, path, false, http.StatusOK)
			}
		})
	}
}

// BenchmarkSubmitDispatch measures POST /api/v1/dossiers/{id}/submit through
// the handler and the SQLite store: each op submits its own pre-created
// valid draft (drafts are made before the timer starts).
func BenchmarkSubmitDispatch(b *testing.B) {
	p := newBenchPortal(b)
	ctx := context.Background()
	ids := make([]string, b.N)
	for i := range ids {
		d, err := p.app.Dossiers.CreateDraft(ctx, p.who, benchProcedure, p.form)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = d.ID
	}
	b.ResetTimer()
	for i := range b.N {
		p.serve(b, http.MethodPost, "/api/v1/dossiers/"+ids[i]+"/submit", true, http.StatusOK)
	}
}

// BenchmarkServiceSubmit is the same submit without HTTP: the dossier
// service (load, validate, transition, appointment date) on the SQLite store.
func BenchmarkServiceSubmit(b *testing.B) {
	p := newBenchPortal(b)
	ctx := context.Background()
	ids := make([]string, b.N)
	for i := range ids {
		d, err := p.app.Dossiers.CreateDraft(ctx, p.who, benchProcedure, p.form)
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = d.ID
	}
	b.ResetTimer()
	for i := range b.N {
		if _, err := p.app.Dossiers.Submit(ctx, p.who, ids[i]); err != nil {
			b.Fatal(err)
		}
	}
}
