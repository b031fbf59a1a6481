package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestTrainingRunLock(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const stale = 2 * time.Minute
		first, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerCLI, BaseVersion: "agnews-v1"}, stale)
		if err != nil || first.ID == 0 || first.Status != store.RunRunning {
			t.Fatalf("start: %+v, %v", first, err)
		}
		_, err = db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerAPI}, stale)
		var running *store.RunningError
		if !errors.Is(err, store.ErrConflict) || !errors.As(err, &running) || running.Run.ID != first.ID {
			t.Fatalf("second start: %v, want a RunningError naming run %d", err, first.ID)
		}
		if err := db.HeartbeatTrainingRun(ctx, first.ID); err != nil {
			t.Fatal(err)
		}

		// A process that died leaves its run running with an old heartbeat.
		old := time.Now().UTC().Add(-10 * time.Minute)
		if _, err := db.Exec(ctx, `UPDATE training_runs SET heartbeat_at = ? WHERE id = ?`, old, first.ID); err != nil {
			t.Fatal(err)
		}
		second, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerAuto, Forced: true}, stale)
		if err != nil {
			t.Fatalf("start over a stale run: %v", err)
		}
		abandoned, err := db.TrainingRun(ctx, first.ID)
		if err != nil || abandoned.Status != store.RunFailed || abandoned.FinishedAt == nil || abandoned.Error == "" {
			t.Fatalf("stale run: %+v, %v", abandoned, err)
		}
		// The abandoned run's process, should it wake up, learns it lost.
		if err := db.HeartbeatTrainingRun(ctx, first.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("heartbeat of an abandoned run: %v", err)
		}
		if err := db.FinishTrainingRun(ctx, first.ID, store.TrainingResult{Status: store.RunSucceeded}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("finishing an abandoned run: %v", err)
		}

		if err := db.RegisterModel(ctx, modelVersion("agnews-v1", store.ModelBuiltin)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ActivateModel(ctx, "agnews-v1", store.ActionPromote, "system", ""); err != nil {
			t.Fatal(err)
		}
		nv := modelVersion("agnews-v2", store.ModelFinetune)
		nv.ParentVersion = "agnews-v1"
		err = db.FinishTrainingRun(ctx, second.ID, store.TrainingResult{
			Status: store.RunSucceeded, DataCounts: map[string]int{"base_train": 10}, Metrics: map[string]float64{"f1": 0.5},
			Decision: "promoted", Model: &nv, Promote: true, Actor: "finetune",
		})
		if err != nil {
			t.Fatal(err)
		}
		done, err := db.TrainingRun(ctx, second.ID)
		if err != nil || done.Status != store.RunSucceeded || done.NewVersion != "agnews-v2" || !done.Forced ||
			done.TriggeredBy != store.TriggerAuto || !strings.Contains(string(done.DataCounts), `"base_train"`) {
			t.Fatalf("finished run: %+v, %v", done, err)
		}
		m, err := db.ActiveModel(ctx)
		if err != nil || m.Version != "agnews-v2" || m.TrainingRunID != second.ID || m.ParentVersion != "agnews-v1" {
			t.Fatalf("active after the run: %+v, %v", m, err)
		}
		// The lock is free again.
		third, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerCLI}, stale)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.FinishTrainingRun(ctx, third.ID, store.TrainingResult{Status: store.RunFailed, Error: "boom"}); err != nil {
			t.Fatal(err)
		}
		runs, err := db.TrainingRuns(ctx, 10)
		if err != nil || len(runs) != 3 || runs[0].ID != third.ID || runs[0].Error != "boom" {
			t.Fatalf("runs: %+v, %v", runs, err)
		}
		if _, err := db.TrainingRun(ctx, 9999); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown run: %v", err)
		}
	})
}

// TestTrainingRunFinishIsAtomic: a run whose new version cannot be
// registered stays running, so its owner can record the failure.
func TestTrainingRunFinishIsAtomic(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.RegisterModel(ctx, modelVersion("taken", store.ModelTrained)); err != nil {
			t.Fatal(err)
		}
		run, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerCLI}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		nv := modelVersion("taken", store.ModelFinetune)
		if err := db.FinishTrainingRun(ctx, run.ID, store.TrainingResult{Status: store.RunSucceeded, Model: &nv}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("finish with a taken version: %v", err)
		}
		if got, _ := db.TrainingRun(ctx, run.ID); got.Status != store.RunRunning {
			t.Fatalf("after a failed finish the run is %s", got.Status)
		}
		if err := db.FinishTrainingRun(ctx, run.ID, store.TrainingResult{Status: store.RunFailed, Error: "x"}); err != nil {
			t.Fatal(err)
		}
	})
}
