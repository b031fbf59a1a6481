package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// NewImport describes a bulk import as it starts.
type NewImport struct {
	Name     string // the file's name, for people
	FileHash string // sha256 of the file; "" for uploads, never resumed
	Format   string // "jsonl" or "csv"
	Source   string // default source of rows that name none
	Taxonomy string // "" for the trained topic model
	By       string // who started it
}

// Import is a bulk import and how far its reading got.
type Import struct {
	ID int64
	NewImport
	RowsRead int
	ReadDone bool
	// CancelledAt is when the import was cancelled; nil if it was not.
	CancelledAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Origin is the ingest_items origin of the import's rows.
func (im Import) Origin() string { return "import:" + strconv.FormatInt(im.ID, 10) }

// CreateImport records a new import.
func (db *DB) CreateImport(ctx context.Context, n NewImport) (Import, error) {
	now := time.Now().UTC()
	im := Import{NewImport: n, CreatedAt: now, UpdatedAt: now}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, db.rebind(`INSERT INTO imports (name, file_hash, format, source, taxonomy, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), n.Name, n.FileHash, n.Format, n.Source, n.Taxonomy, n.By, now, now).Scan(&im.ID)
	})
	if err != nil {
		return im, fmt.Errorf("store: create import %q: %w", n.Name, err)
	}
	return im, nil
}

const importColumns = `id, name, file_hash, format, source, taxonomy, created_by, rows_read, read_done, cancelled_at, created_at, updated_at`

func scanImport(row interface{ Scan(...any) error }) (Import, error) {
	var (
		im        Import
		cancelled sql.NullTime
	)
	err := row.Scan(&im.ID, &im.Name, &im.FileHash, &im.Format, &im.Source, &im.Taxonomy, &im.By, &im.RowsRead, &im.ReadDone,
		&cancelled, &im.CreatedAt, &im.UpdatedAt)
	if cancelled.Valid {
		t := cancelled.Time.UTC()
		im.CancelledAt = &t
	}
	return im, err
}

// Import returns the import with id, or ErrNotFound.
func (db *DB) Import(ctx context.Context, id int64) (Import, error) {
	im, err := scanImport(db.sql.QueryRowContext(ctx, db.rebind(`SELECT `+importColumns+` FROM imports WHERE id = ?`), id))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return im, fmt.Errorf("store: import %d: %w", id, ErrNotFound)
	case err != nil:
		return im, fmt.Errorf("store: import %d: %w", id, err)
	}
	return im, nil
}

// UnfinishedImport returns the latest import of the file with this hash
// whose reading did not finish and that was not cancelled, or
// ErrNotFound.
func (db *DB) UnfinishedImport(ctx context.Context, fileHash string) (Import, error) {
	im, err := scanImport(db.sql.QueryRowContext(ctx, db.rebind(`SELECT `+importColumns+` FROM imports
		WHERE file_hash = ? AND file_hash <> '' AND NOT read_done AND cancelled_at IS NULL ORDER BY id DESC LIMIT 1`), fileHash))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return im, fmt.Errorf("store: unfinished import of %s: %w", fileHash, ErrNotFound)
	case err != nil:
		return im, fmt.Errorf("store: unfinished import of %s: %w", fileHash, err)
	}
	return im, nil
}

// StageImportRows stages the next rows of an import, moves its
// checkpoint to rowsRead (and marks it read when done), and enqueues the
// job for them, all in one transaction: a crash leaves either all of it
// or none, so a resumed read starts exactly after the last staged row.
// A cancelled import stages nothing more: ErrImportCancelled.
func (db *DB) StageImportRows(ctx context.Context, im Import, items []StagedItem, rowsRead int, done bool, enqueue EnqueueRange) error {
	now := time.Now().UTC()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		// The checkpoint first: it locks the import's row on Postgres,
		// so a cancel waits for this batch or this batch sees it.
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE imports SET rows_read = ?, read_done = ?, updated_at = ? WHERE id = ? AND cancelled_at IS NULL`),
			rowsRead, done, now, im.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return ErrImportCancelled
		}
		_, err = db.stageItems(ctx, tx, im.Origin(), im.ID, nil, items, now, enqueue)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: import %d: stage rows up to %d: %w", im.ID, rowsRead, err)
	}
	return nil
}

