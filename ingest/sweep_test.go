package ingest_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// stage reads the backlog at path into a new import, each batch enqueued
// by enqueue (nil: none).
func stage(t *testing.T, db *store.DB, path, name string, enqueue store.EnqueueRange) store.Import {
	t.Helper()
	ctx := context.Background()
	im, err := db.CreateImport(ctx, store.NewImport{Name: name, Format: ingest.FormatJSONL})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rr, err := ingest.NewReader(f, ingest.FormatJSONL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ingest.ReadImport(ctx, db, im, rr, enqueue, nil); err != nil {
		t.Fatal(err)
	}
	return im
}

// ingestJobs lists every ingest_items job, finished or not.
func ingestJobs(t *testing.T, c *jobs.Client) []ingest.Args {
	t.Helper()
	res, err := c.JobList(context.Background(), river.NewJobListParams().Kinds(ingest.Args{}.Kind()).First(10_000))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]ingest.Args, len(res.Jobs))
	for i, j := range res.Jobs {
		if err := json.Unmarshal(j.EncodedArgs, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestSweepRequeuesStrandedItems strands two imports' items, one whose
// jobs River discarded after their last failed attempt and one staged
// without jobs (a crash between staging and enqueueing), beside a third
// whose jobs are still queued. The periodic sweep enqueues exactly the
// stranded ranges again, once each, and every item is then processed.
func TestSweepRequeuesStrandedItems(t *testing.T) {
	const rows = 200
	path := writeBacklog(t, rows)
	wantArticles, _ := expectedArticles(rows)
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) { testSweep(t, d, path, wantArticles) })
	}
}

func testSweep(t *testing.T, d store.Dialect, path string, wantArticles int) {
	{
		db, raw, _ := storetest.OpenRaw(t, d)
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		fc := &fakeClassifier{}
		fc.fail.Store(true)
		w := workersFor(db, fc)
		river.AddWorker(w, &ingest.SweepWorker{Store: db})
		stager, err := jobs.New(db, jobs.Config{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		once := func(ctx context.Context, tx *sql.Tx, from, to int64) error {
			_, err := stager.InsertTx(ctx, tx, ingest.Args{From: from, To: to}, &river.InsertOpts{MaxAttempts: 1})
			return err
		}
		discarded := stage(t, db, path, "discarded.jsonl", once)
		jobless := stage(t, db, path, "jobless.jsonl", nil)

		// A failing classifier: each of the first import's jobs fails
		// its only attempt and is discarded, its items left pending.
		failing := startWorkers(t, db, fc, 2)
		deadline := time.Now().Add(30 * time.Second)
		for {
			res, err := stager.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateDiscarded).First(100))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Jobs) == len(ingestJobs(t, stager)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d jobs discarded after 30s", len(res.Jobs), len(ingestJobs(t, stager)))
			}
			time.Sleep(50 * time.Millisecond)
		}
		stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
		failing.Stop(stopCtx)
		cancel()
		for _, im := range []store.Import{discarded, jobless} {
			if st, _ := db.ImportStatus(ctx, im.ID); st.Count(store.ItemPending) == 0 || st.Finished() {
				t.Fatalf("import %s: %+v, want items left pending", im.Name, st.Counts)
			}
		}
		// The third import's jobs are queued: the sweep leaves them be.
		queued := stage(t, db, path, "queued.jsonl", ingest.Enqueue(stager))
		before := len(ingestJobs(t, stager))
		var stranded int
		for _, im := range []store.Import{discarded, jobless} {
			r, err := db.PendingRanges(ctx, im.Origin(), ingest.BatchSize)
			if err != nil {
				t.Fatal(err)
			}
			stranded += len(r)
		}
		// Too recent to be stranded: nothing is swept.
		if n, err := ingest.Sweep(ctx, db, stager, time.Hour); err != nil || n != 0 {
			t.Fatalf("sweep of items pending over an hour: %d jobs, %v; want none", n, err)
		}

		// Now the periodic sweep, on a client whose classifier works.
		fc.fail.Store(false)
		worker, err := jobs.New(db, jobs.Config{Workers: w, Queues: map[string]river.QueueConfig{ingest.Queue: {MaxWorkers: 2}},
			PeriodicJobs: []*river.PeriodicJob{ingest.SweepPeriodic(200*time.Millisecond, 0)}, FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if err := worker.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			worker.StopAndCancel(ctx)
		})
		for _, im := range []store.Import{discarded, jobless, queued} {
			if st := waitFinished(t, db, im.ID, 30*time.Second); st.Count(store.ItemPending) != 0 {
				t.Fatalf("import %s: %+v", im.Name, st.Counts)
			}
		}
		// Let a few more sweeps run over the finished backlog.
		time.Sleep(600 * time.Millisecond)

		all := ingestJobs(t, stager)
		var swept []ingest.Args
		for _, a := range all {
			if a.Retry == ingest.SweptRetry {
				swept = append(swept, a)
			}
		}
		if len(swept) != stranded || len(all) != before+stranded {
			t.Errorf("%d jobs swept, want one per stranded range (%d); %d jobs in all, want %d", len(swept), stranded, len(all), before+stranded)
		}
		// A second replica sweeping the same range at the same time
		// inserts the same arguments, which River folds into the first.
		res, err := stager.Insert(ctx, swept[0], nil)
		if err != nil || !res.UniqueSkippedAsDuplicate {
			t.Errorf("a racing sweep's insert of %+v: %+v, %v; want it skipped as a duplicate", swept[0], res, err)
		}

		if n := raw.Int(t, `SELECT COUNT(*) FROM articles`); n != int64(wantArticles) {
			t.Errorf("%d articles, want %d", n, wantArticles)
		}
		if n := raw.Int(t, `SELECT COUNT(*) FROM predictions`); n != int64(wantArticles) {
			t.Errorf("%d predictions for %d articles", n, wantArticles)
		}
	}
}
