package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func modelVersion(v, source string) store.NewModelVersion {
	return store.NewModelVersion{Version: v, Encoder: "use-lite-en-0.2.0", Labels: []string{"World", "Sports"},
		Metrics: []byte(`{"macro_f1":0.9}`), Source: source, Path: "topic-models/" + v}
}

// activeVersions lists the versions marked active: never more than one.
func activeVersions(t *testing.T, db *store.DB) []string {
	t.Helper()
	all, err := db.ModelVersions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range all {
		if m.Active {
			out = append(out, m.Version)
		}
	}
	return out
}

func TestModelRegistryAndActivation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ActiveModel(ctx); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("active model of an empty registry: %v", err)
		}
		created, err := db.EnsureModel(ctx, modelVersion("agnews-v1", store.ModelBuiltin), "system")
		if err != nil || !created {
			t.Fatalf("EnsureModel: %v, %v", created, err)
		}
		if created, err := db.EnsureModel(ctx, modelVersion("agnews-v1", store.ModelBuiltin), "system"); err != nil || created {
			t.Fatalf("EnsureModel again: %v, %v", created, err)
		}
		if got := activeVersions(t, db); len(got) != 1 || got[0] != "agnews-v1" {
			t.Fatalf("active after EnsureModel: %v", got)
		}
		for _, v := range []string{"agnews-v2", "agnews-v3"} {
			if err := db.RegisterModel(ctx, modelVersion(v, store.ModelFinetune)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.RegisterModel(ctx, modelVersion("agnews-v2", store.ModelFinetune)); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("registering twice: %v, want ErrConflict", err)
		}
		if err := db.RegisterModel(ctx, modelVersion("x", "elsewhere")); err == nil {
			t.Fatal("an unknown source was accepted")
		}
		// EnsureModel never takes the active mark from another version.
		if _, err := db.EnsureModel(ctx, modelVersion("agnews-v1", store.ModelBuiltin), "system"); err != nil {
			t.Fatal(err)
		}

		a, err := db.ActivateModel(ctx, "agnews-v2", store.ActionPromote, "alice", "req-7")
		if err != nil {
			t.Fatal(err)
		}
		if a.PreviousVersion != "agnews-v1" || a.Actor != "alice" {
			t.Fatalf("activation: %+v", a)
		}
		if _, err := db.ActivateModel(ctx, "agnews-v3", store.ActionPromote, "bob", ""); err != nil {
			t.Fatal(err)
		}
		if got := activeVersions(t, db); len(got) != 1 || got[0] != "agnews-v3" {
			t.Fatalf("active: %v", got)
		}
		if _, err := db.ActivateModel(ctx, "agnews-v3", store.ActionPromote, "bob", ""); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("promoting the active version: %v", err)
		}
		if _, err := db.ActivateModel(ctx, "nope", store.ActionPromote, "bob", ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("promoting an unknown version: %v", err)
		}
		m, err := db.ModelVersion(ctx, "agnews-v3")
		if err != nil || !m.Active || m.ActivatedAt == nil || m.Source != store.ModelFinetune || string(m.Metrics) == "" || len(m.Labels) != 2 {
			t.Fatalf("ModelVersion: %+v, %v", m, err)
		}

		// Rollback without a target returns to the version active before.
		a, err = db.RollbackModel(ctx, "", "carol", "req-9")
		if err != nil || a.Version != "agnews-v2" || a.PreviousVersion != "agnews-v3" || a.Action != store.ActionRollback {
			t.Fatalf("rollback: %+v, %v", a, err)
		}
		// To a named earlier version.
		if a, err = db.RollbackModel(ctx, "agnews-v1", "carol", ""); err != nil || a.Version != "agnews-v1" {
			t.Fatalf("rollback to v1: %+v, %v", a, err)
		}
		if got, _ := db.ActiveModel(ctx); got.Version != "agnews-v1" {
			t.Fatalf("active after rollback: %s", got.Version)
		}
		if _, err := db.RollbackModel(ctx, "agnews-v1", "carol", ""); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("rollback to the active version: %v", err)
		}
		hist, err := db.ModelActivations(ctx, 10)
		if err != nil || len(hist) != 5 || hist[0].Version != "agnews-v1" || hist[0].Action != store.ActionRollback {
			t.Fatalf("history: %+v, %v", hist, err)
		}
		n, err := db.QueryInt(ctx, `SELECT COUNT(*) FROM audit_log WHERE action LIKE 'model.%'`)
		if err != nil || n != 5 {
			t.Fatalf("audit entries: %d, %v", n, err)
		}
	})
}

