package web

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser tests drive a real Chromium (Debian's chromium package, which
// .ci/run installs). Without one they skip, unless NEWSINTEL_REQUIRE_BROWSER
// is set, as CI sets it, so a missing browser cannot pass unnoticed.

// chromiumPath finds the browser.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium for one test and returns a
// context for chromedp.Run, bounded by timeout.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("NEWSINTEL_REQUIRE_BROWSER") != "" {
			t.Fatal("no Chromium found and NEWSINTEL_REQUIRE_BROWSER is set: install Debian's chromium package")
		}
		t.Skip("no Chromium on this machine (install Debian's chromium package)")
	}
	// The flags keep Chromium from reaching the network on its own (this
	// machine's is closed) and let it run as root in a container.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	// The first Do starts the browser, which lives as long as that call's
	// context: so no timeout on it, only on the actions after it.
	if err := chromedp.Do(ctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return tctx
}

// screenshot saves a PNG of the page as a test artifact, in
// $NEWSINTEL_SCREENSHOTS (which .ci/run sets and prints) or else a
// temporary folder named in the test log. Failing to take one fails the
// test: a page that cannot be captured is not rendering.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("NEWSINTEL_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "newsintel-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// browserLogIn logs the browser in through the login form, landing on
// next (a console path).
func browserLogIn(base, email, password, next string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/console/login?next="+url.QueryEscape(next)),
		chromedp.WaitVisible(testid("login-email")),
		chromedp.SendKeys(testid("login-email"), email),
		chromedp.SendKeys(testid("login-password"), password),
		chromedp.Click(testid("login-submit")),
		chromedp.WaitVisible(testid("sidebar")),
	)
}

// testid selects the element with a data-testid.
func testid(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

func TestBrowserLogin(t *testing.T) {
	ts, _ := consoleServer(t, testConfig())
	ctx := newBrowser(t, 60*time.Second)
	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "analyst@example.com", testPassword, "/console/status"),
		// The connectivity indicator polls and reports the API up.
		chromedp.WaitVisible(testid("status-db")),
	)
	if err != nil {
		t.Fatal(err)
	}
	who, err := chromedp.Run(ctx, chromedp.Text(testid("whoami")))
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(testid("api-status-text")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(who, "analyst@example.com") || status != "API connected" {
		t.Fatalf("after login: whoami %q, status %q", who, status)
	}
	// Logging out ends up on the login page; the console is closed again.
	err = chromedp.Do(ctx,
		chromedp.Click(testid("logout")),
		chromedp.WaitVisible(testid("login-page")),
		chromedp.Navigate(ts.URL+"/console/status"),
		chromedp.WaitVisible(testid("login-page")),
	)
	if err != nil {
		t.Fatal(err)
	}
	at, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(at, "/console/login") {
		t.Fatalf("after logout the console is at %s", at)
	}
}
