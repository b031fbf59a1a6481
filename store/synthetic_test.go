package store_test

import (
	"context"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestSeedSynthetic(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var last int
		err := db.SeedSynthetic(ctx, store.SyntheticSpec{Articles: 200, Predictions: 500, ReviewShare: 0.5, LabeledShare: 0.5,
			Days: 10, Topics: []string{"A", "B", "C"}, Sources: []string{"wire"}, Seed: 7, Progress: func(done, _ int) { last = done }})
		if err != nil {
			t.Fatal(err)
		}
		if last != 700 {
			t.Fatalf("progress ended at %d, want 700", last)
		}
		st, err := db.ReviewStats(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		open, labeled := st.ByState[store.StatePending], st.ByState[store.StateLabeled]
		// About half the 200 articles are queued, about half of those settled.
		if open+labeled < 60 || open+labeled > 140 || labeled < 20 || labeled > 80 {
			t.Fatalf("queued %d open + %d labeled", open, labeled)
		}
		if err := db.SeedSynthetic(ctx, store.SyntheticSpec{Articles: 1, Predictions: 0}); err == nil {
			t.Fatal("a spec with fewer predictions than articles was accepted")
		}
	})
}
