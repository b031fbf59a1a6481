package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"time"
)

// NewSource is a feed as an operator registers it.
type NewSource struct {
	Name         string
	URL          string
	PollInterval time.Duration
	Taxonomy     string // "" for the trained topic model
}

// Source is a registered feed and the state of its polling.
type Source struct {
	ID int64
	NewSource
	Paused bool
	// ETag and LastModified are the validators of the last full answer,
	// sent back so an unchanged feed answers 304.
	ETag         string
	LastModified string
	LastFetchAt  *time.Time
	LastStatus   int
	LastError    string
	Failures     int
	NextFetchAt  time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Origin is the ingest_items origin of the feed's entries.
func (s Source) Origin() string { return "source:" + strconv.FormatInt(s.ID, 10) }

const sourceColumns = `id, name, url, poll_interval_seconds, taxonomy, paused, etag, last_modified,
	last_fetch_at, last_status, last_error, failures, next_fetch_at, created_at, updated_at`

func scanSource(row interface{ Scan(...any) error }) (Source, error) {
	var (
		s       Source
		secs    int64
		fetched sql.NullTime
	)
	err := row.Scan(&s.ID, &s.Name, &s.URL, &secs, &s.Taxonomy, &s.Paused, &s.ETag, &s.LastModified,
		&fetched, &s.LastStatus, &s.LastError, &s.Failures, &s.NextFetchAt, &s.CreatedAt, &s.UpdatedAt)
	s.PollInterval = time.Duration(secs) * time.Second
	if fetched.Valid {
		t := fetched.Time.UTC()
		s.LastFetchAt = &t
	}
	return s, err
}

// Bounds of a source's poll interval: polite to feed servers below, still
// a stream of news above.
const (
	MinPollInterval = time.Minute
	MaxPollInterval = 7 * 24 * time.Hour
)

var sourceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Validate lists what is wrong with a source to register.
func (n NewSource) Validate() ValidationError {
	var v ValidationError
	if !sourceName.MatchString(n.Name) {
		v = append(v, FieldIssue{Field: "name", Message: "1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit"})
	}
	if u, err := url.Parse(n.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(n.URL) > 2000 {
		v = append(v, FieldIssue{Field: "url", Message: "must be an absolute http(s) URL of at most 2000 characters"})
	}
	if n.PollInterval < MinPollInterval || n.PollInterval > MaxPollInterval {
		v = append(v, FieldIssue{Field: "poll_interval_seconds", Message: fmt.Sprintf("between %d and %d seconds",
			int(MinPollInterval.Seconds()), int(MaxPollInterval.Seconds()))})
	}
	return v
}

// AddSource registers a feed, due for its first fetch at once. An
// invalid one is a ValidationError; a name in use is ErrConflict.
func (db *DB) AddSource(ctx context.Context, n NewSource) (Source, error) {
	if v := n.Validate(); len(v) > 0 {
		return Source{}, v
	}
	now := time.Now().UTC()
	var s Source
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO sources (name, url, poll_interval_seconds, taxonomy, next_fetch_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id`),
			n.Name, n.URL, int64(n.PollInterval/time.Second), n.Taxonomy, now, now, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		s, err = scanSource(tx.QueryRowContext(ctx, db.rebind(`SELECT `+sourceColumns+` FROM sources WHERE id = ?`), id))
		return err
	})
	if err != nil {
		return s, fmt.Errorf("store: add source %q: %w", n.Name, err)
	}
	return s, nil
}

// Source returns the feed named name, or ErrNotFound.
func (db *DB) Source(ctx context.Context, name string) (Source, error) {
	s, err := scanSource(db.sql.QueryRowContext(ctx, db.rebind(`SELECT `+sourceColumns+` FROM sources WHERE name = ?`), name))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return s, fmt.Errorf("store: source %q: %w", name, ErrNotFound)
	case err != nil:
		return s, fmt.Errorf("store: source %q: %w", name, err)
	}
	return s, nil
}

// SourceByID returns the feed with id, or ErrNotFound.
func (db *DB) SourceByID(ctx context.Context, id int64) (Source, error) {
	s, err := scanSource(db.sql.QueryRowContext(ctx, db.rebind(`SELECT `+sourceColumns+` FROM sources WHERE id = ?`), id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return s, fmt.Errorf("store: source %d: %w", id, ErrNotFound)
	case err != nil:
		return s, fmt.Errorf("store: source %d: %w", id, err)
	}
	return s, nil
}

// Sources lists the feeds by name.
func (db *DB) Sources(ctx context.Context) ([]Source, error) {
	return db.querySources(ctx, `SELECT `+sourceColumns+` FROM sources ORDER BY name`)
}

// DueSources lists the unpaused feeds due for a fetch at now, most
// overdue first.
func (db *DB) DueSources(ctx context.Context, now time.Time, limit int) ([]Source, error) {
	return db.querySources(ctx, `SELECT `+sourceColumns+` FROM sources WHERE NOT paused AND next_fetch_at <= ? ORDER BY next_fetch_at LIMIT ?`, now.UTC(), limit)
}

func (db *DB) querySources(ctx context.Context, q string, args ...any) ([]Source, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: sources: %w", err)
	}
	defer rows.Close()
	var out []Source
	for rows.Next() {
		s, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("store: sources: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sources: %w", err)
	}
	return out, nil
}

// SetSourcePaused pauses or resumes a feed; a resumed feed is due at
// once. An unknown name is ErrNotFound.
func (db *DB) SetSourcePaused(ctx context.Context, name string, paused bool) (Source, error) {
	now := time.Now().UTC()
	var s Source
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE sources SET paused = ?, updated_at = ? WHERE name = ?`
		args := []any{paused, now, name}
		if !paused {
			q = `UPDATE sources SET paused = ?, updated_at = ?, next_fetch_at = ?, failures = 0 WHERE name = ?`
			args = []any{paused, now, now, name}
		}
		res, err := tx.ExecContext(ctx, db.rebind(q), args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		s, err = scanSource(tx.QueryRowContext(ctx, db.rebind(`SELECT `+sourceColumns+` FROM sources WHERE name = ?`), name))
		return err
	})
	if err != nil {
		return s, fmt.Errorf("store: pause source %q: %w", name, err)
	}
	return s, nil
}

// DeleteSource removes a feed; its articles stay. An unknown name is
// ErrNotFound.
func (db *DB) DeleteSource(ctx context.Context, name string) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM sources WHERE name = ?`), name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: delete source %q: %w", name, err)
	}
	return nil
}

// Fetch is the outcome of one poll of a feed.
type Fetch struct {
	At     time.Time
	Status int // HTTP status; 0 when no answer came
	// Err is why the fetch failed; "" for a success (200 or 304).
	Err          string
	ETag         string
	LastModified string
	Items        []StagedItem // the feed's entries; none for a 304
	NextFetchAt  time.Time
}

// RecordFetch stages a poll's new entries with their ingest job and
// records the fetch on the source, in one transaction. Entries staged
// before (same origin and key) are skipped. It returns how many were new.
func (db *DB) RecordFetch(ctx context.Context, s Source, f Fetch, enqueue EnqueueRange) (int, error) {
	var staged int
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		staged, err = db.stageItems(ctx, tx, s.Origin(), nil, s.ID, f.Items, f.At.UTC(), enqueue)
		if err != nil {
			return err
		}
		q := `UPDATE sources SET last_fetch_at = ?, last_status = ?, last_error = ?, next_fetch_at = ?, updated_at = ?, `
		args := []any{f.At.UTC(), f.Status, f.Err, f.NextFetchAt.UTC(), f.At.UTC()}
		if f.Err != "" {
			q += `failures = failures + 1 WHERE id = ?`
		} else {
			// A 304 keeps the validators it was asked with.
			q += `failures = 0, etag = ?, last_modified = ? WHERE id = ?`
			args = append(args, f.ETag, f.LastModified)
		}
		_, err = tx.ExecContext(ctx, db.rebind(q), append(args, s.ID)...)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: record fetch of source %q: %w", s.Name, err)
	}
	return staged, nil
}

// SourceCount is a feed's ingest counts since a time.
type SourceCount struct {
	SourceID  int64
	New       int
	Duplicate int
	Rejected  int
	Pending   int
}

// SourceCounts counts each feed's items processed since since (and its
// pending ones), by outcome.
func (db *DB) SourceCounts(ctx context.Context, since time.Time) (map[int64]SourceCount, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT source_id, state, COUNT(*) FROM ingest_items
		WHERE source_id IS NOT NULL AND (state = 'pending' OR processed_at >= ?) GROUP BY source_id, state`), since.UTC())
	if err != nil {
		return nil, fmt.Errorf("store: source counts: %w", err)
	}
	defer rows.Close()
	out := map[int64]SourceCount{}
	for rows.Next() {
		var (
			id    int64
			state string
			n     int
		)
		if err := rows.Scan(&id, &state, &n); err != nil {
			return nil, fmt.Errorf("store: source counts: %w", err)
		}
		c := out[id]
		c.SourceID = id
		switch state {
		case ItemNew:
			c.New = n
		case ItemDuplicate:
			c.Duplicate = n
		case ItemRejected:
			c.Rejected = n
		case ItemPending:
			c.Pending = n
		}
		out[id] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: source counts: %w", err)
	}
	return out, nil
}
