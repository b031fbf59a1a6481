package store

import (
	"context"
	"database/sql"
)

// Exec runs one statement with ? placeholders, for schema tests that need
// rows the public API does not write yet.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return db.sql.ExecContext(ctx, db.rebind(query), args...)
}

// LoadMigrations exposes the embedded migrations of a dialect.
func LoadMigrations(d Dialect) ([]Migration, error) {
	files, err := loadMigrations(d)
	out := make([]Migration, len(files))
	for i, f := range files {
		out[i] = f.Migration
	}
	return out, err
}

// Rebind exposes placeholder rewriting.
func (db *DB) Rebind(q string) string { return db.rebind(q) }

// HoldWriteLock opens a transaction that keeps every other writer of
// articles waiting until release is called.
func (db *DB) HoldWriteLock(ctx context.Context) (release func() error, err error) {
	tx, err := db.sql.BeginTx(ctx, nil) // SQLite: BEGIN IMMEDIATE (the DSN's _txlock)
	if err != nil {
		return nil, err
	}
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "LOCK TABLE articles IN EXCLUSIVE MODE"); err != nil {
			tx.Rollback()
			return nil, err
		}
	}
	return tx.Rollback, nil
}

// GroupWaiting is the number of RecordClassifications calls waiting to
// join a group commit.
func (db *DB) GroupWaiting() int64 { return db.group.waiting.Load() }

// GroupTaken is the number of RecordClassifications calls the writer has
// taken and not yet answered.
func (db *DB) GroupTaken() int64 { return db.group.taken.Load() }
