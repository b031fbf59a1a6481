package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ReviewerProgress is how one reviewer's work stands, for admins.
type ReviewerProgress struct {
	Reviewer string
	// Labeled counts labels and adjudications since the query's start,
	// undone ones aside; Skipped counts skips, NoneOfThese those skips
	// that said no label fits.
	Labeled, Skipped, NoneOfThese int
	// Held counts the items they hold under a live lease now.
	Held int
	// LastAt is their latest action since the start; zero if none.
	LastAt time.Time
}

// ReviewersProgress lists every reviewer who acted since the given time
// or holds items now, most labels first, then by name.
func (db *DB) ReviewersProgress(ctx context.Context, since time.Time) ([]ReviewerProgress, error) {
	by := map[string]*ReviewerProgress{}
	get := func(r string) *ReviewerProgress {
		if by[r] == nil {
			by[r] = &ReviewerProgress{Reviewer: r}
		}
		return by[r]
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		// Rows rather than GROUP BY: SQLite hands MAX of a timestamp back
		// as text, and a day's actions are few.
		rows, err := tx.QueryContext(ctx, db.rebind(`SELECT reviewer, action, none_of_these, created_at
			FROM review_actions WHERE undone_at IS NULL AND created_at >= ?`), since.UTC())
		if err != nil {
			return fmt.Errorf("actions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				r, action string
				none      bool
				at        time.Time
			)
			if err := rows.Scan(&r, &action, &none, &at); err != nil {
				return fmt.Errorf("actions: %w", err)
			}
			p := get(r)
			switch {
			case action == "skip" && none:
				p.Skipped++
				p.NoneOfThese++
			case action == "skip":
				p.Skipped++
			default:
				p.Labeled++
			}
			if at.After(p.LastAt) {
				p.LastAt = at
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("actions: %w", err)
		}
		held, err := tx.QueryContext(ctx, db.rebind(`SELECT claimed_by, COUNT(*) FROM review_items
			WHERE state = 'claimed' AND lease_expires_at >= ? GROUP BY claimed_by`), time.Now().UTC())
		if err != nil {
			return fmt.Errorf("held: %w", err)
		}
		defer held.Close()
		for held.Next() {
			var (
				r string
				n int
			)
			if err := held.Scan(&r, &n); err != nil {
				return fmt.Errorf("held: %w", err)
			}
			get(r).Held = n
		}
		return held.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: reviewers' progress: %w", err)
	}
	out := make([]ReviewerProgress, 0, len(by))
	for _, p := range by {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b ReviewerProgress) int {
		if a.Labeled != b.Labeled {
			return b.Labeled - a.Labeled
		}
		return strings.Compare(a.Reviewer, b.Reviewer)
	})
	return out, nil
}
