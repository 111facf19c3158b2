package ui_test

import (
	"context"
	"flag"
	"fmt"
	"github.com/portalsim/portalsim/internal/testenv"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/portalsim/portalsim/portal"
	"github.com/portalsim/portalsim/portal/app"
	"github.com/portalsim/portalsim/portal/catalog"
	"github.com/portalsim/portalsim/portal/mock"
)

var screenshots = flag.Bool("screenshots", false, "write PNG screenshots to docs/screenshots (also UPDATE_SCREENSHOTS=1)")

// consoleProblems collects console errors and uncaught exceptions of every tab.
type consoleProblems struct {
	mu   sync.Mutex
	list []string
}

func (c *consoleProblems) listen(t *testing.T, ctx context.Context) {
	t.Helper()
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				msg = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				msg = "log: " + e.Entry.Text + " " + e.Entry.URL
			}
		}
		if msg != "" {
			c.mu.Lock()
			c.list = append(c.list, msg)
			c.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatalf("listen to the browser console: %v", err)
	}
}

func (c *consoleProblems) check(t *testing.T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.list {
		t.Errorf("browser reported: %s", m)
	}
}

func browserAllocator(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return testenv.Chromium(t)
}

func startApp(t *testing.T) *app.App {
	t.Helper()
	a, err := app.New(app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Simulator: true,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return a
}

func wantScreenshots() bool { return *screenshots || os.Getenv("UPDATE_SCREENSHOTS") == "1" }

// shoot writes a full-page PNG to docs/screenshots when asked to.
func shoot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !wantScreenshots() || name == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// login signs in through the e-ID pages, reading the simulator's OTP.
func login(personalID string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := chromedp.Steps(
			chromedp.WaitVisible(chromedp.ID("personal_id")),
			chromedp.SendKeys(chromedp.ID("personal_id"), personalID),
			chromedp.Click(chromedp.ID("send-otp")),
			chromedp.WaitVisible(chromedp.ID("dev-otp")),
		)(ctx, t); err != nil {
			return err
		}
		otp, err := chromedp.Text(chromedp.ID("dev-otp"))(ctx, t)
		if err != nil {
			return err
		}
		_, err = chromedp.Steps(chromedp.SendKeys(chromedp.ID("otp"), otp), chromedp.Click(chromedp.ID("verify-otp")))(ctx, t)
		return err
	})
}

