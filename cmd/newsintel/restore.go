package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/newsintel/newsintel/store"
)

// restoreCmd is `newsintel restore --from FILE [--force]`: it checks that
// FILE is a newsintel backup this binary can use, then replaces the
// database at DB_URL with it. A database that holds anything (a server
// has run on it) is replaced only with --force.
func restoreCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "backup `FILE` written by newsintel backup (required)")
	force := fs.Bool("force", false, "replace a database that is not empty (stop the server first, or restart it after)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 || *from == "" {
		fs.Usage()
		return fmt.Errorf("%w: restore needs --from FILE and takes flags only", errUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if _, err := os.Stat(*from); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	start := time.Now()
	if isPostgresURL(cfg.DBURL) {
		return pgRestoreCmd(ctx, cfg.DBURL, *from, *force, start, stdout, stderr)
	}
	// Check the file before touching the target, so a bad backup leaves
	// even an empty target untouched.
	if _, err := store.VerifyBackup(ctx, *from); err != nil {
		return fmt.Errorf("restore: refusing %s: %w", *from, err)
	}
	db, err := store.Open(ctx, cfg.DBURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := refuseNonEmpty(ctx, db, *force); err != nil {
		return err
	}
	info, err := db.RestoreFrom(ctx, *from)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s (schema version %d, %d tables, %d rows; integrity_check ok) in %s\n",
		*from, db, info.SchemaVersion, info.Tables, info.Rows, time.Since(start).Round(time.Millisecond))
	if *force {
		fmt.Fprintln(stdout, "restart any server running on this database: it caches models and settings")
	}
	return nil
}

// errNotEmpty marks a restore refused because the target holds data.
var errNotEmpty = errors.New("database is not empty")

// refuseNonEmpty stops a restore over a database that holds data, unless
// forced: that is a running or once-run server's, and the restore would
// discard everything written since the backup.
func refuseNonEmpty(ctx context.Context, db *store.DB, force bool) error {
	empty, err := db.IsEmpty(ctx)
	if err != nil {
		return err
	}
	if !empty && !force {
		return fmt.Errorf("restore: refusing to overwrite %s: %w (a server may be using it, and everything "+
			"written since the backup would be lost); stop the server and pass --force to replace it, "+
			"or restore into a new DATA_DIR / DB_URL", db, errNotEmpty)
	}
	return nil
}
