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

func TestSearchInsideTheQueue(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 4, 1) // "Story i" / "Body of story i."
		page, err := db.ReviewQueue(ctx, store.QueueFilter{Query: "STORY 2"})
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != ids[2] {
			t.Fatalf("search by title: %+v, %v", page.Items, err)
		}
		page, err = db.ReviewQueue(ctx, store.QueueFilter{Query: "body of", Source: "blog"})
		if err != nil || len(page.Items) != 2 {
			t.Fatalf("search by text with a filter: %d items, %v", len(page.Items), err)
		}
		// LIKE's wildcards are searched for, not obeyed.
		if page, err := db.ReviewQueue(ctx, store.QueueFilter{Query: "%"}); err != nil || len(page.Items) != 0 {
			t.Fatalf("a %% matched %d items (%v)", len(page.Items), err)
		}
		var v store.ValidationError
		if _, err := db.ReviewQueue(ctx, store.QueueFilter{Query: strings.Repeat("q", 201)}); !errors.As(err, &v) || v[0].Field != "q" {
			t.Fatalf("long query: %v", err)
		}
		// Claims and the open count narrow alike.
		items, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "ann", N: 5, Lease: time.Minute, Query: "story 3"})
		if err != nil || len(items) != 1 || items[0].ID != ids[3] {
			t.Fatalf("claim by search: %+v, %v", items, err)
		}
		p, err := db.ReviewProgress(ctx, store.ProgressQuery{Reviewer: "ann", Query: "story 3"})
		if err != nil || p.Open != 1 {
			t.Fatalf("open count by search: %d, %v", p.Open, err)
		}
	})
}
