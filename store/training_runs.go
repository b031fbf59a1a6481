package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Training run states (training_runs.status).
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
)

// Who started a training run (training_runs.triggered_by).
const (
	TriggerCLI     = "cli"
	TriggerAPI     = "api"
	TriggerConsole = "console"
	TriggerAuto    = "auto"
)

// NewTrainingRun is a run about to start.
type NewTrainingRun struct {
	TriggeredBy string
	// StartedBy is who: a console user's email, an API key's name.
	StartedBy   string
	Forced      bool
	BaseVersion string
}

// TrainingRun is a stored training (fine-tuning) run.
type TrainingRun struct {
	ID          int64
	Status      string
	TriggeredBy string
	StartedBy   string
	Forced      bool
	BaseVersion string
	NewVersion  string
	DataCounts  json.RawMessage
	Metrics     json.RawMessage
	Decision    string
	Error       string
	StartedAt   time.Time
	HeartbeatAt *time.Time
	FinishedAt  *time.Time
	// LabelIDs are the human labels the run trained on; filled by
	// TrainingRun only.
	LabelIDs []int64
}

// RunningError is the ErrConflict of StartTrainingRun: another run holds
// the fine-tune lock.
type RunningError struct {
	Run TrainingRun
}

func (e *RunningError) Error() string {
	return fmt.Sprintf("training run %d is running (triggered by %s, started %s)",
		e.Run.ID, e.Run.TriggeredBy, humanTime(e.Run.StartedAt, time.Now()))
}

// Is makes a RunningError match ErrConflict.
func (e *RunningError) Is(target error) bool { return target == ErrConflict }

