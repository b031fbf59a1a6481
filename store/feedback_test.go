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

func TestFeedback(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rec, err := db.RecordClassifications(ctx, []store.Classification{classification("Cup", "The side won.", "", false)})
		if err != nil {
			t.Fatal(err)
		}
		art, pred := rec[0].ArticleID, rec[0].PredictionID
		yes, no := true, false

		for _, tc := range []struct {
			name  string
			in    store.NewFeedback
			label string
		}{
			{"correct label", store.NewFeedback{PredictionID: pred, CorrectLabel: "World"}, "World"},
			{"confirmed", store.NewFeedback{ArticleID: art, IsCorrect: &yes}, "Sports"},
			{"rejected without a label", store.NewFeedback{ArticleID: art, IsCorrect: &no}, ""},
			{"comment only", store.NewFeedback{PredictionID: pred, Comment: "odd"}, ""},
		} {
			tc.in.KeyName, tc.in.RequestID = "client", "req-"+tc.name
			fb, replayed, err := db.RecordFeedback(ctx, tc.in)
			if err != nil || replayed || fb.Label != tc.label || fb.ArticleID != art || fb.PredictionID != pred || (tc.label != "") != (fb.LabelID != 0) {
				t.Errorf("%s: %+v replayed=%v err=%v", tc.name, fb, replayed, err)
			}
		}

		for _, tc := range []struct {
			name  string
			in    store.NewFeedback
			field string
			kind  error
		}{
			{"nothing named", store.NewFeedback{Comment: "x"}, "article_id", nil},
			{"nothing said", store.NewFeedback{ArticleID: art}, "correct_label", nil},
			{"foreign label", store.NewFeedback{ArticleID: art, CorrectLabel: "Politics"}, "correct_label", nil},
			{"contradiction", store.NewFeedback{ArticleID: art, CorrectLabel: "World", IsCorrect: &yes}, "is_correct", nil},
			{"mismatched ids", store.NewFeedback{ArticleID: art + 1, PredictionID: pred, Comment: "x"}, "prediction_id", nil},
			{"unknown prediction", store.NewFeedback{PredictionID: 99999, Comment: "x"}, "", store.ErrNotFound},
			{"unknown article", store.NewFeedback{ArticleID: 99999, Comment: "x"}, "", store.ErrNotFound},
		} {
			tc.in.KeyName = "client"
			_, _, err := db.RecordFeedback(ctx, tc.in)
			var v store.ValidationError
			switch {
			case tc.kind != nil && !errors.Is(err, tc.kind):
				t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
			case tc.kind == nil && (!errors.As(err, &v) || v[0].Field != tc.field):
				t.Errorf("%s: %v, want a validation error on %s", tc.name, err, tc.field)
			}
		}
	})
}

func TestFeedbackIdempotency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		rec, err := db.RecordClassifications(ctx, []store.Classification{classification("Cup", "The side won.", "", false)})
		if err != nil {
			t.Fatal(err)
		}
		in := store.NewFeedback{PredictionID: rec[0].PredictionID, CorrectLabel: "World", KeyName: "client",
			IdempotencyKey: "k-1", RequestHash: "h1"}

		// Concurrent retries of one request store it once.
		var (
			wg  sync.WaitGroup
			mu  sync.Mutex
			ids = map[int64]int{}
			n   int
		)
		for range 6 {
			wg.Go(func() {
				fb, replayed, err := db.RecordFeedback(ctx, in)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
				ids[fb.ID]++
				if !replayed {
					n++
				}
			})
		}
		wg.Wait()
		if len(ids) != 1 || n != 1 {
			t.Fatalf("6 retries stored %d records (%d not replayed)", len(ids), n)
		}

		// The same key from another API key is another request.
		other := in
		other.KeyName = "other-client"
		if _, replayed, err := db.RecordFeedback(ctx, other); err != nil || replayed {
			t.Fatalf("other key name: replayed=%v err=%v", replayed, err)
		}
		// The same key with another body is refused.
		changed := in
		changed.RequestHash, changed.CorrectLabel = "h2", "Sports"
		if _, _, err := db.RecordFeedback(ctx, changed); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("reused key: %v", err)
		}
		st, err := db.ReviewStats(ctx, 1)
		if err != nil || st.Feedback != 2 || st.LabelsSinceTraining != 2 {
			t.Fatalf("stats after feedback: feedback=%d labels=%d err=%v", st.Feedback, st.LabelsSinceTraining, err)
		}
	})
}

func TestClaimForDiversity(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Ten near-duplicates at the top of the queue, then two distinct
		// stories of lower priority.
		var cs []store.Classification
		for i := range 12 {
			c := classification(fmt.Sprintf("Story %d", i), fmt.Sprintf("Body %d.", i), "", true)
			c.Review.Priority = 0.9 - 0.01*float64(i)
			c.Review.Embedding = []float32{1, 0.01 * float32(i), 0}
			if i >= 10 {
				c.Review.Priority = 0.5
				c.Review.Embedding = []float32{0, float32(11 - i), float32(i - 10)} // orthogonal to all
			}
			cs = append(cs, c)
		}
		if _, err := db.RecordClassifications(ctx, cs); err != nil {
			t.Fatal(err)
		}
		byPriority, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "a@x.org", N: 3, Lease: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range byPriority {
			if it.Title == "Story 10" || it.Title == "Story 11" {
				t.Fatalf("plain priority claim took a low-priority item: %s", it.Title)
			}
		}
		diverse, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "b@x.org", N: 3, Lease: time.Minute, Diversity: true})
		if err != nil {
			t.Fatal(err)
		}
		distinct := 0
		for _, it := range diverse {
			if it.Title == "Story 10" || it.Title == "Story 11" {
				distinct++
			}
		}
		if distinct != 2 {
			t.Fatalf("diversity claim took %d of the 2 distinct stories: %v", distinct, titles(diverse))
		}
	})
}

func titles(items []store.QueueItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Title)
	}
	return out
}
