package ingest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/newsintel/newsintel/store"
)

// SweepStore is what the sweep needs from storage.
type SweepStore interface {
	StrandedRanges(ctx context.Context, before time.Time, size, limit int, covered func(id int64) bool) ([]store.OriginRange, error)
}

// SweptRetry marks the jobs the sweep enqueues (Args.Retry). It is the
// same in every sweep, so that two sweeps racing on two replicas insert
// the same arguments and River's uniqueness keeps one of each job.
const SweptRetry = -1

// sweepLimit caps the ranges one sweep enqueues (64 items each); the next
// sweep takes the rest.
const sweepLimit = 2000

// liveStates are the states of a job that will still run.
var liveStates = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}

// liveJob is an unfinished ingest job and its range.
type liveJob struct {
	ID   int64
	Args Args
}

// liveJobs lists the ingest jobs that will still run, with list (the
// client's JobList or JobListTx), a page at a time.
func liveJobs(ctx context.Context, list func(context.Context, *river.JobListParams) (*river.JobListResult, error)) ([]liveJob, error) {
	params := river.NewJobListParams().Kinds(Args{}.Kind()).States(liveStates...).First(1000)
	var out []liveJob
	for {
		res, err := list(ctx, params)
		if err != nil {
			return nil, fmt.Errorf("ingest: list the queued jobs: %w", err)
		}
		for _, j := range res.Jobs {
			var a Args
			if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
				return nil, fmt.Errorf("ingest: job %d: %w", j.ID, err)
			}
			out = append(out, liveJob{ID: j.ID, Args: a})
		}
		if len(res.Jobs) < 1000 {
			return out, nil
		}
		params = params.After(res.LastCursor)
	}
}

// coveredBy returns whether an item id lies in one of the jobs' ranges.
func coveredBy(jobs []liveJob) func(id int64) bool {
	ranges := make([][2]int64, 0, len(jobs))
	for _, j := range jobs {
		ranges = append(ranges, [2]int64{j.Args.From, j.Args.To})
	}
	sort.Slice(ranges, func(i, j int) bool { return ranges[i][0] < ranges[j][0] })
	// Merge overlaps, so that a binary search finds the one range that
	// can hold an id.
	var merged [][2]int64
	for _, r := range ranges {
		if n := len(merged); n > 0 && r[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], r[1])
			continue
		}
		merged = append(merged, r)
	}
	return func(id int64) bool {
		i := sort.Search(len(merged), func(i int) bool { return merged[i][1] >= id })
		return i < len(merged) && merged[i][0] <= id
	}
}

// Sweep enqueues again the pending items staged more than olderThan ago
// that no unfinished ingest job covers: those whose job River discarded
// after its last attempt, or that lost their job some other way. Items
// a queued, running or retrying job holds are left to it. It returns the
// number of jobs inserted (uniqueness may fold some into a concurrent
// sweep's).
func Sweep(ctx context.Context, st SweepStore, client *river.Client[*sql.Tx], olderThan time.Duration) (int, error) {
	// The jobs first, then the items: an item staged in between is too
	// recent to be swept, and one whose job ends in between is not
	// pending any more.
	live, err := liveJobs(ctx, client.JobList)
	if err != nil {
		return 0, err
	}
	ranges, err := st.StrandedRanges(ctx, time.Now().Add(-olderThan), BatchSize, sweepLimit, coveredBy(live))
	if err != nil || len(ranges) == 0 {
		return 0, err
	}
	params := make([]river.InsertManyParams, len(ranges))
	for i, r := range ranges {
		params[i] = river.InsertManyParams{Args: Args{From: r.From, To: r.To, Retry: SweptRetry}}
	}
	res, err := client.InsertMany(ctx, params)
	if err != nil {
		return 0, fmt.Errorf("ingest: sweep: enqueue %d ranges: %w", len(ranges), err)
	}
	n := 0
	for _, r := range res {
		if !r.UniqueSkippedAsDuplicate {
			n++
		}
	}
	return n, nil
}

// SweepArgs is the periodic job that enqueues stranded items again.
type SweepArgs struct {
	// OlderThan is how long an item must have been pending, in
	// nanoseconds (a time.Duration).
	OlderThan time.Duration `json:"older_than"`
}

// Kind names the job for River.
func (SweepArgs) Kind() string { return "ingest_sweep" }

// InsertOpts keeps one sweep queued or running at a time, whichever
// replica inserts it.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: liveStates}}
}

// SweepWorker runs sweeps.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Store SweepStore
	Log   *slog.Logger
}

// Work sweeps with the client running the job.
func (w *SweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	n, err := Sweep(ctx, w.Store, river.ClientFromContext[*sql.Tx](ctx), job.Args.OlderThan)
	if err == nil && n > 0 && w.Log != nil {
		w.Log.Warn("ingest: enqueued stranded items again (their jobs were discarded or lost)", slog.Int("jobs", n))
	}
	return err
}

// SweepPeriodic is the sweep every interval and at start, of items
// pending longer than olderThan; River's leader inserts it.
func SweepPeriodic(interval, olderThan time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{OlderThan: olderThan}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: "ingest_sweep"})
}