// ImportStatus is an import's progress: its items by state and reason.
type ImportStatus struct {
	Import
	Counts []ItemCount
}

// Count sums the counts in a state.
func (s ImportStatus) Count(state string) int {
	n := 0
	for _, c := range s.Counts {
		if c.State == state {
			n += c.Count
		}
	}
	return n
}

// Finished reports that every row is read and processed, or that the
// import was cancelled.
func (s ImportStatus) Finished() bool {
	return (s.ReadDone || s.CancelledAt != nil) && s.Count(ItemPending) == 0
}

// ImportStatus returns the import with id and its item counts.
func (db *DB) ImportStatus(ctx context.Context, id int64) (ImportStatus, error) {
	im, err := db.Import(ctx, id)
	if err != nil {
		return ImportStatus{}, err
	}
	st := ImportStatus{Import: im}
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT state, reason, COUNT(*) FROM ingest_items
		WHERE import_id = ? GROUP BY state, reason ORDER BY state, COUNT(*) DESC, reason`), id)
	if err != nil {
		return st, fmt.Errorf("store: import %d counts: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c ItemCount
		if err := rows.Scan(&c.State, &c.Reason, &c.Count); err != nil {
			return st, fmt.Errorf("store: import %d counts: %w", id, err)
		}
		st.Counts = append(st.Counts, c)
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("store: import %d counts: %w", id, err)
	}
	return st, nil
}

// ReasonCancelled is the reason of the items a cancel rejected.
const ReasonCancelled = "cancelled"

// ErrImportCancelled is what staging more rows of a cancelled import
// returns.
var ErrImportCancelled = &Conflict{Reason: "the import was cancelled"}

// CancelJobs cancels the queued jobs of an import whose items are ids
// (sorted), in the cancel's transaction.
type CancelJobs func(ctx context.Context, tx *sql.Tx, ids []int64) error

// CancelImport cancels an import that is not finished, in one
// transaction: it marks the import cancelled (its reading stops at the
// next batch), rejects its pending items with the reason "cancelled",
// and calls cancelJobs (if not nil) with the ids of all its items. An
// item a job is recording at that moment is either recorded first or
// skipped by the job. ErrNotFound for an unknown import, a Conflict for
// one already done or cancelled.
func (db *DB) CancelImport(ctx context.Context, id int64, cancelJobs CancelJobs) (ImportStatus, error) {
	now := time.Now().UTC()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		lock := ""
		if db.dialect == Postgres {
			// Serialise with RecordIngested, which takes the same lock
			// and then the items, in another order than this bulk
			// update would; and with StageImportRows, which updates the
			// import's row first.
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", ingestLockID); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
			lock = " FOR UPDATE"
		}
		im, err := scanImport(tx.QueryRowContext(ctx, db.rebind(`SELECT `+importColumns+` FROM imports WHERE id = ?`+lock), id))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return ErrNotFound
		case err != nil:
			return err
		case im.CancelledAt != nil:
			return conflictf("import %d was cancelled at %s", id, im.CancelledAt.Format(time.RFC3339))
		}
		var pending int
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM ingest_items WHERE import_id = ? AND state = 'pending'`), id).Scan(&pending); err != nil {
			return err
		}
		if im.ReadDone && pending == 0 {
			return conflictf("import %d is done: every row is read and processed", id)
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE imports SET cancelled_at = ?, updated_at = ? WHERE id = ?`), now, now, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE ingest_items SET state = 'rejected', reason = ?, processed_at = ?
			WHERE import_id = ? AND state = 'pending'`), ReasonCancelled, now, id); err != nil {
			return err
		}
		if cancelJobs == nil {
			return nil
		}
		rows, err := tx.QueryContext(ctx, db.rebind(`SELECT id FROM ingest_items WHERE import_id = ? ORDER BY id`), id)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var item int64
			if err := rows.Scan(&item); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, item)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return cancelJobs(ctx, tx, ids)
	})
	if errors.Is(err, ErrNotFound) {
		return ImportStatus{}, fmt.Errorf("store: import %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return ImportStatus{}, fmt.Errorf("store: cancel import %d: %w", id, err)
	}
	return db.ImportStatus(ctx, id)
}
