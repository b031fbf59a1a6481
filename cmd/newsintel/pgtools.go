package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/newsintel/newsintel/store"
)

// Postgres is backed up and restored with PostgreSQL's own tools, pg_dump
// and pg_restore, in pg_dump's custom format: a dump runs in one
// repeatable-read transaction, so it is a consistent snapshot taken while
// the server keeps writing.

func isPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// redactedURL drops the password from a database URL, for messages.
func redactedURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable DB_URL)"
	}
	return u.Redacted()
}

// libpqTarget turns DB_URL into what the libpq tools take: a connection URI
// without the password (passed in PGPASSWORD, out of the process list) and
// without search_path, which pgx accepts in the URL but libpq does not; a
// search_path names the one schema to dump.
func libpqTarget(dbURL string) (conn, schema string, env []string, err error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", "", nil, fmt.Errorf("DB_URL %s: not a URL", redactedURL(dbURL))
	}
	q := u.Query()
	schema = q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	env = os.Environ()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	if strings.Contains(schema, ",") {
		return "", "", nil, fmt.Errorf("DB_URL %s: search_path lists several schemas; name the one newsintel uses", redactedURL(dbURL))
	}
	return u.String(), schema, env, nil
}

// pgTool finds one of PostgreSQL's client programs, or says how to get it.
func pgTool(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s not found on PATH: Postgres is backed up and restored with PostgreSQL's client tools; "+
			"install them, at the server's major version or newer (Debian/Ubuntu: apt-get install postgresql-client), "+
			"or run this command where they are", name)
	}
	return p, nil
}

// runPgTool runs a PostgreSQL client program, returning its output and,
// on failure, an error that carries what it printed.
func runPgTool(ctx context.Context, name string, args []string, env []string) ([]byte, error) {
	path, err := pgTool(name)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// pgDump dumps DB_URL's database (only its schema, when the URL names one
// in search_path) into out, written beside it and renamed when complete.
func pgDump(ctx context.Context, dbURL, out string) error {
	conn, schema, env, err := libpqTarget(dbURL)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// The dump is verified with pg_restore: both tools are needed.
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := pgTool(tool); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	tmp := out + ".partial"
	defer os.Remove(tmp)
	args := []string{"--format=custom", "--file=" + tmp, "--dbname=" + conn}
	if schema != "" {
		args = append(args, "--schema="+schema)
	}
	if _, err := runPgTool(ctx, "pg_dump", args, env); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// pgArchiveSchemaVersion checks that file is a pg_dump archive of a
// newsintel database this binary can restore, and returns its schema
// version: pg_restore reads the archive's table of contents and the
// schema_migrations rows without touching any database.
func pgArchiveSchemaVersion(ctx context.Context, file string) (int, error) {
	env := os.Environ()
	toc, err := runPgTool(ctx, "pg_restore", []string{"--list", file}, env)
	if err != nil {
		return 0, fmt.Errorf("not a pg_dump custom-format archive: %w", err)
	}
	if !bytes.Contains(toc, []byte("TABLE DATA")) || !bytes.Contains(toc, []byte(" schema_migrations ")) {
		return 0, errors.New("not a newsintel backup: the archive has no schema_migrations table")
	}
	data, err := runPgTool(ctx, "pg_restore", []string{"--data-only", "--table=schema_migrations", "--file=-", file}, env)
	if err != nil {
		return 0, err
	}
	versions, err := copyVersions(data)
	if err != nil {
		return 0, err
	}
	return store.CheckSchemaVersions(store.Postgres, versions)
}

// copyVersions reads the first column of the schema_migrations COPY block
// in a pg_restore script.
func copyVersions(script []byte) ([]int, error) {
	var versions []int
	in := false
	sc := bufio.NewScanner(bytes.NewReader(script))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "COPY ") && strings.Contains(line, "schema_migrations"):
			in = true
		case in && line == `\.`:
			return versions, nil
		case in:
			first, _, _ := strings.Cut(line, "\t")
			v, err := strconv.Atoi(first)
			if err != nil {
				return nil, fmt.Errorf("schema_migrations row %q: %w", line, err)
			}
			versions = append(versions, v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("not a newsintel backup: no schema_migrations rows in the archive")
}

// pgRestoreCmd is restore for Postgres: it verifies the archive, refuses
// a database that holds data unless forced, and runs pg_restore in one
// transaction, so a failed restore changes nothing. Forced, the archive's
// objects are dropped and re-created (--clean --if-exists).
func pgRestoreCmd(ctx context.Context, dbURL, from string, force bool, start time.Time, stdout, stderr io.Writer) error {
	if _, err := pgTool("pg_restore"); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	version, err := pgArchiveSchemaVersion(ctx, from)
	if err != nil {
		return fmt.Errorf("restore: refusing %s: %w", from, err)
	}
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	err = refuseNonEmpty(ctx, db, force)
	db.Close()
	if err != nil {
		return err
	}
	conn, _, env, err := libpqTarget(dbURL)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	args := []string{"--dbname=" + conn, "--no-owner", "--exit-on-error", "--single-transaction"}
	if force {
		args = append(args, "--clean", "--if-exists")
	}
	if _, err := runPgTool(ctx, "pg_restore", append(args, from), env); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s into %s (pg_restore, schema version %d) in %s\n",
		from, redactedURL(dbURL), version, time.Since(start).Round(time.Millisecond))
	if force {
		fmt.Fprintln(stdout, "restart any server running on this database: it caches models and settings")
	}
	return nil
}
