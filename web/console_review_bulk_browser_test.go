package web

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/newsintel/newsintel/store"
)

// shiftClick clicks the first element matching css with Shift held.
func shiftClick(css string) chromedp.Action[chromedp.Void] {
	return chromedp.QueryAfter(chromedp.CSS(css), func(ctx context.Context, t *chromedp.Target, nodes []*chromedp.Node) (chromedp.Void, error) {
		return chromedp.MouseClickNode(nodes[0], chromedp.ButtonModifiers(chromedp.ModifierShift))(ctx, t)
	}, chromedp.NodeVisible)
}

func TestBrowserReviewBulkSelectionAndUndo(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 6, 1)
	ctx := newBrowser(t, 90*time.Second)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	box := func(i int) string {
		return fmt.Sprintf(`[data-bulk-row][data-item-id="%d"] input[type="checkbox"]`, ids[i])
	}
	selected := func(text string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelector('[data-bulk-count]').textContent === %q`, text),
			chromedp.WithPollingTimeout(10*time.Second))
	}
	rowsLeft := func(n int) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](fmt.Sprintf(
			`document.querySelectorAll('[data-testid="review-bulk-row"]').length === %d && !document.getElementById("review-bulk").hasAttribute("aria-busy")`, n),
			chromedp.WithPollingTimeout(15*time.Second))
	}
	do("open the bulk page",
		browserLogIn(ts.URL, "reviewer@example.com", testPassword, "/console/review/bulk"),
		chromedp.WaitVisible(testid("review-bulk-table")),
		reviewScriptReady,
		rowsLeft(6),
	)
	do("shift-click ticks the range",
		chromedp.Click(chromedp.CSS(box(0))),
		shiftClick(box(3)),
		selected("4 selected"),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-bulk-all]').indeterminate === true`),
	)
	do("a selects all, the header box clears all",
		chromedp.KeyEvent("a"),
		selected("6 selected"),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-bulk-all]').checked === true`),
		chromedp.Click(testid("review-bulk-all")),
		selected(""),
	)
	do("shift-click clears a range too",
		chromedp.Click(testid("review-bulk-all")),
		selected("6 selected"),
		chromedp.Click(chromedp.CSS(box(1))), // clears row 1
		shiftClick(box(4)),                   // clears rows 1–4
		selected("2 selected"),
	)
	do("label the two left ticked, then undo with u",
		chromedp.KeyEvent("2"),
		rowsLeft(4),
		chromedp.WaitVisible(testid("review-bulk-undo")),
		chromedp.KeyEvent("u"),
		rowsLeft(6),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="review-notice"]').textContent.indexOf("Undid 2 labels") >= 0`),
		selected("2 selected"),
	)
	for i, id := range ids {
		it := item(t, db, id)
		switch {
		case (i == 0 || i == 5) && (it.State != store.StateClaimed || it.ClaimedBy != "reviewer@example.com" || it.Reviews != 0):
			t.Errorf("item %d after undo: %+v", i, it)
		case i != 0 && i != 5 && it.State != store.StatePending:
			t.Errorf("item %d was touched: %s", i, it.State)
		}
	}
}
