package jobs_test

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

type echoArgs struct{ N int }

func (echoArgs) Kind() string { return "test_echo" }

type echoWorker struct {
	river.WorkerDefaults[echoArgs]
	sum *atomic.Int64
}

func (w *echoWorker) Work(ctx context.Context, j *river.Job[echoArgs]) error {
	w.sum.Add(int64(j.Args.N))
	return nil
}

// TestQueueRunsJobsEnqueuedInStoreTransactions migrates River's schema
// twice (the second time a no-op), enqueues jobs inside a store
// transaction, one of them rolled back, and checks that exactly the
// committed ones run.
func TestQueueRunsJobsEnqueuedInStoreTransactions(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		applied, err := jobs.Migrate(ctx, db)
		if err != nil || len(applied) == 0 {
			t.Fatalf("Migrate: %v, applied %d", err, len(applied))
		}
		again, err := jobs.Migrate(ctx, db)
		if err != nil || len(again) != 0 {
			t.Fatalf("second Migrate: %v, applied %v", err, again)
		}
		status, err := jobs.Status(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range status {
			if !m.Applied {
				t.Errorf("river migration %d pending after Migrate", m.Version)
			}
		}

		var sum atomic.Int64
		workers := river.NewWorkers()
		river.AddWorker(workers, &echoWorker{sum: &sum})
		c, err := jobs.New(db, jobs.Config{Workers: workers, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
			FetchPollInterval: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		insert := func(n int, commit bool) {
			tx, err := db.SQL().BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.InsertTx(ctx, tx, echoArgs{N: n}, nil); err != nil {
				t.Fatal(err)
			}
			if commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			if err != nil && err != sql.ErrTxDone {
				t.Fatal(err)
			}
		}
		insert(1, true)
		insert(100, false)
		insert(10, true)
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer c.Stop(context.Background())
		deadline := time.Now().Add(20 * time.Second)
		for sum.Load() != 11 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if got := sum.Load(); got != 11 {
			t.Fatalf("worked sum %d, want 11 (the rolled-back job must not run)", got)
		}
	})
}
