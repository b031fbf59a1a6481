package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// seedQueue queues n articles for review with priorities 1/(i+1) and the
// given number of required reviews; it returns their item ids, highest
// priority first.
func seedQueue(t *testing.T, db *store.DB, n, required int) []int64 {
	t.Helper()
	ctx := context.Background()
	var cs []store.Classification
	for i := range n {
		c := classification(fmt.Sprintf("Story %d", i), fmt.Sprintf("Body of story %d.", i), "", true)
		c.Article.Source = []string{"wire", "blog"}[i%2]
		c.Prediction.Label = []string{"Sports", "World"}[i%2]
		c.Review.Priority = 1 / float64(i+1)
		c.Review.Uncertainty = float64(i) / float64(n)
		c.Review.RequiredReviews = required
		c.Review.Reason = []string{"least_confidence", "margin"}[i%2]
		// Five directions, so diversity and coverage claims have regions
		// to pick between.
		c.Review.Embedding = make([]float32, 8)
		c.Review.Embedding[i%5], c.Review.Embedding[5+i%3] = 1, 0.1*float32(i)
		cs = append(cs, c)
	}
	if _, err := db.RecordClassifications(ctx, cs); err != nil {
		t.Fatal(err)
	}
	page, err := db.ReviewQueue(ctx, store.QueueFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	if len(ids) != n {
		t.Fatalf("queued %d items, want %d", len(ids), n)
	}
	return ids
}

func claim(t *testing.T, db *store.DB, reviewer string, n int, lease time.Duration) []int64 {
	t.Helper()
	items, err := db.ClaimReviewItems(context.Background(), store.ClaimRequest{Reviewer: reviewer, N: n, Lease: lease})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range items {
		if it.State != store.StateClaimed || it.ClaimedBy != reviewer || it.LeaseExpiresAt == nil {
			t.Fatalf("claimed item %+v", it)
		}
		ids = append(ids, it.ID)
	}
	return ids
}

func label(db *store.DB, reviewer string, id int64, l string) (store.LabelOutcome, error) {
	out, err := db.LabelReviewItems(context.Background(), store.LabelRequest{Reviewer: reviewer, Items: []store.LabelInput{{ItemID: id, Label: l}}})
	if err != nil {
		return store.LabelOutcome{}, err
	}
	return out[0], nil
}

func TestReviewQueueFiltersAndPages(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ids := seedQueue(t, db, 7, 1)
		// Pages of 3 by priority walk all items once, in order.
		var got []int64
		f := store.QueueFilter{Limit: 3}
		for pages := 0; ; pages++ {
			page, err := db.ReviewQueue(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				got = append(got, it.ID)
			}
			if page.NextCursor == "" {
				break
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			f.Cursor = page.NextCursor
		}
		if !slices.Equal(got, ids) {
			t.Fatalf("paged ids %v, want %v", got, ids)
		}

		unc, err := db.ReviewQueue(ctx, store.QueueFilter{Sort: store.SortUncertainty, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if unc.Items[0].ID != ids[6] || unc.Items[0].Uncertainty < unc.Items[1].Uncertainty {
			t.Fatalf("by uncertainty: %+v", unc.Items)
		}
		next, err := db.ReviewQueue(ctx, store.QueueFilter{Sort: store.SortUncertainty, Limit: 2, Cursor: unc.NextCursor})
		if err != nil || next.Items[0].ID != ids[4] {
			t.Fatalf("second page by uncertainty: %+v, %v", next.Items, err)
		}
		age, err := db.ReviewQueue(ctx, store.QueueFilter{Sort: store.SortAge, Limit: 200})
		if err != nil || len(age.Items) != 7 {
			t.Fatalf("by age: %d items, %v", len(age.Items), err)
		}

		for _, tc := range []struct {
			name string
			f    store.QueueFilter
			want int
		}{
			{"topic", store.QueueFilter{Topic: "World"}, 3},
			{"source", store.QueueFilter{Source: "wire"}, 4},
			{"reason", store.QueueFilter{Reason: "margin"}, 3},
			{"from future", store.QueueFilter{From: new(time.Now().Add(time.Hour))}, 0},
			{"to future", store.QueueFilter{To: new(time.Now().Add(time.Hour))}, 7},
			{"adjudication", store.QueueFilter{Stage: store.StageAdjudication}, 0},
			{"labeled", store.QueueFilter{State: store.StateLabeled}, 0},
		} {
			page, err := db.ReviewQueue(ctx, tc.f)
			if err != nil || len(page.Items) != tc.want {
				t.Errorf("%s: %d items (%v), want %d", tc.name, len(page.Items), err, tc.want)
			}
		}

		for _, tc := range []struct {
			f     store.QueueFilter
			field string
		}{
			{store.QueueFilter{Sort: "random"}, "sort"},
			{store.QueueFilter{Limit: 500}, "limit"},
			{store.QueueFilter{State: "open"}, "state"},
			{store.QueueFilter{Cursor: "not-a-cursor"}, "cursor"},
			{store.QueueFilter{Cursor: unc.NextCursor}, "cursor"}, // a cursor of another sort
		} {
			_, err := db.ReviewQueue(ctx, tc.f)
			var v store.ValidationError
			if !errors.As(err, &v) || v[0].Field != tc.field {
				t.Errorf("%+v: err %v, want a validation error on %s", tc.f, err, tc.field)
			}
		}
	})
}

func TestClaimIsExclusiveUnderConcurrency(t *testing.T) {
	modes := []struct {
		name                string
		diversity, coverage bool
	}{{"priority", false, false}, {"diversity", true, false}, {"coverage", true, true}}
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) { testClaimIsExclusive(t, mode.diversity, mode.coverage) })
	}
}

