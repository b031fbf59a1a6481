package ingest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// TestCancelImport cancels an import whose first batch is processed and
// whose other batches wait in the queue, beside another import: the
// cancelled import's queued jobs are cancelled and its pending items
// rejected as "cancelled", in one transaction; its counts still add up to
// its rows; it reads no more rows and is not resumed; the other import is
// untouched; cancelling again is a conflict, an unknown import not found.
func TestCancelImport(t *testing.T) {
	const rows = 300
	path := writeBacklog(t, rows)
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		fc := &fakeClassifier{}
		client, err := jobs.New(db, jobs.Config{Workers: workersFor(db, fc)})
		if err != nil {
			t.Fatal(err)
		}
		im := stage(t, db, path, "cancel.jsonl", ingest.Enqueue(client))
		other := stage(t, db, path, "other.jsonl", ingest.Enqueue(client))
		// Process the first batch by hand, as a worker would have.
		first, err := db.PendingRanges(ctx, im.Origin(), ingest.BatchSize)
		if err != nil || len(first) < 2 {
			t.Fatalf("pending ranges %v, %v", first, err)
		}
		p := &ingest.Processor{Store: db, Classifier: fc}
		if _, err := p.Process(ctx, first[0][0], first[0][1], "test"); err != nil {
			t.Fatal(err)
		}
		before, err := db.ImportStatus(ctx, im.ID)
		if err != nil {
			t.Fatal(err)
		}

		st, err := ingest.CancelImport(ctx, db, client, im.ID)
		if err != nil {
			t.Fatal(err)
		}
		pending := before.Count(store.ItemPending)
		if st.CancelledAt == nil || !st.Finished() || st.Count(store.ItemPending) != 0 {
			t.Fatalf("after cancel: cancelled at %v, finished %v, counts %+v", st.CancelledAt, st.Finished(), st.Counts)
		}
		var cancelled, total int
		for _, c := range st.Counts {
			total += c.Count
			if c.State == store.ItemRejected && c.Reason == store.ReasonCancelled {
				cancelled = c.Count
			}
		}
		if cancelled != pending || total != rows || st.Count(store.ItemNew) != before.Count(store.ItemNew) || st.Count(store.ItemNew) == 0 {
			t.Fatalf("counts %+v: want the %d pending rows cancelled, the %d new kept, %d rows in all", st.Counts, pending, before.Count(store.ItemNew), rows)
		}

		// Jobs: the cancelled import's are cancelled, the other's queued.
		res, err := client.JobList(ctx, river.NewJobListParams().Kinds(ingest.Args{}.Kind()).First(1000))
		if err != nil {
			t.Fatal(err)
		}
		otherRanges, _ := db.PendingRanges(ctx, other.Origin(), ingest.BatchSize)
		byState := map[rivertype.JobState]int{}
		for _, j := range res.Jobs {
			byState[j.State]++
		}
		if byState[rivertype.JobStateCancelled] != len(res.Jobs)-len(otherRanges) || byState[rivertype.JobStateAvailable] != len(otherRanges) {
			t.Fatalf("jobs by state %v; want the %d of the other import available, the rest cancelled", byState, len(otherRanges))
		}
		if o, _ := db.ImportStatus(ctx, other.ID); o.CancelledAt != nil || o.Count(store.ItemPending) == 0 {
			t.Fatalf("the other import changed: %+v", o)
		}
		// Nothing for the sweep either.
		if n, err := ingest.Sweep(ctx, db, client, -time.Hour); err != nil || n != 0 {
			t.Fatalf("sweep after cancel: %d jobs, %v; want none", n, err)
		}

		// It reads no more rows, and a re-run of the file starts afresh.
		err = db.StageImportRows(ctx, im, []store.StagedItem{{Key: "9999", Article: store.NewArticle{Title: "late", Body: "late"}}}, rows+1, true, nil)
		if !errors.Is(err, store.ErrImportCancelled) || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("staging into a cancelled import: %v, want ErrImportCancelled", err)
		}
		if _, err := ingest.CancelImport(ctx, db, client, im.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second cancel: %v, want a conflict", err)
		}
		if _, err := ingest.CancelImport(ctx, db, client, 424242); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("cancel of an unknown import: %v, want not found", err)
		}
	})
}

// TestCancelImportWhileJobsRun cancels an import while workers are
// classifying its batches: the queued jobs are cancelled, and a running
// one (its context cancelled when its client next checks, or finishing
// first) records nothing of the cancelled items, so the counts right
// after the cancel are the final ones, and they add up to the rows.
func TestCancelImportWhileJobsRun(t *testing.T) {
	const rows = 640
	path := writeBacklog(t, rows)
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		fc := &fakeClassifier{delay: 300 * time.Millisecond}
		client := startWorkers(t, db, fc, 2)
		im := stage(t, db, path, "running.jsonl", ingest.Enqueue(client))
		deadline := time.Now().Add(20 * time.Second)
		for fc.calls.Load() < 3 {
			if time.Now().After(deadline) {
				t.Fatal("no job ran within 20s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		st, err := ingest.CancelImport(ctx, db, client, im.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Every job ends: cancelled, or completed before the cancel.
		for {
			res, err := client.JobList(ctx, river.NewJobListParams().Kinds(ingest.Args{}.Kind()).
				States(rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled).First(100))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Jobs) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d jobs still unfinished after the cancel", len(res.Jobs))
			}
			time.Sleep(50 * time.Millisecond)
		}
		after, err := db.ImportStatus(ctx, im.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.Count(store.ItemNew) != st.Count(store.ItemNew) || after.Count(store.ItemRejected) != st.Count(store.ItemRejected) {
			t.Fatalf("counts moved after the cancel: %+v, then %+v", st.Counts, after.Counts)
		}
		total, cancelled := 0, 0
		for _, c := range after.Counts {
			total += c.Count
			if c.Reason == store.ReasonCancelled {
				cancelled = c.Count
			}
		}
		if total != rows || after.Count(store.ItemPending) != 0 || cancelled == 0 {
			t.Fatalf("counts %+v: want %d rows in all, none pending, the unprocessed ones cancelled", after.Counts, rows)
		}
		res, err := client.JobList(ctx, river.NewJobListParams().Kinds(ingest.Args{}.Kind()).States(rivertype.JobStateCancelled).First(100))
		if err != nil || len(res.Jobs) == 0 {
			t.Fatalf("no job was cancelled: %v", err)
		}
		t.Logf("%d new before the cancel, %d rows cancelled, %d jobs cancelled", after.Count(store.ItemNew), cancelled, len(res.Jobs))
	})
}
