package web

import (
	"context"
	"net/http"
	"testing"

	"github.com/newsintel/newsintel/store"
)

// The sidebar's queue figure, the workspace's and the bulk page's are one
// count: open review-stage items. Items waiting for adjudication (which
// reviewers cannot take) are counted apart, and the bulk table's page
// limit is not mistaken for the total.
func TestReviewCountsAgree(t *testing.T) {
	ts, _, db, ids := reviewConsole(t, 57, 2)
	ctx := context.Background()
	for i, id := range ids[:3] {
		for _, l := range []struct{ who, label string }{{"ann@example.com", "Sports"}, {"bob@example.com", "World"}} {
			if _, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: l.who,
				Items: []store.LabelInput{{ItemID: id, Label: l.label}}}); err != nil {
				t.Fatalf("item %d (%d): %v", id, i, err)
			}
		}
	}
	if it := item(t, db, ids[0]); it.Stage != store.StageAdjudication {
		t.Fatalf("setup: item %d is in %s", ids[0], it.Stage)
	}
	status := func(email string) (queue, adjudication string) {
		c := browser(t)
		logIn(t, c, ts.URL, email, testPassword)
		_, body := fetch(t, c, http.MethodGet, ts.URL+"/console/status", nil, http.Header{"Hx-Request": {"true"}})
		doc := parseHTML(t, body)
		return testidText(doc, "status-queue"), testidText(doc, "status-adjudication")
	}
	if q, a := status("admin@example.com"); q != "review queue: 54" || a != "adjudication: 3" {
		t.Fatalf("admin's sidebar: %q, %q; want 54 to review and 3 to adjudicate", q, a)
	}
	if q, a := status("reviewer@example.com"); q != "review queue: 54" || a != "" {
		t.Fatalf("reviewer's sidebar: %q, %q", q, a)
	}

	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, body := fetch(t, c, http.MethodGet, ts.URL+"/console/review/bulk", nil, nil)
	doc := parseHTML(t, body)
	if listed, open := testidText(doc, "review-bulk-listed"), testidText(doc, "review-bulk-open"); listed != "50" || open != "54" {
		t.Fatalf("bulk page: %s listed of %s open, want 50 of 54", listed, open)
	}
	_, body = fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	if open := testidText(parseHTML(t, body), "review-open"); open != "54" {
		t.Fatalf("workspace: %s left, want 54 as the sidebar says", open)
	}
}
