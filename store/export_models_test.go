package store

import "context"

// QueryInt runs a query with ? placeholders that returns one integer, for
// tests that insert rows the public API does not write and need their id.
func (db *DB) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := db.sql.QueryRowContext(ctx, db.rebind(query), args...).Scan(&n)
	return n, err
}
