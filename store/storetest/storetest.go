// Package storetest opens throwaway, migrated databases for tests: a temp
// SQLite file always, and a fresh Postgres schema when TEST_DATABASE_URL is
// set, so that the same test runs on both dialects.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/newsintel/newsintel/store"
)

// EnvPostgres names the variable holding the Postgres URL tests use.
const EnvPostgres = "TEST_DATABASE_URL"

// Run runs fn as a subtest once per available dialect, each with its own
// freshly migrated database.
func Run(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			fn(t, Open(t, d))
		})
	}
}

// Dialects lists the dialects this test run covers.
func Dialects() []store.Dialect {
	if os.Getenv(EnvPostgres) == "" {
		return []store.Dialect{store.SQLite}
	}
	return []store.Dialect{store.SQLite, store.Postgres}
}

// Open returns a migrated database of dialect d, removed when t ends.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), URL(t, d))
	if err != nil {
		t.Fatalf("storetest: open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("storetest: migrate %s: %v", d, err)
	}
	return db
}

// URL returns a DB_URL for an empty database of dialect d, removed when t
// ends. For Postgres that is a new schema in TEST_DATABASE_URL's database,
// selected through search_path, so reruns and parallel packages never meet.
func URL(t testing.TB, d store.Dialect) string {
	t.Helper()
	if d == store.SQLite {
		return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Fatalf("storetest: %s is not set", EnvPostgres)
	}
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatalf("storetest: parse %s: %v", EnvPostgres, err)
	}
	admin := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { admin.Close() })
	schema := "test_" + randomHex(t, 8)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("storetest: cannot use Postgres at %s (is it running?): %v", EnvPostgres, err)
	}
	t.Cleanup(func() { dropSchema(t, admin, schema) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("storetest: parse %s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func dropSchema(t testing.TB, admin *sql.DB, schema string) {
	if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("storetest: drop schema %s: %v", schema, err)
	}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