func TestModelRollbackWithoutHistory(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.RollbackModel(ctx, "", "x", ""); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("rollback with nothing active: %v", err)
		}
		if _, err := db.EnsureModel(ctx, modelVersion("agnews-v1", store.ModelBuiltin), "system"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.RollbackModel(ctx, "", "x", ""); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("rollback of the first version: %v", err)
		}
	})
}

// TestModelActivationConcurrent promotes from many goroutines at once:
// exactly one version ends active, and every activation is recorded.
func TestModelActivationConcurrent(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		versions := []string{"m-v1", "m-v2", "m-v3", "m-v4"}
		for _, v := range versions {
			if err := db.RegisterModel(ctx, modelVersion(v, store.ModelTrained)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4*len(versions))
		for range 4 {
			for _, v := range versions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := db.ActivateModel(ctx, v, store.ActionPromote, "race", "")
					if err != nil && !errors.Is(err, store.ErrConflict) {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent promote: %v", err)
		}
		if got := activeVersions(t, db); len(got) != 1 {
			t.Fatalf("active versions after concurrent promotions: %v", got)
		}
	})
}

// TestPromoteOverridingGate: promoting a version the gate rejected needs a
// reason, and the audit entry keeps the override with who and why.
func TestPromoteOverridingGate(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.EnsureModel(ctx, modelVersion("agnews-v1", store.ModelBuiltin), "system"); err != nil {
			t.Fatal(err)
		}
		if err := db.RegisterModel(ctx, modelVersion("agnews-v2", store.ModelFinetune)); err != nil {
			t.Fatal(err)
		}
		o := store.GateOverride{Reason: "  ", Decision: "rejected (worse beyond the tolerance on frozen)", TrainingRunID: 3}
		var invalid store.ValidationError
		if _, err := db.PromoteOverridingGate(ctx, "agnews-v2", "alice", "req-1", o); !errors.As(err, &invalid) || invalid[0].Field != "reason" {
			t.Fatalf("override without a reason: %v", err)
		}
		if got := activeVersions(t, db); len(got) != 1 || got[0] != "agnews-v1" {
			t.Fatalf("a refused override changed the active version: %v", got)
		}
		o.Reason = " the frozen set predates the taxonomy change "
		a, err := db.PromoteOverridingGate(ctx, "agnews-v2", "alice", "req-2", o)
		if err != nil || a.Version != "agnews-v2" || a.PreviousVersion != "agnews-v1" || a.Action != store.ActionPromote {
			t.Fatalf("override: %+v, %v", a, err)
		}
		e, err := db.LastAudit(ctx, "model.promote")
		if err != nil {
			t.Fatal(err)
		}
		if e.Actor != "alice" || e.Target != "agnews-v2" || e.RequestID != "req-2" || e.Details["gate_override"] != true ||
			e.Details["override_reason"] != "the frozen set predates the taxonomy change" || e.Details["gate_decision"] != o.Decision ||
			e.Details["training_run_id"] != float64(3) || e.Details["previous_version"] != "agnews-v1" {
			t.Fatalf("audit entry %+v", e)
		}
		// A plain promotion records no override.
		if _, err := db.ActivateModel(ctx, "agnews-v1", store.ActionPromote, "bob", ""); err != nil {
			t.Fatal(err)
		}
		if e, err := db.LastAudit(ctx, "model.promote"); err != nil || e.Actor != "bob" || e.Details["gate_override"] != nil {
			t.Fatalf("plain promotion's audit entry %+v, %v", e, err)
		}
		if _, err := db.PromoteOverridingGate(ctx, "agnews-v1", "alice", "", o); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("overriding onto the active version: %v", err)
		}
	})
}
