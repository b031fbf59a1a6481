package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/newsintel/newsintel/store"
)

// ObserveFunc receives each worked job's kind, how long it waited after
// it was due, how long it ran, and its error (nil on success).
type ObserveFunc func(kind string, wait, run time.Duration, err error)

type observer struct {
	river.MiddlewareDefaults
	fn ObserveFunc
}

func (o *observer) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	start := time.Now()
	err := doInner(ctx)
	o.fn(job.Kind, max(start.Sub(job.ScheduledAt), 0), time.Since(start), err)
	return err
}

// ObserveJobs is a worker middleware calling fn after each job (metrics).
func ObserveJobs(fn ObserveFunc) rivertype.Middleware { return &observer{fn: fn} }

// QueueCount is how many jobs of a queue are in a state.
type QueueCount struct {
	Queue string
	State string
	Jobs  int
}

// Depth counts the unfinished jobs (available, scheduled, retryable,
// running) of every queue, in the database: every replica reports the
// same figure.
func Depth(ctx context.Context, db *store.DB) ([]QueueCount, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT queue, state, COUNT(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running') GROUP BY queue, state ORDER BY queue, state`)
	if err != nil {
		return nil, fmt.Errorf("jobs: queue depth: %w", err)
	}
	defer rows.Close()
	var out []QueueCount
	for rows.Next() {
		var c QueueCount
		if err := rows.Scan(&c.Queue, &c.State, &c.Jobs); err != nil {
			return nil, fmt.Errorf("jobs: queue depth: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("jobs: queue depth: %w", err)
	}
	return out, nil
}
