package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestClaimReviewItemsFiltered(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedQueue(t, db, 6, 1) // even items: Sports, wire, least_confidence; odd: World, blog, margin
		for _, tc := range []struct {
			name string
			req  store.ClaimRequest
			want func(store.QueueItem) bool
		}{
			{"topic", store.ClaimRequest{Topic: "World"}, func(it store.QueueItem) bool { return it.Topic == "World" }},
			{"reason", store.ClaimRequest{Reason: "least_confidence"}, func(it store.QueueItem) bool { return it.Reason == "least_confidence" }},
			{"source", store.ClaimRequest{Source: "blog"}, func(it store.QueueItem) bool { return it.Source == "blog" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := tc.req
				req.Reviewer, req.N, req.Lease = "filter-"+tc.name, 10, time.Minute
				items, err := db.ClaimReviewItems(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if len(items) != 3 {
					t.Fatalf("claimed %d items, want 3", len(items))
				}
				for _, it := range items {
					if !tc.want(it) {
						t.Fatalf("claimed an item outside the filter: %+v", it)
					}
				}
				// Let them go again for the next case.
				for _, it := range items {
					if _, err := db.SkipReviewItem(ctx, store.ActionRequest{ItemID: it.ID, Reviewer: req.Reviewer}); err != nil {
						t.Fatal(err)
					}
					if _, err := db.UndoReviewAction(ctx, store.ActionRequest{ItemID: it.ID, Reviewer: req.Reviewer, Lease: time.Nanosecond, Window: time.Minute}); err != nil {
						t.Fatal(err)
					}
				}
				time.Sleep(time.Millisecond) // the nanosecond leases run out
			})
		}

		// Held items outside a new filter are not renewed nor counted.
		held, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "mover", N: 2, Lease: time.Minute, Topic: "Sports"})
		if err != nil || len(held) != 2 {
			t.Fatalf("claim Sports: %v %d", err, len(held))
		}
		items, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: "mover", N: 2, Lease: time.Minute, Topic: "World"})
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 2 || items[0].Topic != "World" || items[1].Topic != "World" {
			t.Fatalf("after switching the filter: %+v", items)
		}
	})
}

func TestReviewProgress(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 4, 1)
		since := time.Now().UTC().Truncate(24 * time.Hour)
		p, err := db.ReviewProgress(ctx, store.ProgressQuery{Reviewer: "ann", Since: since})
		if err != nil {
			t.Fatal(err)
		}
		if p.LabeledSince != 0 || p.Open != 4 || p.LastAction != nil {
			t.Fatalf("fresh progress %+v", p)
		}
		if !slices.Equal(p.Topics, []string{"Sports", "World"}) || !slices.Equal(p.Reasons, []string{"least_confidence", "margin"}) ||
			!slices.Equal(p.Sources, []string{"blog", "wire"}) {
			t.Fatalf("facets %v %v %v", p.Topics, p.Reasons, p.Sources)
		}
		if _, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: "ann", Items: []store.LabelInput{
			{ItemID: ids[0], Label: "Sports"}, {ItemID: ids[1], Label: "World"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SkipReviewItem(ctx, store.ActionRequest{ItemID: ids[2], Reviewer: "ann"}); err != nil {
			t.Fatal(err)
		}
		p, err = db.ReviewProgress(ctx, store.ProgressQuery{Reviewer: "ann", Since: since})
		if err != nil {
			t.Fatal(err)
		}
		// The skipped item is back in the queue for others.
		if p.LabeledSince != 2 || p.Open != 2 || p.LastAction == nil || p.LastAction.ItemID != ids[2] || p.LastAction.Action != "skip" {
			t.Fatalf("after two labels and a skip: %+v %+v", p, p.LastAction)
		}
		if _, err := db.UndoReviewAction(ctx, store.ActionRequest{ItemID: ids[2], Reviewer: "ann", Lease: time.Minute, Window: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UndoReviewAction(ctx, store.ActionRequest{ItemID: ids[1], Reviewer: "ann", Lease: time.Minute, Window: time.Minute}); err != nil {
			t.Fatal(err)
		}
		p, err = db.ReviewProgress(ctx, store.ProgressQuery{Reviewer: "ann", Since: since, Topic: "World"})
		if err != nil {
			t.Fatal(err)
		}
		// ids[1] (World) and ids[3] (World) are open; the undone label no
		// longer counts; the last standing action is the label of ids[0].
		if p.LabeledSince != 1 || p.Open != 2 || p.LastAction == nil || p.LastAction.ItemID != ids[0] ||
			p.LastAction.Label != "Sports" || p.LastAction.Title != "Story 0" {
			t.Fatalf("after undos: %+v %+v", p, p.LastAction)
		}
		if p, err := db.ReviewProgress(ctx, store.ProgressQuery{Reviewer: "ann", Since: time.Now().Add(time.Hour)}); err != nil || p.LabeledSince != 0 {
			t.Fatalf("since the future: %v %+v", err, p)
		}
		if _, err := db.ReviewProgress(ctx, store.ProgressQuery{}); err == nil {
			t.Fatal("no reviewer: no error")
		}
	})
}

func TestReviewItemLabels(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 2, 2)
		for _, l := range []struct{ who, label string }{{"ann", "Sports"}, {"bob", "World"}} {
			if _, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: l.who, Items: []store.LabelInput{{ItemID: ids[0], Label: l.label}}}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.ReviewItemLabels(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		given := got[ids[0]]
		if len(given) != 2 || given[0].Reviewer != "ann" || given[0].Label != "Sports" || given[1].Reviewer != "bob" || given[1].Label != "World" || given[0].At.IsZero() {
			t.Fatalf("labels %+v", given)
		}
		if len(got[ids[1]]) != 0 {
			t.Fatalf("unlabeled item has labels %+v", got[ids[1]])
		}
		if got, err := db.ReviewItemLabels(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("no ids: %v %v", got, err)
		}
	})
}
