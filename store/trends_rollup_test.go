package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// The rollup follows RecordClassifications exactly, and a rebuild
// from the predictions agrees with it.
func TestTopicDailyRollup(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		mk := func(title, source, label, taxonomy string) store.Classification {
			c := classification(title, title+" body", "", false)
			c.Article.Source, c.Prediction.Label, c.Prediction.Taxonomy = source, label, taxonomy
			return c
		}
		_, err := db.RecordClassifications(ctx, []store.Classification{
			mk("a", "wire", "Sports", ""),
			mk("b", "wire", "Sports", ""),
			mk("c", "blog", "World", ""),
			mk("a", "blog", "Sports", ""),     // a duplicate counts under its stored source
			mk("d", "wire", "Sports", "desk"), // zero-shot predictions are not trends
		})
		if err != nil {
			t.Fatal(err)
		}
		day := time.Now().UTC().Truncate(24 * time.Hour)
		q := store.TrendQuery{From: day, To: day.Add(24 * time.Hour), Source: "wire"}
		check := func(when string) {
			tr, err := db.TopicTrends(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if len(tr.Predicted) != 1 || tr.Predicted[0].Topic != "Sports" || tr.Predicted[0].Count != 3 ||
				len(tr.PredictedTotal) != 1 || tr.PredictedTotal[0].Count != 3 {
				t.Fatalf("%s: wire trends %+v", when, tr)
			}
		}
		// A dated article counts on its day, and so does its duplicate,
		// however it is resent.
		published := time.Date(2024, 3, 10, 23, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)) // the 11th, UTC
		dated := mk("e", "wire", "World", "")
		dated.Article.PublishedAt = &published
		resent := mk("e", "blog", "World", "")
		if _, err := db.RecordClassifications(ctx, []store.Classification{dated, resent}); err != nil {
			t.Fatal(err)
		}
		checkDated := func(when string) {
			day := time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC)
			tr, err := db.TopicTrends(ctx, store.TrendQuery{From: day, To: day.AddDate(0, 0, 1), Source: "wire"})
			if err != nil {
				t.Fatal(err)
			}
			if want := []store.TopicDayCount{{"2024-03-11", "World", 2}}; !reflect.DeepEqual(tr.Predicted, want) || len(tr.PredictedUndated) != 0 {
				t.Fatalf("%s: dated trends %+v", when, tr)
			}
		}
		check("kept in step")
		checkDated("kept in step")
		if err := db.RebuildTopicSlots(ctx); err != nil {
			t.Fatal(err)
		}
		check("rebuilt")
		checkDated("rebuilt")
	})
}
