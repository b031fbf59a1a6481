package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Where a model version came from (model_versions.source).
const (
	ModelBuiltin  = "builtin"  // embedded in the binary
	ModelTrained  = "trained"  // `newsintel train`
	ModelFinetune = "finetune" // a fine-tuning run
	ModelPulled   = "pulled"   // fetched from an artifact store
)

// Activation actions (model_activations.action).
const (
	ActionPromote  = "promote"
	ActionRollback = "rollback"
)

// NewModelVersion is a model version to register.
type NewModelVersion struct {
	Version string
	Encoder string
	Labels  []string
	// Metrics is a JSON object; nil stores {}.
	Metrics  json.RawMessage
	DataHash string
	// Path is the artifact folder, relative to DATA_DIR unless absolute;
	// empty for the built-in model.
	Path          string
	Source        string
	ParentVersion string
	TrainingRunID int64
}

// ModelVersion is a registered model version.
type ModelVersion struct {
	NewModelVersion
	CreatedAt   time.Time
	Active      bool
	ActivatedAt *time.Time
}

// Activation is one promotion or rollback.
type Activation struct {
	ID              int64
	Version         string
	PreviousVersion string
	Action          string
	Actor           string
	RequestID       string
	At              time.Time
}

// RegisterModel records a new model version, inactive. A version that
// exists already is ErrConflict.
func (db *DB) RegisterModel(ctx context.Context, v NewModelVersion) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error { return db.registerModel(ctx, tx, v, time.Now().UTC()) })
	if err != nil {
		return fmt.Errorf("store: register model %q: %w", v.Version, err)
	}
	return nil
}

// EnsureModel registers v if no version of that name exists and, if no
// version is active, activates it as actor. It reports whether it
// registered v. serve calls it for the built-in model at every start, so
// replicas starting together must not fail: the existence check and the
// insert share a transaction, and a lost race is not an error.
func (db *DB) EnsureModel(ctx context.Context, v NewModelVersion, actor string) (created bool, err error) {
	now := time.Now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.modelVersion(ctx, tx, v.Version); errors.Is(err, ErrNotFound) {
			if err := db.registerModel(ctx, tx, v, now); err != nil {
				return err
			}
			created = true
		} else if err != nil {
			return err
		}
		if _, err := db.activeVersion(ctx, tx); errors.Is(err, ErrNotFound) {
			_, err = db.activate(ctx, tx, v.Version, ActionPromote, actor, "", now, nil)
			return err
		} else if err != nil {
			return err
		}
		return nil
	})
	if violatesUnique(err) || errors.Is(err, ErrConflict) {
		return false, nil // another replica did the same at the same moment
	}
	if err != nil {
		return false, fmt.Errorf("store: ensure model %q: %w", v.Version, err)
	}
	return created, nil
}

func (db *DB) registerModel(ctx context.Context, tx *sql.Tx, v NewModelVersion, now time.Time) error {
	switch v.Source {
	case ModelBuiltin, ModelTrained, ModelFinetune, ModelPulled:
	default:
		return fmt.Errorf("unknown source %q", v.Source)
	}
	if v.Version == "" || v.Encoder == "" {
		return errors.New("a model version needs a version and an encoder")
	}
	labels, err := json.Marshal(v.Labels)
	if err != nil {
		return err
	}
	metrics := string(v.Metrics)
	if metrics == "" {
		metrics = "{}"
	}
	var runID any
	if v.TrainingRunID != 0 {
		runID = v.TrainingRunID
	}
	_, err = tx.ExecContext(ctx, db.rebind(`INSERT INTO model_versions
		(version, encoder, labels, metrics, data_hash, path, created_at, is_active, source, parent_version, training_run_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`),
		v.Version, v.Encoder, string(labels), metrics, v.DataHash, v.Path, now, v.Source, nullString(v.ParentVersion), runID)
	if violatesUnique(err) {
		return fmt.Errorf("version %q exists already: %w", v.Version, ErrConflict)
	}
	return err
}

const modelColumns = `version, encoder, labels, metrics, data_hash, path, source, parent_version, training_run_id,
	created_at, is_active, activated_at`

