package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// jsErrors collects the page's uncaught exceptions and console errors
// from the moment it is called.
type jsErrors struct {
	mu   sync.Mutex
	msgs []string
}

func collectJSErrors(t *testing.T, ctx context.Context) *jsErrors {
	t.Helper()
	e := &jsErrors{}
	err := chromedp.Listen(ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg = d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			msg += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
		case *runtime.EventConsoleAPICalled:
			if ev.Type != runtime.ConsoleAPICalledTypeError {
				return
			}
			for _, a := range ev.Args {
				msg += " " + string(a.Value) + a.Description
			}
		default:
			return
		}
		e.mu.Lock()
		e.msgs = append(e.msgs, msg)
		e.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *jsErrors) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.msgs...)
}

// TestBrowserArticlesBack goes from Articles to an article and back, as a
// user would with the browser's Back button: htmx restores the page from
// its history cache, and no script may fail on it (console.js read the
// swap's target, which a restore does not have).
func TestBrowserArticlesBack(t *testing.T) {
	ts, db := consoleServer(t, testConfig())
	var cs []store.Classification
	for i := range 3 {
		cs = append(cs, store.Classification{
			Article: store.NewArticle{Title: fmt.Sprintf("Story %d", i), Body: "It happened. Then more happened.", Source: "wire"},
			Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: "World", Confidence: 0.9,
				Scores: map[string]float64{"World": 0.9, "Sports": 0.1}},
		})
	}
	if _, err := db.RecordClassifications(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t, 60*time.Second)
	errs := collectJSErrors(t, ctx)
	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "analyst@example.com", testPassword, "/console/articles"),
		chromedp.WaitVisible(testid("articles-results")),
		// A boosted link: htmx swaps the article in and pushes its URL.
		chromedp.Click(chromedp.CSS(`[data-testid="articles-results"] tbody a`)),
		chromedp.WaitVisible(testid("article-page")),
		chromedp.Evaluate[chromedp.Void](`history.back()`),
		chromedp.WaitVisible(testid("articles-results")),
		chromedp.Evaluate[chromedp.Void](`history.forward()`),
		chromedp.WaitVisible(testid("article-page")),
		chromedp.Evaluate[chromedp.Void](`history.back()`),
		chromedp.WaitVisible(testid("articles-results")),
		// Let late handlers run (settle, focus).
		chromedp.Sleep(300*time.Millisecond),
	)
	if err != nil {
		t.Fatal(err)
	}
	if at, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(at, "/console/articles") {
		t.Fatalf("after Back the browser is at %q (%v)", at, err)
	}
	if got := errs.list(); len(got) != 0 {
		t.Fatalf("JavaScript errors going Back and Forward in Articles:\n%s", strings.Join(got, "\n"))
	}
}

