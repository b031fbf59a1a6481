package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ProgressQuery asks how one reviewer's work stands.
type ProgressQuery struct {
	Reviewer string
	// Since starts the reviewer's day (the console passes UTC midnight).
	Since time.Time
	// Topic, Reason and Source narrow the open-items count as the
	// reviewer's claims are narrowed, and Query as search narrows them.
	Topic, Reason, Source, Query string
}

// ReviewProgress is what a reviewer's workspace shows beside the item.
type ReviewProgress struct {
	// LabeledSince counts the reviewer's labels (and adjudications) since
	// the query's Since, undone ones aside.
	LabeledSince int
	// Open counts review-stage items still open (pending, or claimed by
	// anyone) that match the filters.
	Open int
	// Held counts the review-stage items the reviewer holds under a live
	// lease, whatever the filters: the console takes a reviewer who holds
	// any to be reviewing.
	Held int
	// LastAction is the reviewer's latest action not undone; nil if none.
	LastAction *LastAction
	// Topics, Reasons and Sources are the values found among open review
	// items, sorted: the choices of the workspace's filters.
	Topics, Reasons, Sources []string
}

// LastAction is a reviewer's latest action, the one an undo takes back.
type LastAction struct {
	ItemID int64
	Title  string
	Action string // "label", "skip" or "adjudicate"
	Label  string // empty for a skip
	// NoneOfThese marks a skip that said no label fits.
	NoneOfThese bool
	At          time.Time
}

// ReviewProgress reads a reviewer's progress figures in one transaction.
func (db *DB) ReviewProgress(ctx context.Context, q ProgressQuery) (ReviewProgress, error) {
	if strings.TrimSpace(q.Reviewer) == "" {
		return ReviewProgress{}, ValidationError{{"reviewer", "required"}}
	}
	var p ReviewProgress
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM review_actions
			WHERE reviewer = ? AND action IN ('label', 'adjudicate') AND undone_at IS NULL AND created_at >= ?`),
			q.Reviewer, q.Since.UTC()).Scan(&p.LabeledSince); err != nil {
			return fmt.Errorf("labeled since: %w", err)
		}
		narrow, args := ClaimRequest{Topic: q.Topic, Reason: q.Reason, Source: q.Source, Query: q.Query}.narrowing()
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM review_items ri
			WHERE ri.state IN ('pending', 'claimed') AND ri.stage = 'review'`+narrow), args...).Scan(&p.Open); err != nil {
			return fmt.Errorf("open items: %w", err)
		}
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM review_items
			WHERE state = 'claimed' AND claimed_by = ? AND lease_expires_at >= ? AND stage = 'review'`),
			q.Reviewer, time.Now().UTC()).Scan(&p.Held); err != nil {
			return fmt.Errorf("held items: %w", err)
		}
		var (
			last  LastAction
			label sql.NullString
		)
		err := tx.QueryRowContext(ctx, db.rebind(`SELECT ra.review_item_id, a.title, ra.action, l.label, ra.none_of_these, ra.created_at
			FROM review_actions ra JOIN review_items ri ON ri.id = ra.review_item_id JOIN articles a ON a.id = ri.article_id
			LEFT JOIN labels l ON l.id = ra.label_id
			WHERE ra.reviewer = ? AND ra.undone_at IS NULL ORDER BY ra.id DESC LIMIT 1`), q.Reviewer).
			Scan(&last.ItemID, &last.Title, &last.Action, &label, &last.NoneOfThese, &last.At)
		switch {
		case err == nil:
			last.Label = label.String
			p.LastAction = &last
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("last action: %w", err)
		}
		for _, f := range []struct {
			name  string
			query string
			dst   *[]string
		}{
			// Topics and sources come from the trends rollup: every value
			// the queue can hold, without joining thousands of open items
			// to their predictions and articles on each page view.
			{"topics", distinctTrendValues("label"), &p.Topics},
			{"reasons", `SELECT DISTINCT ri.reason FROM review_items ri
				WHERE ri.state IN ('pending', 'claimed') AND ri.stage = 'review' ORDER BY 1`, &p.Reasons},
			{"sources", distinctTrendValues("source"), &p.Sources},
		} {
			if err := db.queryStrings(ctx, tx, f.query, f.dst); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return ReviewProgress{}, fmt.Errorf("store: review progress of %s: %w", q.Reviewer, err)
	}
	return p, nil
}

func (db *DB) queryStrings(ctx context.Context, tx *sql.Tx, query string, dst *[]string) error {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*dst = append(*dst, s)
	}
	return rows.Err()
}

// GivenLabel is one reviewer's standing label on an item.
type GivenLabel struct {
	Reviewer string
	Label    string
	At       time.Time
}

// ReviewItemLabels returns the labels reviewers have given each item
// (undone ones aside), oldest first: what an adjudicator weighs.
func (db *DB) ReviewItemLabels(ctx context.Context, ids []int64) (map[int64][]GivenLabel, error) {
	out := map[int64][]GivenLabel{}
	if len(ids) == 0 {
		return out, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT ra.review_item_id, ra.reviewer, l.label, ra.created_at
		FROM review_actions ra JOIN labels l ON l.id = ra.label_id
		WHERE ra.review_item_id IN (`+marks+`) AND ra.action = 'label' AND ra.undone_at IS NULL
		ORDER BY ra.review_item_id, ra.id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: review item labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			g  GivenLabel
		)
		if err := rows.Scan(&id, &g.Reviewer, &g.Label, &g.At); err != nil {
			return nil, fmt.Errorf("store: review item labels: %w", err)
		}
		out[id] = append(out[id], g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: review item labels: %w", err)
	}
	return out, nil
}
