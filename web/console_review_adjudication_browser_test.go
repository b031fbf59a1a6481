package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/newsintel/newsintel/store"
)

func TestBrowserAdjudicationKeyboard(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 2, 2)
	ctx := context.Background()
	for _, id := range ids {
		for _, l := range []struct{ who, label string }{{"ann@example.com", "Sports"}, {"bob@example.com", "World"}} {
			if _, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: l.who, Items: []store.LabelInput{{ItemID: id, Label: l.label}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	b := newBrowser(t, 90*time.Second)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	left := func(n int) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(
			`document.querySelectorAll('[data-testid="adjudication-item"]').length === %d && !document.getElementById("adjudication").hasAttribute("aria-busy")`, n),
			chromedp.WithPollingTimeout(15*time.Second))
	}
	focusedDispute := func(id int64) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(
			`(document.activeElement && document.activeElement.closest('[data-dispute]') || {dataset: {}}).dataset.itemId === "%d"`, id),
			chromedp.WithPollingTimeout(5*time.Second))
	}
	do("open adjudication",
		browserLogIn(ts.URL, "admin@example.com", testPassword, "/console/review/adjudication"),
		chromedp.WaitVisible(testid("adjudication")),
		reviewScriptReady,
		left(2),
	)
	first, _ := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('[data-dispute]').dataset.itemId`))
	var second int64
	for _, id := range ids {
		if fmt.Sprint(id) != first {
			second = id
		}
	}
	notice := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('[data-testid="review-notice"]').textContent === %q`, text),
			chromedp.WithPollingTimeout(5*time.Second))
	}
	do("j moves to the second item, 1 settles it as the first option",
		chromedp.KeyEvent("j"), chromedp.KeyEvent("j"),
		focusedDispute(second),
		chromedp.KeyEvent("1"),
		left(1),
		notice(fmt.Sprintf("Settled item %d as Sports.", second)),
	)
	do("2 settles the one left as the second option",
		chromedp.KeyEvent("2"),
		left(0),
		notice(fmt.Sprintf("Settled item %s as World.", first)),
	)
	do("? opens the shortcuts",
		chromedp.KeyEvent("?"),
		chromedp.Poll[chromedp.Void](`document.getElementById("review-help").open === true`),
	)
	for _, id := range ids {
		if it := item(t, db, id); it.State != store.StateLabeled || it.Stage != store.StageAdjudication {
			t.Fatalf("item %d: %+v", id, it)
		}
	}
}
