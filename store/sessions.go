package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Session is a console login.
type Session struct {
	ID         string // sha256 of the cookie's token
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// ErrSessionEnded is returned for a session that expired, idled out, was
// revoked, or whose user was disabled: the user must log in again.
var ErrSessionEnded = errors.New("session ended")

// sessionID is how a cookie token is stored: hashed, so the table alone
// opens no sessions.
func sessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CreateSession starts a session for a user that lasts at most maxAge, and
// returns the token to put in the cookie. It records the login in the
// audit log and clears the account's failed logins.
func (db *DB) CreateSession(ctx context.Context, u User, maxAge time.Duration, ip, userAgent string) (token string, s Session, err error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", s, fmt.Errorf("store: session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	now := time.Now().UTC()
	s = Session{ID: sessionID(token), UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(maxAge)}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, ip, user_agent)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), s.ID, u.ID, now, now, s.ExpiresAt, ip, userAgent); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM login_failures WHERE email = ?`), u.Email); err != nil {
			return err
		}
		return db.writeAudit(ctx, tx, now, u.Email, "login", "user:"+u.Email, map[string]any{"ip": ip}, "")
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("store: create session for %s: %w", u.Email, err)
	}
	return token, s, nil
}

// touchEvery bounds how often a session's last-seen time is written: a
// page view is not worth a write (and an fsync) each time.
const touchEvery = time.Minute

// SessionUser returns the user of a live session, or ErrSessionEnded. A
// session idle for longer than idle has ended.
func (db *DB) SessionUser(ctx context.Context, token string, idle time.Duration) (User, Session, error) {
	id := sessionID(token)
	now := time.Now().UTC()
	var (
		s       Session
		revoked sql.NullTime
	)
	u, err := scanUserSession(db.sql.QueryRowContext(ctx, db.rebind(`SELECT u.id, u.email, u.password_hash, u.role, u.created_at, u.disabled_at,
		s.created_at, s.last_seen_at, s.expires_at, s.revoked_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`), id), &s, &revoked)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return User{}, s, ErrSessionEnded
	case err != nil:
		return User{}, s, fmt.Errorf("store: session: %w", err)
	case revoked.Valid, u.Disabled(), now.After(s.ExpiresAt), now.Sub(s.LastSeenAt) > idle:
		return User{}, s, ErrSessionEnded
	}
	s.ID, s.UserID = id, u.ID
	if now.Sub(s.LastSeenAt) > touchEvery {
		if _, err := db.sql.ExecContext(ctx, db.rebind(`UPDATE sessions SET last_seen_at = ? WHERE id = ?`), now, id); err != nil {
			return User{}, s, fmt.Errorf("store: touch session: %w", err)
		}
		s.LastSeenAt = now
	}
	return u, s, nil
}

func scanUserSession(row *sql.Row, s *Session, revoked *sql.NullTime) (User, error) {
	var (
		u        User
		disabled sql.NullTime
	)
	err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &u.CreatedAt, &disabled,
		&s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, revoked)
	if disabled.Valid {
		u.DisabledAt = &disabled.Time
	}
	return u, err
}

// EndSession revokes a session (logout), recording it in the audit log.
func (db *DB) EndSession(ctx context.Context, token, actor string) error {
	now := time.Now().UTC()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), now, sessionID(token)); err != nil {
			return err
		}
		return db.writeAudit(ctx, tx, now, actor, "logout", "user:"+actor, map[string]any{}, "")
	})
	if err != nil {
		return fmt.Errorf("store: end session: %w", err)
	}
	return nil
}

// RecordLoginFailure notes a failed login for rate limiting and the audit
// log.
func (db *DB) RecordLoginFailure(ctx context.Context, email, ip, reason string) error {
	now := time.Now().UTC()
	email = NormalizeEmail(email)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO login_failures (email, ip, at) VALUES (?, ?, ?)`), email, ip, now); err != nil {
			return err
		}
		return db.writeAudit(ctx, tx, now, email, "login.failed", "user:"+email, map[string]any{"ip": ip, "reason": reason}, "")
	})
	if err != nil {
		return fmt.Errorf("store: record login failure: %w", err)
	}
	return nil
}

// LoginFailures counts failed logins since a time, for an account and for
// an address, and returns the oldest of each window's failures so the
// caller can say when the limit lifts.
func (db *DB) LoginFailures(ctx context.Context, email, ip string, since time.Time) (byEmail, byIP int, oldest time.Time, err error) {
	since = since.UTC()
	email = NormalizeEmail(email)
	err = db.sql.QueryRowContext(ctx, db.rebind(`SELECT
		(SELECT COUNT(*) FROM login_failures WHERE email = ? AND at >= ?),
		(SELECT COUNT(*) FROM login_failures WHERE ip = ? AND at >= ?)`), email, since, ip, since).Scan(&byEmail, &byIP)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("store: login failures: %w", err)
	}
	// Not MIN(at): SQLite returns an aggregate of a timestamp as text.
	var first sql.NullTime
	err = db.sql.QueryRowContext(ctx, db.rebind(`SELECT at FROM login_failures WHERE (email = ? OR ip = ?) AND at >= ?
		ORDER BY at LIMIT 1`), email, ip, since).Scan(&first)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, 0, time.Time{}, fmt.Errorf("store: login failures: %w", err)
	}
	return byEmail, byIP, first.Time, nil
}

// Secret returns the named shared secret, creating it with generate the
// first time. Concurrent first calls from several replicas agree on one
// value: the first insert wins and everyone reads it back.
func (db *DB) Secret(ctx context.Context, name string, generate func() (string, error)) (string, error) {
	fresh, err := generate()
	if err != nil {
		return "", fmt.Errorf("store: secret %s: %w", name, err)
	}
	var value string
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`),
			name, fresh, time.Now().UTC()); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, db.rebind(`SELECT value FROM secrets WHERE name = ?`), name).Scan(&value)
	})
	if err != nil {
		return "", fmt.Errorf("store: secret %s: %w", name, err)
	}
	return value, nil
}
