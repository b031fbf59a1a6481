package store_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// TestSources registers, validates, pauses, fetches and deletes feed
// sources on both databases.
func TestSources(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		src, err := db.AddSource(ctx, store.NewSource{Name: "wire", URL: "https://wire.test/rss", PollInterval: 10 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if src.Paused || src.LastFetchAt != nil || src.NextFetchAt.After(time.Now()) {
			t.Fatalf("new source %+v: want active, never fetched, due now", src)
		}
		if _, err := db.AddSource(ctx, store.NewSource{Name: "wire", URL: "https://x.test/", PollInterval: time.Hour}); !errors.Is(err, store.ErrConflict) {
			t.Errorf("same name: %v, want ErrConflict", err)
		}
		var invalid store.ValidationError
		if _, err := db.AddSource(ctx, store.NewSource{Name: "-x", URL: "file:///etc/passwd", PollInterval: time.Second}); !errors.As(err, &invalid) || len(invalid) != 3 {
			t.Errorf("bad source: %v, want 3 issues", err)
		}

		due, err := db.DueSources(ctx, time.Now(), 10)
		if err != nil || len(due) != 1 {
			t.Fatalf("due: %v, %v", due, err)
		}
		now := time.Now().UTC()
		items := []store.StagedItem{
			{Key: "a", Article: store.NewArticle{Title: "A", Body: "Body a", Source: "wire"}},
			{Key: "b", Reject: "text: required"},
		}
		var enqueued [][2]int64
		enqueue := func(_ context.Context, _ *sql.Tx, from, to int64) error {
			enqueued = append(enqueued, [2]int64{from, to})
			return nil
		}
		n, err := db.RecordFetch(ctx, src, store.Fetch{At: now, Status: 200, ETag: `"v1"`, Items: items, NextFetchAt: now.Add(10 * time.Minute)}, enqueue)
		if err != nil || n != 2 || len(enqueued) != 1 || enqueued[0][0] != enqueued[0][1] {
			t.Fatalf("first fetch: %d staged, enqueued %v, %v; want 2 staged and one pending item enqueued", n, enqueued, err)
		}
		n, err = db.RecordFetch(ctx, src, store.Fetch{At: now, Status: 0, Err: "timed out", Items: items, NextFetchAt: now.Add(20 * time.Minute)}, enqueue)
		if err != nil || n != 0 || len(enqueued) != 1 {
			t.Fatalf("same entries again: %d staged, %v", n, err)
		}
		got, err := db.Source(ctx, "wire")
		if err != nil {
			t.Fatal(err)
		}
		if got.ETag != `"v1"` || got.LastError != "timed out" || got.Failures != 1 || got.LastFetchAt == nil {
			t.Errorf("after a failed fetch: %+v; want the old ETag kept, the error and one failure", got)
		}
		if due, _ := db.DueSources(ctx, time.Now(), 10); len(due) != 0 {
			t.Errorf("a source backing off is due: %v", due)
		}
		counts, err := db.SourceCounts(ctx, now.Add(-time.Hour))
		if err != nil || counts[src.ID].Pending != 1 || counts[src.ID].Rejected != 1 {
			t.Errorf("counts %+v, %v", counts[src.ID], err)
		}

		if p, err := db.SetSourcePaused(ctx, "wire", true); err != nil || !p.Paused {
			t.Fatalf("pause: %+v, %v", p, err)
		}
		if r, err := db.SetSourcePaused(ctx, "wire", false); err != nil || r.Paused || r.Failures != 0 || r.NextFetchAt.After(time.Now()) {
			t.Fatalf("resume: %+v, %v; want due now with failures reset", r, err)
		}
		if _, err := db.SetSourcePaused(ctx, "nope", true); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("pause unknown: %v", err)
		}
		if err := db.DeleteSource(ctx, "wire"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteSource(ctx, "wire"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete twice: %v", err)
		}
		if ranges, err := db.PendingRanges(ctx, "", 64); err != nil || len(ranges) != 1 {
			t.Errorf("the deleted source's pending item: ranges %v, %v; want it kept", ranges, err)
		}
	})
}
