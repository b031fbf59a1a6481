package store

import (
	"context"
	"database/sql"
	"fmt"
)

// RestoreFrom replaces db's contents with the SQLite backup at path, after
// VerifyBackup accepts it. The copy goes through the backup API into db's
// own connection, under SQLite's locks, so a server that has the database
// open sees either the old contents or the restored ones, never a mix; it
// should still be restarted, as it caches some rows (models, settings).
// Callers decide whether db may be overwritten (see IsEmpty).
func (db *DB) RestoreFrom(ctx context.Context, path string) (BackupInfo, error) {
	if db.dialect != SQLite {
		return BackupInfo{}, fmt.Errorf("store: restore into %s: Postgres is restored with pg_restore", db.redacted)
	}
	info, err := VerifyBackup(ctx, path)
	if err != nil {
		return BackupInfo{}, err
	}
	src, err := sql.Open(sqliteDriverName, "file:"+path+"?mode=ro")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("store: restore from %s: %w", path, err)
	}
	defer src.Close()
	if err := copyDatabase(ctx, db.sql, src); err != nil {
		return BackupInfo{}, fmt.Errorf("store: restore from %s into %s: %w", path, db.redacted, err)
	}
	if err := db.checkIntegrity(ctx); err != nil {
		return BackupInfo{}, fmt.Errorf("store: restored %s: %w", db.redacted, err)
	}
	return info, nil
}

// IsEmpty reports whether no table of db (in its current schema, on
// Postgres) holds a row. A database any server has started on is not
// empty: it has at least its migrations and the built-in model recorded.
func (db *DB) IsEmpty(ctx context.Context) (bool, error) {
	tables, err := db.tables(ctx)
	if err != nil {
		return false, err
	}
	for _, t := range tables {
		var one int
		err := db.sql.QueryRowContext(ctx, "SELECT 1 FROM "+quoteIdent(t)+" LIMIT 1").Scan(&one)
		switch {
		case err == nil:
			return false, nil
		case err != sql.ErrNoRows:
			return false, fmt.Errorf("store: read %s: %w", t, err)
		}
	}
	return true, nil
}
