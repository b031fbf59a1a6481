package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
)

// PastPrediction is a prediction to seed with AddPrediction.
type PastPrediction struct {
	Title    string // also the body; distinct titles make distinct articles
	Source   string // articles.source; empty for none
	Label    string
	Taxonomy string // empty: the trained topic model
	// At is when the article was received and classified.
	At time.Time
	// Published is the article's publication time; zero for none.
	Published time.Time
}

// AddPrediction records an article and one prediction on it through the
// store, then moves the prediction's created_at and the article's
// ingested_at to p.At, since RecordClassifications always stamps now, and
// rebuilds the trends rollup to match. It returns the article id.
func AddPrediction(t testing.TB, db *store.DB, raw *Raw, p PastPrediction) int64 {
	t.Helper()
	version := "agnews-v1"
	if p.Taxonomy != "" {
		version = "zeroshot:" + p.Taxonomy + "@1"
	}
	var published *time.Time
	if !p.Published.IsZero() {
		published = &p.Published
	}
	rec, err := db.RecordClassifications(context.Background(), []store.Classification{{
		Article: store.NewArticle{Title: p.Title, Body: p.Title, Source: p.Source, PublishedAt: published},
		Prediction: store.NewPrediction{ModelVersion: version, Taxonomy: p.Taxonomy, Label: p.Label, Confidence: 0.9,
			Scores: map[string]float64{p.Label: 0.9}},
	}})
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	raw.Exec(t, `UPDATE predictions SET created_at = ? WHERE id = ?`, p.At.UTC(), rec[0].PredictionID)
	raw.Exec(t, `UPDATE articles SET ingested_at = ? WHERE id = ?`, p.At.UTC(), rec[0].ArticleID)
	// The trends rollup counted an undated article as received now;
	// recount it.
	if err := db.RebuildTopicSlots(context.Background()); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return rec[0].ArticleID
}
