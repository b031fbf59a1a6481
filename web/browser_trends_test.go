package web

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserTrends(t *testing.T) {
	ts, db, raw := trendsServer(t)
	seedTrendData(t, db, raw)
	ctx := newBrowser(t, 90*time.Second)
	from, to := utcToday().AddDate(0, 0, -14).Format(time.DateOnly), utcToday().AddDate(0, 0, -1).Format(time.DateOnly)
	page := "/console/trends?" + url.Values{"from": {from}, "to": {to}}.Encode()
	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "analyst@example.com", testPassword, page),
		chromedp.WaitVisible(testid("trends-predicted-svg")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "trends")
	strs := func(js string) []string {
		t.Helper()
		raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify(`+js+`)`))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	num := func(js string) int {
		t.Helper()
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	const predicted = `[data-testid="trends-predicted"]`
	series := strs(`[...document.querySelectorAll('` + predicted + ` g[data-testid="chart-series"]')].map(g => g.dataset.series)`)
	legend := strs(`[...document.querySelectorAll('` + predicted + ` [data-testid="legend-entry"]')].map(li => li.textContent.trim())`)
	// Business comes from the human labels: both charts share their topics.
	if want := []string{"Business", "Sports", "World"}; !reflect.DeepEqual(series, want) || !reflect.DeepEqual(legend, want) {
		t.Fatalf("series %v, legend %v", series, legend)
	}
	// Data, drawn: 28 bars with a real size on screen, and the spike.
	if n := num(`[...document.querySelectorAll('` + predicted + ` rect.chart-point')].filter(r => r.getBoundingClientRect().height > 0).length`); n != 28 {
		t.Errorf("%d visible bars", n)
	}
	if n := num(`document.querySelectorAll('` + predicted + ` [data-testid="spike-marker"]').length`); n != 1 {
		t.Errorf("%d spike markers", n)
	}

	// Lines, then share of total: HTMX swaps the page in place and
	// records each view in the URL.
	err = chromedp.Do(ctx,
		chromedp.Click(testid("toggle-view-line")),
		chromedp.WaitVisible(chromedp.CSS(predicted+`[data-mode="line"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if n := num(`document.querySelectorAll('` + predicted + ` polyline').length`); n != 3 {
		t.Errorf("%d lines", n)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(testid("toggle-measure-share")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="toggle-measure-share"].active`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	// An SVG <text> has no innerText, which chromedp.Text reads.
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="trends-predicted-y-label"]').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	mode := strs(`[document.querySelector('` + predicted + `').dataset.mode]`)
	at, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if label != "% of articles per day" || mode[0] != "line" || !strings.Contains(at, "measure=share") || !strings.Contains(at, "view=line") {
		t.Fatalf("after toggles: y label %q, mode %v, at %s", label, mode, at)
	}
	// The sidebar is still there: the swap replaced the page body only.
	if n := num(`document.querySelectorAll('[data-testid="sidebar"]').length`); n != 1 {
		t.Errorf("%d sidebars after the swap", n)
	}
}

func TestBrowserMetricsRefresh(t *testing.T) {
	ts, _, _, _ := analystServer(t)
	ctx := newBrowser(t, 90*time.Second)
	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "analyst@example.com", testPassword, "/console/metrics"),
		chromedp.WaitVisible(testid("metrics-live")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "metrics")
	const generation = `document.querySelector('[data-testid="metrics-updated"]').dataset.generation`
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](generation))
	if err != nil || first == "" {
		t.Fatalf("generation %q: %v", first, err)
	}
	// The region refreshes itself: wait (bounded by the poll timeout, not
	// a sleep) for a newer snapshot, which also counts the page's own
	// first request.
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](generation+` !== "`+first+`"`, chromedp.WithPollingTimeout(40*time.Second)))
	if err != nil {
		t.Fatalf("the metrics never refreshed: %v", err)
	}
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelectorAll('[data-testid="metrics-route"][data-route="/console/metrics"]').length`))
	if err != nil || n != 1 {
		t.Fatalf("metrics page row after refresh: %d %v", n, err)
	}
	// Pausing swaps in a region that no longer polls.
	err = chromedp.Do(ctx,
		chromedp.Click(testid("metrics-pause")),
		chromedp.WaitVisible(testid("metrics-resume")),
	)
	if err != nil {
		t.Fatal(err)
	}
	polls, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="metrics-live"]').hasAttribute("hx-trigger")`))
	if err != nil || polls {
		t.Fatalf("paused region polls=%v: %v", polls, err)
	}
}

// Backfilled articles, sent today with earlier publication dates, draw on
// their own days: the planted burst is the one spike, today is hatched as
// partial, and the zone chosen in the form reloads the chart in it.
func TestBrowserTrendsBackfilled(t *testing.T) {
	ts, db, _ := trendsServer(t)
	burst := seedBackfill(t, db, 20)
	ctx := newBrowser(t, 90*time.Second)
	page := "/console/trends?" + url.Values{"from": {utcToday().AddDate(0, 0, -45).Format(time.DateOnly)}}.Encode()
	err := chromedp.Do(ctx,
		browserLogIn(ts.URL, "analyst@example.com", testPassword, page),
		chromedp.WaitVisible(testid("trends-predicted-svg")),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "trends-backfilled")
	const predicted = `[data-testid="trends-predicted"]`
	markers, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('`+predicted+` [data-testid="spike-marker"] title')].map(t => t.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(markers) != 1 || !strings.Contains(markers[0], "World, "+burst.Format(time.DateOnly)) || !strings.Contains(markers[0], "expected") {
		t.Fatalf("spike markers %q", markers)
	}
	// The burst's bar stands far above the others on screen.
	ratio, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => {
		const hs = [...document.querySelectorAll('`+predicted+` g[data-series="World"] rect.chart-point')].map(r => r.getBoundingClientRect().height);
		const sorted = [...hs].sort((a, b) => a - b);
		return sorted[sorted.length - 1] / sorted[Math.floor(sorted.length / 2)];
	})()`))
	if err != nil || ratio < 5 {
		t.Errorf("tallest World bar %.1f× the median: %v", ratio, err)
	}
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
		const p = document.querySelector('`+predicted+` [data-testid="partial-bucket"] rect');
		return !!p && p.getBoundingClientRect().width > 0 && !!document.querySelector('[data-testid="trends-partial-note"]');
	})()`))
	if err != nil || !visible {
		t.Errorf("today not shown as partial: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.SetValue(testid("trends-tz"), "Asia/Tokyo"),
		chromedp.Click(testid("trends-apply")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="trends-summary"][data-zone="Asia/Tokyo"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	summary, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="trends-summary"]').textContent`))
	if err != nil || !strings.Contains(summary, "(Asia/Tokyo)") {
		t.Errorf("summary in Tokyo %q: %v", summary, err)
	}
	at, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil || !strings.Contains(at, "tz=Asia%2FTokyo") {
		t.Errorf("after choosing a zone, at %s (%v)", at, err)
	}
}
