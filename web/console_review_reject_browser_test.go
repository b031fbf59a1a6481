package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/newsintel/newsintel/store"
)

func TestBrowserReviewNoneOfTheseByKeyboard(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 3, 1)
	ctx := newBrowser(t, 90*time.Second)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	do("open the review page",
		browserLogIn(ts.URL, "reviewer@example.com", testPassword, "/console/review"),
		chromedp.WaitVisible(testid("review-item")),
		reviewScriptReady,
	)
	// n opens the reason field with focus in it; keys typed there are
	// text, not shortcuts (the 1 and s below); Enter sends.
	do("n, a reason, Enter",
		chromedp.KeyEvent("n"),
		chromedp.Poll[chromedp.Void](`document.activeElement === document.querySelector('[data-testid="review-reject-reason"]')`),
		chromedp.KeyEvent("1 ad, s"),
		chromedp.KeyEvent(kb.Enter),
		pressAndWaitForItemSettled(fmt.Sprint(ids[0])),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="review-notice"]').textContent.indexOf("none of the labels fits") >= 0`),
	)
	it := item(t, db, ids[0])
	if it.State != store.StatePending || it.SkipCount != 1 || it.Reviews != 0 {
		t.Fatalf("item after none of these: %+v", it)
	}
	p, err := db.ReviewProgress(t.Context(), store.ProgressQuery{Reviewer: "reviewer@example.com"})
	if err != nil || p.LastAction == nil || !p.LastAction.NoneOfThese || p.LabeledSince != 0 {
		t.Fatalf("last action %+v, labels %d, %v", p.LastAction, p.LabeledSince, err)
	}
}

// pressAndWaitForItemSettled waits until the page shows an item other than
// before, focused and ready.
func pressAndWaitForItemSettled(before string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function () {
		var el = document.querySelector('[data-testid="review-item"]');
		var ws = document.getElementById("review-workspace");
		return !!el && el.dataset.itemId !== %q && document.activeElement === el && !ws.hasAttribute("aria-busy");
	})()`, before), chromedp.WithPollingTimeout(15*time.Second))
}
