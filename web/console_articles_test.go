package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/store"
)

func TestConsoleArticlesSearch(t *testing.T) {
	a := newAdminConsole(t)
	ctx := context.Background()
	rec, err := a.db.RecordClassifications(ctx, []store.Classification{
		{Article: store.NewArticle{Title: "Cup final", Body: "The home side won the MATCH.", Source: "wire"},
			Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: "Sports", Confidence: 0.9, Scores: map[string]float64{"Sports": 0.9}}},
		{Article: store.NewArticle{Title: "Rates held", Body: "The bank held rates.", Source: "paper"},
			Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: "Business", Confidence: 0.8, Scores: map[string]float64{"Business": 0.8}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	yesterday := time.Now().UTC().Add(-24 * time.Hour)
	a.raw.Exec(t, `UPDATE predictions SET created_at = ? WHERE id = ?`, yesterday, rec[1].PredictionID)
	c, _ := a.as(t, store.RoleReviewer)

	titles := func(q url.Values) (int, []string) {
		t.Helper()
		res, doc := a.get(t, c, "/console/articles?"+q.Encode())
		var out []string
		findTestID(doc, "articles-results").Find("tbody th").Each(func(_ int, s *goquery.Selection) { out = append(out, strings.TrimSpace(s.Text())) })
		return res.StatusCode, out
	}
	today := time.Now().UTC().Format(time.DateOnly)
	cases := []struct {
		q    url.Values
		want string
	}{
		{url.Values{}, "Rates held|Cup final"},
		{url.Values{"q": {"match"}}, "Cup final"},
		{url.Values{"source": {"paper"}}, "Rates held"},
		// The Trends page's links: a topic and a range of days.
		{url.Values{"topic": {"Sports"}, "from": {today}, "to": {today}}, "Cup final"},
		{url.Values{"topic": {"Business"}, "from": {today}, "to": {today}}, ""},
		{url.Values{"from": {yesterday.Format(time.DateOnly)}, "to": {yesterday.Format(time.DateOnly)}}, "Rates held"},
	}
	for _, tc := range cases {
		status, got := titles(tc.q)
		if status != http.StatusOK || strings.Join(got, "|") != tc.want {
			t.Errorf("%v: %d %q, want %q", tc.q, status, got, tc.want)
		}
	}
	res, doc := a.get(t, c, "/console/articles?from=yesterday&q=match")
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(findTestID(doc, "flash-error").Text(), "not a date") {
		t.Errorf("bad date: %d %q", res.StatusCode, findTestID(doc, "flash-error").Text())
	}
	if v, _ := findTestID(doc, "articles-q").Attr("value"); v != "match" {
		t.Errorf("the form lost the query: %q", v)
	}
	// Each title leads to the article's page.
	_, doc = a.get(t, c, "/console/articles?q=cup")
	href, _ := findTestID(doc, "articles-results").Find("tbody a").Attr("href")
	if href != "/console/articles/"+strconv.FormatInt(rec[0].ArticleID, 10) {
		t.Errorf("link %q", href)
	}
}

func TestConsoleArticleLineage(t *testing.T) {
	a := newAdminConsole(t)
	seedModels(t, a.db)
	ctx := context.Background()
	rec, err := a.db.RecordClassifications(ctx, []store.Classification{{
		Article: store.NewArticle{Title: "Derby", Body: "A late winner.", Source: "wire", URL: "https://news.example/derby"},
		Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: "World", Confidence: 0.5,
			Scores: map[string]float64{"World": 0.5, "Sports": 0.5}, RequestID: "req-derby"},
		Review: &store.ReviewRequest{Reason: "least_confidence", Priority: 0.5},
	}})
	if err != nil {
		t.Fatal(err)
	}
	article := rec[0].ArticleID
	item := a.raw.Int(t, `SELECT id FROM review_items WHERE article_id = ?`, article)
	now := time.Now().UTC()
	final := a.raw.Int(t, `INSERT INTO labels (article_id, review_item_id, label, labeled_by, source, created_at)
		VALUES (?, ?, 'Sports', 'reviewer@example.com', 'review', ?) RETURNING id`, article, item, now)
	retracted := a.raw.Int(t, `INSERT INTO labels (article_id, review_item_id, label, labeled_by, source, created_at, retracted_at)
		VALUES (?, ?, 'World', 'other@example.com', 'review', ?, ?) RETURNING id`, article, item, now, now)
	a.raw.Exec(t, `UPDATE review_items SET state = 'labeled', final_label_id = ? WHERE id = ?`, final, item)
	run, err := a.db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerAPI, BaseVersion: "agnews-v1"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.db.FinishTrainingRun(ctx, run.ID, store.TrainingResult{Status: store.RunSucceeded, Decision: "rejected by the gate",
		LabelIDs: []int64{final}}); err != nil {
		t.Fatal(err)
	}

	c, _ := a.as(t, store.RoleAnalyst)
	res, doc := a.get(t, c, "/console/articles/"+strconv.FormatInt(article, 10))
	if res.StatusCode != http.StatusOK || findTestID(doc, "article-title").Text() != "Derby" {
		t.Fatalf("article page: %d %q", res.StatusCode, findTestID(doc, "article-title").Text())
	}
	if got := findTestID(doc, "article-predictions").Text(); !strings.Contains(got, "req-derby") || !strings.Contains(got, "agnews-v1") {
		t.Errorf("predictions %q", got)
	}
	if got := findTestID(doc, "label-"+strconv.FormatInt(final, 10)).Find(`[data-testid="label-status"]`).Text(); !strings.Contains(got, "final") {
		t.Errorf("final label status %q", got)
	}
	if got := findTestID(doc, "label-"+strconv.FormatInt(retracted, 10)).Find(`[data-testid="label-status"]`).Text(); !strings.Contains(got, "retracted") {
		t.Errorf("retracted label status %q", got)
	}
	if got := findTestID(doc, "label-"+strconv.FormatInt(final, 10)).Text(); !strings.Contains(got, "reviewer@example.com") || !strings.Contains(got, strconv.FormatInt(run.ID, 10)) {
		t.Errorf("final label row %q lacks its reviewer or run", got)
	}
	if got := findTestID(doc, "article-run-"+strconv.FormatInt(run.ID, 10)).Text(); !strings.Contains(got, "rejected by the gate") {
		t.Errorf("run row %q", got)
	}
	if findTestID(doc, "article-model-agnews-v1").Length() != 1 {
		t.Error("the model version is not listed")
	}
	if res, _ := a.get(t, c, "/console/articles/999999"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown article: %d", res.StatusCode)
	}
}

// TestConsoleArticleSummary shows an ingested article's stored summary on
// its page, and for an article posted to /classify_news (none stored)
// one made on view by the server's summarizer, labelled as such.
func TestConsoleArticleSummary(t *testing.T) {
	a := newAdminConsole(t)
	ingested := ingestWithSummary(t, a.db, store.NewArticle{Title: "Summit", Body: "Leaders met in Geneva. They agreed on a plan.", Source: "wire"},
		"They agreed on a plan.")
	posted, err := a.db.RecordClassifications(context.Background(), []store.Classification{{
		Article:    store.NewArticle{Title: "Derby", Body: "A late winner. The crowd cheered."},
		Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: "Sports", Confidence: 0.9, Scores: map[string]float64{"Sports": 0.9}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := a.as(t, store.RoleReviewer)

	_, doc := a.get(t, c, "/console/articles/"+strconv.FormatInt(ingested, 10))
	sum := findTestID(doc, "article-summary")
	if src, _ := sum.Attr("data-summary-source"); strings.TrimSpace(sum.Text()) != "They agreed on a plan." || src != "stored" {
		t.Errorf("ingested article: summary %q (%s)", sum.Text(), src)
	}
	if note := findTestID(doc, "article-summary-note").Text(); !strings.Contains(note, "learned/3 scorer=test") {
		t.Errorf("stored summary note %q", note)
	}

	_, doc = a.get(t, c, "/console/articles/"+strconv.FormatInt(posted[0].ArticleID, 10))
	sum = findTestID(doc, "article-summary")
	if src, _ := sum.Attr("data-summary-source"); strings.TrimSpace(sum.Text()) != "A late winner" || src != "computed" {
		t.Errorf("posted article: summary %q (%s), want the fake summarizer's, computed", sum.Text(), src)
	}
	if note := findTestID(doc, "article-summary-note").Text(); !strings.Contains(note, "Computed on view by fake-sum") {
		t.Errorf("computed summary note %q", note)
	}
}