func scanModel(r interface{ Scan(dest ...any) error }) (ModelVersion, error) {
	var (
		m              ModelVersion
		labels, mets   []byte
		parent         sql.NullString
		runID          sql.NullInt64
		active         int
		activatedAtRaw sql.NullTime
	)
	if err := r.Scan(&m.Version, &m.Encoder, &labels, &mets, &m.DataHash, &m.Path, &m.Source, &parent, &runID,
		&m.CreatedAt, &active, &activatedAtRaw); err != nil {
		return m, err
	}
	if err := json.Unmarshal(labels, &m.Labels); err != nil {
		return m, fmt.Errorf("labels of %s: %w", m.Version, err)
	}
	m.Metrics = json.RawMessage(mets)
	m.ParentVersion, m.TrainingRunID, m.Active = parent.String, runID.Int64, active == 1
	if activatedAtRaw.Valid {
		t := activatedAtRaw.Time
		m.ActivatedAt = &t
	}
	return m, nil
}

// ModelVersions lists every registered version, newest first.
func (db *DB) ModelVersions(ctx context.Context) ([]ModelVersion, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+modelColumns+` FROM model_versions ORDER BY created_at DESC, version`)
	if err != nil {
		return nil, fmt.Errorf("store: model versions: %w", err)
	}
	defer rows.Close()
	var out []ModelVersion
	for rows.Next() {
		m, err := scanModel(rows)
		if err != nil {
			return nil, fmt.Errorf("store: model versions: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: model versions: %w", err)
	}
	return out, nil
}

// ModelVersion returns one version, or ErrNotFound.
func (db *DB) ModelVersion(ctx context.Context, version string) (ModelVersion, error) {
	var m ModelVersion
	err := db.inTx(ctx, func(tx *sql.Tx) (err error) {
		m, err = db.modelVersion(ctx, tx, version)
		return err
	})
	if err != nil {
		return m, fmt.Errorf("store: model version %q: %w", version, err)
	}
	return m, nil
}

// ActiveModel returns the active version, or ErrNotFound when none is.
func (db *DB) ActiveModel(ctx context.Context) (ModelVersion, error) {
	m, err := scanModel(db.sql.QueryRowContext(ctx, `SELECT `+modelColumns+` FROM model_versions WHERE is_active = 1`))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("store: active model: %w", err)
	}
	return m, nil
}

func (db *DB) modelVersion(ctx context.Context, tx *sql.Tx, version string) (ModelVersion, error) {
	m, err := scanModel(tx.QueryRowContext(ctx, db.rebind(`SELECT `+modelColumns+` FROM model_versions WHERE version = ?`), version))
	if errors.Is(err, sql.ErrNoRows) {
		return m, ErrNotFound
	}
	return m, err
}

func (db *DB) activeVersion(ctx context.Context, tx *sql.Tx) (string, error) {
	var v string
	err := tx.QueryRowContext(ctx, `SELECT version FROM model_versions WHERE is_active = 1`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return v, err
}

// ActivateModel makes version the active one, recording who did it and
// why (action is ActionPromote or ActionRollback) in model_activations and
// the audit log. Activating the active version is ErrConflict; an unknown
// one ErrNotFound.
func (db *DB) ActivateModel(ctx context.Context, version, action, actor, requestID string) (Activation, error) {
	var a Activation
	err := db.inTx(ctx, func(tx *sql.Tx) (err error) {
		a, err = db.activate(ctx, tx, version, action, actor, requestID, time.Now().UTC(), nil)
		return err
	})
	if err != nil {
		return a, fmt.Errorf("store: %s model %q: %w", action, version, err)
	}
	return a, nil
}

// GateOverride is an admin's promotion of a version the evaluation gate
// rejected. The audit entry of the promotion keeps it, with who and why.
type GateOverride struct {
	// Reason is the admin's own words; it is required.
	Reason string
	// Decision is the gate's recorded decision being overridden, and
	// TrainingRunID the run that made it.
	Decision      string
	TrainingRunID int64
}

// PromoteOverridingGate promotes version as ActivateModel does, and
// records in the same audit entry that the gate's rejection was
// overridden and why. An override without a reason is a ValidationError.
func (db *DB) PromoteOverridingGate(ctx context.Context, version, actor, requestID string, o GateOverride) (Activation, error) {
	o.Reason = strings.TrimSpace(o.Reason)
	if o.Reason == "" {
		return Activation{}, fmt.Errorf("store: promote model %q: %w", version,
			ValidationError{{Field: "reason", Message: "say why the gate's rejection is overridden"}})
	}
	var a Activation
	err := db.inTx(ctx, func(tx *sql.Tx) (err error) {
		a, err = db.activate(ctx, tx, version, ActionPromote, actor, requestID, time.Now().UTC(), &o)
		return err
	})
	if err != nil {
		return a, fmt.Errorf("store: promote model %q overriding the gate: %w", version, err)
	}
	return a, nil
}

// RollbackModel re-activates an earlier version: to, or when to is empty
// the version that was active before the current one. ErrConflict when
// there is no earlier one, or to is already active.
func (db *DB) RollbackModel(ctx context.Context, to, actor, requestID string) (Activation, error) {
	var a Activation
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if to == "" {
			cur, err := db.activeVersion(ctx, tx)
			if errors.Is(err, ErrNotFound) {
				return fmt.Errorf("no version is active: %w", ErrConflict)
			} else if err != nil {
				return err
			}
			var prev sql.NullString
			err = tx.QueryRowContext(ctx, db.rebind(`SELECT previous_version FROM model_activations
				WHERE version = ? ORDER BY id DESC LIMIT 1`), cur).Scan(&prev)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if !prev.Valid || prev.String == "" {
				return fmt.Errorf("%s has no earlier active version to roll back to: %w", cur, ErrConflict)
			}
			to = prev.String
		}
		var err error
		a, err = db.activate(ctx, tx, to, ActionRollback, actor, requestID, time.Now().UTC(), nil)
		return err
	})
	if err != nil {
		return a, fmt.Errorf("store: roll back model: %w", err)
	}
	return a, nil
}

