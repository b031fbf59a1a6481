package feeds

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/newsintel/newsintel/store"
)

// Queue is the River queue feed polls run on.
const Queue = "feeds"

// Store is what polling needs from storage.
type Store interface {
	SourceByID(ctx context.Context, id int64) (store.Source, error)
	DueSources(ctx context.Context, now time.Time, limit int) ([]store.Source, error)
	RecordFetch(ctx context.Context, s store.Source, f store.Fetch, enqueue store.EnqueueRange) (int, error)
}

// PollArgs is the job that fetches one source once.
type PollArgs struct {
	SourceID int64 `json:"source_id"`
}

// Kind names the job for River.
func (PollArgs) Kind() string { return "poll_source" }

// InsertOpts keeps one poll per source queued or running at a time,
// however many replicas scan.
func (PollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

// PollWorker fetches a source and stages its new entries.
type PollWorker struct {
	river.WorkerDefaults[PollArgs]
	Store   Store
	Fetcher *Fetcher
	// Enqueue enqueues the ingest job of the staged entries.
	Enqueue store.EnqueueRange
	Log     *slog.Logger
	// OnFetch observes each fetch (metrics): the source, whether it
	// failed, and how many new entries it staged; nil: not called.
	OnFetch func(source string, failed bool, staged int)
}

// Work polls the source. A failed fetch is recorded on the source, which
// backs off (NextFetch); only a failure to record it is a job error that
// River retries.
func (w *PollWorker) Work(ctx context.Context, job *river.Job[PollArgs]) error {
	src, err := w.Store.SourceByID(ctx, job.Args.SourceID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted since it was scheduled
	}
	if err != nil || src.Paused {
		return err
	}
	res, ferr := w.Fetcher.Fetch(ctx, src)
	now := time.Now().UTC()
	f := store.Fetch{At: now, Status: res.Status, ETag: res.ETag, LastModified: res.LastModified, Items: res.Items}
	if ferr != nil {
		f.Err = ferr.Error()
		f.NextFetchAt = NextFetch(now, src.PollInterval, src.Failures+1, res.RetryAfter)
	} else {
		f.NextFetchAt = NextFetch(now, src.PollInterval, 0, 0)
	}
	staged, err := w.Store.RecordFetch(ctx, src, f, w.Enqueue)
	if err != nil {
		return err
	}
	if w.Log != nil {
		w.Log.Info("feed polled", slog.String("source", src.Name), slog.Int("status", res.Status),
			slog.Int("entries", len(res.Items)), slog.Int("new", staged), slog.String("error", f.Err))
	}
	if w.OnFetch != nil {
		w.OnFetch(src.Name, ferr != nil, staged)
	}
	return nil
}

// ScanArgs is the periodic job that enqueues a poll for every due source.
type ScanArgs struct{}

// Kind names the job for River.
func (ScanArgs) Kind() string { return "scan_sources" }

// InsertOpts runs scans on the feeds queue, one queued at a time.
func (ScanArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: activeStates}}
}

// activeStates make a job unique among those not finished: River's
// default counts completed jobs too, which would poll a source once ever.
var activeStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// ScanWorker enqueues polls of due sources.
type ScanWorker struct {
	river.WorkerDefaults[ScanArgs]
	Store  Store
	Client func() *river.Client[*sql.Tx]
}

// Work enqueues a poll for each due source; uniqueness folds a source
// whose poll is still queued or running.
func (w *ScanWorker) Work(ctx context.Context, job *river.Job[ScanArgs]) error {
	due, err := w.Store.DueSources(ctx, time.Now(), 500)
	if err != nil || len(due) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(due))
	for i, s := range due {
		params[i] = river.InsertManyParams{Args: PollArgs{SourceID: s.ID}}
	}
	_, err = w.Client().InsertMany(ctx, params)
	return err
}

// Periodic is the periodic scan job, every interval, and once at start.
func Periodic(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return ScanArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "scan_sources"})
}
