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

// insertLabel writes a label row the way the review and feedback code
// does, returning its id.
func insertLabel(t *testing.T, db *store.DB, articleID, itemID int64, label, by, source string, at time.Time) int64 {
	t.Helper()
	var item any
	if itemID != 0 {
		item = itemID
	}
	id, err := db.QueryInt(context.Background(), `INSERT INTO labels (article_id, review_item_id, label, labeled_by, source, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, articleID, item, label, by, source, at.UTC())
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func exec(t *testing.T, db *store.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestTrainingLabelsAndLineage(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rec, err := db.RecordClassifications(ctx, []store.Classification{
			classification("Cup final", "The home side won.", "", true),
			classification("Rates", "The bank held rates.", "", true),
			classification("Chips", "A new processor ships.", "", false),
		})
		if err != nil {
			t.Fatal(err)
		}
		a1, a2, a3 := rec[0].ArticleID, rec[1].ArticleID, rec[2].ArticleID
		item := func(article int64) int64 {
			id, err := db.QueryInt(ctx, `SELECT id FROM review_items WHERE article_id = ?`, article)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		i1, i2 := item(a1), item(a2)
		t0 := time.Now().UTC().Add(-time.Hour)

		final := insertLabel(t, db, a1, i1, "Sports", "rev@x", "review", t0.Add(time.Minute))
		exec(t, db, `UPDATE review_items SET state = 'labeled', final_label_id = ? WHERE id = ?`, final, i1)
		// A first vote of a double review: the item is still open.
		insertLabel(t, db, a2, i2, "Business", "rev@x", "review", t0.Add(2*time.Minute))
		// Undone by its reviewer.
		retracted := insertLabel(t, db, a1, i1, "World", "rev2@x", "review", t0.Add(3*time.Minute))
		exec(t, db, `UPDATE labels SET retracted_at = ? WHERE id = ?`, t0.Add(4*time.Minute), retracted)
		fb := insertLabel(t, db, a3, 0, "Sci/Tech", "key-ci", "feedback", t0.Add(5*time.Minute))
		exec(t, db, `INSERT INTO feedback (article_id, prediction_id, correct_label, is_correct, key_name, label_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a3, rec[2].PredictionID, "Sci/Tech", false, "key-ci", fb, t0.Add(5*time.Minute))
		fbRetracted := insertLabel(t, db, a3, 0, "World", "key-ci", "feedback", t0.Add(6*time.Minute))
		exec(t, db, `UPDATE labels SET retracted_at = ? WHERE id = ?`, t0.Add(7*time.Minute), fbRetracted)

		labels, err := db.TrainingLabels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, l := range labels {
			ids = append(ids, l.LabelID)
		}
		if !slices.Equal(ids, []int64{final, fb}) {
			t.Fatalf("training labels %v, want the final review label %d and the feedback label %d", ids, final, fb)
		}
		if l := labels[0]; l.Title != "Cup final" || l.Body != "The home side won." || l.Label != "Sports" ||
			l.Source != "review" || l.LabeledBy != "rev@x" || l.ArticleID != a1 {
			t.Fatalf("training label: %+v", l)
		}
		for _, c := range []struct {
			since time.Time
			want  int
		}{{t0, 2}, {t0.Add(4 * time.Minute), 1}, {time.Now().Add(time.Hour), 0}} {
			if n, err := db.LabelsSince(ctx, c.since); err != nil || n != c.want {
				t.Errorf("LabelsSince(%s) = %d, %v; want %d", c.since, n, err, c.want)
			}
		}

		// A fine-tune trains on those labels and becomes the active model.
		if _, err := db.EnsureModel(ctx, modelVersion("agnews-v1", store.ModelBuiltin), "system"); err != nil {
			t.Fatal(err)
		}
		run, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerCLI, BaseVersion: "agnews-v1"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		nv := modelVersion("agnews-v2", store.ModelFinetune)
		if err := db.FinishTrainingRun(ctx, run.ID, store.TrainingResult{Status: store.RunSucceeded, LabelIDs: ids,
			Model: &nv, Promote: true, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		c := classification("Cup final", "The home side won.", "", false)
		c.Prediction.ModelVersion = "agnews-v2"
		again, err := db.RecordClassifications(ctx, []store.Classification{c})
		if err != nil {
			t.Fatal(err)
		}

		lin, err := db.Lineage(ctx, again[0].PredictionID)
		if err != nil {
			t.Fatal(err)
		}
		if lin.Prediction.ModelVersion != "agnews-v2" || lin.Article.ID != a1 || lin.Prediction.RequestID != "req-1" {
			t.Fatalf("lineage prediction/article: %+v %+v", lin.Prediction, lin.Article)
		}
		if len(lin.ReviewItems) != 1 || lin.ReviewItems[0].FinalLabelID != final || lin.ReviewItems[0].State != "labeled" {
			t.Fatalf("lineage review items: %+v", lin.ReviewItems)
		}
		if len(lin.Labels) != 2 {
			t.Fatalf("lineage labels: %+v", lin.Labels)
		}
		if l := lin.Labels[0]; l.ID != final || !l.Final || l.RetractedAt != nil || !slices.Equal(l.TrainingRunIDs, []int64{run.ID}) {
			t.Fatalf("final label in lineage: %+v", l)
		}
		if l := lin.Labels[1]; l.ID != retracted || l.Final || l.RetractedAt == nil || len(l.TrainingRunIDs) != 0 {
			t.Fatalf("retracted label in lineage: %+v", l)
		}
		if lin.Model == nil || lin.Model.Version != "agnews-v2" || lin.ModelRun == nil || lin.ModelRun.ID != run.ID {
			t.Fatalf("lineage model: %+v run %+v", lin.Model, lin.ModelRun)
		}

		lin, err = db.Lineage(ctx, rec[2].PredictionID)
		if err != nil {
			t.Fatal(err)
		}
		if len(lin.Feedback) != 1 || lin.Feedback[0].LabelID != fb || lin.Feedback[0].IsCorrect == nil || *lin.Feedback[0].IsCorrect ||
			len(lin.Labels) != 2 || lin.Model == nil || lin.Model.Version != "agnews-v1" || lin.ModelRun != nil || len(lin.ReviewItems) != 0 {
			t.Fatalf("feedback lineage: %+v", lin)
		}
		if _, err := db.Lineage(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("lineage of an unknown prediction: %v", err)
		}
	})
}
