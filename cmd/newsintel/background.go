package main

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/newsintel/newsintel/feeds"
	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/web"
)

// newJobClient builds the River client this process enqueues with and,
// when workers > 0, works the ingest queue with: every ingested article
// is classified by classifier under cfg's review rules, as
// /classify_news does, and summarized by summarizer, as /summarize does
// (nil: not summarized; only a process that never works jobs passes
// nil). With pollFeeds (serve) it also polls the feed sources: a
// periodic scan enqueues a poll of each due source; and a periodic sweep
// enqueues again the items whose jobs were discarded. metrics
// may be nil (the import command).
func newJobClient(cfg config, db *store.DB, classifier ingest.Classifier, summarizer ingest.Summarizer, metrics *web.Metrics, log *slog.Logger,
	workers int, pollFeeds bool, onClassify func(int, time.Duration)) (*jobs.Client, error) {
	var client *jobs.Client // set below; the workers enqueue with it
	proc := &ingest.Processor{Store: db, Classifier: classifier, Summarizer: summarizer, Log: log, OnClassify: onClassify,
		Rules: ingest.Rules{Review: cfg.Review, DoubleReview: cfg.Queue.DoubleReview}}
	if metrics != nil {
		proc.OnPrediction = metrics.CountPrediction
	}
	w := river.NewWorkers()
	river.AddWorker(w, &ingest.Worker{Processor: proc})
	poll := &feeds.PollWorker{Store: db, Fetcher: feeds.NewFetcher(cfg.Feed), Log: log,
		Enqueue: func(ctx context.Context, tx *sql.Tx, from, to int64) error {
			return ingest.Enqueue(client)(ctx, tx, from, to)
		}}
	if metrics != nil {
		poll.OnFetch = metrics.ObserveFeedFetch
	}
	river.AddWorker(w, poll)
	river.AddWorker(w, &feeds.ScanWorker{Store: db, Client: func() *jobs.Client { return client }})
	river.AddWorker(w, &ingest.SweepWorker{Store: db, Log: log})
	var (
		queues   map[string]river.QueueConfig
		periodic []*river.PeriodicJob
	)
	if workers > 0 {
		queues = map[string]river.QueueConfig{ingest.Queue: {MaxWorkers: workers}}
		if pollFeeds {
			queues[feeds.Queue] = river.QueueConfig{MaxWorkers: 2}
			periodic = append(periodic, feeds.Periodic(cfg.FeedScanInterval),
				ingest.SweepPeriodic(cfg.SweepInterval, cfg.SweepInterval))
		}
	}
	var mw []rivertype.Middleware
	if metrics != nil {
		mw = append(mw, jobs.ObserveJobs(metrics.ObserveJob))
	}
	c, err := jobs.New(db, jobs.Config{Workers: w, Queues: queues, PeriodicJobs: periodic, Middleware: mw,
		Logger: log, FetchPollInterval: cfg.JobPollInterval})
	client = c
	return c, err
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

// jobQueueDepth adapts jobs.Depth to the metrics' gauge.
func jobQueueDepth(db *store.DB) func(context.Context) ([]web.QueueCount, error) {
	return func(ctx context.Context) ([]web.QueueCount, error) {
		counts, err := jobs.Depth(ctx, db)
		out := make([]web.QueueCount, len(counts))
		for i, c := range counts {
			out[i] = web.QueueCount{Queue: c.Queue, State: c.State, Jobs: float64(c.Jobs)}
		}
		return out, err
	}
}
