package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// TableDigest summarises one table's contents: its row count and a
// checksum that does not depend on row order, so two databases hold the
// same rows exactly when their digests match.
type TableDigest struct {
	Name   string
	Rows   int64
	SHA256 string
	// RowSums are the rows' own checksums, sorted, when asked for: a
	// drill uses them to check that one table's rows are a subset of
	// another's.
	RowSums []string
}

// Digest checksums every table of db (in its current schema, on
// Postgres), by name, reading them all in one transaction so that the
// digest is of one snapshot. It reads every row: meant for drills and
// verification, not for a hot path. keepRows fills RowSums.
func (db *DB) Digest(ctx context.Context, keepRows bool) ([]TableDigest, error) {
	var out []TableDigest
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	if db.dialect == SQLite {
		opts = nil // a SQLite transaction is a snapshot already
	}
	tx, err := db.sql.BeginTx(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("store: digest: begin: %w", err)
	}
	defer tx.Rollback() // read-only: nothing to commit
	tables, err := db.tablesIn(ctx, tx)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		d, err := digestTable(ctx, tx, t, keepRows)
		if err != nil {
			return nil, fmt.Errorf("store: digest %s: %w", t, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func digestTable(ctx context.Context, tx *sql.Tx, table string, keepRows bool) (TableDigest, error) {
	rows, err := tx.QueryContext(ctx, "SELECT * FROM "+quoteIdent(table))
	if err != nil {
		return TableDigest{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return TableDigest{}, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var sums []string
	var b strings.Builder
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return TableDigest{}, err
		}
		b.Reset()
		for i, v := range vals {
			b.WriteString(cols[i])
			b.WriteByte('=')
			b.WriteString(encodeValue(v))
			b.WriteByte(0x1f)
		}
		sum := sha256.Sum256([]byte(b.String()))
		sums = append(sums, hex.EncodeToString(sum[:]))
	}
	if err := rows.Err(); err != nil {
		return TableDigest{}, err
	}
	sort.Strings(sums)
	h := sha256.New()
	for _, s := range sums {
		h.Write([]byte(s))
	}
	d := TableDigest{Name: table, Rows: int64(len(sums)), SHA256: hex.EncodeToString(h.Sum(nil))}
	if keepRows {
		d.RowSums = sums
	}
	return d, nil
}

// encodeValue writes a scanned value with its type, so that NULL, the
// empty string and 0 differ.
func encodeValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "N"
	case []byte:
		return "B" + hex.EncodeToString(x)
	case string:
		return "S" + strconv.Quote(x)
	case time.Time:
		return "T" + x.UTC().Format(time.RFC3339Nano)
	default:
		return fmt.Sprintf("%T:%v", x, x)
	}
}

// tables lists db's tables by name.
func (db *DB) tables(ctx context.Context) ([]string, error) {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	defer tx.Rollback()
	return db.tablesIn(ctx, tx)
}

func (db *DB) tablesIn(ctx context.Context, tx *sql.Tx) ([]string, error) {
	q := "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
	if db.dialect == Postgres {
		q = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
	}
	rows, err := tx.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("store: list tables: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list tables: %w", err)
	}
	return out, nil
}

// quoteIdent quotes a table name read from the catalogue; both dialects
// take double quotes.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
