package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestReviewersProgress(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Now().Add(-time.Minute)
		ids := seedQueue(t, db, 6, 1)
		for _, id := range ids[:2] {
			if _, err := label(db, "ann", id, "World"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SkipReviewItem(ctx, store.ActionRequest{ItemID: ids[2], Reviewer: "bob", NoneOfThese: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SkipReviewItem(ctx, store.ActionRequest{ItemID: ids[3], Reviewer: "bob"}); err != nil {
			t.Fatal(err)
		}
		claim(t, db, "cy", 2, time.Minute)
		got, err := db.ReviewersProgress(ctx, start)
		if err != nil || len(got) != 3 {
			t.Fatalf("%+v, %v", got, err)
		}
		ann, bob, cy := got[0], got[1], got[2]
		if ann.Reviewer != "ann" || ann.Labeled != 2 || ann.Skipped != 0 || ann.LastAt.IsZero() {
			t.Errorf("ann %+v", ann)
		}
		if bob.Reviewer != "bob" || bob.Labeled != 0 || bob.Skipped != 2 || bob.NoneOfThese != 1 {
			t.Errorf("bob %+v", bob)
		}
		if cy.Reviewer != "cy" || cy.Held != 2 || !cy.LastAt.IsZero() {
			t.Errorf("cy %+v", cy)
		}
		// Actions before the start are not counted.
		if got, _ := db.ReviewersProgress(ctx, time.Now().Add(time.Minute)); len(got) != 1 || got[0].Reviewer != "cy" {
			t.Errorf("from a later start: %+v", got)
		}
	})
}
