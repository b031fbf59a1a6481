package store

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// violatesUnique reports whether err is a unique-constraint violation in
// either dialect: the schema's partial unique indexes turn races (two
// open review items for one article, a reused idempotency key, a second
// running fine-tune) into such errors, and callers answer them as
// conflicts.
func violatesUnique(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var liteErr sqlite3.Error
	if errors.As(err, &liteErr) {
		return liteErr.ExtendedCode == sqlite3.ErrConstraintUnique || liteErr.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}

// Conflict is an ErrConflict with a reason the client can act on ("you
// labeled it already; undo that first"); the web layer shows the reason.
type Conflict struct{ Reason string }

func (c *Conflict) Error() string { return "conflict: " + c.Reason }

// Is makes errors.Is(err, ErrConflict) hold for every Conflict.
func (c *Conflict) Is(target error) bool { return target == ErrConflict }

func conflictf(format string, args ...any) error {
	return &Conflict{Reason: fmt.Sprintf(format, args...)}
}