// activationLockID is an arbitrary constant naming the Postgres advisory
// lock that serialises model activations.
const activationLockID = 7_351_820_005

func (db *DB) activate(ctx context.Context, tx *sql.Tx, version, action, actor, requestID string, now time.Time, o *GateOverride) (Activation, error) {
	a := Activation{Version: version, Action: action, Actor: actor, RequestID: requestID, At: now}
	if action != ActionPromote && action != ActionRollback {
		return a, fmt.Errorf("unknown action %q", action)
	}
	if db.dialect == Postgres {
		// Serialise activations: under read committed, two that each clear
		// the old active row would otherwise both set theirs and one would
		// fail on the unique index instead of following the other.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, activationLockID); err != nil {
			return a, fmt.Errorf("lock activations: %w", err)
		}
	}
	if _, err := db.modelVersion(ctx, tx, version); err != nil {
		return a, fmt.Errorf("version %q: %w", version, err)
	}
	prev, err := db.activeVersion(ctx, tx)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return a, err
	case prev == version:
		return a, fmt.Errorf("version %q is active already: %w", version, ErrConflict)
	}
	a.PreviousVersion = prev
	// Clear first: the partial unique index allows one active row at any
	// moment, within the transaction too.
	if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET is_active = 0 WHERE is_active = 1`); err != nil {
		return a, err
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE model_versions SET is_active = 1, activated_at = ? WHERE version = ?`), now, version); err != nil {
		return a, err
	}
	err = tx.QueryRowContext(ctx, db.rebind(`INSERT INTO model_activations (version, previous_version, action, actor, request_id, at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), version, nullString(prev), action, actor, requestID, now).Scan(&a.ID)
	if err != nil {
		return a, err
	}
	details := map[string]any{"previous_version": prev}
	if o != nil {
		details["gate_override"] = true
		details["override_reason"] = o.Reason
		details["gate_decision"] = o.Decision
		details["training_run_id"] = o.TrainingRunID
	}
	return a, db.writeAudit(ctx, tx, now, actor, "model."+action, version, details, requestID)
}

// ModelActivations lists the promotion history, newest first, at most
// limit entries.
func (db *DB) ModelActivations(ctx context.Context, limit int) ([]Activation, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT id, version, previous_version, action, actor, request_id, at
		FROM model_activations ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("store: model activations: %w", err)
	}
	defer rows.Close()
	var out []Activation
	for rows.Next() {
		var (
			a    Activation
			prev sql.NullString
		)
		if err := rows.Scan(&a.ID, &a.Version, &prev, &a.Action, &a.Actor, &a.RequestID, &a.At); err != nil {
			return nil, fmt.Errorf("store: model activations: %w", err)
		}
		a.PreviousVersion = prev.String
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: model activations: %w", err)
	}
	return out, nil
}
