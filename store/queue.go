package store

import (
	"context"
	"database/sql"
	"fmt"
)

// SQL returns the database handle, for the job queue (package jobs), whose
// library runs its own SQL on the application's database so that a job
// can be enqueued in the same transaction as the rows it works on.
func (db *DB) SQL() *sql.DB { return db.sql }

// WithMigrationLock runs fn in a transaction that no other migrating
// process runs at the same time (see lockedTx): the job queue's schema
// migrates under the same lock as ours, so replicas starting together do
// not race on it.
func (db *DB) WithMigrationLock(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := db.lockedTx(ctx, fn); err != nil {
		return fmt.Errorf("store: locked migration: %w", err)
	}
	return nil
}

// Enqueue adds a job to the queue inside a store transaction; it returns
// an error to roll the transaction back. Store methods that create work
// take one, so the work and its job commit together or not at all.
type Enqueue func(ctx context.Context, tx *sql.Tx) error
