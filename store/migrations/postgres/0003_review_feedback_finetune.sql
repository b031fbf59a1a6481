-- The learning loop: the review workflow (double review, adjudication,
-- skips, undo), API feedback with idempotency keys, fine-tuning runs and
-- their lineage, and model promotion history. Mirrors the sqlite file.
--
-- Columns are added rather than tables rebuilt: a SQLite rebuild of
-- review_items would fire ON DELETE SET NULL on labels.review_item_id
-- inside the migration's transaction, where foreign keys cannot be paused.

-- stage 'adjudication' marks a double-reviewed item whose reviewers
-- disagreed; it waits (state pending) for an admin rather than a reviewer.
ALTER TABLE review_items ADD COLUMN stage TEXT NOT NULL DEFAULT 'review'
    CHECK (stage IN ('review', 'adjudication'));
-- 1 - top probability, whatever the strategy that queued the item.
ALTER TABLE review_items ADD COLUMN uncertainty DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE review_items ADD COLUMN required_reviews INTEGER NOT NULL DEFAULT 1
    CHECK (required_reviews IN (1, 2));
ALTER TABLE review_items ADD COLUMN skip_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE review_items ADD COLUMN claimed_at TIMESTAMPTZ;
-- The label the item settled on; training reads it.
ALTER TABLE review_items ADD COLUMN final_label_id BIGINT REFERENCES labels (id) ON DELETE SET NULL;
-- The article's embedding (little-endian float32), for diversity sampling.
ALTER TABLE review_items ADD COLUMN embedding BYTEA;
CREATE INDEX review_items_state_created ON review_items (state, created_at);

-- A retracted label (undone by its reviewer) is kept for the audit trail
-- but never used for training.
ALTER TABLE labels ADD COLUMN retracted_at TIMESTAMPTZ;

-- Every reviewer action, so the reviewer's last one can be undone and
-- nobody is handed an item they already labeled or skipped.
CREATE TABLE review_actions (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_item_id BIGINT NOT NULL REFERENCES review_items (id) ON DELETE CASCADE,
    reviewer       TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('label', 'skip', 'adjudicate')),
    label_id       BIGINT REFERENCES labels (id) ON DELETE SET NULL,
    prev_state     TEXT NOT NULL,
    prev_stage     TEXT NOT NULL,
    request_id     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    undone_at      TIMESTAMPTZ
);
CREATE INDEX review_actions_reviewer ON review_actions (reviewer, created_at);
CREATE INDEX review_actions_item ON review_actions (review_item_id);

CREATE TABLE feedback (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    article_id      BIGINT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    prediction_id   BIGINT REFERENCES predictions (id) ON DELETE SET NULL,
    correct_label   TEXT,
    is_correct      BOOLEAN,
    comment         TEXT NOT NULL DEFAULT '',
    key_name        TEXT NOT NULL,
    request_id      TEXT NOT NULL DEFAULT '',
    idempotency_key TEXT,
    -- sha256 of the request body: a reused key with another body is refused.
    request_hash    TEXT NOT NULL DEFAULT '',
    label_id        BIGINT REFERENCES labels (id) ON DELETE SET NULL,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX feedback_idempotency ON feedback (key_name, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX feedback_article ON feedback (article_id);

ALTER TABLE training_runs ADD COLUMN triggered_by TEXT NOT NULL DEFAULT 'cli';
ALTER TABLE training_runs ADD COLUMN forced BOOLEAN NOT NULL DEFAULT FALSE;
-- A running run refreshes this; a stale one was left by a dead process.
ALTER TABLE training_runs ADD COLUMN heartbeat_at TIMESTAMPTZ;
-- The fine-tune lock: at most one run is running, across processes and
-- restarts.
CREATE UNIQUE INDEX training_runs_one_running ON training_runs (status) WHERE status = 'running';

-- Lineage: which labels each training run used.
CREATE TABLE training_run_labels (
    training_run_id BIGINT NOT NULL REFERENCES training_runs (id) ON DELETE CASCADE,
    label_id        BIGINT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    PRIMARY KEY (training_run_id, label_id)
);
CREATE INDEX training_run_labels_label ON training_run_labels (label_id);

ALTER TABLE model_versions ADD COLUMN source TEXT NOT NULL DEFAULT 'trained'
    CHECK (source IN ('builtin', 'trained', 'finetune', 'pulled'));
ALTER TABLE model_versions ADD COLUMN parent_version TEXT;
ALTER TABLE model_versions ADD COLUMN training_run_id BIGINT REFERENCES training_runs (id) ON DELETE SET NULL;

-- Promotion history: every activation, so any earlier version can be
-- rolled back to and the audit shows who did what.
CREATE TABLE model_activations (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version          TEXT NOT NULL REFERENCES model_versions (version),
    previous_version TEXT,
    action           TEXT NOT NULL CHECK (action IN ('promote', 'rollback')),
    actor            TEXT NOT NULL,
    request_id       TEXT NOT NULL DEFAULT '',
    at               TIMESTAMPTZ NOT NULL
);
CREATE INDEX model_activations_at ON model_activations (at);
