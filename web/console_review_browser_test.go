package web

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/newsintel/newsintel/store"
)

// reviewScriptReady waits until review.js has wired the page up.
var reviewScriptReady = chromedp.Poll[chromedp.Void](`window.newsintelReview === true`)

// currentItemJS is the id of the item the review page shows.
const currentItemJS = `(document.querySelector('[data-testid="review-item"]') || {dataset: {}}).dataset.itemId || ""`

// pressAndWaitForItem presses key and waits until the page shows another
// item than before, with keyboard focus on it and ready for the next key.
func pressAndWaitForItem(key, before string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.KeyEvent(key),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function () {
			var el = document.querySelector('[data-testid="review-item"]');
			var ws = document.getElementById("review-workspace");
			return !!el && el.dataset.itemId !== %q && document.activeElement === el && !ws.hasAttribute("aria-busy");
		})()`, before), chromedp.WithPollingTimeout(15*time.Second)),
	)
}

func TestBrowserReviewKeyboard(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 6, 1)
	ctx := newBrowser(t, 90*time.Second)
	current := func() string {
		t.Helper()
		id, err := chromedp.Run(ctx, chromedp.Evaluate[string](currentItemJS))
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
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
	if got := current(); got != fmt.Sprint(ids[0]) {
		t.Fatalf("first item %s, want %d", got, ids[0])
	}
	screenshot(t, ctx, "review")

	// ? opens the help; Escape closes it.
	do("help",
		chromedp.KeyEvent("?"),
		chromedp.Poll[chromedp.Void](`document.getElementById("review-help").open`),
		chromedp.KeyEvent(kb.Escape),
		chromedp.Poll[chromedp.Void](`!document.getElementById("review-help").open`),
	)

	// j and k move between the claimed items.
	do("j", pressAndWaitForItem("j", fmt.Sprint(ids[0])))
	if got := current(); got != fmt.Sprint(ids[1]) {
		t.Fatalf("after j: item %s, want %d", got, ids[1])
	}
	do("k", pressAndWaitForItem("k", fmt.Sprint(ids[1])))
	if got := current(); got != fmt.Sprint(ids[0]) {
		t.Fatalf("after k: item %s, want %d", got, ids[0])
	}

	// Keys typed into a field are not shortcuts.
	do("type into the filter",
		chromedp.Focus(testid("review-filter-topic")),
		chromedp.KeyEvent("1"),
		chromedp.KeyEvent("s"),
		chromedp.Focus(testid("review-item")),
	)
	if got := current(); got != fmt.Sprint(ids[0]) {
		t.Fatalf("a key typed into the filter acted: item %s", got)
	}

	// Label three items by keyboard alone: 1 is Sports, 2 is World.
	keys := []string{"1", "2", "1"}
	want := []string{"Sports", "World", "Sports"}
	var labeled []int64
	for _, key := range keys {
		before := current()
		id, _ := strconv.ParseInt(before, 10, 64)
		labeled = append(labeled, id)
		do("label with "+key, pressAndWaitForItem(key, before))
	}
	if got, err := chromedp.Run(ctx, chromedp.Text(testid("review-done-today"))); err != nil || got != "3" {
		t.Fatalf("labeled today %q (%v)", got, err)
	}

	// u takes the last label back: the third item returns, current again.
	do("undo", pressAndWaitForItem("u", current()))
	if got := current(); got != fmt.Sprint(labeled[2]) {
		t.Fatalf("after undo: item %s, want %d", got, labeled[2])
	}
	do("progress after undo", chromedp.Poll[chromedp.Void](
		`document.querySelector('[data-testid="review-done-today"]').textContent === "2"`))

	// The database agrees: two final labels, the third retracted and its
	// item back with the reviewer.
	bg := context.Background()
	given, err := db.ReviewItemLabels(bg, labeled)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range labeled[:2] {
		it := item(t, db, id)
		if it.State != store.StateLabeled || len(given[id]) != 1 || given[id][0].Label != want[i] || given[id][0].Reviewer != "reviewer@example.com" {
			t.Fatalf("item %d: state %s, labels %+v; want one final %s", id, it.State, given[id], want[i])
		}
	}
	undone := item(t, db, labeled[2])
	if undone.State != store.StateClaimed || undone.ClaimedBy != "reviewer@example.com" || len(given[labeled[2]]) != 0 {
		t.Fatalf("undone item %d: %s by %q, standing labels %+v", labeled[2], undone.State, undone.ClaimedBy, given[labeled[2]])
	}
	p, err := db.ReviewProgress(bg, store.ProgressQuery{Reviewer: "reviewer@example.com", Since: startOfDay(time.Now())})
	if err != nil || p.LabeledSince != 2 {
		t.Fatalf("labels standing %d (%v), want 2", p.LabeledSince, err)
	}
	// Nothing else was touched (the keys typed into the filter included).
	for _, id := range ids {
		if slices.Contains(labeled, id) {
			continue
		}
		if it := item(t, db, id); it.State == store.StateLabeled || it.SkipCount != 0 {
			t.Fatalf("item %d was acted on: %s, %d skips", id, it.State, it.SkipCount)
		}
	}
}

func TestBrowserReviewBulk(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 6, 1)
	ctx := newBrowser(t, 90*time.Second)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
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
	screenshot(t, ctx, "review-bulk")

	// Keyboard: j to the first row, x, j j, x, then 2 (World).
	do("select by keyboard and label",
		chromedp.KeyEvent("j"), chromedp.KeyEvent("x"),
		chromedp.KeyEvent("j"), chromedp.KeyEvent("j"), chromedp.KeyEvent("x"),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-bulk-count]').textContent === "2 selected"`),
		chromedp.KeyEvent("2"),
		rowsLeft(4),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="review-notice"]').textContent.indexOf("Labeled 2 items World") >= 0`),
		// Focus stays in the table, on a row, not lost to <body>.
		chromedp.Poll[chromedp.Void](`!!(document.activeElement && document.activeElement.closest('[data-bulk-row]'))`),
	)

	// Clicks work too: tick two rows, label them Sports with the button.
	do("select by clicking and label",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-bulk-row][data-item-id="%d"] input[type="checkbox"]`, ids[4]))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-bulk-row][data-item-id="%d"] input[type="checkbox"]`, ids[5]))),
		chromedp.Click(chromedp.CSS(`[data-testid="review-bulk-label"][data-label="Sports"]`)),
		rowsLeft(2),
	)

	given, err := db.ReviewItemLabels(context.Background(), ids)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{ids[0]: "World", ids[2]: "World", ids[4]: "Sports", ids[5]: "Sports"}
	for _, id := range ids {
		it := item(t, db, id)
		label, ok := want[id]
		switch {
		case ok && (it.State != store.StateLabeled || len(given[id]) != 1 || given[id][0].Label != label):
			t.Errorf("item %d: %s, labels %+v; want labeled %s", id, it.State, given[id], label)
		case !ok && (it.State != store.StatePending || len(given[id]) != 0):
			t.Errorf("item %d: %s, labels %+v; want it untouched", id, it.State, given[id])
		}
	}
}

