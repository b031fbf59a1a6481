package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations are a small hand-written runner rather than a library: goose
// and friends keep the dialect and file system in package globals, and we
// need only ordered files, one transaction each, and a record table. The
// whole runner is this file.
//
//go:embed migrations
var migrationFiles embed.FS

// Migration is one schema change and, once applied, when it was.
type Migration struct {
	Version   int
	Name      string
	SHA256    string
	AppliedAt time.Time // zero while pending
	// Modified reports an applied migration whose file has changed since.
	Modified bool
	// Unknown reports a migration recorded in the database that this
	// binary does not ship: the database is newer than the code.
	Unknown bool
}

// Pending reports whether m has yet to be applied.
func (m Migration) Pending() bool { return m.AppliedAt.IsZero() && !m.Unknown }

type migrationFile struct {
	Migration
	sql string
}

// migrationLockID is an arbitrary constant that names the Postgres advisory
// lock serialising migrations across replicas starting at once.
const migrationLockID = 7_351_820_004

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	sha256     TEXT NOT NULL,
	applied_at TIMESTAMP NOT NULL
)`

// loadMigrations reads the embedded migrations of a dialect, in order.
func loadMigrations(d Dialect) ([]migrationFile, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("store: read migrations %s: %w", dir, err)
	}
	var out []migrationFile
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		base := strings.TrimSuffix(e.Name(), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %s/%s: want NNNN_name.sql", dir, e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("store: migrations %s and %s share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("store: read migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(body)
		out = append(out, migrationFile{
			Migration: Migration{Version: v, Name: name, SHA256: hex.EncodeToString(sum[:])},
			sql:       string(body),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// MigrationStatus lists every migration this binary ships, and any the
// database has recorded that it does not, in version order.
func (db *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	files, err := db.prepareMigrations(ctx)
	if err != nil {
		return nil, err
	}
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, f := range files {
		m := f.Migration
		if a, ok := applied[m.Version]; ok {
			m.AppliedAt = a.AppliedAt
			m.Modified = a.SHA256 != m.SHA256
			delete(applied, m.Version)
		}
		out = append(out, m)
	}
	for _, a := range applied {
		a.Unknown = true
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies every pending migration in order, each in its own
// transaction together with its record, and returns those it applied.
// Concurrent callers (replicas starting together) are safe: each migration
// is re-checked under a lock before it runs.
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	files, err := db.prepareMigrations(ctx)
	if err != nil {
		return nil, err
	}
	var done []Migration
	for _, f := range files {
		ran, err := db.applyMigration(ctx, f)
		if err != nil {
			return done, fmt.Errorf("store: migration %04d_%s: %w", f.Version, f.Name, err)
		}
		if ran {
			m := f.Migration
			m.AppliedAt = time.Now().UTC()
			done = append(done, m)
		}
	}
	return done, nil
}

func (db *DB) applyMigration(ctx context.Context, f migrationFile) (ran bool, err error) {
	err = db.lockedTx(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, db.rebind("SELECT 1 FROM schema_migrations WHERE version = ?"), f.Version).Scan(&one)
		switch {
		case err == nil:
			return nil // applied already, perhaps by a concurrent replica
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("check: %w", err)
		}
		if _, err := tx.ExecContext(ctx, f.sql); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx,
			db.rebind("INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)"),
			f.Version, f.Name, f.SHA256, time.Now().UTC()); err != nil {
			return fmt.Errorf("record: %w", err)
		}
		ran = true
		return nil
	})
	return ran, err
}

// prepareMigrations loads this dialect's migrations and makes sure the
// table recording them exists.
func (db *DB) prepareMigrations(ctx context.Context) ([]migrationFile, error) {
	files, err := loadMigrations(db.dialect)
	if err != nil {
		return nil, err
	}
	if err := db.lockedTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, createMigrationsTable)
		return err
	}); err != nil {
		return nil, fmt.Errorf("store: create schema_migrations: %w", err)
	}
	return files, nil
}

// lockedTx runs fn in a transaction that no other migrating process runs
// at the same time. On Postgres that takes an advisory lock held until the
// transaction ends (even CREATE TABLE IF NOT EXISTS races there); SQLite's
// immediate transactions already exclude other writers.
func (db *DB) lockedTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if db.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", migrationLockID); err != nil {
				return fmt.Errorf("lock: %w", err)
			}
		}
		return fn(tx)
	})
}

func (db *DB) appliedMigrations(ctx context.Context) (map[int]Migration, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT version, name, sha256, applied_at FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("store: list applied migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]Migration{}
	for rows.Next() {
		var m Migration
		if err := rows.Scan(&m.Version, &m.Name, &m.SHA256, &m.AppliedAt); err != nil {
			return nil, fmt.Errorf("store: scan applied migration: %w", err)
		}
		out[m.Version] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list applied migrations: %w", err)
	}
	return out, nil
}
