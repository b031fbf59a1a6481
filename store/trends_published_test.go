package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// Articles sent today but published on earlier days count on those days;
// one without a date counts on the day it arrived, and is reported as
// such. Sixty days sent at once used to land all on today.
func TestTopicTrendsByPublication(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, raw, _ := storetest.OpenRaw(t, d)
			ctx := context.Background()
			sent := trendDay.AddDate(0, 0, 5).Add(9 * time.Hour)
			east := time.FixedZone("UTC+5", 5*3600)
			for i, p := range []storetest.PastPrediction{
				{Title: "p1", Label: "World", At: sent, Published: trendDay.Add(3 * time.Hour)},
				{Title: "p2", Label: "World", At: sent, Published: trendDay.Add(4 * time.Hour)},
				// 2024-03-11 01:00 at +05:00 is 2024-03-10 20:00 UTC.
				{Title: "p3", Label: "Sports", At: sent, Published: time.Date(2024, 3, 11, 1, 0, 0, 0, east)},
				{Title: "p4", Label: "Sports", At: sent, Published: trendDay.AddDate(0, 0, 1)},
				{Title: "undated", Label: "Sports", At: trendDay.AddDate(0, 0, 2).Add(time.Hour)},
			} {
				storetest.AddPrediction(t, db, raw, p)
				_ = i
			}
			// A label counts on its article's publication day too.
			id := storetest.AddLabel(t, db, raw, storetest.HumanLabel{Title: "lab", Body: "lab", Label: "Business", Source: "feedback", At: sent})
			raw.Exec(t, `UPDATE articles SET published_at = ? WHERE id = (SELECT article_id FROM labels WHERE id = ?)`, trendDay.Add(time.Hour), id)
			got, err := db.TopicTrends(ctx, store.TrendQuery{From: trendDay, To: trendDay.AddDate(0, 0, 7)})
			if err != nil {
				t.Fatal(err)
			}
			want := store.TopicTrends{
				Predicted: []store.TopicDayCount{
					{"2024-03-10", "Sports", 1}, {"2024-03-10", "World", 2}, {"2024-03-11", "Sports", 1}, {"2024-03-12", "Sports", 1},
				},
				Reviewed:         []store.TopicDayCount{{"2024-03-10", "Business", 1}},
				PredictedTotal:   []store.DayCount{{"2024-03-10", 3}, {"2024-03-11", 1}, {"2024-03-12", 1}},
				ReviewedTotal:    []store.DayCount{{"2024-03-10", 1}},
				PredictedUndated: []store.DayCount{{"2024-03-12", 1}},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// Days are the chosen zone's: an article belongs to the local day it was
// published on, across a daylight-saving change and in a zone offset by
// half an hour.
func TestTopicTrendsZones(t *testing.T) {
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, raw, _ := storetest.OpenRaw(t, d)
			ctx := context.Background()
			utc := func(day, h, m int) time.Time { return time.Date(2024, 3, day, h, m, 0, 0, time.UTC) }
			for _, p := range []storetest.PastPrediction{
				// New York: 2024-03-09 23:30 EST.
				{Title: "a", Label: "World", Published: utc(10, 4, 30)},
				// New York: 2024-03-11 00:30 EDT (clocks went forward on the
				// 10th); under EST it would still be the 10th.
				{Title: "b", Label: "World", Published: utc(11, 4, 30)},
				// Kolkata (+05:30): 2024-03-11 00:15; UTC: the 10th.
				{Title: "c", Label: "World", Published: utc(10, 18, 45)},
			} {
				p.At = utc(20, 0, 0)
				storetest.AddPrediction(t, db, raw, p)
			}
			days := func(loc *time.Location) []store.DayCount {
				t.Helper()
				from := time.Date(2024, 3, 9, 0, 0, 0, 0, loc)
				got, err := db.TopicTrends(ctx, store.TrendQuery{From: from, To: from.AddDate(0, 0, 4), Zone: loc})
				if err != nil {
					t.Fatal(err)
				}
				return got.PredictedTotal
			}
			for _, tc := range []struct {
				loc  *time.Location
				want []store.DayCount
			}{
				{time.UTC, []store.DayCount{{"2024-03-10", 2}, {"2024-03-11", 1}}},
				{newYork, []store.DayCount{{"2024-03-09", 1}, {"2024-03-10", 1}, {"2024-03-11", 1}}},
				{kolkata, []store.DayCount{{"2024-03-10", 1}, {"2024-03-11", 2}}},
			} {
				if got := days(tc.loc); !reflect.DeepEqual(got, tc.want) {
					t.Errorf("%s: got %+v, want %+v", tc.loc, got, tc.want)
				}
			}
		})
	}
}
