package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/newsintel/newsintel/store"
)

// TestBrowserEveryPage opens every console page as an admin, with some
// data in it, checks that each renders (its page element shows, no error
// page) and saves a screenshot of each, so a reviewer of a change can see
// the whole console without running it.
func TestBrowserEveryPage(t *testing.T) {
	ts, db := consoleServer(t, testConfig())
	ctx := context.Background()
	var cs []store.Classification
	for i := range 4 {
		cs = append(cs, store.Classification{
			Article: store.NewArticle{Title: fmt.Sprintf("Story %d", i), Body: "It happened. Then more happened.", Source: "wire"},
			Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: []string{"World", "Sports"}[i%2], Confidence: 0.55,
				Scores: map[string]float64{"World": 0.55, "Sports": 0.45}},
			Review: &store.ReviewRequest{Reason: "least_confidence", Priority: 0.5, Uncertainty: 0.45},
		})
	}
	rec, err := db.RecordClassifications(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutTaxonomy(ctx, store.Taxonomy{Name: "desk", Topics: []store.Topic{
		{Name: "Markets", Description: "prices and trading"}, {Name: "Politics", Description: "government"}}}); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, 120*time.Second)
	if err := chromedp.Do(b, chromedp.Navigate(ts.URL+"/console/login"), chromedp.WaitVisible(testid("login-page"))); err != nil {
		t.Fatal(err)
	}
	screenshot(t, b, "login")
	if err := chromedp.Do(b, browserLogIn(ts.URL, "admin@example.com", testPassword, "/console/review")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ name, path, testid string }{
		{"review-admin", "/console/review", "review-page"},
		{"review-adjudication", "/console/review/adjudication", "adjudication-page"},
		{"articles", "/console/articles", "articles-page"},
		{"article", fmt.Sprintf("/console/articles/%d", rec[0].ArticleID), "article-page"},
		{"models", "/console/models", "models-page"},
		{"taxonomies", "/console/taxonomies", "taxonomies-page"},
		{"users", "/console/users", "users-page"},
		{"keys", "/console/keys", "keys-page"},
		{"metrics-admin", "/console/metrics", "metrics-page"},
		{"trends-admin", "/console/trends", "trends-page"},
	} {
		if err := chromedp.Do(b, chromedp.Navigate(ts.URL+p.path), chromedp.WaitVisible(testid(p.testid))); err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		errs, err := chromedp.Run(b, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="error-page"]').length`))
		if err != nil || errs != 0 {
			t.Fatalf("%s shows an error page (%v)", p.path, err)
		}
		title, err := chromedp.Run(b, chromedp.Title())
		if err != nil || !strings.HasSuffix(title, "· newsintel") {
			t.Fatalf("%s: title %q (%v)", p.path, title, err)
		}
		screenshot(t, b, p.name)
	}
}
