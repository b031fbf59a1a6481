-- First schema. Mirrors postgres/0001_init.sql; the store tests check that
-- both dialects accept and reject the same rows.

CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    -- sha256 of the normalised title and text: the dedupe key.
    content_hash TEXT NOT NULL UNIQUE,
    external_id  TEXT,
    title        TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL,
    url          TEXT,
    source       TEXT,
    published_at TIMESTAMP,
    ingested_at  TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX articles_url ON articles (url) WHERE url IS NOT NULL;
CREATE INDEX articles_source_published ON articles (source, published_at);
CREATE INDEX articles_ingested ON articles (ingested_at);

CREATE TABLE model_versions (
    version      TEXT PRIMARY KEY,
    encoder      TEXT NOT NULL,
    labels       TEXT NOT NULL,           -- JSON array
    metrics      TEXT NOT NULL DEFAULT '{}', -- JSON object
    data_hash    TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    is_active    INTEGER NOT NULL DEFAULT 0 CHECK (is_active IN (0, 1)),
    activated_at TIMESTAMP
);
-- At most one active version.
CREATE UNIQUE INDEX model_versions_one_active ON model_versions (is_active) WHERE is_active = 1;

CREATE TABLE predictions (
    id            INTEGER PRIMARY KEY,
    article_id    INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    model_version TEXT NOT NULL,
    label         TEXT NOT NULL,
    confidence    REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),
    scores        TEXT NOT NULL,          -- JSON object label -> probability
    request_id    TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX predictions_article ON predictions (article_id);
-- Trends: predictions by label and day.
CREATE INDEX predictions_label_created ON predictions (label, created_at);
CREATE INDEX predictions_created ON predictions (created_at);
CREATE INDEX predictions_request ON predictions (request_id);

CREATE TABLE review_items (
    id               INTEGER PRIMARY KEY,
    article_id       INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    prediction_id    INTEGER REFERENCES predictions (id) ON DELETE SET NULL,
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'claimed', 'labeled', 'skipped')),
    reason           TEXT NOT NULL,
    priority         REAL NOT NULL DEFAULT 0,
    claimed_by       TEXT,
    lease_expires_at TIMESTAMP,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    CHECK (state <> 'claimed' OR (claimed_by IS NOT NULL AND lease_expires_at IS NOT NULL))
);
-- The reviewers' queue: pending items, highest priority first.
CREATE INDEX review_items_pending ON review_items (priority DESC, id) WHERE state = 'pending';
-- Expired leases are found by expiry.
CREATE INDEX review_items_lease ON review_items (lease_expires_at) WHERE state = 'claimed';
-- One open item per article: the queue is deduplicated by content.
CREATE UNIQUE INDEX review_items_open_article ON review_items (article_id) WHERE state IN ('pending', 'claimed');

CREATE TABLE labels (
    id             INTEGER PRIMARY KEY,
    article_id     INTEGER NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    review_item_id INTEGER REFERENCES review_items (id) ON DELETE SET NULL,
    label          TEXT NOT NULL,
    labeled_by     TEXT NOT NULL,         -- reviewer email or API key name
    source         TEXT NOT NULL CHECK (source IN ('review', 'feedback')),
    note           TEXT NOT NULL DEFAULT '',
    request_id     TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL
);
CREATE INDEX labels_article ON labels (article_id);
CREATE INDEX labels_created ON labels (created_at);

CREATE TABLE training_runs (
    id           INTEGER PRIMARY KEY,
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    base_version TEXT,
    new_version  TEXT,
    data_counts  TEXT NOT NULL DEFAULT '{}', -- JSON
    metrics      TEXT NOT NULL DEFAULT '{}', -- JSON
    decision     TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP
);
CREATE INDEX training_runs_started ON training_runs (started_at);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('reviewer', 'analyst', 'admin')),
    created_at    TIMESTAMP NOT NULL,
    disabled_at   TIMESTAMP
);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT '{}', -- JSON
    request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
