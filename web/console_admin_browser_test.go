package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserAdminModels drives the Models page in Chromium: a reviewer
// is refused it with the 403 page, and an admin promotes a version
// through the confirmation step (htmx-boosted, as a user clicks it).
func TestBrowserAdminModels(t *testing.T) {
	ts, db := consoleServer(t, testConfig())
	seedModels(t, db)
	ctx := newBrowser(t, 90*time.Second)

	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "reviewer@example.com", testPassword, "/console/articles"),
		chromedp.WaitVisible(testid("articles-page")),
		chromedp.Navigate(ts.URL+"/console/models"),
		chromedp.WaitVisible(testid("error-page")),
	)
	if err != nil {
		t.Fatal(err)
	}
	status, err := chromedp.Run(ctx, chromedp.Text(testid("error-status")))
	if err != nil {
		t.Fatal(err)
	}
	if status != "403" {
		t.Fatalf("a reviewer opening Models sees status %q, want 403", status)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="nav-console-models"]').length`)); err != nil || n != 0 {
		t.Fatalf("the reviewer's sidebar links to Models (%d, %v)", n, err)
	}

	// The 403 page has no sidebar (the role check fails before the page
	// knows its user): log out from a page the reviewer may open.
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/console/articles"),
		chromedp.WaitVisible(testid("articles-page")),
		chromedp.Click(testid("logout")),
		chromedp.WaitVisible(testid("login-page")),
		browserLogIn(ts.URL, "admin@example.com", testPassword, "/console/models"),
		chromedp.WaitVisible(testid("models-page")),
		chromedp.Click(testid("promote-agnews-v2")),
		chromedp.WaitVisible(testid("confirm-page")),
	)
	if err != nil {
		t.Fatal(err)
	}
	question, err := chromedp.Run(ctx, chromedp.Text(testid("confirm-question")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(question, "agnews-v2") {
		t.Fatalf("confirmation asks %q", question)
	}
	if v := activeVersion(t, db); v != "agnews-v1" {
		t.Fatalf("the confirmation page already promoted: active %s", v)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(testid("confirm-submit")),
		chromedp.WaitVisible(testid("flash-notice")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="model-agnews-v2"] [data-testid="model-active-badge"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	notice, err := chromedp.Run(ctx, chromedp.Text(testid("flash-notice")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notice, "Promoted agnews-v2") {
		t.Fatalf("notice %q", notice)
	}
	if v := activeVersion(t, db); v != "agnews-v2" {
		t.Fatalf("active %s after the promotion", v)
	}
}

// TestBrowserAdminTaxonomyErrors checks that a boosted form's 422 shows
// the server's field errors in place (admin.js), as without JavaScript.
func TestBrowserAdminTaxonomyErrors(t *testing.T) {
	ts, _ := consoleServer(t, testConfig())
	ctx := newBrowser(t, 60*time.Second)
	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "admin@example.com", testPassword, "/console/taxonomies/new"),
		chromedp.WaitVisible(testid("taxonomy-form")),
		chromedp.SendKeys(testid("taxonomy-name"), "desk"),
		chromedp.SendKeys(testid("topic-name-0"), "Politics"),
		chromedp.SendKeys(testid("topic-name-1"), "politics"),
		chromedp.Click(testid("taxonomy-save")),
		chromedp.WaitVisible(testid("topic-name-error-1")),
	)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(testid("topic-name-error-1")))
	if err != nil {
		t.Fatal(err)
	}
	value, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="topic-name-0"]').value`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "appears twice") || value != "Politics" {
		t.Fatalf("after a 422: error %q, first topic %q", msg, value)
	}
}

// TestBrowserPromoteOverride drives the gate in Chromium: Roll back is
// disabled with nothing to roll back to; the confirmation of a version
// the gate rejected shows the verdict and the comparison; submitting it
// without the override is refused in place (409), without a reason too
// (422), and with both the version is promoted.
func TestBrowserPromoteOverride(t *testing.T) {
	ts, db := consoleServer(t, testConfig())
	seedGate(t, db)
	ctx := newBrowser(t, 90*time.Second)
	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "admin@example.com", testPassword, "/console/models"),
		chromedp.WaitVisible(testid("models-page")),
	)
	if err != nil {
		t.Fatal(err)
	}
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="rollback-link"]').disabled`))
	if err != nil || !disabled {
		t.Fatalf("Roll back is enabled with nothing to roll back to (%v)", err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(testid("promote-agnews-v2")),
		chromedp.WaitVisible(testid("gate-verdict")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "promote-rejected-confirmation")
	verdict, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="gate-verdict"]').dataset.verdict`))
	if err != nil || verdict != "rejected" {
		t.Fatalf("verdict %q (%v)", verdict, err)
	}
	coloured, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.querySelector(
		'[data-testid="compare-frozen-macro_f1"] [data-testid="delta"]')).color !== getComputedStyle(document.body).color`))
	if err != nil || !coloured {
		t.Fatalf("the drop is not coloured (%v)", err)
	}
	// Refused without the override, then without a reason: in place.
	err = chromedp.Do(ctx,
		chromedp.Click(testid("confirm-submit")),
		chromedp.WaitVisible(testid("flash-error")),
	)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(testid("flash-error")))
	if err != nil || !strings.Contains(msg, "gate rejected agnews-v2") {
		t.Fatalf("refusal %q (%v)", msg, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(testid("override-check")),
		chromedp.Click(testid("confirm-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="override-reason"][aria-invalid="true"]`)),
		chromedp.SendKeys(testid("override-reason"), "the frozen set predates the new guidelines"),
		chromedp.Click(testid("confirm-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="model-agnews-v2"] [data-testid="model-active-badge"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if v := activeVersion(t, db); v != "agnews-v2" {
		t.Fatalf("active %s after the override", v)
	}
	if hist, err := db.ModelActivations(context.Background(), 1); err != nil || hist[0].Actor != "admin@example.com" {
		t.Fatalf("activation %+v (%v)", hist, err)
	}
	disabled, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('[data-testid="rollback-link"]').disabled`))
	if err != nil || disabled {
		t.Fatalf("Roll back is still disabled after a promotion (%v)", err)
	}
}
