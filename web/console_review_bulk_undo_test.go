package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/store"
)

func TestConsoleReviewBulkPreviewAndUndo(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 4, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review/bulk", nil, nil)
	doc := parseHTML(t, page)
	if got := strings.TrimSpace(doc.Find(`[data-testid="review-bulk-row"]`).First().Find(`[data-testid="review-bulk-preview"]`).Text()); got != "Story 0 opens here. It goes on a while. It ends." {
		t.Errorf("preview %q", got)
	}
	if doc.Find(`[data-testid="review-bulk-all"]`).Length() != 1 {
		t.Error("no select-all box")
	}
	token := formToken(t, page)
	two := []string{fmt.Sprint(ids[0]), fmt.Sprint(ids[1])}

	// Plain form: the redirect carries the batch, and the page offers to
	// undo it.
	res, _ := fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk",
		url.Values{"csrf_token": {token}, "label": {"World"}, "item": two}, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("bulk label: %d", res.StatusCode)
	}
	_, page = fetch(t, c, http.MethodGet, ts.URL+res.Header.Get("Location"), nil, nil)
	var offered []string
	parseHTML(t, page).Find(`[data-testid="review-bulk-undo-form"] input[name="item"]`).Each(func(_ int, s *goquery.Selection) {
		v, _ := s.Attr("value")
		offered = append(offered, v)
	})
	if strings.Join(offered, ",") != strings.Join(two, ",") {
		t.Fatalf("undo offers %v, want %v", offered, two)
	}

	// Undo over HTMX: both labels are taken back, the items are the
	// reviewer's again, listed and still ticked.
	res, body := fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk/undo", url.Values{"item": two}, htmx(token))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("undo: %d %s", res.StatusCode, body)
	}
	for _, id := range ids[:2] {
		if it := item(t, db, id); it.State != store.StateClaimed || it.ClaimedBy != "reviewer@example.com" || it.Reviews != 0 {
			t.Fatalf("item %d after undo: %+v", id, it)
		}
	}
	doc = parseHTML(t, body)
	if n := doc.Find(`[data-testid="review-bulk-row"]`).Length(); n != 4 {
		t.Fatalf("%d rows after undo, want the 4 (2 held by the reviewer)", n)
	}
	if n := doc.Find(`[data-testid="review-bulk-check"]:checked`).Length(); n != 2 {
		t.Errorf("%d rows still ticked, want 2", n)
	}
	// A second undo has nothing to take back: nothing changes, inline.
	res, body = fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk/undo", url.Values{"item": two}, htmx(token))
	if res.StatusCode != http.StatusConflict || !strings.Contains(testidText(parseHTML(t, body), "review-error"), "nothing to undo") {
		t.Fatalf("second undo: %d %q", res.StatusCode, testidText(parseHTML(t, body), "review-error"))
	}
	// The held items are labeled from the table like any other.
	if res, body := fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk", url.Values{"label": {"Sports"}, "item": two}, htmx(token)); res.StatusCode != http.StatusOK {
		t.Fatalf("relabel: %d %s", res.StatusCode, body)
	}
}

func TestConsoleReviewBulkAfterLeaseRanOut(t *testing.T) {
	cfg := testConfig()
	cfg.Queue.Lease = 200 * time.Millisecond
	ts, _, db, ids := reviewConsoleWith(t, cfg, 2, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil) // claims both
	token := formToken(t, page)
	stale := time.Now().UTC().Format(time.RFC3339Nano)
	time.Sleep(300 * time.Millisecond)
	// A table made while the lease was live is stale now.
	res, body := fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk",
		url.Values{"label": {"World"}, "item": {fmt.Sprint(ids[0])}, "seen_at": {stale}}, htmx(token))
	if res.StatusCode != http.StatusConflict || !strings.Contains(testidText(parseHTML(t, body), "review-error"), "ran out") {
		t.Fatalf("stale table: %d %q", res.StatusCode, testidText(parseHTML(t, body), "review-error"))
	}
	// The table shown after it ran out lists the item afresh: its label
	// counts.
	_, page = fetch(t, c, http.MethodGet, ts.URL+"/console/review/bulk", nil, nil)
	seen, _ := parseHTML(t, page).Find(`input[name="seen_at"]`).Attr("value")
	res, body = fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk",
		url.Values{"label": {"World"}, "item": {fmt.Sprint(ids[0])}, "seen_at": {seen}}, htmx(token))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("fresh table: %d %s", res.StatusCode, body)
	}
	if it := item(t, db, ids[0]); it.State != store.StateLabeled {
		t.Fatalf("item %d is %s", ids[0], it.State)
	}
}
