package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/newsintel/newsintel/store"
)

// The console on a phone (issue 13): at 390 and 360 CSS pixels no page
// may be wider than the screen, the links hide behind a Menu toggle, and
// a reviewer reaches the label buttons without scrolling past the
// article. Wide screens keep the sidebar.

// phone is the viewport of a common phone (390×844) in mobile mode, which
// honours <meta name="viewport">: without the tag the page would be laid
// out 980 px wide and shrunk.
func phone(width int64) chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(width, 844, chromedp.EmulateMobile, chromedp.EmulatePortrait)
}

// layoutServer serves the console over a database with something on
// every page: trends, models, a taxonomy and review items whose articles
// run long, as real ones do. It returns the first article's id.
func layoutServer(t *testing.T) (*httptest.Server, int64) {
	t.Helper()
	ts, _, db, raw := analystServer(t)
	seedTrendData(t, db, raw)
	seedModels(t, db)
	ctx := context.Background()
	if _, err := db.PutTaxonomy(ctx, store.Taxonomy{Name: "desk", Topics: []store.Topic{
		{Name: "Markets", Description: "prices and trading"}, {Name: "Politics", Description: "government"}}}); err != nil {
		t.Fatal(err)
	}
	paragraph := strings.Repeat("The minister said on Tuesday that the talks would go on into the night. ", 6)
	var cs []store.Classification
	for i := range 4 {
		label, other := []string{"Sports", "World"}[i%2], []string{"World", "Sports"}[i%2]
		cs = append(cs, store.Classification{
			Article: store.NewArticle{Title: fmt.Sprintf("Story %d: a headline long enough to wrap over several lines on a phone", i),
				Source: "wire", Body: strings.Repeat(paragraph+"\n\n", 25)},
			Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: label, Confidence: 0.55,
				Scores: map[string]float64{label: 0.55, other: 0.45}},
			Review: &store.ReviewRequest{Reason: "least_confidence", Priority: 1 / float64(i+1), Uncertainty: 0.5, RequiredReviews: 1},
		})
	}
	// Short ones behind them, so the bulk page has rows to show, and two
	// for double review last.
	for i := range 10 {
		required := 1
		if i >= 8 {
			required = 2
		}
		cs = append(cs, store.Classification{
			Article:    store.NewArticle{Title: fmt.Sprintf("Brief %d", i), Source: "blog", Body: "A short item."},
			Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: "World", Confidence: 0.6, Scores: map[string]float64{"World": 0.6, "Sports": 0.4}},
			Review:     &store.ReviewRequest{Reason: "margin", Priority: 0.01 / float64(i+1), Uncertainty: 0.4, RequiredReviews: required},
		})
	}
	rec, err := db.RecordClassifications(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	// Two reviewers disagree on one and agree on the other: the
	// adjudication page gets a dispute and an agreement table.
	queue, err := db.ReviewQueue(ctx, store.QueueFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	double := map[string]int64{}
	for _, it := range queue.Items {
		if it.RequiredReviews == 2 {
			double[it.Title] = it.ID
		}
	}
	for _, l := range []struct{ who, title, label string }{
		{"ann@example.com", "Brief 8", "Sports"}, {"bob@example.com", "Brief 8", "World"},
		{"ann@example.com", "Brief 9", "World"}, {"bob@example.com", "Brief 9", "World"},
	} {
		if _, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: l.who, Items: []store.LabelInput{{ItemID: double[l.title], Label: l.label}}}); err != nil {
			t.Fatal(err)
		}
	}
	return ts, rec[0].ArticleID
}

// pageWidth is what pageWidthJS measures.
type pageWidth struct {
	ScrollWidth int `json:"scrollWidth"`
	InnerWidth  int `json:"innerWidth"`
	// Overflowing names the first elements reaching past the right edge
	// outside any scrolling container, so a failure says what to fix.
	Overflowing []string `json:"overflowing"`
}

const pageWidthJS = `JSON.stringify((function () {
	var w = document.documentElement.clientWidth, out = [];
	function clipped(el) {
		for (var p = el.parentElement; p && p !== document.body; p = p.parentElement) {
			if (getComputedStyle(p).overflowX !== "visible") return true;
		}
		return false;
	}
	document.querySelectorAll("body *").forEach(function (el) {
		var r = el.getBoundingClientRect();
		if (out.length >= 5 || r.width === 0 || r.right <= w + 0.5 || clipped(el)) return;
		var name = el.tagName.toLowerCase();
		if (typeof el.className === "string" && el.className.trim()) name += "." + el.className.trim().split(/\s+/).join(".");
		if (el.dataset && el.dataset.testid) name += "[" + el.dataset.testid + "]";
		out.push(name + " to " + Math.round(r.right));
	});
	return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, overflowing: out};
})())`

