package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
)

func TestConsoleReviewBulk(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 6, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	res, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review/bulk?topic=World", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, page)
	}
	doc := parseHTML(t, page)
	if n := doc.Find(`[data-testid="review-bulk-row"]`).Length(); n != 3 {
		t.Fatalf("%d World rows, want 3", n)
	}
	if mode, _ := doc.Find(`[data-testid="review-bulk-page"]`).Attr("data-review-mode"); mode != "bulk" {
		t.Errorf("mode %q", mode)
	}
	token := formToken(t, page)

	// Plain form: label two rows, redirected back with the filters.
	form := url.Values{"csrf_token": {token}, "topic": {"World"}, "label": {"Sports"},
		"item": {fmt.Sprint(ids[1]), fmt.Sprint(ids[3])}}
	res, _ = fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk", form, nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/review/bulk?") ||
		!strings.Contains(res.Header.Get("Location"), "topic=World") {
		t.Fatalf("bulk label: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	for _, id := range []int64{ids[1], ids[3]} {
		if it := item(t, db, id); it.State != store.StateLabeled {
			t.Fatalf("item %d is %s", id, it.State)
		}
	}
	_, page = fetch(t, c, http.MethodGet, ts.URL+res.Header.Get("Location"), nil, nil)
	if got := testidText(parseHTML(t, page), "review-notice"); got != "Labeled 2 items Sports." {
		t.Errorf("notice %q", got)
	}

	// HTMX: the table comes back without the labeled rows.
	res, body := fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk",
		url.Values{"label": {"World"}, "item": {fmt.Sprint(ids[0]), fmt.Sprint(ids[2])}}, htmx(token))
	if res.StatusCode != http.StatusOK || strings.Contains(body, "<html") {
		t.Fatalf("htmx bulk: %d", res.StatusCode)
	}
	doc = parseHTML(t, body)
	if n := doc.Find(`[data-testid="review-bulk-row"]`).Length(); n != 2 {
		t.Errorf("%d rows left, want 2", n)
	}
	if got := testidText(doc, "review-notice"); got != "Labeled 2 items World." {
		t.Errorf("notice %q", got)
	}
}

func TestConsoleReviewBulkAllOrNothing(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 4, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review/bulk", nil, nil)
	token := formToken(t, page)
	// Another reviewer takes the top item meanwhile.
	if _, err := db.ClaimReviewItems(context.Background(), store.ClaimRequest{Reviewer: "other@example.com", N: 1, Lease: time.Hour}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		header http.Header
	}{{"htmx", htmx(token)}, {"plain form", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			form := url.Values{"label": {"World"}, "item": {fmt.Sprint(ids[1]), fmt.Sprint(ids[0]), fmt.Sprint(ids[3])}, "csrf_token": {token}}
			res, body := fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk", form, tc.header)
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			doc := parseHTML(t, body)
			failed := doc.Find(`[data-testid="review-bulk-row"].failed`)
			if id, _ := failed.Attr("data-item-id"); id != fmt.Sprint(ids[0]) {
				t.Fatalf("failed row %q, want %d", id, ids[0])
			}
			if why := failed.Find(`[data-testid="review-bulk-row-error"]`).Text(); !strings.Contains(why, "claimed by another reviewer") {
				t.Errorf("row error %q", why)
			}
			if got := testidText(doc, "review-error"); !strings.Contains(got, fmt.Sprintf("item %d stopped the batch", ids[0])) {
				t.Errorf("batch error %q", got)
			}
			// The selection survives, to fix and resubmit.
			if n := doc.Find(`[data-testid="review-bulk-check"][checked]`).Length(); n != 3 {
				t.Errorf("%d rows still selected, want 3", n)
			}
		})
	}
	for _, id := range []int64{ids[1], ids[3]} {
		if it := item(t, db, id); it.State != store.StatePending {
			t.Fatalf("all or nothing broken: item %d is %s", id, it.State)
		}
	}

	// A label outside one row's taxonomy names that row; nothing chosen
	// is a 422 too.
	res, body := fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk",
		url.Values{"label": {"Cooking"}, "item": {fmt.Sprint(ids[1]), fmt.Sprint(ids[2])}}, htmx(token))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad label: %d", res.StatusCode)
	}
	if id, _ := parseHTML(t, body).Find(`[data-testid="review-bulk-row"].failed`).Attr("data-item-id"); id != fmt.Sprint(ids[1]) {
		t.Errorf("bad label failed row %q", id)
	}
	res, body = fetch(t, c, http.MethodPost, ts.URL+"/console/review/bulk", url.Values{"label": {"World"}}, htmx(token))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(testidText(parseHTML(t, body), "review-error"), "select at least one row") {
		t.Fatalf("no rows: %d", res.StatusCode)
	}
}

func TestConsoleAdjudication(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 3, 2)
	ctx := context.Background()
	// Two reviewers disagree on item 0 and agree on item 1.
	for _, l := range []struct {
		who   string
		id    int64
		label string
	}{{"ann@example.com", ids[0], "Sports"}, {"bob@example.com", ids[0], "World"},
		{"ann@example.com", ids[1], "World"}, {"bob@example.com", ids[1], "World"}} {
		if _, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: l.who, Items: []store.LabelInput{{ItemID: l.id, Label: l.label}}}); err != nil {
			t.Fatal(err)
		}
	}
	a := browser(t)
	logIn(t, a, ts.URL, "admin@example.com", testPassword)
	res, page := fetch(t, a, http.MethodGet, ts.URL+"/console/review/adjudication", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, page)
	}
	doc := parseHTML(t, page)
	items := doc.Find(`[data-testid="adjudication-item"]`)
	if items.Length() != 1 {
		t.Fatalf("%d disputed items, want 1", items.Length())
	}
	if id, _ := items.Attr("data-item-id"); id != fmt.Sprint(ids[0]) {
		t.Fatalf("disputed item %s", id)
	}
	given := items.Find(`[data-testid="adjudication-given"]`).Text()
	if !strings.Contains(given, "ann@example.com") || !strings.Contains(given, "Sports") || !strings.Contains(given, "bob@example.com") {
		t.Errorf("given labels %q", given)
	}
	if got := testidText(doc, "agreement-pairs"); got != "2" {
		t.Errorf("pairs %q", got)
	}
	if got := testidText(doc, "agreement-observed"); got != "50.0%" {
		t.Errorf("observed %q", got)
	}
	if got := testidText(doc, "agreement-kappa"); got == "" {
		t.Error("no kappa shown")
	}
	if doc.Find(`[data-testid="agreement-label"]`).Length() != 2 {
		t.Error("per-label kappa missing")
	}
	token := formToken(t, page)
	res, body := fetch(t, a, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/adjudication/%d", ids[0]),
		url.Values{"label": {"World"}}, htmx(token))
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="adjudication-empty"`) {
		t.Fatalf("settle: %d %s", res.StatusCode, body)
	}
	if it := item(t, db, ids[0]); it.State != store.StateLabeled || it.Stage != store.StageAdjudication {
		t.Fatalf("settled item %s/%s", it.State, it.Stage)
	}
	// Settling again is a conflict, shown on the page.
	res, body = fetch(t, a, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/adjudication/%d", ids[0]),
		url.Values{"label": {"Sports"}, "csrf_token": {token}}, nil)
	if res.StatusCode != http.StatusConflict || testidText(parseHTML(t, body), "review-error") == "" {
		t.Fatalf("settle twice: %d", res.StatusCode)
	}
}
