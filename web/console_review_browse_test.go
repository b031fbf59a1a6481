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

// heldBy counts the items a user holds under a live lease.
func heldBy(t *testing.T, db *store.DB, email string) int {
	t.Helper()
	p, err := db.ReviewProgress(context.Background(), store.ProgressQuery{Reviewer: email, Since: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return p.Held
}

func TestConsoleReviewAdminLooksWithoutClaiming(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 7, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "admin@example.com", testPassword)
	res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/review?source=wire", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if n := heldBy(t, db, "admin@example.com"); n != 0 {
		t.Fatalf("opening Review claimed %d items for an admin", n)
	}
	for _, id := range ids {
		if it := item(t, db, id); it.State != store.StatePending {
			t.Fatalf("item %d is %s after an admin's look", id, it.State)
		}
	}
	doc := parseHTML(t, body)
	if doc.Find(`[data-testid="review-item"][data-item-id]`).Length() != 0 || doc.Find(`[data-testid="review-label"]`).Length() != 0 {
		t.Fatal("the read-only queue offers label buttons")
	}
	rows := doc.Find(`[data-testid="review-browse-row"]`)
	if rows.Length() != 4 { // the wire items: 0, 2, 4, 6
		t.Fatalf("%d rows listed, want the 4 wire items", rows.Length())
	}
	if first, _ := rows.First().Attr("data-item-id"); first != fmt.Sprint(ids[0]) {
		t.Errorf("first row %s, want %d", first, ids[0])
	}
	start, _ := doc.Find(`[data-testid="review-start"]`).Attr("href")
	if start != "/console/review?mode=review&source=wire" {
		t.Fatalf("start link %q", start)
	}

	// Starting claims, like a reviewer's page; the admin then stays a
	// reviewer while they hold items.
	_, body = fetch(t, c, http.MethodGet, ts.URL+start, nil, nil)
	if got := currentItem(t, body); got != fmt.Sprint(ids[0]) {
		t.Fatalf("after starting, current item %q, want %d", got, ids[0])
	}
	if n := heldBy(t, db, "admin@example.com"); n != 4 {
		t.Fatalf("start reviewing: admin holds %d, want the 4 wire items", n)
	}
	_, body = fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	if currentItem(t, body) == "" || parseHTML(t, body).Find(`[data-testid="review-browse"]`).Length() != 0 {
		t.Fatal("an admin holding items was shown the read-only queue")
	}
}

func TestConsoleReviewReviewerStillClaimsOnOpen(t *testing.T) {
	ts, _, db, _ := reviewConsole(t, 3, 1)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, body := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	if parseHTML(t, body).Find(`[data-testid="review-browse"]`).Length() != 0 {
		t.Fatal("a reviewer was shown the read-only queue")
	}
	if n := heldBy(t, db, "reviewer@example.com"); n != 3 {
		t.Fatalf("reviewer holds %d, want 3", n)
	}
}

func TestConsoleReviewAdminSeesReviewersProgress(t *testing.T) {
	ts, _, _, ids := reviewConsole(t, 7, 1)
	rc := browser(t)
	logIn(t, rc, ts.URL, "reviewer@example.com", testPassword)
	_, page := fetch(t, rc, http.MethodGet, ts.URL+"/console/review", nil, nil)
	token := formToken(t, page)
	for _, id := range ids[:2] {
		if res, body := fetch(t, rc, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/label", id),
			url.Values{"label": {"Sports"}}, htmx(token)); res.StatusCode != http.StatusOK {
			t.Fatalf("label: %d %s", res.StatusCode, body)
		}
	}
	fetch(t, rc, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/reject", ids[2]), url.Values{"why": {"ad"}}, htmx(token))

	ac := browser(t)
	logIn(t, ac, ts.URL, "admin@example.com", testPassword)
	_, body := fetch(t, ac, http.MethodGet, ts.URL+"/console/review", nil, nil)
	row := parseHTML(t, body).Find(`[data-testid="review-reviewer"][data-reviewer="reviewer@example.com"]`)
	if row.Length() != 1 {
		t.Fatalf("no progress row for the reviewer: %s", body)
	}
	for id, want := range map[string]string{"review-reviewer-labeled": "2", "review-reviewer-skipped": "1",
		"review-reviewer-none": "1", "review-reviewer-held": "4"} {
		if got := strings.TrimSpace(row.Find(`[data-testid="` + id + `"]`).Text()); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
}
