// Package store is newsintel's persistence layer: hand-written SQL over
// database/sql, for SQLite (the default) and Postgres (production).
//
// Every exported method that touches more than one row runs in exactly one
// transaction, so a failed call leaves nothing half-written.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	// The driver registers itself as "sqlite3"; database/sql has no other way in.
	_ "github.com/mattn/go-sqlite3"
)

// Dialect names the SQL dialect a DB speaks.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Errors callers branch on. Methods wrap them with context, so compare with
// errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// DB is an open database of either dialect.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	// redacted is the URL with any password removed, safe for logs.
	redacted string
	// group batches RecordClassifications into shared commits; nil on
	// the short-lived handles that never record (see backup.go).
	group *groupCommit
}

// Open opens the database named by rawURL: "postgres://…" or
// "postgresql://…" selects Postgres; "sqlite://PATH", "file:PATH" or a plain
// file path selects SQLite. The SQLite file's directory is created if
// missing. Open checks the connection before returning.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch {
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		db, err = openPostgres(rawURL)
	default:
		db, err = openSQLite(rawURL)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("store: connect to %s: %w", db.redacted, err)
	}
	db.group = newGroupCommit(db)
	return db, nil
}

func openPostgres(rawURL string) (*DB, error) {
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		// pgx errors can echo the URL, password included.
		return nil, fmt.Errorf("store: parse postgres URL %s: invalid connection string", redactURL(rawURL))
	}
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(10)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{sql: sqlDB, dialect: Postgres, redacted: redactURL(rawURL)}, nil
}

// SQLitePath returns the file path a SQLite DB_URL points at.
func SQLitePath(rawURL string) string {
	p := strings.TrimPrefix(rawURL, "sqlite://")
	p = strings.TrimPrefix(p, "sqlite:")
	p = strings.TrimPrefix(p, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

func openSQLite(rawURL string) (*DB, error) {
	path := SQLitePath(rawURL)
	if path == "" {
		return nil, fmt.Errorf("store: sqlite URL %q names no file", rawURL)
	}
	if path == ":memory:" {
		return nil, fmt.Errorf("store: in-memory SQLite is not supported: each pooled connection would see its own empty database")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
	}
	// Pragmas go in the DSN so that every pooled connection gets them, not
	// just the first one:
	//   - journal_mode=WAL: readers never block the writer and vice versa,
	//     which the API (many readers, one writer at a time) depends on.
	//   - synchronous=FULL: in WAL mode NORMAL can lose the last commits on
	//     power loss. We promise that nothing acknowledged is lost, so every
	//     commit is fsynced; at our write rates the cost is small.
	//   - foreign_keys=on: SQLite leaves them off by default; the schema
	//     relies on them exactly as Postgres enforces them.
	//   - busy_timeout=5000: a writer waits up to 5 s for the lock instead of
	//     failing at once with SQLITE_BUSY.
	//   - _txlock=immediate: BEGIN takes the write lock up front. A deferred
	//     transaction that reads then writes can fail to upgrade its lock
	//     with SQLITE_BUSY regardless of busy_timeout; immediate ones queue.
	//   - _stmt_cache_size=64: keep prepared statements per connection.
	//     Preparing took a fifth of the CPU of a classify request's
	//     database work; we run the same few dozen statements all day.
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", "5000")
	q.Set("_txlock", "immediate")
	q.Set("_stmt_cache_size", "64")
	dsn := "file:" + path + "?" + q.Encode()
	sqlDB, err := sql.Open(sqliteDriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	// database/sql keeps 2 idle connections by default; under concurrent
	// requests the rest were closed and reopened, each reopen running the
	// DSN's pragmas again (seen in the serving profile).
	sqlDB.SetMaxIdleConns(16)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{sql: sqlDB, dialect: SQLite, redacted: path}, nil
}

// sqliteDriverName is the name mattn/go-sqlite3 registers itself under.
const sqliteDriverName = "sqlite3"

// Close closes the database.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
	}
	if err := db.sql.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Dialect reports which SQL dialect db speaks.
func (db *DB) Dialect() Dialect { return db.dialect }

// String names the database without secrets, for logs.
func (db *DB) String() string { return string(db.dialect) + " " + db.redacted }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// rebind rewrites the ? placeholders that all our queries use into the
// dialect's own form. Queries are written once, with ?, and never contain a
// literal question mark.
func (db *DB) rebind(query string) string {
	if db.dialect != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// inTx runs fn in one transaction, committing if fn returns nil.
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback() // the original error matters more than a rollback failure
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// redactURL drops the password from a database URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}
