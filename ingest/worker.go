package ingest

import (
	"context"
	"database/sql"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/newsintel/newsintel/store"
)

// Queue is the River queue ingest jobs run on.
const Queue = "ingest"

// BatchSize is how many items one job processes: one classifier call,
// one transaction.
const BatchSize = 64

// Args is the ingest job: process the pending items with ids From..To.
// Retry distinguishes a re-enqueued range from the original, whose job
// may still be held by a crashed process until River rescues it.
type Args struct {
	From  int64 `json:"from"`
	To    int64 `json:"to"`
	Retry int64 `json:"retry,omitempty"`
}

// Kind names the job for River.
func (Args) Kind() string { return "ingest_items" }

// InsertOpts puts ingest jobs on their queue, once per range.
func (Args) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Worker runs ingest jobs.
type Worker struct {
	river.WorkerDefaults[Args]
	Processor *Processor
}

// Work processes the job's items; an error makes River retry it with
// backoff.
func (w *Worker) Work(ctx context.Context, job *river.Job[Args]) error {
	_, err := w.Processor.Process(ctx, job.Args.From, job.Args.To, "job-"+strconv.FormatInt(job.ID, 10))
	return err
}

// Enqueue returns the store.EnqueueRange that enqueues ingest jobs with
// c, in the staging transaction.
func Enqueue(c *river.Client[*sql.Tx]) store.EnqueueRange {
	return func(ctx context.Context, tx *sql.Tx, from, to int64) error {
		_, err := c.InsertTx(ctx, tx, Args{From: from, To: to}, nil)
		return err
	}
}
