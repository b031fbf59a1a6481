package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// ingestWithSummary stores an article as the ingest jobs do, with a
// summary and a topic-model prediction, and returns its id.
func ingestWithSummary(t *testing.T, db *store.DB, a store.NewArticle, summary string) int64 {
	t.Helper()
	ctx := context.Background()
	im, err := db.CreateImport(ctx, store.NewImport{Name: "wire.jsonl", Format: "jsonl", Source: a.Source})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.StageImportRows(ctx, im, []store.StagedItem{{Key: "1", Article: a}}, 1, true, nil); err != nil {
		t.Fatal(err)
	}
	items, err := db.PendingItems(ctx, 1, 1<<40)
	if err != nil || len(items) != 1 {
		t.Fatalf("pending %v, %v", items, err)
	}
	staged := items[0].Article
	staged.Summary, staged.SummaryVersion = summary, "learned/3 scorer=test"
	res, err := db.RecordIngested(ctx, []store.IngestOutcome{{ItemID: items[0].ID, Classification: &store.Classification{Article: staged,
		Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: "World", Confidence: 0.8, Scores: map[string]float64{"World": 0.8, "Sports": 0.2}}}}})
	if err != nil || res[0].State != store.ItemNew {
		t.Fatalf("record: %+v, %v", res, err)
	}
	return res[0].Recorded.ArticleID
}

// TestGetArticle reads stored articles back with GET /articles/:id on
// both databases: an ingested one with its summary and its latest
// prediction, one posted to /classify_news without a summary, an
// unknown id (404) and ids that are not ids (422), in the standard error
// shape.
func TestGetArticle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s := newTestServerWith(t, testConfig(), db, &fakeEncoder{})
		ctx := context.Background()
		published := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
		a := store.NewArticle{Title: "Summit", Body: "Leaders met in Geneva. They agreed on a plan.", URL: "https://wire.test/1",
			Source: "wire", PublishedAt: &published}
		id := ingestWithSummary(t, db, a, "Leaders met in Geneva.")
		// A later prediction under a taxonomy: the latest one is shown.
		if _, err := db.RecordClassifications(ctx, []store.Classification{{Article: a,
			Prediction: store.NewPrediction{ModelVersion: "zeroshot-desk", Taxonomy: "desk", Label: "Politics", Confidence: 0.7,
				Scores: map[string]float64{"Politics": 0.7, "Markets": 0.3}}}}); err != nil {
			t.Fatal(err)
		}

		rec := s.do(t, http.MethodGet, "/articles/"+jsonNumber(id), nil, keyHeader(newKey))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /articles/%d: %d %s", id, rec.Code, rec.Body)
		}
		got := decodeTo[ArticleJSON](t, rec.Body.Bytes())
		switch {
		case got.ID != id || got.Title != "Summit" || got.URL == nil || *got.URL != a.URL || got.Source == nil || *got.Source != "wire":
			t.Errorf("article %+v", got)
		case got.PublishedAt == nil || !got.PublishedAt.Equal(published) || got.IngestedAt.IsZero() || got.ExternalID != nil:
			t.Errorf("times or external id: %+v", got)
		case got.Summary == nil || *got.Summary != "Leaders met in Geneva." || got.SummaryVersion == nil || *got.SummaryVersion != "learned/3 scorer=test":
			t.Errorf("summary %v by %v", got.Summary, got.SummaryVersion)
		case got.Prediction == nil || got.Prediction.Label != "Politics" || got.Prediction.ModelVersion != "zeroshot-desk" ||
			got.Prediction.Confidence != 0.7 || got.Prediction.Taxonomy == nil || *got.Prediction.Taxonomy != "desk":
			t.Errorf("latest prediction %+v", got.Prediction)
		}

		posted, err := db.RecordClassifications(ctx, []store.Classification{{Article: store.NewArticle{ExternalID: "c-7", Title: "Posted", Body: "A client posted it."},
			Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: "Sports", Confidence: 0.9, Scores: map[string]float64{"Sports": 0.9}}}})
		if err != nil {
			t.Fatal(err)
		}
		rec = s.do(t, http.MethodGet, "/articles/"+jsonNumber(posted[0].ArticleID), nil, keyHeader(newKey))
		got = decodeTo[ArticleJSON](t, rec.Body.Bytes())
		if rec.Code != http.StatusOK || got.Summary != nil || got.SummaryVersion != nil || got.ExternalID == nil || *got.ExternalID != "c-7" ||
			got.URL != nil || got.Prediction == nil || got.Prediction.Label != "Sports" || got.Prediction.Taxonomy != nil {
			t.Errorf("posted article: %d %s", rec.Code, rec.Body)
		}

		rec = s.do(t, http.MethodGet, "/articles/424242", nil, keyHeader(newKey))
		if e := errorOf(t, rec); rec.Code != http.StatusNotFound || e.Error.Code != "not_found" || e.Error.RequestID == "" {
			t.Errorf("unknown article: %d %s", rec.Code, rec.Body)
		}
		for _, bad := range []string{"abc", "0", "-3", "1.5"} {
			rec = s.do(t, http.MethodGet, "/articles/"+bad, nil, keyHeader(newKey))
			e := errorOf(t, rec)
			if rec.Code != http.StatusUnprocessableEntity || e.Error.Code != "validation_failed" || len(e.Error.Details) != 1 || e.Error.Details[0].Field != "id" {
				t.Errorf("GET /articles/%s: %d %s", bad, rec.Code, rec.Body)
			}
		}
		if rec := s.do(t, http.MethodGet, "/articles/"+jsonNumber(id), nil, nil); rec.Code != http.StatusUnauthorized {
			t.Errorf("without a key: %d, want 401", rec.Code)
		}
	})
}
