package store_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// trendDay is a fixed UTC day in the past, far from now, so that the
// predictions AddLabel stamps now never fall into the queried range.
var trendDay = time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)

func seedTrends(t *testing.T, d store.Dialect) (*store.DB, *storetest.Raw) {
	t.Helper()
	db, raw, _ := storetest.OpenRaw(t, d)
	day := func(n int, h int) time.Time { return trendDay.AddDate(0, 0, n).Add(time.Duration(h) * time.Hour) }
	preds := []storetest.PastPrediction{
		{Title: "a1", Source: "wire", Label: "World", At: day(0, 1)},
		{Title: "a2", Source: "wire", Label: "World", At: day(0, 23)},
		{Title: "a3", Source: "blog", Label: "Sports", At: day(0, 12)},
		{Title: "a4", Source: "wire", Label: "Sports", At: day(1, 0)},
		// Outside the range on either side.
		{Title: "a5", Source: "wire", Label: "World", At: day(-1, 23)},
		{Title: "a6", Source: "wire", Label: "World", At: day(3, 0)},
		// A zero-shot taxonomy's prediction is not the topic model's.
		{Title: "a7", Source: "wire", Label: "World", Taxonomy: "desk", At: day(0, 2)},
	}
	for _, p := range preds {
		storetest.AddPrediction(t, db, raw, p)
	}
	labels := []storetest.HumanLabel{
		{Title: "l1", Body: "l1", Label: "Business", Source: "review", At: day(0, 5)},
		{Title: "l2", Body: "l2", Label: "Business", Source: "feedback", At: day(1, 5)},
		{Title: "l3", Body: "l3", Label: "World", Source: "feedback", At: day(1, 6)},
		{Title: "l4", Body: "l4", Label: "World", Source: "feedback", At: day(1, 7)}, // retracted below
		{Title: "l5", Body: "l5", Label: "Sports", Source: "review", At: day(1, 8)},  // unsettled below
	}
	ids := make([]int64, len(labels))
	for i, l := range labels {
		ids[i] = storetest.AddLabel(t, db, raw, l)
	}
	raw.Exec(t, `UPDATE labels SET retracted_at = ? WHERE id = ?`, day(1, 9), ids[3])
	// A vote of a double review that has not settled the item yet.
	raw.Exec(t, `UPDATE review_items SET state = 'claimed', final_label_id = NULL, claimed_by = 'x', lease_expires_at = ?
		WHERE final_label_id = ?`, day(2, 0), ids[4])
	raw.Exec(t, `UPDATE articles SET source = 'wire' WHERE title IN ('l1', 'l3')`)
	// Labels count on their article's day, not their own: date the
	// articles as the labels were, then label them today.
	raw.Exec(t, `UPDATE articles SET published_at = (SELECT MIN(l.created_at) FROM labels l WHERE l.article_id = articles.id)
		WHERE title LIKE 'l_'`)
	raw.Exec(t, `UPDATE labels SET created_at = ?`, time.Now().UTC())
	return db, raw
}

func TestTopicTrends(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, _ := seedTrends(t, d)
			ctx := context.Background()
			q := store.TrendQuery{From: trendDay, To: trendDay.AddDate(0, 0, 3)}
			got, err := db.TopicTrends(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			want := store.TopicTrends{
				Predicted: []store.TopicDayCount{
					{"2024-03-10", "Sports", 1}, {"2024-03-10", "World", 2}, {"2024-03-11", "Sports", 1},
				},
				Reviewed: []store.TopicDayCount{
					{"2024-03-10", "Business", 1}, {"2024-03-11", "Business", 1}, {"2024-03-11", "World", 1},
				},
				PredictedTotal: []store.DayCount{{"2024-03-10", 3}, {"2024-03-11", 1}},
				ReviewedTotal:  []store.DayCount{{"2024-03-10", 1}, {"2024-03-11", 2}},
				// The predictions' articles have no date: counted as received.
				PredictedUndated: []store.DayCount{{"2024-03-10", 3}, {"2024-03-11", 1}},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("all:\n got %+v\nwant %+v", got, want)
			}

			// Topics narrow the per-topic counts but not the totals; the
			// source narrows both.
			q.Topics, q.Source = []string{"World", "Business"}, "wire"
			got, err = db.TopicTrends(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			want = store.TopicTrends{
				Predicted:        []store.TopicDayCount{{"2024-03-10", "World", 2}},
				Reviewed:         []store.TopicDayCount{{"2024-03-10", "Business", 1}, {"2024-03-11", "World", 1}},
				PredictedTotal:   []store.DayCount{{"2024-03-10", 2}, {"2024-03-11", 1}},
				ReviewedTotal:    []store.DayCount{{"2024-03-10", 1}, {"2024-03-11", 1}},
				PredictedUndated: []store.DayCount{{"2024-03-10", 2}},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("filtered:\n got %+v\nwant %+v", got, want)
			}

			f, err := db.TrendFilters(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Sources, []string{"blog", "wire"}) {
				t.Errorf("sources %v", f.Sources)
			}
			// The retracted label's and zero-shot's topics are World anyway;
			// Business comes from labels alone.
			if !reflect.DeepEqual(f.Topics, []string{"Business", "Sports", "World"}) {
				t.Errorf("topics %v", f.Topics)
			}
		})
	}
}

func TestTopicTrendsDayBoundaries(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, raw, _ := storetest.OpenRaw(t, d)
			// An instant given in another zone still lands on its UTC day.
			east := time.FixedZone("UTC+5", 5*3600)
			storetest.AddPrediction(t, db, raw, storetest.PastPrediction{Title: "late", Label: "World",
				At: time.Date(2024, 3, 11, 2, 0, 0, 0, east)}) // 2024-03-10 21:00 UTC
			storetest.AddPrediction(t, db, raw, storetest.PastPrediction{Title: "edge", Label: "World",
				At: trendDay.AddDate(0, 0, 1)}) // exactly To: not counted
			got, err := db.TopicTrends(context.Background(), store.TrendQuery{From: trendDay, To: trendDay.AddDate(0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			if want := []store.TopicDayCount{{"2024-03-10", "World", 1}}; !reflect.DeepEqual(got.Predicted, want) {
				t.Fatalf("got %+v, want %+v", got.Predicted, want)
			}
		})
	}
}

func TestTopicTrendsValidation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		for name, q := range map[string]store.TrendQuery{
			"empty":    {},
			"reversed": {From: trendDay, To: trendDay.AddDate(0, 0, -1)},
			"too long": {From: trendDay, To: trendDay.AddDate(3, 0, 0)},
		} {
			var v store.ValidationError
			if _, err := db.TopicTrends(context.Background(), q); !errors.As(err, &v) {
				t.Errorf("%s: err %v, want a ValidationError", name, err)
			}
		}
	})
}
