package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// seedArticle records an article with one prediction, made at at.
func seedArticle(t *testing.T, db *store.DB, title, body, source, label, taxonomy string, at time.Time) store.Recorded {
	t.Helper()
	version := "agnews-v1"
	if taxonomy != "" {
		version = "zeroshot:" + taxonomy + "@1"
	}
	rec, err := db.RecordClassifications(context.Background(), []store.Classification{{
		Article: store.NewArticle{Title: title, Body: body, Source: source},
		Prediction: store.NewPrediction{ModelVersion: version, Taxonomy: taxonomy, Label: label, Confidence: 0.8,
			Scores: map[string]float64{label: 0.8}, RequestID: "req-" + title},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(context.Background(), `UPDATE predictions SET created_at = ? WHERE id = ?`, at.UTC(), rec[0].PredictionID); err != nil {
		t.Fatal(err)
	}
	return rec[0]
}

func searchTitles(t *testing.T, db *store.DB, q store.ArticleQuery) ([]string, bool) {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 50
	}
	page, err := db.ArticleSearch(context.Background(), q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	var out []string
	for _, r := range page.Rows {
		out = append(out, r.Title)
	}
	return out, page.More
}

func TestArticleSearch(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		day := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
		seedArticle(t, db, "Cup Final tonight", "The home side hosts the cup final.", "wire", "Sports", "", day)
		seedArticle(t, db, "Rates held", "The central bank held rates at 5%.", "paper", "Business", "", day.Add(24*time.Hour))
		seedArticle(t, db, "Chip news", "A new PROCESSOR ships.", "wire", "Sci/Tech", "", day.Add(48*time.Hour))
		// Reclassified: its latest topic-model prediction is World; a later
		// zero-shot prediction does not count.
		moved := seedArticle(t, db, "Summit", "Leaders meet.", "paper", "Business", "", day)
		if _, err := db.RecordClassifications(ctx, []store.Classification{{
			Article:    store.NewArticle{Title: "Summit", Body: "Leaders meet.", Source: "paper"},
			Prediction: store.NewPrediction{ModelVersion: "agnews-v2", Label: "World", Confidence: 0.9, Scores: map[string]float64{"World": 0.9}},
		}}); err != nil {
			t.Fatal(err)
		}
		seedArticle(t, db, "Summit", "Leaders meet.", "paper", "politics", "desk", day)

		cases := []struct {
			name string
			q    store.ArticleQuery
			want []string
		}{
			{"all, newest first", store.ArticleQuery{}, []string{"Summit", "Chip news", "Rates held", "Cup Final tonight"}},
			{"title, any case", store.ArticleQuery{Q: "cup final"}, []string{"Cup Final tonight"}},
			{"body, any case", store.ArticleQuery{Q: "processor"}, []string{"Chip news"}},
			{"wildcards are literal", store.ArticleQuery{Q: "5%"}, []string{"Rates held"}},
			{"underscore is literal", store.ArticleQuery{Q: "a_b"}, nil},
			{"latest topic-model label", store.ArticleQuery{Topic: "World"}, []string{"Summit"}},
			{"an older label does not match", store.ArticleQuery{Topic: "Business"}, []string{"Rates held"}},
			{"zero-shot labels do not count", store.ArticleQuery{Topic: "politics"}, nil},
			{"source", store.ArticleQuery{Source: "wire"}, []string{"Chip news", "Cup Final tonight"}},
			{"date range", store.ArticleQuery{From: day.Add(12 * time.Hour), To: day.Add(36 * time.Hour)}, []string{"Rates held"}},
			{"everything", store.ArticleQuery{Q: "the", Source: "wire", Topic: "Sports", From: day.Truncate(24 * time.Hour),
				To: day.Truncate(24 * time.Hour).Add(24 * time.Hour)}, []string{"Cup Final tonight"}},
		}
		for _, tc := range cases {
			if got, _ := searchTitles(t, db, tc.q); !slices.Equal(got, tc.want) {
				t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
			}
		}

		page, err := db.ArticleSearch(ctx, store.ArticleQuery{Topic: "World", Limit: 10})
		if err != nil || len(page.Rows) != 1 {
			t.Fatalf("%+v, %v", page, err)
		}
		if r := page.Rows[0]; r.ID != moved.ArticleID || r.ModelVersion != "agnews-v2" || r.Source != "paper" || r.ClassifiedAt == nil {
			t.Errorf("row %+v", r)
		}

		first, more := searchTitles(t, db, store.ArticleQuery{Limit: 3})
		second, more2 := searchTitles(t, db, store.ArticleQuery{Limit: 3, Offset: 3})
		if len(first) != 3 || !more || !slices.Equal(second, []string{"Cup Final tonight"}) || more2 {
			t.Errorf("pages %q (more %v), %q (more %v)", first, more, second, more2)
		}

		var invalid store.ValidationError
		for _, q := range []store.ArticleQuery{{Limit: 0}, {Limit: 10, Offset: store.MaxArticleOffset + 1}, {Limit: 10, From: day, To: day}} {
			if _, err := db.ArticleSearch(ctx, q); !errors.As(err, &invalid) {
				t.Errorf("%+v: %v, want a ValidationError", q, err)
			}
		}
	})
}

func TestArticleHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.EnsureModel(ctx, store.NewModelVersion{Version: "agnews-v1", Encoder: "enc", Labels: []string{"World", "Sports"},
			Source: store.ModelBuiltin}, "test"); err != nil {
			t.Fatal(err)
		}
		rec, err := db.RecordClassifications(ctx, []store.Classification{{
			Article: store.NewArticle{Title: "Derby", Body: "A late winner.", Source: "wire"},
			Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: "World", Confidence: 0.5,
				Scores: map[string]float64{"World": 0.5, "Sports": 0.5}, RequestID: "req-1"},
			Review: &store.ReviewRequest{Reason: "least_confidence", Priority: 0.5},
		}})
		if err != nil {
			t.Fatal(err)
		}
		article := rec[0].ArticleID
		item, err := db.QueryInt(ctx, `SELECT id FROM review_items WHERE article_id = ?`, article)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		label, err := db.QueryInt(ctx, `INSERT INTO labels (article_id, review_item_id, label, labeled_by, source, created_at)
			VALUES (?, ?, 'Sports', 'rev@example.com', 'review', ?) RETURNING id`, article, item, now)
		if err != nil {
			t.Fatal(err)
		}
		retracted, err := db.QueryInt(ctx, `INSERT INTO labels (article_id, review_item_id, label, labeled_by, source, created_at, retracted_at)
			VALUES (?, ?, 'World', 'other@example.com', 'review', ?, ?) RETURNING id`, article, item, now, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE review_items SET state = 'labeled', final_label_id = ? WHERE id = ?`, label, item); err != nil {
			t.Fatal(err)
		}
		run, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerAPI, BaseVersion: "agnews-v1"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		err = db.FinishTrainingRun(ctx, run.ID, store.TrainingResult{Status: store.RunSucceeded, Decision: "promoted", LabelIDs: []int64{label},
			Model: &store.NewModelVersion{Version: "agnews-v2", Encoder: "enc", Labels: []string{"World", "Sports"}, Source: store.ModelFinetune,
				ParentVersion: "agnews-v1", Path: "topic-models/agnews-v2"}})
		if err != nil {
			t.Fatal(err)
		}

		h, err := db.ArticleHistory(ctx, article)
		if err != nil {
			t.Fatal(err)
		}
		if h.Article.Title != "Derby" || len(h.Predictions) != 1 || h.Predictions[0].RequestID != "req-1" || h.Predictions[0].Scores["Sports"] != 0.5 {
			t.Errorf("article %+v, predictions %+v", h.Article, h.Predictions)
		}
		if len(h.ReviewItems) != 1 || h.ReviewItems[0].FinalLabelID != label {
			t.Errorf("review items %+v", h.ReviewItems)
		}
		if len(h.Labels) != 2 || !h.Labels[0].Final || !slices.Equal(h.Labels[0].TrainingRunIDs, []int64{run.ID}) ||
			h.Labels[1].ID != retracted || h.Labels[1].RetractedAt == nil || h.Labels[1].Final {
			t.Errorf("labels %+v", h.Labels)
		}
		if len(h.TrainingRuns) != 1 || h.TrainingRuns[0].ID != run.ID || h.TrainingRuns[0].NewVersion != "agnews-v2" {
			t.Errorf("runs %+v", h.TrainingRuns)
		}
		var versions []string
		for _, m := range h.Models {
			versions = append(versions, m.Version)
		}
		if !slices.Equal(versions, []string{"agnews-v1", "agnews-v2"}) {
			t.Errorf("models %q", versions)
		}

		if _, err := db.ArticleHistory(ctx, article+100); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown article: %v", err)
		}
	})
}