// TestBrowserSessionExpiryKeepsLabel walks the session-expiry path: a
// reviewer's session ends on the server while Review is open, they press
// a label, land on the login page told why, log in, return to Review (a
// GET, not the label's POST URL) and are offered the label they pressed,
// which is sent when they accept and shows the server's answer.
func TestBrowserSessionExpiryKeepsLabel(t *testing.T) {
	db, raw, _ := storetest.OpenRaw(t, store.SQLite)
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range store.Roles {
		if _, err := db.CreateUser(context.Background(), role+"@example.com", hash, role, "test"); err != nil {
			t.Fatal(err)
		}
	}
	ids := seedReviewItems(t, db, 4, 1)
	cfg := testConfig()
	cfg.Queue.Lease = 15 * time.Minute
	ts := httptest.NewServer(newTestServerWith(t, cfg, db, &fakeEncoder{}))
	t.Cleanup(ts.Close)

	ctx := newBrowser(t, 90*time.Second)
	errs := collectJSErrors(t, ctx)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	do("open Review",
		browserLogIn(ts.URL, "reviewer@example.com", testPassword, "/console/review?topic=Sports"),
		chromedp.WaitVisible(testid("review-item")),
		reviewScriptReady,
	)
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](currentItemJS))
	if err != nil || first != fmt.Sprint(ids[0]) {
		t.Fatalf("first item %q (%v), want %d", first, err, ids[0])
	}
	// The status indicator polls every 5 s, and its poll would meet the
	// ended session too (and take the browser to the login page): stop
	// it, so that the label is what meets the ended session.
	do("stop the status poll", chromedp.Evaluate[chromedp.Void](`document.getElementById("api-status").remove()`))

	// The session ends on the server: past its maximum age.
	raw.Exec(t, `UPDATE sessions SET expires_at = ?`, time.Now().UTC().Add(-time.Minute))
	do("press a label with the session ended",
		chromedp.KeyEvent("1"), // Sports
		chromedp.WaitVisible(testid("login-page")),
	)
	notice, err := chromedp.Run(ctx, chromedp.Text(testid("login-notice")))
	if err != nil || notice != expiredNotice {
		t.Fatalf("login notice %q (%v)", notice, err)
	}
	screenshot(t, ctx, "session-expired-login")
	if it := item(t, db, ids[0]); it.State == store.StateLabeled {
		t.Fatal("the label went through on an ended session")
	}

	do("log in again",
		chromedp.SendKeys(testid("login-email"), "reviewer@example.com"),
		chromedp.SendKeys(testid("login-password"), testPassword),
		chromedp.Click(testid("login-submit")),
		chromedp.WaitVisible(testid("review-item")),
		chromedp.WaitVisible(testid("pending-action")),
	)
	at, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.HasSuffix(at, "/console/review?topic=Sports") {
		t.Fatalf("after login the browser is at %q (%v), want Review with its filter", at, err)
	}
	offer, err := chromedp.Run(ctx, chromedp.Text(testid("pending-action")))
	if err != nil || !strings.Contains(offer, fmt.Sprintf("'Sports' for item %d", ids[0])) {
		t.Fatalf("offer %q (%v)", offer, err)
	}
	screenshot(t, ctx, "session-expired-offer")
	if it := item(t, db, ids[0]); it.State == store.StateLabeled {
		t.Fatal("the label was sent before the reviewer accepted")
	}

	do("send the label",
		chromedp.Click(testid("pending-send")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(
			`((document.querySelector('[data-testid="review-notice"]') || {}).textContent || "").indexOf("Labeled item %d Sports.") >= 0`, ids[0]),
			chromedp.WithPollingTimeout(15*time.Second)),
		chromedp.Poll[chromedp.Void](`!document.querySelector('[data-testid="pending-action"]') && sessionStorage.getItem("newsintel.pending") === null`),
	)
	given, err := db.ReviewItemLabels(context.Background(), []int64{ids[0]})
	if err != nil {
		t.Fatal(err)
	}
	if l := given[ids[0]]; len(l) != 1 || l[0].Label != "Sports" || l[0].Reviewer != "reviewer@example.com" {
		t.Fatalf("labels of item %d: %+v, want one Sports", ids[0], l)
	}
	if got := errs.list(); len(got) != 0 {
		t.Fatalf("JavaScript errors:\n%s", strings.Join(got, "\n"))
	}
}

// TestBrowserPendingActionOffer checks the offer of a change kept from an
// ended session: only to the user who sent it, only on its page, and
// Discard drops it unsent.
func TestBrowserPendingActionOffer(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 2, 1)
	ctx := newBrowser(t, 60*time.Second)
	stash := func(user, page string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`sessionStorage.setItem("newsintel.pending", JSON.stringify({
			verb: "post", path: "/console/review/items/%d/label", fields: [["label", "World"]],
			page: %q, user: %q, target: "#review-workspace", swap: "innerHTML", at: Date.now()}))`, ids[0], page, user))
	}
	offered := `!!document.querySelector('[data-testid="pending-action"]')`
	stashed := `sessionStorage.getItem("newsintel.pending") !== null`
	check := func(what, cond string, want bool) {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		if err != nil || got != want {
			t.Fatalf("%s: %v (%v), want %v", what, got, err, want)
		}
	}
	if err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "reviewer@example.com", testPassword, "/console/review"),
		chromedp.WaitVisible(testid("review-item")),
		stash("someone@example.com", "/console/review"),
		chromedp.Reload(),
		chromedp.WaitVisible(testid("review-item")),
	); err != nil {
		t.Fatal(err)
	}
	check("another user's change is offered", offered, false)
	check("another user's change is kept", stashed, false)

	if err := chromedp.Do(ctx,
		stash("reviewer@example.com", "/console/articles"),
		chromedp.Reload(),
		chromedp.WaitVisible(testid("review-item")),
	); err != nil {
		t.Fatal(err)
	}
	check("a change from another page is offered here", offered, false)
	check("a change from another page is kept for it", stashed, true)

	if err := chromedp.Do(ctx,
		stash("reviewer@example.com", "/console/review"),
		chromedp.Reload(),
		chromedp.WaitVisible(testid("pending-action")),
		chromedp.Click(testid("pending-discard")),
		chromedp.Poll[chromedp.Void](`!document.querySelector('[data-testid="pending-action"]')`),
	); err != nil {
		t.Fatal(err)
	}
	check("a discarded change is kept", stashed, false)
	if it := item(t, db, ids[0]); it.State == store.StateLabeled {
		t.Fatal("a discarded change was sent")
	}
}
