package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// BackupInfo describes a verified SQLite backup file.
type BackupInfo struct {
	// SchemaVersion is the newest migration recorded in the backup.
	SchemaVersion int
	Tables        int
	Rows          int64
}

// Backup writes an online, consistent copy of a SQLite database to dest
// with SQLite's backup API: the copy is one read transaction, so it sees
// every commit before it and none after, and in WAL mode writers carry on
// meanwhile. The copy is written beside dest, checked and renamed into
// place, so dest is never a half-written file. Postgres is backed up with
// pg_dump instead (see cmd/newsintel).
func (db *DB) Backup(ctx context.Context, dest string) (BackupInfo, error) {
	if db.dialect != SQLite {
		return BackupInfo{}, fmt.Errorf("store: backup of %s: Postgres is backed up with pg_dump", db.redacted)
	}
	if _, err := os.Stat(dest); err == nil {
		return BackupInfo{}, fmt.Errorf("store: backup: %s exists already; name a new file", dest)
	}
	tmp := dest + ".partial"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return BackupInfo{}, fmt.Errorf("store: backup: remove stale %s: %w", tmp, err)
	}
	defer os.Remove(tmp) // a no-op once renamed
	if err := writeCopy(ctx, tmp, db.sql); err != nil {
		return BackupInfo{}, fmt.Errorf("store: backup to %s: %w", dest, err)
	}
	info, err := VerifyBackup(ctx, tmp)
	if err != nil {
		return BackupInfo{}, err
	}
	if err := syncFile(tmp); err != nil {
		return BackupInfo{}, fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		return BackupInfo{}, fmt.Errorf("store: backup: %w", err)
	}
	// The rename is durable only once the directory is synced.
	if err := syncFile(filepath.Dir(dest)); err != nil {
		return BackupInfo{}, fmt.Errorf("store: backup: %w", err)
	}
	return info, nil
}

// writeCopy copies src into a new file at path and leaves it in rollback
// journal mode, so the backup is one self-contained file.
func writeCopy(ctx context.Context, path string, src *sql.DB) error {
	dst, err := sql.Open(sqliteDriverName, "file:"+path)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := copyDatabase(ctx, dst, src); err != nil {
		return err
	}
	if _, err := dst.ExecContext(ctx, "PRAGMA journal_mode=DELETE"); err != nil {
		return fmt.Errorf("leave WAL mode: %w", err)
	}
	return dst.Close()
}

// copyDatabase replaces dst's main database with src's through the
// backup API. Copying in one step (-1) holds one read transaction on src
// for the whole copy: a consistent snapshot. A busy destination (a server
// writing to it) is waited for, within ctx.
func copyDatabase(ctx context.Context, dst, src *sql.DB) error {
	dc, err := dst.Conn(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	sc, err := src.Conn(ctx)
	if err != nil {
		return err
	}
	defer sc.Close()
	return dc.Raw(func(d any) error {
		return sc.Raw(func(s any) error {
			dconn, ok1 := d.(*sqlite3.SQLiteConn)
			sconn, ok2 := s.(*sqlite3.SQLiteConn)
			if !ok1 || !ok2 {
				return fmt.Errorf("not SQLite connections (%T, %T)", d, s)
			}
			b, err := dconn.Backup("main", sconn, "main")
			if err != nil {
				return fmt.Errorf("start backup: %w", err)
			}
			for {
				done, err := b.Step(-1)
				if err != nil {
					b.Close()
					return fmt.Errorf("copy pages: %w", err)
				}
				if done {
					break
				}
				// SQLITE_BUSY or LOCKED: another connection holds a lock.
				select {
				case <-ctx.Done():
					b.Close()
					return ctx.Err()
				case <-time.After(20 * time.Millisecond):
				}
			}
			if err := b.Finish(); err != nil {
				return fmt.Errorf("finish backup: %w", err)
			}
			return nil
		})
	})
}

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// VerifyBackup checks that path is a newsintel SQLite backup this binary
// can restore: a SQLite file that passes integrity_check and
// foreign_key_check and whose recorded migrations this binary ships (not
// a newer schema). It opens the file read-only.
func VerifyBackup(ctx context.Context, path string) (BackupInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("store: verify backup: %w", err)
	}
	head := make([]byte, len(sqliteMagic))
	_, err = io.ReadFull(f, head)
	f.Close()
	if err != nil || !bytes.Equal(head, sqliteMagic) {
		return BackupInfo{}, fmt.Errorf("store: verify backup: %s is not a SQLite database", path)
	}
	db, err := sql.Open(sqliteDriverName, "file:"+path+"?mode=ro")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("store: verify backup %s: %w", path, err)
	}
	defer db.Close()
	src := &DB{sql: db, dialect: SQLite, redacted: path}
	if err := src.checkIntegrity(ctx); err != nil {
		return BackupInfo{}, fmt.Errorf("store: verify backup %s: %w", path, err)
	}
	version, err := src.checkSchemaVersion(ctx)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("store: verify backup %s: %w", path, err)
	}
	digest, err := src.Digest(ctx, false)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("store: verify backup %s: %w", path, err)
	}
	info := BackupInfo{SchemaVersion: version, Tables: len(digest)}
	for _, t := range digest {
		info.Rows += t.Rows
	}
	return info, nil
}

// checkIntegrity runs SQLite's own consistency checks: every page and
// index sound, every foreign key satisfied.
func (db *DB) checkIntegrity(ctx context.Context) error {
	var res string
	if err := db.sql.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return fmt.Errorf("integrity_check: %w", err)
	}
	if res != "ok" {
		return fmt.Errorf("integrity_check failed: %s", res)
	}
	rows, err := db.sql.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign_key_check: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fkid int
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("foreign_key_check: %w", err)
		}
		return fmt.Errorf("foreign_key_check failed: %s row %d references a missing %s row", table, rowid.Int64, parent)
	}
	return rows.Err()
}

// checkSchemaVersion returns the newest migration db records, refusing a
// database without newsintel's migrations or with ones this binary does
// not ship (a newer release's).
func (db *DB) checkSchemaVersion(ctx context.Context) (int, error) {
	rows, err := db.sql.QueryContext(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return 0, fmt.Errorf("not a newsintel database (no schema_migrations table): %w", err)
	}
	defer rows.Close()
	var versions []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return 0, fmt.Errorf("read schema_migrations: %w", err)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("read schema_migrations: %w", err)
	}
	return CheckSchemaVersions(db.dialect, versions)
}

// CheckSchemaVersions returns the newest of the migration versions a
// backup records, or an error if it records none or any this binary does
// not ship for dialect d.
func CheckSchemaVersions(d Dialect, versions []int) (int, error) {
	files, err := loadMigrations(d)
	if err != nil {
		return 0, err
	}
	known := map[int]bool{}
	newest := 0
	for _, f := range files {
		known[f.Version] = true
		newest = max(newest, f.Version)
	}
	if len(versions) == 0 {
		return 0, errors.New("not a newsintel database: no migrations recorded")
	}
	version := 0
	for _, v := range versions {
		if !known[v] {
			return 0, fmt.Errorf("schema version %d is newer than this binary's (%d): restore it with the release that made it", v, newest)
		}
		version = max(version, v)
	}
	return version, nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", path, err)
	}
	return nil
}
