package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// expire claims items for the reviewer under a lease that runs out at once.
func expire(t *testing.T, db *store.DB, reviewer string, n int) []int64 {
	t.Helper()
	ids := claim(t, db, reviewer, n, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	return ids
}

func TestLabelAfterLeaseExpiredIsRefused(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 2, 1)
		held := expire(t, db, "ann@example.com", 1)
		if len(held) != 1 || held[0] != ids[0] {
			t.Fatalf("ann claimed %v, want [%d]", held, ids[0])
		}
		_, err := label(db, "ann@example.com", ids[0], "World")
		var lapsed *store.LeaseExpired
		if !errors.Is(err, store.ErrConflict) || !errors.As(err, &lapsed) || lapsed.ItemID != ids[0] {
			t.Fatalf("label after the lease ran out: %v, want a LeaseExpired conflict", err)
		}
		var conflict *store.Conflict
		if !errors.As(err, &conflict) || !strings.Contains(conflict.Reason, "went back to the queue") {
			t.Fatalf("the conflict's reason: %v", err)
		}
		it, err := db.ReviewItem(ctx, ids[0])
		if err != nil || it.Reviews != 0 {
			t.Fatalf("the refused label was stored: %+v, %v", it, err)
		}
		// Claiming again lifts the refusal.
		if again := claim(t, db, "ann@example.com", 1, time.Minute); len(again) != 1 || again[0] != ids[0] {
			t.Fatalf("reclaim: %v", again)
		}
		if o, err := label(db, "ann@example.com", ids[0], "World"); err != nil || !o.Final {
			t.Fatalf("label after reclaiming: %+v, %v", o, err)
		}
		// Someone else may still label an item whose claim ran out, as
		// they may a pending one.
		expire(t, db, "bob@example.com", 1)
		if o, err := label(db, "cy@example.com", ids[1], "Sports"); err != nil || !o.Final {
			t.Fatalf("another reviewer's label of a lapsed claim: %+v, %v", o, err)
		}
	})
}

func TestLateLabelIsNotASecondReview(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 1, 2)
		// Bob's claim runs out; the item returns to the queue and Ann
		// gives the first of its two labels, which clears the claim.
		expire(t, db, "bob@example.com", 1)
		if got := claim(t, db, "ann@example.com", 1, time.Minute); len(got) != 1 || got[0] != ids[0] {
			t.Fatalf("ann claimed %v", got)
		}
		if o, err := label(db, "ann@example.com", ids[0], "World"); err != nil || o.State != store.StatePending {
			t.Fatalf("first of two: %+v, %v", o, err)
		}
		// Bob's late label must not settle the item as its second review.
		if _, err := label(db, "bob@example.com", ids[0], "World"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("bob's late label: %v, want a conflict", err)
		}
		it, err := db.ReviewItem(ctx, ids[0])
		if err != nil || it.Reviews != 1 || it.State != store.StatePending {
			t.Fatalf("after the late label: %+v, %v", it, err)
		}
		// Once Bob claims it again, his label is the second review.
		if got := claim(t, db, "bob@example.com", 1, time.Minute); len(got) != 1 {
			t.Fatalf("bob reclaimed %v", got)
		}
		if o, err := label(db, "bob@example.com", ids[0], "World"); err != nil || !o.Final {
			t.Fatalf("second review after reclaiming: %+v, %v", o, err)
		}
	})
}

func TestUndoRenewsTheLease(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 1, 1)
		expire(t, db, "ann@example.com", 1)
		if _, err := db.SkipReviewItem(ctx, store.ActionRequest{ItemID: ids[0], Reviewer: "cy@example.com"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UndoReviewAction(ctx, store.ActionRequest{ItemID: ids[0], Reviewer: "cy@example.com", Lease: time.Minute, Window: time.Minute}); err != nil {
			t.Fatal(err)
		}
		// Cy holds the item again after the undo and may label it; Ann,
		// whose claim ran out, may not.
		if _, err := label(db, "ann@example.com", ids[0], "World"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("ann's late label: %v", err)
		}
		if o, err := label(db, "cy@example.com", ids[0], "World"); err != nil || !o.Final {
			t.Fatalf("cy's label after undo: %+v, %v", o, err)
		}
	})
}

func TestLabelSeenAfterLeaseRanOut(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 1, 1)
		before := time.Now()
		expire(t, db, "ann", 1)
		req := store.LabelRequest{Reviewer: "ann", Items: []store.LabelInput{{ItemID: ids[0], Label: "World"}}, SeenAt: before}
		if _, err := db.LabelReviewItems(ctx, req); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("seen before the lease ran out: %v, want a conflict", err)
		}
		req.SeenAt = time.Now()
		if out, err := db.LabelReviewItems(ctx, req); err != nil || !out[0].Final {
			t.Fatalf("seen afresh after it ran out: %+v, %v", out, err)
		}
	})
}

func TestUndoBatchAllOrNothingAndHeldListed(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 3, 1)
		if _, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: "ann", Items: []store.LabelInput{
			{ItemID: ids[0], Label: "World"}, {ItemID: ids[1], Label: "World"}}}); err != nil {
			t.Fatal(err)
		}
		undo := func(items ...int64) error {
			var reqs []store.ActionRequest
			for _, id := range items {
				reqs = append(reqs, store.ActionRequest{ItemID: id, Reviewer: "ann", Lease: time.Minute, Window: time.Minute})
			}
			_, err := db.UndoReviewActions(ctx, reqs)
			return err
		}
		// ids[2] has nothing to undo: the whole batch is refused.
		if err := undo(ids[0], ids[2]); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("batch with nothing to undo: %v", err)
		}
		if it, _ := db.ReviewItem(ctx, ids[0]); it.State != store.StateLabeled {
			t.Fatalf("a refused batch undid item %d: %s", ids[0], it.State)
		}
		if err := undo(ids[0], ids[1]); err != nil {
			t.Fatal(err)
		}
		// The items are ann's again: listed for her, not for others.
		mine, err := db.ReviewQueue(ctx, store.QueueFilter{HeldBy: "ann"})
		if err != nil || len(mine.Items) != 3 {
			t.Fatalf("ann's listing: %d items, %v", len(mine.Items), err)
		}
		theirs, err := db.ReviewQueue(ctx, store.QueueFilter{HeldBy: "bob"})
		if err != nil || len(theirs.Items) != 1 {
			t.Fatalf("bob's listing: %d items, %v", len(theirs.Items), err)
		}
	})
}
