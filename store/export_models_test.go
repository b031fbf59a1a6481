package store

import (
	"context"
	"encoding/json"
)

// QueryInt runs a query with ? placeholders that returns one integer, for
// tests that insert rows the public API does not write and need their id.
func (db *DB) QueryInt(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := db.sql.QueryRowContext(ctx, db.rebind(query), args...).Scan(&n)
	return n, err
}

// AuditEntry is one audit_log row as the model tests read it.
type AuditEntry struct {
	Actor, Action, Target, RequestID string
	Details                          map[string]any
}

// LastAudit returns the newest audit_log row of action, its details
// decoded (JSONB on Postgres, text on SQLite: both cast to text).
func (db *DB) LastAudit(ctx context.Context, action string) (AuditEntry, error) {
	var (
		e   AuditEntry
		raw string
	)
	err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT actor, action, target, request_id, CAST(details AS TEXT)
		FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1`), action).Scan(&e.Actor, &e.Action, &e.Target, &e.RequestID, &raw)
	if err != nil {
		return e, err
	}
	return e, json.Unmarshal([]byte(raw), &e.Details)
}
