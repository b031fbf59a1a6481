package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestOpenReviewCountsAndHeld(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 5, 2)
		// One disagreement goes to adjudication; one first label keeps its
		// item open for a second reviewer.
		for _, l := range []struct {
			who, label string
			id         int64
		}{{"ann", "Sports", ids[0]}, {"bob", "World", ids[0]}, {"ann", "World", ids[1]}} {
			if _, err := label(db, l.who, l.id, l.label); err != nil {
				t.Fatal(err)
			}
		}
		claim(t, db, "cy", 2, time.Minute)
		got, err := db.OpenReviewCounts(ctx)
		if err != nil || got != (store.OpenCounts{Review: 4, Adjudication: 1}) {
			t.Fatalf("open counts %+v, %v; want 4 to review (held ones too) and 1 to adjudicate", got, err)
		}
		p, err := db.ReviewProgress(ctx, store.ProgressQuery{Reviewer: "cy", Since: time.Now().Add(-time.Hour)})
		if err != nil || p.Held != 2 || p.Open != got.Review {
			t.Fatalf("cy's progress: held %d, open %d (%v); want 2 held, open as counted", p.Held, p.Open, err)
		}
		expire(t, db, "dee", 1)
		if p, err := db.ReviewProgress(ctx, store.ProgressQuery{Reviewer: "dee", Since: time.Now()}); err != nil || p.Held != 0 {
			t.Fatalf("an expired claim counts as held: %d, %v", p.Held, err)
		}
	})
}
