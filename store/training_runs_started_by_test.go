package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// TestTrainingRunStartedBy checks that a run keeps who started it beside
// the door it came through.
func TestTrainingRunStartedBy(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		run, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerConsole, StartedBy: "ed@example.com",
			BaseVersion: "agnews-v1"}, time.Minute)
		if err != nil || run.StartedBy != "ed@example.com" {
			t.Fatalf("start: %+v, %v", run, err)
		}
		if err := db.FinishTrainingRun(ctx, run.ID, store.TrainingResult{Status: store.RunFailed, Error: "test"}); err != nil {
			t.Fatal(err)
		}
		got, err := db.TrainingRun(ctx, run.ID)
		if err != nil || got.TriggeredBy != store.TriggerConsole || got.StartedBy != "ed@example.com" {
			t.Fatalf("read back: %+v, %v", got, err)
		}
		runs, err := db.TrainingRuns(ctx, 5)
		if err != nil || len(runs) != 1 || runs[0].StartedBy != "ed@example.com" {
			t.Fatalf("list: %+v, %v", runs, err)
		}
	})
}
