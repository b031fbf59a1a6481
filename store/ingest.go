package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Ingest item states. An item is staged pending; its job leaves it new
// (it made an article), duplicate (the article was known) or rejected
// (with a reason). Rows that fail validation are staged rejected.
const (
	ItemPending   = "pending"
	ItemNew       = "new"
	ItemDuplicate = "duplicate"
	ItemRejected  = "rejected"
)

// StagedItem is one article waiting to be ingested, or a rejected row
// (Reject set) kept so that a summary accounts for every row.
type StagedItem struct {
	// Key identifies the item within its origin (row number, feed entry
	// id); an item already staged under the same key is skipped.
	Key      string
	Article  NewArticle
	Taxonomy string
	Reject   string
}

// IngestItem is a staged item as the ingest job reads it.
type IngestItem struct {
	ID       int64
	Origin   string
	Article  NewArticle
	Taxonomy string
}

// EnqueueRange enqueues the job that processes the staged items with ids
// from..to, in the transaction that staged them.
type EnqueueRange func(ctx context.Context, tx *sql.Tx, from, to int64) error

// stageItems inserts items under origin and calls enqueue with the range
// of the pending ones it inserted, if any.
func (db *DB) stageItems(ctx context.Context, tx *sql.Tx, origin string, importID, sourceID any, items []StagedItem, now time.Time, enqueue EnqueueRange) (staged int, err error) {
	var from, to int64
	for _, it := range items {
		a := it.Article
		state := ItemPending
		if it.Reject != "" {
			state = ItemRejected
		}
		var processed any
		if state == ItemRejected {
			processed = now
		}
		var id int64
		err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO ingest_items
			(origin, item_key, import_id, source_id, title, body, url, source, published_at, taxonomy, state, reason, created_at, processed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (origin, item_key) DO NOTHING RETURNING id`),
			origin, it.Key, importID, sourceID, a.Title, a.Body, a.URL, a.Source, a.PublishedAt, it.Taxonomy, state, it.Reject, now, processed,
		).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			continue // staged before: a resumed import or a feed entry seen again
		case err != nil:
			return staged, fmt.Errorf("stage item %q: %w", it.Key, err)
		}
		staged++
		if state != ItemPending {
			continue
		}
		if from == 0 {
			from = id
		}
		to = id
	}
	if from != 0 && enqueue != nil {
		if err := enqueue(ctx, tx, from, to); err != nil {
			return staged, fmt.Errorf("enqueue items %d..%d: %w", from, to, err)
		}
	}
	return staged, nil
}

// PendingItems returns the pending items with ids in from..to, in order.
func (db *DB) PendingItems(ctx context.Context, from, to int64) ([]IngestItem, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT id, origin, title, body, url, source, published_at, taxonomy
		FROM ingest_items WHERE id BETWEEN ? AND ? AND state = 'pending' ORDER BY id`), from, to)
	if err != nil {
		return nil, fmt.Errorf("store: pending items %d..%d: %w", from, to, err)
	}
	defer rows.Close()
	var out []IngestItem
	for rows.Next() {
		var (
			it  IngestItem
			pub sql.NullTime
		)
		if err := rows.Scan(&it.ID, &it.Origin, &it.Article.Title, &it.Article.Body, &it.Article.URL, &it.Article.Source, &pub, &it.Taxonomy); err != nil {
			return nil, fmt.Errorf("store: pending items %d..%d: %w", from, to, err)
		}
		if pub.Valid {
			t := pub.Time.UTC()
			it.Article.PublishedAt = &t
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pending items %d..%d: %w", from, to, err)
	}
	return out, nil
}

// PendingRanges returns the ids of pending items of an origin (all
// origins if empty) as ranges of at most size items, for re-enqueueing
// work whose jobs were lost with a crashed process.
func (db *DB) PendingRanges(ctx context.Context, origin string, size int) ([][2]int64, error) {
	q, args := `SELECT id FROM ingest_items WHERE state = 'pending' ORDER BY id`, []any{}
	if origin != "" {
		q, args = `SELECT id FROM ingest_items WHERE state = 'pending' AND origin = ? ORDER BY id`, []any{origin}
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("store: pending ranges: %w", err)
	}
	defer rows.Close()
	var (
		out [][2]int64
		n   int
	)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: pending ranges: %w", err)
		}
		if n%size == 0 {
			out = append(out, [2]int64{id, id})
		}
		out[len(out)-1][1] = id
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pending ranges: %w", err)
	}
	return out, nil
}

