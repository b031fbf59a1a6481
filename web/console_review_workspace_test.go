package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// reviewConsoleRaw is reviewConsole with a raw handle on its database,
// for checking what the store kept.
func reviewConsoleRaw(t *testing.T, n, required int) (*httptest.Server, *store.DB, *storetest.Raw, []int64) {
	t.Helper()
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
	ids := seedReviewItems(t, db, n, required)
	ts := httptest.NewServer(newTestServerWith(t, testConfig(), db, &fakeEncoder{}))
	t.Cleanup(ts.Close)
	return ts, db, raw, ids
}

func labelOrder(doc *goquery.Document) (labels, descs []string) {
	doc.Find(`[data-testid="review-label-row"]`).Each(func(_ int, r *goquery.Selection) {
		l, _ := r.Attr("data-label")
		labels = append(labels, l)
		descs = append(descs, strings.TrimSpace(r.Find(`[data-testid="review-label-desc"]`).Text()))
	})
	return labels, descs
}

func TestConsoleReviewGuidelinesInTaxonomyOrder(t *testing.T) {
	ts, _, db, _ := reviewConsole(t, reviewClaimSize+3, 1) // the bulk page lists the 3 left unclaimed
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	// Without a taxonomy that covers the labels: by name, no guidelines.
	_, body := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	if labels, descs := labelOrder(parseHTML(t, body)); strings.Join(labels, ",") != "Sports,World" || strings.Join(descs, "") != "" {
		t.Fatalf("without a taxonomy: %v %v", labels, descs)
	}
	if _, err := db.PutTaxonomy(context.Background(), store.Taxonomy{Name: "desk", Topics: []store.Topic{
		{Name: "World", Description: "international affairs and conflicts"},
		{Name: "Business", Description: "companies and markets"},
		{Name: "Sports", Description: "games, athletes and results"}}}); err != nil {
		t.Fatal(err)
	}
	// Every item, whatever its scores, lists the labels in the
	// taxonomy's order with their descriptions, keys 1 and 2.
	for _, path := range []string{"/console/review", "/console/review/bulk"} {
		_, body = fetch(t, c, http.MethodGet, ts.URL+path, nil, nil)
		doc := parseHTML(t, body)
		if path == "/console/review" {
			labels, descs := labelOrder(doc)
			if strings.Join(labels, ",") != "World,Sports" || descs[0] != "international affairs and conflicts" || descs[1] != "games, athletes and results" {
				t.Fatalf("%s: labels %v, guidelines %v", path, labels, descs)
			}
		}
		var keys []string
		doc.Find(`[data-shortcut][data-label]`).Each(func(_ int, b *goquery.Selection) {
			k, _ := b.Attr("data-shortcut")
			l, _ := b.Attr("data-label")
			keys = append(keys, k+"="+l)
		})
		if strings.Join(keys, " ") != "1=World 2=Sports" {
			t.Fatalf("%s: keys %v", path, keys)
		}
	}
}

func TestConsoleReviewNoteAndNoneOfThese(t *testing.T) {
	ts, db, raw, ids := reviewConsoleRaw(t, 3, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	token := formToken(t, page)

	res, body := fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/label", ids[0]),
		url.Values{"label": {"Sports"}, "note": {"  the box score decides  "}}, htmx(token))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("label with a note: %d %s", res.StatusCode, body)
	}
	if n := raw.Int(t, `SELECT COUNT(*) FROM labels WHERE review_item_id = ? AND note = ?`, ids[0], "the box score decides"); n != 1 {
		t.Fatalf("the note was not kept with the label (%d)", n)
	}

	res, body = fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/reject", ids[1]),
		url.Values{"why": {"a recipe, not news"}}, htmx(token))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("none of these: %d %s", res.StatusCode, body)
	}
	doc := parseHTML(t, body)
	if got := currentItem(t, body); got != fmt.Sprint(ids[2]) {
		t.Errorf("after none of these the page shows item %q, want the next one, %d", got, ids[2])
	}
	if got := testidText(doc, "review-notice"); !strings.Contains(got, "none of the labels fits") {
		t.Errorf("notice %q", got)
	}
	if got := testidText(doc, "review-undo-what"); !strings.Contains(got, "no label fits") {
		t.Errorf("undo offer %q", got)
	}
	if it := item(t, db, ids[1]); it.State != store.StatePending || it.SkipCount != 1 || it.Reviews != 0 {
		t.Fatalf("rejected item %+v", it)
	}
	if n := raw.Int(t, `SELECT COUNT(*) FROM review_actions WHERE review_item_id = ? AND action = 'skip' AND none_of_these AND note = ?`,
		ids[1], "a recipe, not news"); n != 1 {
		t.Fatalf("the verdict was not recorded (%d)", n)
	}
	// A plain skip says nothing of the kind.
	fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/skip", ids[2]), url.Values{}, htmx(token))
	if n := raw.Int(t, `SELECT COUNT(*) FROM review_actions WHERE review_item_id = ? AND none_of_these`, ids[2]); n != 0 {
		t.Fatal("a plain skip was recorded as none of these")
	}
	// Too long a reason is refused inline.
	res, body = fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/reject", ids[2]),
		url.Values{"why": {strings.Repeat("x", 2001)}}, htmx(token))
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(testidText(parseHTML(t, body), "review-error"), "2000") {
		t.Fatalf("long reason: %d %q", res.StatusCode, testidText(parseHTML(t, body), "review-error"))
	}
}

func TestReviewSkipNoneOfTheseJSON(t *testing.T) {
	s, ids := reviewServer(t, 1)
	rec := s.do(t, http.MethodPost, fmt.Sprintf("/review/%d/skip", ids[0]),
		strings.NewReader(`{"reviewer":"ann@example.com","none_of_these":true,"note":"an advert"}`), jsonHeader(oldKey))
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	p, err := s.store.ReviewProgress(context.Background(), store.ProgressQuery{Reviewer: "ann@example.com"})
	if err != nil || p.LastAction == nil || !p.LastAction.NoneOfThese {
		t.Fatalf("last action %+v, %v", p.LastAction, err)
	}
}

func TestConsoleReviewSearch(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 6, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, body := fetch(t, c, http.MethodGet, ts.URL+"/console/review?q=story+4", nil, nil)
	doc := parseHTML(t, body)
	if got := currentItem(t, body); got != fmt.Sprint(ids[4]) {
		t.Fatalf("search shows item %s, want %d", got, ids[4])
	}
	if n := doc.Find(`[data-testid="review-claimed-item"]`).Length(); n != 1 {
		t.Fatalf("a search claimed %d items, want the 1 match", n)
	}
	if got := testidText(doc, "review-open"); got != "1" {
		t.Errorf("open matches %q", got)
	}
	if v, _ := doc.Find(`[data-testid="review-filter-q"]`).Attr("value"); v != "story 4" {
		t.Errorf("the search box lost the query: %q", v)
	}
	if v, _ := doc.Find(`[data-testid="review-label-form"] input[name="q"]`).Attr("value"); v != "story 4" {
		t.Errorf("the label form does not carry the search: %q", v)
	}
	if it := item(t, db, ids[0]); it.State != store.StatePending {
		t.Errorf("a non-matching item was claimed: %+v", it)
	}
	_, body = fetch(t, c, http.MethodGet, ts.URL+"/console/review/bulk?q=story+5", nil, nil)
	if n := parseHTML(t, body).Find(`[data-testid="review-bulk-row"]`).Length(); n != 1 {
		t.Fatalf("bulk search lists %d rows, want 1", n)
	}
}
