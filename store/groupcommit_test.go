package store_test

import (
	"context"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// Calls that arrive while a commit holds the write lock share the next
// transaction, and each still gets its own results.
func TestGroupCommitSharesTransactions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		release := holdWriteLock(t, db)
		const calls = 10
		results := make([][]store.Recorded, calls)
		errs := make([]error, calls)
		var wg sync.WaitGroup
		record := func(i int) {
			defer wg.Done()
			c := classification(fmt.Sprintf("Story %d", i), "Body.", fmt.Sprintf("https://news/%d", i), i%2 == 0)
			results[i], errs[i] = db.RecordClassifications(ctx, []store.Classification{c})
		}
		wg.Add(1)
		go record(0) // taken by the writer, which then waits for the lock
		waitFor(t, func() bool { return db.GroupTaken() == 1 })
		for i := 1; i < calls; i++ {
			wg.Add(1)
			go record(i)
		}
		waitFor(t, func() bool { return db.GroupWaiting() == calls-1 })
		if err := release(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		seen := map[int64]bool{}
		for i := range calls {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			r := results[i][0]
			if r.Duplicate || seen[r.ArticleID] || r.ReviewQueued != (i%2 == 0) {
				t.Fatalf("call %d: %+v", i, r)
			}
			seen[r.ArticleID] = true
			a, err := db.Article(ctx, r.ArticleID)
			if err != nil || a.Title != fmt.Sprintf("Story %d", i) {
				t.Fatalf("call %d: article %+v, %v", i, a, err)
			}
		}
		txs, carried := db.GroupCommitStats()
		if txs != 2 || carried != calls {
			t.Fatalf("%d transactions carried %d calls, want 2 carrying %d", txs, carried, calls)
		}
	})
}

// One caller's bad rows fail only that caller, even in a shared group,
// and duplicates across concurrent callers resolve to one article.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		release := holdWriteLock(t, db)
		const calls = 12
		errs := make([]error, calls)
		results := make([][]store.Recorded, calls)
		var wg sync.WaitGroup
		for i := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Three distinct stories, each sent by four callers.
				c := classification(fmt.Sprintf("Story %d", i%3), "Same body.", "", false)
				items := []store.Classification{c}
				if i == 5 {
					bad := classification("Broken", "Scores cannot be stored.", "", false)
					bad.Prediction.Scores = map[string]float64{"Sports": math.NaN()}
					items = append(items, bad)
				}
				results[i], errs[i] = db.RecordClassifications(ctx, items)
			}()
		}
		waitFor(t, func() bool { return db.GroupWaiting()+db.GroupTaken() == calls })
		if err := release(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		firsts := map[int64]int{}
		for i := range calls {
			if i == 5 {
				if errs[i] == nil {
					t.Fatal("the call with a NaN score succeeded")
				}
				continue
			}
			if errs[i] != nil {
				t.Fatalf("call %d failed with its neighbour: %v", i, errs[i])
			}
			if !results[i][0].Duplicate {
				firsts[results[i][0].ArticleID]++
			}
		}
		if len(firsts) != 3 {
			t.Fatalf("new articles %v, want 3 stories stored once each", firsts)
		}
		for id, n := range firsts {
			if n != 1 {
				t.Fatalf("article %d reported new %d times", id, n)
			}
		}
	})
}

// A call whose context ends before the writer takes it stores nothing.
func TestGroupCommitCancelledBeforeWrite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		release := holdWriteLock(t, db)
		go db.RecordClassifications(context.Background(), []store.Classification{classification("Holder", "Body.", "", false)})
		waitFor(t, func() bool { return db.GroupTaken() == 1 })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := db.RecordClassifications(ctx, []store.Classification{classification("Gone", "Body.", "", false)})
			done <- err
		}()
		waitFor(t, func() bool { return db.GroupWaiting() == 1 })
		cancel()
		if err := <-done; err == nil {
			t.Fatal("a cancelled call succeeded")
		}
		if err := release(); err != nil {
			t.Fatal(err)
		}
		got, err := db.RecordClassifications(context.Background(), []store.Classification{classification("Gone", "Body.", "", false)})
		if err != nil || got[0].Duplicate {
			t.Fatalf("the cancelled article was stored: %+v, %v", got, err)
		}
	})
}

// holdWriteLock keeps other writers waiting until release, or until the
// test ends, so a failed test does not leave the writer stuck.
func holdWriteLock(t *testing.T, db *store.DB) (release func() error) {
	t.Helper()
	release, err := db.HoldWriteLock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release() })
	return release
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