// KnownArticle reports the stored article with the same content, or
// failing that the same URL, and which of the two matched: the dedupe
// rule of RecordClassifications.
func (db *DB) KnownArticle(ctx context.Context, a NewArticle) (id int64, reason string, err error) {
	err = db.sql.QueryRowContext(ctx, db.rebind(`SELECT id FROM articles WHERE content_hash = ?`), ContentHash(a.Title, a.Body)).Scan(&id)
	if err == nil {
		return id, DuplicateContent, nil
	}
	if errors.Is(err, sql.ErrNoRows) && a.URL != "" {
		err = db.sql.QueryRowContext(ctx, db.rebind(`SELECT id FROM articles WHERE url = ?`), a.URL).Scan(&id)
		if err == nil {
			return id, DuplicateURL, nil
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrNotFound
	}
	return 0, "", fmt.Errorf("store: known article: %w", err)
}

// Reasons an item is a duplicate.
const (
	DuplicateContent = "same content as a stored article"
	DuplicateURL     = "same url as a stored article"
)

// ingestLockID names the Postgres advisory lock serialising ingest
// writes (see RecordIngested).
const ingestLockID = 7_351_820_016

// IngestOutcome is what an ingest job decided for one pending item:
// Classification to record it, or Reject with a reason.
type IngestOutcome struct {
	ItemID         int64
	Classification *Classification
	Reject         string
}

// IngestResult says what RecordIngested did with one outcome.
type IngestResult struct {
	// Skipped reports an item no longer pending: another job got to it
	// first, and nothing was written for it.
	Skipped  bool
	State    string
	Recorded Recorded
}

// RecordIngested records a job's outcomes in one transaction: each
// pending item's article, prediction and review request (as
// RecordClassifications does, but an article already stored gets no
// second prediction: the item is a duplicate), and the item's new state.
// An item that is not pending any more is skipped, so two jobs that
// overlap never ingest an item twice.
func (db *DB) RecordIngested(ctx context.Context, outcomes []IngestOutcome) ([]IngestResult, error) {
	out := make([]IngestResult, len(outcomes))
	now := time.Now().UTC()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		// Ingest transactions run one at a time on Postgres too (SQLite
		// has one writer anyway): two batches counting the same trend
		// slots in different orders deadlock otherwise. They take
		// milliseconds; the classification before them, which takes the
		// time, still runs in parallel.
		if db.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", ingestLockID); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		for i, o := range outcomes {
			// Taking the item first locks its row on Postgres: an
			// overlapping job waits here and then finds it done.
			res, err := tx.ExecContext(ctx, db.rebind(`UPDATE ingest_items SET processed_at = ? WHERE id = ? AND state = 'pending'`), now, o.ItemID)
			if err != nil {
				return fmt.Errorf("item %d: take: %w", o.ItemID, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("item %d: take: %w", o.ItemID, err)
			} else if n == 0 {
				out[i].Skipped = true
				continue
			}
			state, reason, article := ItemRejected, o.Reject, any(nil)
			if o.Classification != nil {
				c := *o.Classification
				c.onlyNew = true
				r, err := db.recordOne(ctx, tx, c, now)
				if err != nil {
					return fmt.Errorf("item %d: %w", o.ItemID, err)
				}
				out[i].Recorded = r
				state, reason, article = ItemNew, "", r.ArticleID
				if r.Duplicate {
					state, reason = ItemDuplicate, DuplicateContent
					if r.ByURL {
						reason = DuplicateURL
					}
				}
			}
			out[i].State = state
			if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE ingest_items SET state = ?, reason = ?, article_id = ? WHERE id = ?`),
				state, reason, article, o.ItemID); err != nil {
				return fmt.Errorf("item %d: %w", o.ItemID, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: record %d ingested items: %w", len(outcomes), err)
	}
	return out, nil
}

// ItemCount is how many items are in a state, for a reason.
type ItemCount struct {
	State  string
	Reason string
	Count  int
}

// PendingItemCount counts the items waiting for their job.
func (db *DB) PendingItemCount(ctx context.Context) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM ingest_items WHERE state = 'pending'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: pending item count: %w", err)
	}
	return n, nil
}

// OriginRange is a range of item ids of one origin, for one ingest job.
type OriginRange struct {
	Origin   string
	From, To int64
}

// StrandedRanges returns the pending items staged before `before` that
// covered does not claim (covered: a live job's range holds them), as
// ranges of at most size items of one origin each, at most limit ranges:
// the work of jobs that were discarded, or lost, for the sweep to enqueue
// again.
func (db *DB) StrandedRanges(ctx context.Context, before time.Time, size, limit int, covered func(id int64) bool) ([]OriginRange, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT id, origin FROM ingest_items
		WHERE state = 'pending' AND created_at < ? ORDER BY origin, id`), before.UTC())
	if err != nil {
		return nil, fmt.Errorf("store: stranded items: %w", err)
	}
	defer rows.Close()
	var (
		out []OriginRange
		n   int  // items in the last range
		gap bool // a covered item since the last range's end
	)
	for rows.Next() {
		var (
			id     int64
			origin string
		)
		if err := rows.Scan(&id, &origin); err != nil {
			return nil, fmt.Errorf("store: stranded items: %w", err)
		}
		if covered != nil && covered(id) {
			gap = true // a range never spans a live job's item
			continue
		}
		if len(out) == 0 || n == size || gap || out[len(out)-1].Origin != origin {
			if len(out) == limit {
				break
			}
			out, n, gap = append(out, OriginRange{Origin: origin, From: id}), 0, false
		}
		out[len(out)-1].To = id
		n++
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: stranded items: %w", err)
	}
	return out, nil
}