// testClaimIsExclusive races 8 claimers of 3 items each over 20 items.
func testClaimIsExclusive(t *testing.T, diversity, coverage bool) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ids := seedQueue(t, db, 20, 1)
		const claimers, each = 8, 3
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			got  = map[int64]string{}
			errs []error
		)
		for c := range claimers {
			wg.Go(func() {
				reviewer := fmt.Sprintf("r%d@example.com", c)
				items, err := db.ClaimReviewItems(context.Background(), store.ClaimRequest{Reviewer: reviewer, N: each, Lease: time.Minute,
					Diversity: diversity, Coverage: coverage})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				for _, it := range items {
					if prev, dup := got[it.ID]; dup {
						errs = append(errs, fmt.Errorf("item %d claimed by %s and %s", it.ID, prev, reviewer))
					}
					got[it.ID] = reviewer
				}
			})
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if len(got) != min(claimers*each, len(ids)) {
			t.Fatalf("%d items claimed, want %d", len(got), min(claimers*each, len(ids)))
		}
		// Claimed items are out of the pending queue.
		page, err := db.ReviewQueue(context.Background(), store.QueueFilter{Limit: 200})
		if err != nil || len(page.Items) != len(ids)-len(got) {
			t.Fatalf("pending after claims: %d (%v)", len(page.Items), err)
		}
	})
}

func TestClaimLeasesExpireAndRenew(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ids := seedQueue(t, db, 3, 1)
		first := claim(t, db, "ann@example.com", 2, time.Minute)
		if !slices.Equal(first, ids[:2]) {
			t.Fatalf("claimed %v, want the top two %v", first, ids[:2])
		}
		// Claiming again returns the items held, not new ones.
		if again := claim(t, db, "ann@example.com", 2, time.Minute); !slices.Equal(again, first) {
			t.Fatalf("re-claim got %v, want %v", again, first)
		}
		short := claim(t, db, "bob@example.com", 1, time.Millisecond)
		if !slices.Equal(short, ids[2:3]) {
			t.Fatalf("bob got %v", short)
		}
		time.Sleep(20 * time.Millisecond)
		// Bob's lease ran out: the item is back in the queue for Cy.
		if cy := claim(t, db, "cy@example.com", 3, time.Minute); !slices.Equal(cy, ids[2:3]) {
			t.Fatalf("cy got %v, want the expired item %v", cy, ids[2:3])
		}
		// Bob lost it: labeling now conflicts.
		if _, err := label(db, "bob@example.com", ids[2], "Sports"); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("label after losing the lease: %v, want a conflict", err)
		}
		_, err := db.ClaimReviewItems(context.Background(), store.ClaimRequest{Reviewer: "", N: 0, Lease: time.Minute})
		var v store.ValidationError
		if !errors.As(err, &v) || len(v) != 2 {
			t.Fatalf("bad claim: %v", err)
		}
	})
}
