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
