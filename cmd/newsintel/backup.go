package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/newsintel/newsintel/store"
)

// backupCmd is `newsintel backup --out FILE`: an online, consistent copy
// of the database at DB_URL, taken while the server keeps writing. SQLite
// is copied with its backup API; Postgres is dumped with pg_dump in its
// custom format, which pg_restore reads.
func backupCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "backup `FILE` to write; it must not exist (required)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 || *out == "" {
		fs.Usage()
		return fmt.Errorf("%w: backup needs --out FILE and takes flags only", errUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("backup: %s exists already; name a new file (backups are never overwritten)", *out)
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	start := time.Now()
	if isPostgresURL(cfg.DBURL) {
		if err := pgDump(ctx, cfg.DBURL, *out); err != nil {
			return err
		}
		version, err := pgArchiveSchemaVersion(ctx, *out)
		if err != nil {
			os.Remove(*out)
			return fmt.Errorf("backup: the dump does not verify: %w", err)
		}
		fmt.Fprintf(stdout, "backed up %s to %s (pg_dump custom format, schema version %d, %s) in %s\n",
			redactedURL(cfg.DBURL), *out, version, fileSize(*out), time.Since(start).Round(time.Millisecond))
		return nil
	}
	if _, err := os.Stat(store.SQLitePath(cfg.DBURL)); errors.Is(err, os.ErrNotExist) {
		// store.Open would create an empty database: back up nothing, loudly.
		return fmt.Errorf("backup: no database at %s (check DB_URL / DATA_DIR)", store.SQLitePath(cfg.DBURL))
	}
	db, err := store.Open(ctx, cfg.DBURL)
	if err != nil {
		return err
	}
	defer db.Close()
	info, err := db.Backup(ctx, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (schema version %d, %d tables, %d rows, %s; integrity_check ok) in %s\n",
		db, *out, info.SchemaVersion, info.Tables, info.Rows, fileSize(*out), time.Since(start).Round(time.Millisecond))
	return nil
}

func fileSize(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return "size unknown"
	}
	return fmt.Sprintf("%d bytes", st.Size())
}
