package web

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// switchableEncoder is a fakeEncoder whose readiness a test can flip while
// the server runs.
type switchableEncoder struct {
	fakeEncoder
	down atomic.Bool
}

func (e *switchableEncoder) Ready() error {
	if e.down.Load() {
		return errors.New("the model process died")
	}
	return nil
}

func TestBrowserConnectivityIndicatorTurnsRed(t *testing.T) {
	enc := &switchableEncoder{}
	ts, _ := consoleServerWith(t, testConfig(), enc)
	ctx := newBrowser(t, 60*time.Second)
	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "analyst@example.com", testPassword, "/console/status"),
		chromedp.WaitVisible(chromedp.CSS(`#api-status .dot.ok`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "status-ok")
	// Readiness fails: within a poll or two the indicator turns red and
	// names the failing dependency.
	enc.down.Store(true)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#api-status .dot.bad`))); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#api-status`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "API degraded") || !strings.Contains(text, "model") {
		t.Fatalf("indicator says %q", text)
	}
	screenshot(t, ctx, "status-degraded")
	// It recovers by itself.
	enc.down.Store(false)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#api-status .dot.ok`))); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserRefusesForgedPost(t *testing.T) {
	ts, db := consoleServer(t, testConfig())
	ctx := newBrowser(t, 60*time.Second)
	if err := chromedp.Do(ctx, browserLogIn(ts.URL, "reviewer@example.com", testPassword, "/console/status")); err != nil {
		t.Fatal(err)
	}
	// A post without the token, as a forged form on another site would
	// send it (the browser attaches the session cookie): refused.
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](`fetch("/console/logout", {method: "POST",
		headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "csrf_token=forged"}).then(r => r.status)`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if status != 403 {
		t.Fatalf("forged post answered %d, want 403", status)
	}
	// The session survived the forgery: the console still opens.
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/console/status"), chromedp.WaitVisible(testid("whoami"))); err != nil {
		t.Fatal(err)
	}
	u, err := db.UserByEmail(context.Background(), "reviewer@example.com")
	if err != nil || u.Disabled() {
		t.Fatalf("user: %+v %v", u, err)
	}
}