// measureWidth reads pageWidthJS in the browser.
func measureWidth(t *testing.T, ctx context.Context) pageWidth {
	t.Helper()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageWidthJS))
	if err != nil {
		t.Fatal(err)
	}
	var w pageWidth
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		t.Fatal(err)
	}
	return w
}

// viewShot saves what the window shows, as screenshot does for the whole
// page: a phone's view is its first screen, with sticky bars in place.
func viewShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
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

// visibleJS says whether the element a selector finds is rendered.
func visibleJS(sel string) string {
	return fmt.Sprintf(`(function () { var el = document.querySelector(%q); return !!el && el.checkVisibility(); })()`, sel)
}

func TestBrowserPhoneLayout(t *testing.T) {
	ts, articleID := layoutServer(t)
	ctx := newBrowser(t, 180*time.Second)
	if err := chromedp.Do(ctx, phone(390), browserLogIn(ts.URL, "admin@example.com", testPassword, "/console/articles")); err != nil {
		t.Fatal(err)
	}
	pages := []struct{ path, testid string }{
		{"/console/review", "review-page"},
		{"/console/review/bulk", "review-bulk-page"},
		{"/console/review/adjudication", "adjudication-item"},
		{"/console/trends", "trends-page"},
		{"/console/metrics", "metrics-page"},
		{"/console/articles", "articles-page"},
		{fmt.Sprintf("/console/articles/%d", articleID), "article-page"},
		{"/console/models", "models-page"},
		{"/console/models/agnews-v2/promote", "confirm-page"},
		{"/console/taxonomies", "taxonomies-page"},
		{"/console/taxonomies/new", "taxonomy-form-page"},
		{"/console/users", "users-page"},
		{"/console/keys", "keys-page"},
	}
	// 800 px is a tablet, or a narrow window: the sidebar shows and leaves
	// the page a column about as narrow as a phone's.
	for _, width := range []int64{390, 360, 800} {
		if err := chromedp.Do(ctx, phone(width)); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			err := chromedp.Do(pctx, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(testid(p.testid)))
			cancel()
			if err != nil {
				t.Fatalf("%s at %d px: %v", p.path, width, err)
			}
			w := measureWidth(t, ctx)
			// innerWidth is the width the viewport tag asked for; a page
			// wider than it scrolls sideways.
			if w.InnerWidth != int(width) || w.ScrollWidth > w.InnerWidth {
				t.Errorf("%s at %d px: page %d px wide in a %d px window; past the edge: %v",
					p.path, width, w.ScrollWidth, w.InnerWidth, w.Overflowing)
			}
			if width == 390 && p.path == "/console/trends" {
				viewShot(t, ctx, "trends-390")
			}
		}
	}

	// The links hide behind the Menu toggle, which opens by keyboard.
	const trendsLink = `[data-testid="nav-console-trends"]`
	if err := chromedp.Do(ctx, phone(390), chromedp.Navigate(ts.URL+"/console/articles"), chromedp.WaitVisible(testid("articles-page"))); err != nil {
		t.Fatal(err)
	}
	if shown, err := chromedp.Run(ctx, chromedp.Evaluate[bool](visibleJS(trendsLink))); err != nil || shown {
		t.Fatalf("the nav shows before the menu is opened (%v)", err)
	}
	top, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('[data-testid="articles-page"]').getBoundingClientRect().top`))
	if err != nil || top > 120 {
		t.Errorf("the page starts %.0f px down under the top bar (%v)", top, err)
	}
	err = chromedp.Do(ctx,
		chromedp.Focus(testid("menu-toggle")),
		chromedp.KeyEvent(kb.Enter),
		chromedp.Poll[chromedp.Void](visibleJS(trendsLink)),
	)
	if err != nil {
		t.Fatalf("open the menu by keyboard: %v", err)
	}
	viewShot(t, ctx, "menu-390")
	if w := measureWidth(t, ctx); w.ScrollWidth > w.InnerWidth {
		t.Errorf("the open menu makes the page %d px wide: %v", w.ScrollWidth, w.Overflowing)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(trendsLink)),
		chromedp.WaitVisible(testid("trends-predicted-svg")),
	)
	if err != nil {
		t.Fatalf("follow the Trends link: %v", err)
	}
	// The chart scales to the screen rather than running off it.
	right, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector('[data-testid="trends-predicted-svg"]').getBoundingClientRect().right`))
	if err != nil || right > 390 || right < 300 {
		t.Errorf("the Trends chart ends at %.0f px on a 390 px screen (%v)", right, err)
	}
}

