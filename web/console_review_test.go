package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/inference/summarize"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// reviewConsole serves the console over a database holding n review
// items (required reviews each): item i is "Story i", predicted Sports
// when i is even and World when odd, from source wire (even) or blog
// (odd), with priority 1/(i+1). It returns the item ids in priority order.
func reviewConsole(t *testing.T, n, required int) (*httptest.Server, *testServer, *store.DB, []int64) {
	t.Helper()
	return reviewConsoleWith(t, testConfig(), n, required)
}

func reviewConsoleWith(t *testing.T, cfg Config, n, required int) (*httptest.Server, *testServer, *store.DB, []int64) {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
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
	s := newTestServerWith(t, cfg, db, &fakeEncoder{})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, s, db, ids
}

func seedReviewItems(t *testing.T, db *store.DB, n, required int) []int64 {
	t.Helper()
	ctx := context.Background()
	var cs []store.Classification
	for i := range n {
		label, other := []string{"Sports", "World"}[i%2], []string{"World", "Sports"}[i%2]
		cs = append(cs, store.Classification{
			Article: store.NewArticle{Title: fmt.Sprintf("Story %d", i), Source: []string{"wire", "blog"}[i%2],
				Body: fmt.Sprintf("Story %d opens here. It goes on a while. It ends.", i)},
			Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: label, Confidence: 0.55,
				Scores: map[string]float64{label: 0.55, other: 0.45}},
			Review: &store.ReviewRequest{Reason: []string{"least_confidence", "margin"}[i%2], Priority: 1 / float64(i+1),
				Uncertainty: 0.5, RequiredReviews: required},
		})
	}
	if _, err := db.RecordClassifications(ctx, cs); err != nil {
		t.Fatal(err)
	}
	page, err := db.ReviewQueue(ctx, store.QueueFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

func parseHTML(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func testidText(doc *goquery.Document, id string) string {
	return strings.TrimSpace(doc.Find(`[data-testid="` + id + `"]`).First().Text())
}

// currentItem is the id of the item the review page shows.
func currentItem(t *testing.T, body string) string {
	t.Helper()
	id, _ := parseHTML(t, body).Find(`[data-testid="review-item"]`).Attr("data-item-id")
	return id
}

func item(t *testing.T, db *store.DB, id int64) store.QueueItem {
	t.Helper()
	it, err := db.ReviewItem(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// htmx is the headers an HTMX request from the page carries.
func htmx(token string) http.Header {
	return http.Header{"Hx-Request": {"true"}, HeaderCSRF: {token}, "Accept": {"text/html"}}
}

func TestConsoleReviewPageClaims(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 7, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	doc := parseHTML(t, body)
	if got := currentItem(t, body); got != fmt.Sprint(ids[0]) {
		t.Fatalf("current item %s, want %d", got, ids[0])
	}
	for id, want := range map[string]string{"review-item-title": "Story 0", "review-summary": "Story 0 opens here",
		"review-done-today": "0", "review-open": "7", "review-predicted": "Sports"} {
		if got := testidText(doc, id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if n := doc.Find(`[data-testid="review-score"]`).Length(); n != 2 {
		t.Errorf("%d scores", n)
	}
	if n := doc.Find(`[data-testid="review-claimed-item"]`).Length(); n != reviewClaimSize {
		t.Errorf("%d claimed items listed", n)
	}
	if doc.Find(`[data-testid="review-page"] script[src*="js/review."]`).Length() != 1 {
		t.Error("review.js not loaded")
	}
	for _, id := range ids[:reviewClaimSize] {
		if it := item(t, db, id); it.State != store.StateClaimed || it.ClaimedBy != "reviewer@example.com" ||
			time.Until(*it.LeaseExpiresAt) > time.Minute || time.Until(*it.LeaseExpiresAt) < 50*time.Second {
			t.Fatalf("item %d after the page: %s by %q until %v", id, it.State, it.ClaimedBy, it.LeaseExpiresAt)
		}
	}
	if it := item(t, db, ids[reviewClaimSize]); it.State != store.StatePending {
		t.Fatalf("claimed more than %d", reviewClaimSize)
	}

	// ?item= moves to another claimed item (j/k), and the HTMX request
	// gets the workspace alone.
	res, body = fetch(t, c, http.MethodGet, ts.URL+fmt.Sprintf("/console/review?item=%d", ids[2]), nil, http.Header{"Hx-Request": {"true"}})
	if res.StatusCode != http.StatusOK || currentItem(t, body) != fmt.Sprint(ids[2]) || strings.Contains(body, "<html") {
		t.Fatalf("move to item %d: %d current %s", ids[2], res.StatusCode, currentItem(t, body))
	}
	doc = parseHTML(t, body)
	if prev, _ := doc.Find(`[data-testid="review-prev"]`).Attr("href"); prev != fmt.Sprintf("/console/review?item=%d", ids[1]) {
		t.Errorf("prev link %q", prev)
	}

	// Filters narrow the claim.
	_, body = fetch(t, c, http.MethodGet, ts.URL+"/console/review?topic=World&source=blog", nil, nil)
	doc = parseHTML(t, body)
	if got := testidText(doc, "review-predicted"); got != "World" {
		t.Errorf("filtered to World, shows %q", got)
	}
	if got := testidText(doc, "review-open"); got != "3" {
		t.Errorf("open World items %q", got)
	}
	if href, _ := doc.Find(`[data-testid="review-claimed-item"]`).First().Attr("href"); !strings.Contains(href, "topic=World") {
		t.Errorf("claimed links lose the filters: %q", href)
	}
}

func TestConsoleReviewLabelWithoutJS(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 3, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review?source=wire", nil, nil)
	token := formToken(t, page)
	form := url.Values{"csrf_token": {token}, "label": {"World"}, "source": {"wire"}}
	res, _ := fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/label", ids[0]), form, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/review?source=wire" {
		t.Fatalf("label: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if it := item(t, db, ids[0]); it.State != store.StateLabeled {
		t.Fatalf("item %d is %s", ids[0], it.State)
	}
	_, page = fetch(t, c, http.MethodGet, ts.URL+res.Header.Get("Location"), nil, nil)
	doc := parseHTML(t, page)
	if got := testidText(doc, "review-done-today"); got != "1" {
		t.Errorf("labeled today %q", got)
	}
	if currentItem(t, page) != fmt.Sprint(ids[2]) { // the next wire item
		t.Errorf("next item %s", currentItem(t, page))
	}
	if !strings.Contains(testidText(doc, "review-undo-what"), "Story 0") {
		t.Errorf("undo offer %q", testidText(doc, "review-undo-what"))
	}

	// Skip and undo, without JavaScript too.
	form = url.Values{"csrf_token": {token}}
	if res, _ := fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/skip", ids[2]), form, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("skip: %d", res.StatusCode)
	}
	if it := item(t, db, ids[2]); it.State != store.StatePending || it.SkipCount != 1 {
		t.Fatalf("skipped item %+v", it)
	}
	res, _ = fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/undo", ids[2]), form, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/console/review?item=%d", ids[2]) {
		t.Fatalf("undo: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if it := item(t, db, ids[2]); it.State != store.StateClaimed || it.ClaimedBy != "reviewer@example.com" {
		t.Fatalf("undone item %+v", it)
	}
}

func TestConsoleReviewHTMX(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 3, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	token := formToken(t, page)

	res, body := fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/label", ids[0]),
		url.Values{"label": {"Sports"}}, htmx(token))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if strings.Contains(body, "<html") || strings.Contains(body, `data-testid="review-page"`) {
		t.Fatal("HTMX label got more than the workspace")
	}
	doc := parseHTML(t, body)
	if currentItem(t, body) != fmt.Sprint(ids[1]) || testidText(doc, "review-done-today") != "1" ||
		!strings.Contains(testidText(doc, "review-notice"), "Sports") {
		t.Fatalf("after label: current %s, today %q, notice %q", currentItem(t, body), testidText(doc, "review-done-today"), testidText(doc, "review-notice"))
	}
	if it := item(t, db, ids[0]); it.State != store.StateLabeled {
		t.Fatalf("item %d is %s", ids[0], it.State)
	}

	// Undo brings the item back as the current one.
	res, body = fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/undo", ids[0]), url.Values{}, htmx(token))
	if res.StatusCode != http.StatusOK || currentItem(t, body) != fmt.Sprint(ids[0]) {
		t.Fatalf("undo: %d current %s", res.StatusCode, currentItem(t, body))
	}
	if got := testidText(parseHTML(t, body), "review-done-today"); got != "0" {
		t.Errorf("labeled today after undo %q", got)
	}
	if it := item(t, db, ids[0]); it.State != store.StateClaimed {
		t.Fatalf("undone item is %s", it.State)
	}
}

func TestConsoleReviewErrorsInline(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, reviewClaimSize+1, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	token := formToken(t, page)
	// Someone else holds the item the reviewer did not claim: the
	// reviewer's label on it is refused.
	ctx := context.Background()
	if _, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "other@example.com", N: 1, Lease: time.Hour}); err != nil {
		t.Fatal(err)
	}
	taken := ids[len(ids)-1]
	if it := item(t, db, taken); it.ClaimedBy != "other@example.com" {
		t.Fatalf("setup: item %d held by %q", taken, it.ClaimedBy)
	}
	for _, tc := range []struct {
		name   string
		header http.Header
		form   url.Values
		path   string
		status int
		want   string
	}{
		{"conflict, plain form", nil, url.Values{"csrf_token": {token}, "label": {"World"}},
			fmt.Sprintf("/console/review/items/%d/label", taken), http.StatusConflict, "claimed by another reviewer"},
		{"conflict, htmx", htmx(token), url.Values{"label": {"World"}},
			fmt.Sprintf("/console/review/items/%d/label", taken), http.StatusConflict, "claimed by another reviewer"},
		{"label outside the taxonomy", htmx(token), url.Values{"label": {"Cooking"}},
			fmt.Sprintf("/console/review/items/%d/label", ids[0]), http.StatusUnprocessableEntity, "is not a topic"},
		{"nothing to undo", htmx(token), url.Values{},
			fmt.Sprintf("/console/review/items/%d/undo", ids[1]), http.StatusConflict, "nothing to undo"},
		{"no such item", htmx(token), url.Values{"label": {"World"}},
			"/console/review/items/999999/label", http.StatusNotFound, "no review item 999999"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body := fetch(t, c, http.MethodPost, ts.URL+tc.path, tc.form, tc.header)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			doc := parseHTML(t, body)
			if got := testidText(doc, "review-error"); !strings.Contains(got, tc.want) {
				t.Fatalf("inline error %q, want it to say %q", got, tc.want)
			}
			// The page around it still works: an item to act on.
			if doc.Find(`[data-testid="review-item"]`).Length() != 1 {
				t.Fatal("the error replaced the workspace")
			}
			if full := strings.Contains(body, "<html"); full != (tc.header == nil) {
				t.Fatalf("full page = %v", full)
			}
		})
	}
	if it := item(t, db, taken); it.State != store.StateClaimed || it.ClaimedBy != "other@example.com" {
		t.Fatalf("the refused label changed item %d: %+v", taken, it)
	}
}

func TestConsoleReviewGuards(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 2, 1)
	label := ts.URL + fmt.Sprintf("/console/review/items/%d/label", ids[0])

	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	for name, h := range map[string]http.Header{"form": nil, "htmx": {"Hx-Request": {"true"}}} {
		res, _ := fetch(t, c, http.MethodPost, label, url.Values{"label": {"Sports"}}, h)
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("%s without CSRF token: %d", name, res.StatusCode)
		}
	}
	res, _ := fetch(t, c, http.MethodPost, label, url.Values{"label": {"Sports"}, "csrf_token": {"forged"}}, nil)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("forged CSRF token: %d", res.StatusCode)
	}
	if it := item(t, db, ids[0]); it.State == store.StateLabeled {
		t.Fatal("labeled without a CSRF token")
	}
	if res, _ := fetch(t, c, http.MethodGet, ts.URL+"/console/review/adjudication", nil, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("reviewer on adjudication: %d", res.StatusCode)
	}

	a := browser(t)
	logIn(t, a, ts.URL, "analyst@example.com", testPassword)
	for _, u := range []string{"/console/review", "/console/review/bulk"} {
		if res, _ := fetch(t, a, http.MethodGet, ts.URL+u, nil, nil); res.StatusCode != http.StatusForbidden {
			t.Fatalf("analyst GET %s: %d", u, res.StatusCode)
		}
	}
	// Even with a valid token of their own, an analyst may not label.
	_, page := fetch(t, a, http.MethodGet, ts.URL+"/console/status", nil, nil)
	res, _ = fetch(t, a, http.MethodPost, label, url.Values{"label": {"Sports"}}, http.Header{HeaderCSRF: {analystToken(t, page)}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("analyst label: %d", res.StatusCode)
	}
	if it := item(t, db, ids[0]); it.State == store.StateLabeled {
		t.Fatal("an analyst labeled")
	}

	// Admins pass.
	ad := browser(t)
	logIn(t, ad, ts.URL, "admin@example.com", testPassword)
	res, body := fetch(t, ad, http.MethodGet, ts.URL+"/console/review", nil, nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="review-mode-adjudication"`) {
		t.Fatalf("admin: %d", res.StatusCode)
	}
}

// brokenSummarizer always fails, as a summarizer out of memory would.
type brokenSummarizer struct{}

func (brokenSummarizer) Summarize(context.Context, summarize.Request) (summarize.Summary, error) {
	return summarize.Summary{}, errors.New("scorer crashed")
}

func TestConsoleReviewWithoutSummarizer(t *testing.T) {
	ts, s, _, _ := reviewConsole(t, 1, 1)
	s.summarizer = brokenSummarizer{}
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d", res.StatusCode)
	}
	doc := parseHTML(t, body)
	if got := testidText(doc, "review-summary-unavailable"); !strings.Contains(got, "summarizer failed") {
		t.Fatalf("no summary explained as %q", got)
	}
	if testidText(doc, "review-text") == "" || doc.Find(`[data-testid="review-label"]`).Length() != 2 {
		t.Fatal("the item is not reviewable without a summary")
	}
}

func TestConsoleReviewEmptyQueue(t *testing.T) {
	ts, _, _, _ := reviewConsole(t, 0, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	if res.StatusCode != http.StatusOK || parseHTML(t, body).Find(`[data-testid="review-empty"]`).Length() != 1 {
		t.Fatalf("empty queue: %d", res.StatusCode)
	}
}

// analystToken reads the CSRF token from a console page's <body hx-headers>.
func analystToken(t *testing.T, html string) string {
	t.Helper()
	h, _ := parseHTML(t, html).Find("body").Attr("hx-headers")
	var m map[string]string
	if err := json.Unmarshal([]byte(h), &m); err != nil || m[HeaderCSRF] == "" {
		t.Fatalf("no CSRF token in hx-headers %q", h)
	}
	return m[HeaderCSRF]
}