func TestBrowserReviewLeaseCountdown(t *testing.T) {
	cfg := testConfig()
	cfg.Queue.Lease = 3 * time.Second
	ts, _, db, ids := reviewConsoleWith(t, cfg, 2, 1)
	ctx := newBrowser(t, 60*time.Second)
	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "reviewer@example.com", testPassword, "/console/review"),
		chromedp.WaitVisible(testid("review-item")),
		reviewScriptReady,
		// The countdown runs, then says the lease ran out and offers to
		// claim again.
		chromedp.Poll[chromedp.Void](`/^Yours for 0:0[0-3]\.$/.test(document.querySelector("[data-lease-text]").textContent)`),
		chromedp.WaitVisible(testid("review-reclaim")),
	)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(testid("review-lease")))
	if err != nil || !strings.Contains(msg, "ran out") {
		t.Fatalf("lease message %q (%v)", msg, err)
	}
	before := item(t, db, ids[0]).LeaseExpiresAt
	if err := chromedp.Do(ctx,
		chromedp.Click(testid("review-reclaim")),
		chromedp.WaitVisible(testid("review-item")),
		reviewScriptReady,
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="review-reclaim"]').hidden`),
	); err != nil {
		t.Fatal(err)
	}
	if it := item(t, db, ids[0]); it.ClaimedBy != "reviewer@example.com" || !it.LeaseExpiresAt.After(*before) {
		t.Fatalf("claim again: item %d held by %q until %v (was %v)", ids[0], it.ClaimedBy, it.LeaseExpiresAt, before)
	}
}
