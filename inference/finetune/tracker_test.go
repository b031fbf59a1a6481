package finetune

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// recordingTracker is a FailureTracker that remembers what it was told.
type recordingTracker struct {
	finished []*Report
	failed   []*Report
	errs     []error
}

func (r *recordingTracker) TrackFinetune(_ context.Context, rep *Report) error {
	r.finished = append(r.finished, rep)
	return nil
}

func (r *recordingTracker) TrackFinetuneFailure(_ context.Context, rep *Report, err error) error {
	r.failed, r.errs = append(r.failed, rep), append(r.errs, err)
	return errors.New("tracker down") // only logged
}

// plainTracker tracks successes only.
type plainTracker struct{ calls int }

func (p *plainTracker) TrackFinetune(context.Context, *Report) error { p.calls++; return nil }

// TestTrackerToldOfFailures: a failed run reaches a FailureTracker with
// its report and error, and the tracker's own error fails nothing; a
// plain Tracker hears of successes only.
func TestTrackerToldOfFailures(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedRegistry(t, db)
		for _, tracker := range []Tracker{&recordingTracker{}, &plainTracker{}} {
			ft, err := New(Config{Store: db, Embedder: &blockingEmbedder{}, Models: Models{DataDir: t.TempDir()},
				BaseData: "testdata/missing.csv", Tracker: tracker, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			_, runErr := ft.Run(ctx, Options{TriggeredBy: store.TriggerCLI})
			if runErr == nil || strings.Contains(runErr.Error(), "tracker down") {
				t.Fatalf("run: %v, want the base data's error only", runErr)
			}
			switch tr := tracker.(type) {
			case *recordingTracker:
				if len(tr.failed) != 1 || len(tr.finished) != 0 || tr.failed[0].RunID == 0 ||
					tr.failed[0].BaseVersion != topic.DefaultVersion || tr.failed[0].Seed != 7 || tr.errs[0].Error() != runErr.Error() {
					t.Fatalf("tracker heard %+v / %+v, %v", tr.failed, tr.finished, tr.errs)
				}
			case *plainTracker:
				if tr.calls != 0 {
					t.Fatalf("a plain tracker was called %d times for a failed run", tr.calls)
				}
			}
		}
	})
}
