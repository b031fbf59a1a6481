package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// TestRecordIngestedKeepsSummary records ingest outcomes whose articles
// carry summaries, on both databases: a new article keeps its summary and
// the summarizer's version; one without a summary stores NULL; a
// duplicate does not overwrite the known article's summary; and an
// article posted through RecordClassifications (/classify_news) stores
// none.
func TestRecordIngestedKeepsSummary(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		im, err := db.CreateImport(ctx, store.NewImport{Name: "wire.jsonl", Format: "jsonl", Source: "wire"})
		if err != nil {
			t.Fatal(err)
		}
		items := []store.StagedItem{
			{Key: "1", Article: store.NewArticle{Title: "Summit", Body: "Leaders met in Geneva. They agreed on a plan.", URL: "https://wire.test/1"}},
			{Key: "2", Article: store.NewArticle{Title: "Untitled", Body: "—", URL: "https://wire.test/2"}},
			{Key: "3", Article: store.NewArticle{Title: "Summit", Body: "Leaders met in Geneva. They agreed on a plan.", URL: "https://wire.test/3"}},
		}
		if err := db.StageImportRows(ctx, im, items, len(items), true, nil); err != nil {
			t.Fatal(err)
		}
		pending, err := db.PendingItems(ctx, 1, 1<<40)
		if err != nil || len(pending) != 3 {
			t.Fatalf("pending %d items, %v; want 3", len(pending), err)
		}
		// What the ingest processor does: item 1 and its duplicate 3 are
		// summarized (3 differently, to see that it is not stored), item
		// 2 could not be.
		summaries := []string{"Leaders met in Geneva.", "", "Another summary."}
		var outcomes []store.IngestOutcome
		for i, it := range pending {
			a := it.Article
			if summaries[i] != "" {
				a.Summary, a.SummaryVersion = summaries[i], "learned/3 scorer=test"
			}
			outcomes = append(outcomes, store.IngestOutcome{ItemID: it.ID, Classification: &store.Classification{Article: a,
				Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: "World", Confidence: 0.9, Scores: map[string]float64{"World": 0.9}}}})
		}
		res, err := db.RecordIngested(ctx, outcomes)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].State != store.ItemNew || res[1].State != store.ItemNew || res[2].State != store.ItemDuplicate {
			t.Fatalf("states %s, %s, %s; want new, new, duplicate", res[0].State, res[1].State, res[2].State)
		}

		a, err := db.Article(ctx, res[0].Recorded.ArticleID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Summary != "Leaders met in Geneva." || a.SummaryVersion != "learned/3 scorer=test" {
			t.Errorf("article %d: summary %q version %q; want the recorded ones", a.ID, a.Summary, a.SummaryVersion)
		}
		if res[2].Recorded.ArticleID != a.ID {
			t.Errorf("duplicate recorded as article %d, want %d", res[2].Recorded.ArticleID, a.ID)
		}

		b, err := db.Article(ctx, res[1].Recorded.ArticleID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Summary != "" || b.SummaryVersion != "" {
			t.Errorf("article without a summary: %q %q", b.Summary, b.SummaryVersion)
		}
		var sum, ver sql.NullString
		if err := db.SQL().QueryRowContext(ctx, db.Rebind(`SELECT summary, summary_version FROM articles WHERE id = ?`), b.ID).Scan(&sum, &ver); err != nil {
			t.Fatal(err)
		}
		if sum.Valid || ver.Valid {
			t.Errorf("no summary stored as %v/%v, want NULL", sum, ver)
		}

		rec, err := db.RecordClassifications(ctx, []store.Classification{{Article: store.NewArticle{Title: "Posted", Body: "A client posted this. It has two sentences."},
			Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: "World", Confidence: 0.9, Scores: map[string]float64{"World": 0.9}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().QueryRowContext(ctx, db.Rebind(`SELECT summary, summary_version FROM articles WHERE id = ?`), rec[0].ArticleID).Scan(&sum, &ver); err != nil {
			t.Fatal(err)
		}
		if sum.Valid || ver.Valid {
			t.Errorf("an article posted to /classify_news has summary %v/%v, want NULL", sum, ver)
		}
	})
}
