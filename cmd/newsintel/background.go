package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/web"
)

// newJobClient builds the River client this process enqueues with and,
// when workers > 0, works the ingest queue with: every ingested article
// is classified by classifier under cfg's review rules, as
// /classify_news does. metrics may be nil (the import command).
func newJobClient(cfg config, db *store.DB, classifier ingest.Classifier, metrics *web.Metrics, log *slog.Logger, workers int) (*jobs.Client, error) {
	proc := &ingest.Processor{Store: db, Classifier: classifier, Log: log,
		Rules: ingest.Rules{Review: cfg.Review, DoubleReview: cfg.Queue.DoubleReview}}
	if metrics != nil {
		proc.OnPrediction = metrics.CountPrediction
	}
	w := river.NewWorkers()
	river.AddWorker(w, &ingest.Worker{Processor: proc})
	var queues map[string]river.QueueConfig
	if workers > 0 {
		queues = map[string]river.QueueConfig{ingest.Queue: {MaxWorkers: workers}}
	}
	return jobs.New(db, jobs.Config{Workers: w, Queues: queues, Logger: log, FetchPollInterval: cfg.JobPollInterval})
}

// stopJobs lets running jobs finish for up to drain, then cancels them;
// River retries a cancelled job, and its items stay pending until then.
func stopJobs(c *jobs.Client, drain time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		log.Warn("job queue: running jobs did not finish in time; cancelling them", slog.Any("error", err))
		hard, cancelHard := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancelHard()
		c.StopAndCancel(hard)
	}
}
