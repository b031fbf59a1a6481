package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func classification(title, body, url string, review bool) store.Classification {
	c := store.Classification{
		Article: store.NewArticle{Title: title, Body: body, URL: url, Source: "wire"},
		Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: "Sports", Confidence: 0.55,
			Scores: map[string]float64{"Sports": 0.55, "World": 0.45}, RequestID: "req-1"},
	}
	if review {
		c.Review = &store.ReviewRequest{Reason: "low_confidence", Priority: 0.45}
	}
	return c
}

func TestRecordClassifications(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		published := time.Date(2026, 11, 1, 9, 30, 0, 0, time.UTC)
		first := classification("Cup final", "The home side won.", "https://news/1", true)
		first.Article.PublishedAt = &published
		first.Article.ExternalID = "ext-1"
		got, err := db.RecordClassifications(ctx, []store.Classification{
			first,
			classification("Rates", "The bank held rates.", "", false),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Duplicate || got[1].Duplicate || !got[0].ReviewQueued || got[1].ReviewQueued {
			t.Fatalf("first batch: %+v", got)
		}
		a, err := db.Article(ctx, got[0].ArticleID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != "Cup final" || a.URL != "https://news/1" || a.ExternalID != "ext-1" || a.PublishedAt == nil || !a.PublishedAt.Equal(published) {
			t.Fatalf("article = %+v", a)
		}
		preds, err := db.Predictions(ctx, got[0].ArticleID)
		if err != nil {
			t.Fatal(err)
		}
		if len(preds) != 1 || preds[0].Scores["World"] != 0.45 || preds[0].RequestID != "req-1" {
			t.Fatalf("predictions = %+v", preds)
		}

		// The same content again (case and spacing aside), and new content
		// at a known URL, attach to the existing articles; the article
		// already waiting for review is not queued twice.
		again, err := db.RecordClassifications(ctx, []store.Classification{
			classification("cup  FINAL", "The home side  won.", "", true),
			classification("Cup final (updated)", "The home side won 2-1.", "https://news/1", false),
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range again {
			if !r.Duplicate || r.ArticleID != got[0].ArticleID || r.ReviewQueued {
				t.Fatalf("repeat %d: %+v", i, r)
			}
		}
		preds, _ = db.Predictions(ctx, got[0].ArticleID)
		if len(preds) != 3 {
			t.Fatalf("%d predictions on the article, want 3", len(preds))
		}
		open, err := db.OpenReviewItems(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 1 || open[0].ArticleID != got[0].ArticleID || open[0].PredictionID != got[0].PredictionID {
			t.Fatalf("open review items = %+v", open)
		}
		if _, err := db.Article(ctx, 99999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing article: %v", err)
		}
	})
}

// A batch that fails part way stores nothing.
func TestRecordClassificationsIsAtomic(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bad := classification("Bad", "Confidence out of range.", "", false)
		bad.Prediction.Confidence = 7
		_, err := db.RecordClassifications(ctx, []store.Classification{
			classification("Good", "Fine article.", "", true),
			bad,
		})
		if err == nil {
			t.Fatal("a batch with an invalid prediction was stored")
		}
		open, _ := db.OpenReviewItems(ctx, 10)
		got, err := db.RecordClassifications(ctx, []store.Classification{classification("Good", "Fine article.", "", false)})
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 0 || got[0].Duplicate {
			t.Fatalf("the failed batch left rows behind: %d review items, duplicate %v", len(open), got[0].Duplicate)
		}
	})
}

// Concurrent requests carrying the same article all succeed and share one
// article row.
func TestRecordClassificationsConcurrentDedupe(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const n = 8
		ids := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := db.RecordClassifications(ctx, []store.Classification{
					classification("Same story", "Told by many wires.", "", true),
					classification(fmt.Sprintf("Other %d", i), "Unique body.", "", false),
				})
				if err != nil {
					t.Error(err)
					return
				}
				ids[i] = got[0].ArticleID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("article ids %v: duplicates created", ids)
			}
		}
		preds, _ := db.Predictions(ctx, ids[0])
		open, _ := db.OpenReviewItems(ctx, 100)
		if len(preds) != n || len(open) != 1 {
			t.Fatalf("%d predictions (want %d), %d open items (want 1)", len(preds), n, len(open))
		}
	})
}

func TestContentHash(t *testing.T) {
	if store.ContentHash("A  b", "C\nd") != store.ContentHash("a b", "c d") {
		t.Error("white space and case change the hash")
	}
	if store.ContentHash("ab", "c") == store.ContentHash("a", "bc") {
		t.Error("title and body run together")
	}
}