// StartTrainingRun takes the fine-tune lock by inserting a running run.
// The lock is the unique index on running runs, so it holds across
// processes and restarts. A running run whose heartbeat (or start, before
// its first heartbeat) is older than staleAfter was left by a process that
// died: it is marked failed as abandoned and the new run starts. Otherwise
// the answer is a *RunningError, which is ErrConflict.
func (db *DB) StartTrainingRun(ctx context.Context, r NewTrainingRun, staleAfter time.Duration) (TrainingRun, error) {
	now := time.Now().UTC()
	run := TrainingRun{Status: RunRunning, TriggeredBy: r.TriggeredBy, StartedBy: r.StartedBy, Forced: r.Forced, BaseVersion: r.BaseVersion,
		StartedAt: now, HeartbeatAt: &now, DataCounts: json.RawMessage("{}"), Metrics: json.RawMessage("{}")}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		cur, err := db.trainingRun(ctx, tx, `status = 'running'`)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		default:
			last := cur.StartedAt
			if cur.HeartbeatAt != nil {
				last = *cur.HeartbeatAt
			}
			if now.Sub(last) < staleAfter {
				return &RunningError{Run: cur}
			}
			msg := fmt.Sprintf("abandoned: no heartbeat since %s; its process is gone", last.UTC().Format("2006-01-02 15:04:05 UTC"))
			if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE training_runs SET status = 'failed', error = ?, finished_at = ?
				WHERE id = ?`), msg, now, cur.ID); err != nil {
				return err
			}
		}
		err = tx.QueryRowContext(ctx, db.rebind(`INSERT INTO training_runs
			(status, base_version, triggered_by, started_by, forced, started_at, heartbeat_at)
			VALUES ('running', ?, ?, ?, ?, ?, ?) RETURNING id`),
			nullString(r.BaseVersion), r.TriggeredBy, r.StartedBy, r.Forced, now, now).Scan(&run.ID)
		if violatesUnique(err) {
			// A run started between our read and our insert (Postgres).
			return fmt.Errorf("another training run started just now: %w", ErrConflict)
		}
		return err
	})
	if err != nil {
		return TrainingRun{}, fmt.Errorf("store: start training run: %w", err)
	}
	return run, nil
}

// HeartbeatTrainingRun tells other processes that run id is alive. If
// the run is no longer running (another process declared it abandoned),
// the answer is ErrConflict and the caller should stop.
func (db *DB) HeartbeatTrainingRun(ctx context.Context, id int64) error {
	res, err := db.sql.ExecContext(ctx, db.rebind(`UPDATE training_runs SET heartbeat_at = ? WHERE id = ? AND status = 'running'`),
		time.Now().UTC(), id)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = fmt.Errorf("the run is no longer running: %w", ErrConflict)
		}
	}
	if err != nil {
		return fmt.Errorf("store: heartbeat of training run %d: %w", id, err)
	}
	return nil
}

// TrainingResult is how a run ended.
type TrainingResult struct {
	Status     string // RunSucceeded or RunFailed
	DataCounts any    // JSON-encoded; nil stores {}
	Metrics    any    // JSON-encoded; nil stores {}
	Decision   string
	Error      string
	// LabelIDs are the human labels trained on.
	LabelIDs []int64
	// Model, when set, is registered as the run's new version, in the same
	// transaction; Promote then activates it as Actor.
	Model     *NewModelVersion
	Promote   bool
	Actor     string
	RequestID string
}

// FinishTrainingRun records the end of run id and releases the lock, with
// its new model version (and its promotion) in the same transaction, so a
// crash never leaves a promoted version whose run says running. A run no
// longer running is ErrConflict.
func (db *DB) FinishTrainingRun(ctx context.Context, id int64, r TrainingResult) error {
	if r.Status != RunSucceeded && r.Status != RunFailed {
		return fmt.Errorf("store: finish training run %d: status %q", id, r.Status)
	}
	counts, err := jsonObject(r.DataCounts)
	if err != nil {
		return fmt.Errorf("store: finish training run %d: data counts: %w", id, err)
	}
	metrics, err := jsonObject(r.Metrics)
	if err != nil {
		return fmt.Errorf("store: finish training run %d: metrics: %w", id, err)
	}
	now := time.Now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var newVersion any
		if r.Model != nil {
			newVersion = r.Model.Version
		}
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE training_runs SET status = ?, new_version = ?, data_counts = ?,
			metrics = ?, decision = ?, error = ?, finished_at = ?, heartbeat_at = ? WHERE id = ? AND status = 'running'`),
			r.Status, newVersion, counts, metrics, r.Decision, r.Error, now, now, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("the run is not running: %w", ErrConflict)
		}
		for _, l := range r.LabelIDs {
			if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO training_run_labels (training_run_id, label_id) VALUES (?, ?)
				ON CONFLICT DO NOTHING`), id, l); err != nil {
				return fmt.Errorf("label %d: %w", l, err)
			}
		}
		if r.Model == nil {
			return nil
		}
		m := *r.Model
		m.TrainingRunID = id
		if err := db.registerModel(ctx, tx, m, now); err != nil {
			return err
		}
		if r.Promote {
			_, err = db.activate(ctx, tx, m.Version, ActionPromote, r.Actor, r.RequestID, now, nil)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("store: finish training run %d: %w", id, err)
	}
	return nil
}

func jsonObject(v any) (string, error) {
	if v == nil {
		return "{}", nil
	}
	raw, err := json.Marshal(v)
	return string(raw), err
}

const runColumns = `id, status, triggered_by, started_by, forced, base_version, new_version, data_counts, metrics, decision, error,
	started_at, heartbeat_at, finished_at`

func scanRun(r interface{ Scan(dest ...any) error }) (TrainingRun, error) {
	var (
		run                    TrainingRun
		base, newVersion       sql.NullString
		counts, metrics        []byte
		heartbeat, finishedRaw sql.NullTime
	)
	err := r.Scan(&run.ID, &run.Status, &run.TriggeredBy, &run.StartedBy, &run.Forced, &base, &newVersion, &counts, &metrics,
		&run.Decision, &run.Error, &run.StartedAt, &heartbeat, &finishedRaw)
	if err != nil {
		return run, err
	}
	run.BaseVersion, run.NewVersion = base.String, newVersion.String
	run.DataCounts, run.Metrics = json.RawMessage(counts), json.RawMessage(metrics)
	if heartbeat.Valid {
		t := heartbeat.Time
		run.HeartbeatAt = &t
	}
	if finishedRaw.Valid {
		t := finishedRaw.Time
		run.FinishedAt = &t
	}
	return run, nil
}

// trainingRun reads the one run matching where (a constant condition).
func (db *DB) trainingRun(ctx context.Context, tx *sql.Tx, where string, args ...any) (TrainingRun, error) {
	run, err := scanRun(tx.QueryRowContext(ctx, db.rebind(`SELECT `+runColumns+` FROM training_runs WHERE `+where), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return run, ErrNotFound
	}
	return run, err
}

// TrainingRun returns run id with the labels it trained on, or
// ErrNotFound.
func (db *DB) TrainingRun(ctx context.Context, id int64) (TrainingRun, error) {
	var run TrainingRun
	err := db.inTx(ctx, func(tx *sql.Tx) (err error) {
		if run, err = db.trainingRun(ctx, tx, `id = ?`, id); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, db.rebind(`SELECT label_id FROM training_run_labels WHERE training_run_id = ? ORDER BY label_id`), id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l int64
			if err := rows.Scan(&l); err != nil {
				return err
			}
			run.LabelIDs = append(run.LabelIDs, l)
		}
		return rows.Err()
	})
	if err != nil {
		return run, fmt.Errorf("store: training run %d: %w", id, err)
	}
	return run, nil
}

// TrainingRuns lists runs, newest first, at most limit.
func (db *DB) TrainingRuns(ctx context.Context, limit int) ([]TrainingRun, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT `+runColumns+` FROM training_runs ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("store: training runs: %w", err)
	}
	defer rows.Close()
	var out []TrainingRun
	for rows.Next() {
		run, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: training runs: %w", err)
		}
		out = append(out, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: training runs: %w", err)
	}
	return out, nil
}
