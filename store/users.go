package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
)

// Console roles. Reviewers label; analysts see trends and metrics; admins
// do everything, and manage models, users and taxonomies.
const (
	RoleReviewer = "reviewer"
	RoleAnalyst  = "analyst"
	RoleAdmin    = "admin"
)

// Roles lists the roles in the order the console shows them.
var Roles = []string{RoleReviewer, RoleAnalyst, RoleAdmin}

// User is a console user.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	Role         string
	CreatedAt    time.Time
	DisabledAt   *time.Time
}

// Disabled reports whether the user may no longer log in.
func (u User) Disabled() bool { return u.DisabledAt != nil }

// NormalizeEmail lowercases and trims an address: emails are the login
// name and must compare equal however they are typed.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidateUser checks an email and role.
func ValidateUser(email, role string) error {
	var v ValidationError
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		v = append(v, FieldIssue{"email", fmt.Sprintf("%q is not an email address", email)})
	}
	if role != RoleReviewer && role != RoleAnalyst && role != RoleAdmin {
		v = append(v, FieldIssue{"role", fmt.Sprintf("%q is not a role: use reviewer, analyst or admin", role)})
	}
	if len(v) > 0 {
		return v
	}
	return nil
}

// CreateUser adds a user; the email must be new (ErrConflict otherwise).
func (db *DB) CreateUser(ctx context.Context, email, passwordHash, role, actor string) (User, error) {
	email = NormalizeEmail(email)
	if err := ValidateUser(email, role); err != nil {
		return User{}, err
	}
	now := time.Now().UTC()
	u := User{Email: email, PasswordHash: passwordHash, Role: role, CreatedAt: now}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO users (email, password_hash, role, created_at)
			VALUES (?, ?, ?, ?) RETURNING id`), email, passwordHash, role, now).Scan(&u.ID)
		if violatesUnique(err) {
			return conflictf("a user %s exists already", email)
		}
		if err != nil {
			return err
		}
		return db.writeAudit(ctx, tx, now, actor, "user.create", "user:"+email, map[string]any{"role": role}, "")
	})
	if err != nil {
		return User{}, fmt.Errorf("store: create user %s: %w", email, err)
	}
	return u, nil
}

const userColumns = `id, email, password_hash, role, created_at, disabled_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var (
		u        User
		disabled sql.NullTime
	)
	if err := row.Scan(&u.ID, &u.Email, &u.PasswordHash, &u.Role, &u.CreatedAt, &disabled); err != nil {
		return u, err
	}
	if disabled.Valid {
		u.DisabledAt = &disabled.Time
	}
	return u, nil
}

// UserByEmail finds a user by email, or ErrNotFound.
func (db *DB) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(db.sql.QueryRowContext(ctx, db.rebind(`SELECT `+userColumns+` FROM users WHERE email = ?`), NormalizeEmail(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("store: user %s: %w", email, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("store: user %s: %w", email, err)
	}
	return u, nil
}

// Users lists every user by email.
func (db *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("store: users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	Role         *string
	PasswordHash *string
	Disabled     *bool
}

// UpdateUser applies an update. Disabling a user or changing their
// password or role ends their sessions, so the change takes effect now.
func (db *DB) UpdateUser(ctx context.Context, email string, up UserUpdate, actor string) (User, error) {
	email = NormalizeEmail(email)
	now := time.Now().UTC()
	var u User
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, db.rebind(`SELECT `+userColumns+` FROM users WHERE email = ?`), email))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		details := map[string]any{}
		if up.Role != nil {
			if err := ValidateUser(email, *up.Role); err != nil {
				return err
			}
			u.Role, details["role"] = *up.Role, *up.Role
		}
		if up.PasswordHash != nil {
			u.PasswordHash, details["password"] = *up.PasswordHash, "changed"
		}
		if up.Disabled != nil {
			u.DisabledAt, details["disabled"] = nil, *up.Disabled
			if *up.Disabled {
				u.DisabledAt = &now
			}
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE users SET role = ?, password_hash = ?, disabled_at = ? WHERE id = ?`),
			u.Role, u.PasswordHash, u.DisabledAt, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`), now, u.ID); err != nil {
			return err
		}
		return db.writeAudit(ctx, tx, now, actor, "user.update", "user:"+email, details, "")
	})
	var v ValidationError
	if errors.As(err, &v) {
		return User{}, v
	}
	if err != nil {
		return User{}, fmt.Errorf("store: update user %s: %w", email, err)
	}
	return u, nil
}
