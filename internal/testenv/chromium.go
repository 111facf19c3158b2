package testenv

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's chromium, which .ci/run installs.
const ChromiumPath = "/usr/bin/chromium"

// Chromium returns a chromedp allocator for a headless Debian Chromium with
// a fresh profile and the flags a closed network needs (no background
// networking, no component updates, no sync). Without the browser the test
// is skipped, except under CI=true, where it fails: CI installs chromium, so
// a browser test there must run, never skip.
func Chromium(t testing.TB) (context.Context, context.CancelFunc) {
	t.Helper()
	if _, err := exec.LookPath(ChromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found at %s; CI must install Debian's chromium package to run the browser tests", ChromiumPath)
		}
		t.Skipf("chromium not found at %s; install Debian's chromium package to run the browser tests (with CI=true they fail instead)", ChromiumPath)
	}
	return chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(ChromiumPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(1280, 900),
	)
}