// TestBrowserJourney drives headless Chromium through the trainer's story:
// a citizen applies, an officer asks for a supplement, the citizen
// supplies it, the officer approves, and the open dashboard changes.
func TestBrowserJourney(t *testing.T) {
	alloc, cancelAlloc := browserAllocator(t)
	defer cancelAlloc()
	a := startApp(t)
	base := a.URL()

	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(browser, 150*time.Second) // a hang guard; the journey takes ~20–45 s
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatal(err)
	}
	var problems consoleProblems
	problems.listen(t, ctx)
	defer problems.check(t)

	start := time.Now()
	phase := func(name string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), name) }
	const code = "1.001193" // birth registration: no fee, one required upload
	proc, _ := a.Catalog.Procedure(code)
	citizenID := mock.CitizenID(0)
	person, err := a.Population.Person(context.Background(), citizenID)
	if err != nil {
		t.Fatal(err)
	}
	sample := catalog.SampleForm(proc, person, time.Now())
	pdf := filepath.Join(t.TempDir(), "giay-chung-sinh.pdf")
	if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	phase("start")
	// Citizen: Vietnamese by default, procedure page, login with OTP, start.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/procedures/"+code)); err != nil {
		t.Fatal(err)
	}
	if l := htmlLang(t, ctx); l != "vi" {
		t.Fatalf("default language %q, want vi", l)
	}
	for i, step := range []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.ID("login-to-start")),
		login(citizenID),
		chromedp.WaitVisible(chromedp.ID("start")),
		chromedp.Click(chromedp.ID("start")),
		chromedp.WaitVisible(chromedp.ID("dossier-form")),
	} {
		sctx, scancel := context.WithTimeout(ctx, 8*time.Second)
		err := chromedp.Do(sctx, step)
		scancel()
		if err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
			t.Log(html)
			t.Fatalf("citizen login and start, step %d at %s: %v", i, loc, err)
		}
	}
	phase("logged in")
	// Upload the birth notice, then fill what the prefill did not.
	fill := []chromedp.Action[chromedp.Void]{
		chromedp.SetUploadFiles(chromedp.ID("a-birth_notice"), []string{pdf}),
		chromedp.Click(chromedp.ID("upload-birth_notice")),
		chromedp.WaitVisible(chromedp.CSS(".upload .ok")),
	}
	for _, f := range proc.Fields {
		v, ok := sample[f.Name]
		if !ok {
			continue
		}
		sel := chromedp.ID("f-" + f.Name)
		if f.Type == portal.FieldCheckbox {
			if v == "true" {
				fill = append(fill, chromedp.Click(sel))
			}
			continue
		}
		fill = append(fill, chromedp.SetValue(sel, v))
	}
	if err := chromedp.Do(ctx, fill...); err != nil {
		t.Fatalf("fill the form: %v", err)
	}
	shoot(t, ctx, "citizen-form")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("submit")), chromedp.WaitVisible(chromedp.ID("receipt"))); err != nil {
		t.Fatalf("submit: %v", err)
	}
	phase("submitted")
	dossierCode := text(t, ctx, chromedp.ID("dossier-code"))
	appointment := text(t, ctx, chromedp.ID("appointment"))
	if !strings.HasPrefix(dossierCode, proc.AgencyCode+"-") || len(appointment) != len("02/01/2006") {
		t.Fatalf("receipt shows code %q and appointment %q", dossierCode, appointment)
	}
	citizenURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	citizenURL = strings.SplitN(citizenURL, "?", 2)[0]

	// Dashboard in its own tab, live: remember the approved count.
	dash, cancelDash := chromedp.NewContext(ctx)
	defer cancelDash()
	if err := chromedp.Do(dash, chromedp.Navigate(base+"/dashboard")); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	problems.listen(t, dash)
	decidedBefore, err := chromedp.Run(dash, chromedp.Evaluate[int](decidedJS))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(dash, chromedp.Poll[bool](`document.getElementById("live").textContent.indexOf("●") >= 0`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("dashboard never went live: %v", err)
	}

	phase("dashboard live")
	// Officer in a separate browser context: its own cookies.
	officer, cancelOfficer := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelOfficer()
	if err := chromedp.Do(officer, chromedp.Navigate(base+"/login")); err != nil {
		t.Fatal(err)
	}
	phase("officer browser ready")
	problems.listen(t, officer)
	act := func(to portal.Status, note string) chromedp.Action[chromedp.Void] {
		steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.ID("act-" + string(to)))}
		if note != "" {
			steps = append(steps, chromedp.SendKeys(chromedp.ID("note"), note))
		}
		return chromedp.Steps(append(steps, chromedp.Click(chromedp.ID("act-"+string(to))),
			chromedp.WaitVisible(chromedp.CSS(`.notice[role="status"]`)))...)
	}
	link := chromedp.Search(`//a[text()="` + dossierCode + `"]`)
	if err := chromedp.Do(officer,
		login("001085000001"),
		chromedp.WaitVisible(link),
		chromedp.Click(link),
		act(portal.StatusSupplementRequested, "Ảnh giấy chứng sinh bị mờ, đề nghị tải lại"),
	); err != nil {
		t.Fatalf("officer requests a supplement: %v", err)
	}

	phase("supplement requested")
	// Citizen answers with a new upload and a note.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(citizenURL),
		chromedp.WaitVisible(chromedp.ID("answer-supplement")),
		chromedp.Click(chromedp.ID("answer-supplement")),
		chromedp.WaitVisible(chromedp.ID("dossier-form")),
		chromedp.SetUploadFiles(chromedp.ID("a-birth_notice"), []string{pdf}),
		chromedp.SendKeys(chromedp.ID("note"), "Đã tải lại bản rõ"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.ID("receipt")),
	); err != nil {
		t.Fatalf("citizen supplies: %v", err)
	}

	phase("supplied")
	// Officer receives, processes and approves.
	if err := chromedp.Do(officer,
		chromedp.Reload(),
		act(portal.StatusReceived, ""),
		act(portal.StatusProcessing, ""),
		act(portal.StatusApproved, ""),
	); err != nil {
		t.Fatalf("officer approves: %v", err)
	}

	phase("approved")
	// The dashboard tab changes without a reload.
	if _, err := chromedp.Run(dash, chromedp.Poll[bool](fmt.Sprintf(`(%s) > %d`, decidedJS, decidedBefore),
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("dashboard did not show the approval: %v", err)
	}
	if _, err := chromedp.Run(dash, chromedp.Poll[bool](`document.getElementById("ind-on_time").textContent.trim() === "100.0%"`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("dashboard indicators did not show the on-time approval: %v", err)
	}
	shoot(t, dash, "dashboard")

	phase("dashboard updated")
	// The citizen's timeline has every state change.
	if err := chromedp.Do(ctx, chromedp.Navigate(citizenURL)); err != nil {
		t.Fatal(err)
	}
	timeline := text(t, ctx, chromedp.CSS(".timeline"))
	for _, want := range []string{"Đã nộp", "Yêu cầu bổ sung", "Ảnh giấy chứng sinh bị mờ", "Đã tiếp nhận", "Đang xử lý", "Đã phê duyệt"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("timeline lacks %q:\n%s", want, timeline)
		}
	}
	shoot(t, ctx, "timeline")

	phase("timeline")
	// English on request, remembered on the next page.
	if err := chromedp.Do(ctx, chromedp.Navigate(citizenURL+"?lang=en")); err != nil {
		t.Fatal(err)
	}
	if l := htmlLang(t, ctx); l != "en" {
		t.Errorf("after ?lang=en the page is in %q", l)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/lookup?code="+dossierCode)); err != nil {
		t.Fatal(err)
	}
	if h := text(t, ctx, chromedp.CSS("h1")); h != "Track a dossier" || htmlLang(t, ctx) != "en" {
		t.Errorf("English was not remembered: heading %q", h)
	}

	phase("english")
	// A phone-sized viewport needs no sideways scrolling.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 740)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/", citizenURL, "/dashboard", "/login"} {
		if !strings.HasPrefix(path, "http") {
			path = base + path
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(path)); err != nil {
			t.Fatal(err)
		}
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil {
			t.Fatal(err)
		}
		if wide {
			t.Errorf("%s scrolls sideways on a 375 px wide phone", path)
		}
		phase("phone " + path)
	}
}

// decidedJS counts the approved dossiers on the dashboard, whatever
// happened to them since (result issued, completed).
const decidedJS = `["approved", "result_issued", "completed"].reduce(function (n, s) {
	return n + parseInt(document.getElementById("count-" + s).textContent, 10); }, 0)`

func text[S chromedp.Selectable](t *testing.T, ctx context.Context, sel S) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("read text of %v: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func htmlLang(t *testing.T, ctx context.Context) string {
	t.Helper()
	r, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
	if err != nil {
		t.Fatal(err)
	}
	return r.Value
}
