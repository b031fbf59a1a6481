package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LeaseExpired is the conflict of a label sent after the reviewer's claim
// on the item ran out: the item went back to the queue when it did, and
// another reviewer may have taken it up since, so the label must not
// count. Claiming the item again lifts it.
type LeaseExpired struct {
	ItemID    int64
	ExpiredAt time.Time
}

func (e *LeaseExpired) Error() string {
	return fmt.Sprintf("conflict: your claim on item %d ran out at %s", e.ItemID, e.ExpiredAt.UTC().Format("15:04:05 UTC"))
}

// Unwrap makes it a Conflict with its reason, so every caller that
// answers conflicts (409, the reason shown) answers this one.
func (e *LeaseExpired) Unwrap() error { return &Conflict{Reason: e.Reason()} }

// Reason is the conflict as the API and the console tell it.
func (e *LeaseExpired) Reason() string {
	return fmt.Sprintf("your claim on item %d ran out at %s and the item went back to the queue, so this label was not saved; claim the item again to label it",
		e.ItemID, e.ExpiredAt.UTC().Format("15:04:05 UTC"))
}

// recordLease notes the reviewer's claim on an item until expires.
func (db *DB) recordLease(ctx context.Context, tx *sql.Tx, itemID int64, reviewer string, expires time.Time) error {
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO review_leases (review_item_id, reviewer, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (review_item_id, reviewer) DO UPDATE SET expires_at = excluded.expires_at`), itemID, reviewer, expires); err != nil {
		return fmt.Errorf("review item %d: record lease: %w", itemID, err)
	}
	return nil
}

// dropLease forgets the reviewer's claim on an item once they have acted
// on it.
func (db *DB) dropLease(ctx context.Context, tx *sql.Tx, itemID int64, reviewer string) error {
	if _, err := tx.ExecContext(ctx, db.rebind(`DELETE FROM review_leases WHERE review_item_id = ? AND reviewer = ?`), itemID, reviewer); err != nil {
		return fmt.Errorf("review item %d: drop lease: %w", itemID, err)
	}
	return nil
}

// checkLease refuses the reviewer's action on an item they claimed once
// and whose lease has run out since, unless they hold it again or were
// shown the item afresh after it ran out (seen, when not zero). A
// reviewer who never claimed the item (bulk mode labels pending items
// unclaimed) passes.
func (db *DB) checkLease(ctx context.Context, tx *sql.Tx, s itemState, reviewer string, now, seen time.Time) error {
	lapsed := func(expires time.Time) bool {
		return expires.Before(now) && (seen.IsZero() || !seen.After(expires))
	}
	if s.state == StateClaimed && s.claimedBy == reviewer {
		if s.lease.Valid && lapsed(s.lease.Time) {
			return &LeaseExpired{ItemID: s.id, ExpiredAt: s.lease.Time}
		}
		return nil
	}
	var expires time.Time
	err := tx.QueryRowContext(ctx, db.rebind(`SELECT expires_at FROM review_leases WHERE review_item_id = ? AND reviewer = ?`),
		s.id, reviewer).Scan(&expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("review item %d: lease: %w", s.id, err)
	case lapsed(expires):
		return &LeaseExpired{ItemID: s.id, ExpiredAt: expires}
	}
	return nil
}
