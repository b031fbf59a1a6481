package main

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// runErr runs one newsintel command that should fail and returns its error.
func runErr(t *testing.T, env map[string]string, args ...string) error {
	t.Helper()
	err := run(context.Background(), args, envOf(env), nil, io.Discard, io.Discard)
	if err == nil {
		t.Fatalf("newsintel %s succeeded, want a refusal", strings.Join(args, " "))
	}
	return err
}

// seeded returns the DB_URL of a migrated database of dialect d holding
// n drill writes by writer w.
func seeded(t *testing.T, d store.Dialect, w, n int) string {
	t.Helper()
	u := storetest.URL(t, d)
	db, err := store.Open(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := drillWrite(context.Background(), db, w, i); err != nil {
			t.Fatal(err)
		}
	}
	return u
}

func TestBackupRestoreSQLiteRefusals(t *testing.T) {
	src := seeded(t, store.SQLite, 1, 12)
	srcEnv := map[string]string{"DB_URL": src}
	dir := t.TempDir()
	file := filepath.Join(dir, "ok.backup")
	mustRun(t, srcEnv, "backup", "--out", file)
	want := openDigest(t, src)

	if err := runErr(t, srcEnv, "backup"); !errors.Is(err, errUsage) {
		t.Errorf("backup without --out: %v, want a usage error", err)
	}
	if err := runErr(t, srcEnv, "backup", "--out", file); !strings.Contains(err.Error(), "exists already") {
		t.Errorf("backup over an existing file: %v", err)
	}
	missing := map[string]string{"DB_URL": "sqlite://" + filepath.Join(dir, "nothing", "here.db")}
	if err := runErr(t, missing, "backup", "--out", filepath.Join(dir, "x.backup")); !strings.Contains(err.Error(), "no database at") {
		t.Errorf("backup of a missing database: %v", err)
	}

	// A database that holds data is replaced only with --force.
	other := seeded(t, store.SQLite, 2, 5)
	otherEnv := map[string]string{"DB_URL": other}
	before := openDigest(t, other)
	err := runErr(t, otherEnv, "restore", "--from", file)
	if !errors.Is(err, errNotEmpty) || !strings.Contains(err.Error(), "--force") {
		t.Errorf("restore over data: %v, want a refusal naming --force", err)
	}
	sameDigest(t, "refused restore", openDigest(t, other), before)
	mustRun(t, otherEnv, "restore", "--from", file, "--force")
	sameDigest(t, "forced restore", openDigest(t, other), want)

	// Files that are not newsintel backups, or not whole, are refused
	// before the target is touched.
	target := map[string]string{"DB_URL": "sqlite://" + filepath.Join(t.TempDir(), "newsintel.db")}
	notSQLite := filepath.Join(dir, "notes.txt")
	mustWrite(t, notSQLite, []byte("this is not a database\n"))
	alien := filepath.Join(dir, "alien.db")
	execSQLite(t, alien, "CREATE TABLE things (id INTEGER PRIMARY KEY)")
	newer := copyFile(t, file, filepath.Join(dir, "newer.backup"))
	execSQLite(t, newer, "INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (9999, 'future', '', CURRENT_TIMESTAMP)")
	corrupt := copyFile(t, file, filepath.Join(dir, "corrupt.backup"))
	b, err := os.ReadFile(corrupt)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096 * 2; i < len(b)-4096; i++ { // keep page 1 (the header and schema root)
		b[i] ^= 0x5a
	}
	mustWrite(t, corrupt, b)
	for _, c := range []struct{ file, want string }{
		{notSQLite, "not a SQLite database"},
		{alien, "not a newsintel database"},
		{newer, "newer than this binary"},
		{corrupt, "integrity_check"},
		{filepath.Join(dir, "absent.backup"), "no such file"},
	} {
		err := runErr(t, target, "restore", "--from", c.file)
		t.Logf("%s: %v", filepath.Base(c.file), err)
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("restore from %s: %v, want %q", filepath.Base(c.file), err, c.want)
		}
	}
	if _, err := os.Stat(store.SQLitePath(target["DB_URL"])); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused restore created the target database: %v", err)
	}
}

// TestPostgresToolsMissing: without pg_dump or pg_restore on PATH the
// Postgres commands say what to install.
func TestPostgresToolsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	env := map[string]string{"DB_URL": "postgres://newsintel:secret@127.0.0.1:1/newsintel"}
	err := runErr(t, env, "backup", "--out", filepath.Join(t.TempDir(), "pg.dump"))
	if !strings.Contains(err.Error(), "pg_dump not found") || !strings.Contains(err.Error(), "postgresql-client") {
		t.Errorf("backup without pg_dump: %v", err)
	}
	f := filepath.Join(t.TempDir(), "pg.dump")
	mustWrite(t, f, []byte("PGDMP"))
	if err := runErr(t, env, "restore", "--from", f); !strings.Contains(err.Error(), "pg_restore not found") {
		t.Errorf("restore without pg_restore: %v", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestBackupRestorePostgresRefusals(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip(storetest.EnvPostgres + " not set")
	}
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	src := seeded(t, store.Postgres, 1, 12)
	env := map[string]string{"DB_URL": src}
	file := filepath.Join(t.TempDir(), "pg.backup")
	mustRun(t, env, "backup", "--out", file)
	want := openDigest(t, src)

	garbage := filepath.Join(t.TempDir(), "garbage.dump")
	mustWrite(t, garbage, []byte("not a dump"))
	if err := runErr(t, env, "restore", "--from", garbage); !strings.Contains(err.Error(), "not a pg_dump custom-format archive") {
		t.Errorf("restore from garbage: %v", err)
	}

	// More writes, then a restore over them: refused, then forced.
	db, err := store.Open(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := drillWrite(context.Background(), db, 2, i); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	changed := openDigest(t, src)
	if err := runErr(t, env, "restore", "--from", file); !errors.Is(err, errNotEmpty) {
		t.Errorf("restore over data: %v, want a refusal", err)
	}
	sameDigest(t, "refused restore", openDigest(t, src), changed)
	mustRun(t, env, "restore", "--from", file, "--force")
	sameDigest(t, "forced restore", openDigest(t, src), want)
}

func sameDigest(t *testing.T, what string, got, want []store.TableDigest) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d tables, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].Name != want[i].Name || got[i].Rows != want[i].Rows || got[i].SHA256 != want[i].SHA256 {
			t.Errorf("%s: %s has %d rows (%.12s), want %s with %d (%.12s)", what,
				got[i].Name, got[i].Rows, got[i].SHA256, want[i].Name, want[i].Rows, want[i].SHA256)
		}
	}
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, to, b)
	return to
}

// execSQLite runs one statement on a SQLite file, creating it if need be.
func execSQLite(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(stmt); err != nil {
		t.Fatal(err)
	}
}
