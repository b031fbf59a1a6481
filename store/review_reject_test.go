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

func TestSkipNoneOfThese(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 2, 1)
		o, err := db.SkipReviewItem(ctx, store.ActionRequest{ItemID: ids[0], Reviewer: "ann", NoneOfThese: true, Note: "a recipe"})
		if err != nil || o.State != store.StatePending {
			t.Fatalf("none of these: %+v, %v", o, err)
		}
		p, err := db.ReviewProgress(ctx, store.ProgressQuery{Reviewer: "ann"})
		if err != nil || p.LastAction == nil || !p.LastAction.NoneOfThese || p.LastAction.Action != "skip" {
			t.Fatalf("last action %+v, %v", p.LastAction, err)
		}
		// It is undone like any skip.
		if u, err := db.UndoReviewAction(ctx, store.ActionRequest{ItemID: ids[0], Reviewer: "ann", Lease: time.Minute, Window: time.Minute}); err != nil || u.Undone != "skip" {
			t.Fatalf("undo: %+v, %v", u, err)
		}
		_, err = db.SkipReviewItem(ctx, store.ActionRequest{ItemID: ids[1], Reviewer: "ann", NoneOfThese: true, Note: strings.Repeat("x", 2001)})
		var v store.ValidationError
		if !errors.As(err, &v) || v[0].Field != "note" {
			t.Fatalf("long note: %v", err)
		}
		if _, err := db.SkipReviewItem(ctx, store.ActionRequest{ItemID: ids[1], Reviewer: "bob"}); err != nil {
			t.Fatal(err)
		}
		if p, _ := db.ReviewProgress(ctx, store.ProgressQuery{Reviewer: "bob"}); p.LastAction == nil || p.LastAction.NoneOfThese {
			t.Fatalf("a plain skip reads as none of these: %+v", p.LastAction)
		}
	})
}
