-- News that comes in by itself: feed sources, bulk imports, and the items
-- both stage for the background ingest jobs (package ingest), which
-- classify them by the rules of POST /classify_news. An item is staged in
-- the same transaction as the job that processes it, and marked processed
-- in the same transaction as its article, so nothing is lost or counted
-- twice across crashes. Mirrors the postgres file.
CREATE TABLE sources (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    url                   TEXT NOT NULL,
    poll_interval_seconds INTEGER NOT NULL CHECK (poll_interval_seconds > 0),
    taxonomy              TEXT NOT NULL DEFAULT '',
    paused                BOOLEAN NOT NULL DEFAULT FALSE,
    -- Validators of the last 200 answer, for conditional GETs.
    etag                  TEXT NOT NULL DEFAULT '',
    last_modified         TEXT NOT NULL DEFAULT '',
    last_fetch_at         TIMESTAMP,
    last_status           INTEGER NOT NULL DEFAULT 0,
    last_error            TEXT NOT NULL DEFAULT '',
    -- Consecutive failed fetches; the next one waits longer (backoff).
    failures              INTEGER NOT NULL DEFAULT 0,
    next_fetch_at         TIMESTAMP NOT NULL,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);
CREATE INDEX sources_due ON sources (next_fetch_at) WHERE NOT paused;

CREATE TABLE imports (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    -- sha256 of the file: the CLI resumes an unfinished import of the
    -- same file instead of starting another.
    file_hash   TEXT NOT NULL DEFAULT '',
    format      TEXT NOT NULL CHECK (format IN ('jsonl', 'csv')),
    source      TEXT NOT NULL DEFAULT '',
    taxonomy    TEXT NOT NULL DEFAULT '',
    -- Rows of the file staged so far: where a resumed read starts.
    rows_read   INTEGER NOT NULL DEFAULT 0,
    read_done   BOOLEAN NOT NULL DEFAULT FALSE,
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
CREATE INDEX imports_file ON imports (file_hash);

CREATE TABLE ingest_items (
    id           INTEGER PRIMARY KEY,
    -- Where the item came from ("import:7", "source:3") and its key there
    -- (row number, feed entry id): a row or entry is staged once.
    origin       TEXT NOT NULL,
    item_key     TEXT NOT NULL,
    import_id    INTEGER REFERENCES imports (id) ON DELETE CASCADE,
    source_id    INTEGER REFERENCES sources (id) ON DELETE SET NULL,
    title        TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT '',
    published_at TIMESTAMP,
    taxonomy     TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL CHECK (state IN ('pending', 'new', 'duplicate', 'rejected')),
    reason       TEXT NOT NULL DEFAULT '',
    article_id   INTEGER REFERENCES articles (id) ON DELETE SET NULL,
    created_at   TIMESTAMP NOT NULL,
    processed_at TIMESTAMP,
    UNIQUE (origin, item_key)
);
CREATE INDEX ingest_items_pending ON ingest_items (id) WHERE state = 'pending';
CREATE INDEX ingest_items_import ON ingest_items (import_id, state);
CREATE INDEX ingest_items_source ON ingest_items (source_id, processed_at);
