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
	At       time.Time
}

// AddPrediction records an article and one prediction on it through the
// store, then moves the prediction's created_at to p.At, since
// RecordClassifications always stamps now, and rebuilds the daily rollup
// to match. It returns the article id.
func AddPrediction(t testing.TB, db *store.DB, raw *Raw, p PastPrediction) int64 {
	t.Helper()
	version := "agnews-v1"
	if p.Taxonomy != "" {
		version = "zeroshot:" + p.Taxonomy + "@1"
	}
	rec, err := db.RecordClassifications(context.Background(), []store.Classification{{
		Article: store.NewArticle{Title: p.Title, Body: p.Title, Source: p.Source},
		Prediction: store.NewPrediction{ModelVersion: version, Taxonomy: p.Taxonomy, Label: p.Label, Confidence: 0.9,
			Scores: map[string]float64{p.Label: 0.9}},
	}})
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	raw.Exec(t, `UPDATE predictions SET created_at = ? WHERE id = ?`, p.At.UTC(), rec[0].PredictionID)
	// The trends rollup counted the prediction today; recount it.
	if err := db.RebuildTopicDaily(context.Background()); err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return rec[0].ArticleID
}