// firstLabelJS is where the first label button sits in the window.
const firstLabelJS = `JSON.stringify((function () {
	var r = document.querySelector('[data-testid="review-label"]').getBoundingClientRect();
	return {top: r.top, bottom: r.bottom, windowHeight: window.innerHeight, pageY: r.top + window.scrollY};
})())`

// labelPlace is what firstLabelJS measures.
type labelPlace struct {
	Top          float64 `json:"top"`
	Bottom       float64 `json:"bottom"`
	WindowHeight float64 `json:"windowHeight"`
	PageY        float64 `json:"pageY"`
}

func TestBrowserPhoneReview(t *testing.T) {
	ts, _ := layoutServer(t)
	ctx := newBrowser(t, 90*time.Second)
	if err := chromedp.Do(ctx, phone(390), browserLogIn(ts.URL, "reviewer@example.com", testPassword, "/console/review")); err != nil {
		t.Fatal(err)
	}
	place := func(when string) labelPlace {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](firstLabelJS))
		if err != nil {
			t.Fatal(err)
		}
		var p labelPlace
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatal(err)
		}
		// Wholly on the screen, without scrolling to it.
		if p.Top < 0 || p.Bottom > p.WindowHeight {
			t.Errorf("%s: the first label button spans %.0f–%.0f px in a %.0f px window", when, p.Top, p.Bottom, p.WindowHeight)
		}
		return p
	}
	for _, width := range []int64{360, 390} {
		err := chromedp.Do(ctx,
			phone(width),
			chromedp.Navigate(ts.URL+"/console/review"),
			chromedp.WaitVisible(testid("review-item")),
			reviewScriptReady,
		)
		if err != nil {
			t.Fatal(err)
		}
		first := place(fmt.Sprintf("at %d px, on opening", width))
		t.Logf("at %d px the first label button is %.0f px from the top of a %.0f px window", width, first.Top, first.WindowHeight)
		if w := measureWidth(t, ctx); w.InnerWidth != int(width) || w.ScrollWidth > w.InnerWidth {
			t.Errorf("at %d px the review page is %d px wide in a %d px window: %v", width, w.ScrollWidth, w.InnerWidth, w.Overflowing)
		}
		if width == 390 {
			viewShot(t, ctx, "review-390")
		}
		// Reading on, the buttons stay in reach.
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](
			`document.querySelector('[data-testid="review-text"]').scrollIntoView({block: "end"})`)); err != nil {
			t.Fatal(err)
		}
		place(fmt.Sprintf("at %d px, at the end of the article", width))
	}

	// A tap labels the item and brings the next one.
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](currentItemJS))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="review-label"]`)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(%s) !== %q`, currentItemJS, before), chromedp.WithPollingTimeout(15*time.Second)),
	)
	if err != nil {
		t.Fatalf("label by tapping: %v", err)
	}
	if got, err := chromedp.Run(ctx, chromedp.Text(testid("review-done-today"))); err != nil || got != "1" {
		t.Fatalf("labeled today %q (%v)", got, err)
	}
}

func TestBrowserDesktopSidebar(t *testing.T) {
	ts, _ := layoutServer(t)
	ctx := newBrowser(t, 60*time.Second)
	if err := chromedp.Do(ctx, browserLogIn(ts.URL, "admin@example.com", testPassword, "/console/articles"), chromedp.WaitVisible(testid("articles-page"))); err != nil {
		t.Fatal(err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify((function () {
		var nav = document.querySelector('[data-testid="sidebar"]').getBoundingClientRect();
		var main = document.getElementById("main").getBoundingClientRect();
		var links = [...document.querySelectorAll('[data-testid^="nav-console-"]')];
		return {navLeft: nav.left, navRight: nav.right, navHeight: nav.height, mainLeft: main.left,
			links: links.length, linksShown: links.filter(a => a.checkVisibility()).length,
			toggleShown: document.querySelector('[data-testid="menu-toggle"]').checkVisibility(),
			windowHeight: window.innerHeight};
	})())`))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		NavLeft, NavRight, NavHeight, MainLeft, WindowHeight float64
		Links, LinksShown                                    int
		ToggleShown                                          bool
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatal(err)
	}
	// At 1280 px the sidebar is a full-height column left of the page,
	// every link shown, and no Menu toggle.
	if got.NavLeft != 0 || got.NavRight < 150 || got.MainLeft < got.NavRight || got.NavHeight < got.WindowHeight ||
		got.Links < 5 || got.LinksShown != got.Links || got.ToggleShown {
		t.Fatalf("desktop sidebar: %s", raw)
	}
}
