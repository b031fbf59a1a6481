package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxSkips is how many reviewers may skip an item before it leaves the
// queue as skipped: an item nobody can decide needs an admin's look, not
// an endless round trip.
const MaxSkips = 3

// ActionRequest names a reviewer acting on one item.
type ActionRequest struct {
	ItemID    int64
	Reviewer  string
	RequestID string
	// Lease is how long an undone item stays with the reviewer.
	Lease time.Duration
	// Window bounds how old an action Undo may take back.
	Window time.Duration
	// NoneOfThese marks a skip as the reviewer's verdict that none of
	// the item's labels fits; Note is their reason (optional).
	NoneOfThese bool
	Note        string
}

// ActionOutcome is the item's state after a skip or undo.
type ActionOutcome struct {
	ItemID int64
	State  string
	Stage  string
	// Undone names the action an undo took back: "label", "skip" or
	// "adjudicate".
	Undone string
}

func (r ActionRequest) validate() error {
	var v ValidationError
	if strings.TrimSpace(r.Reviewer) == "" {
		v = append(v, FieldIssue{"reviewer", "required"})
	}
	if len(r.Note) > maxNote {
		v = append(v, FieldIssue{"note", fmt.Sprintf("at most %d bytes", maxNote)})
	}
	if len(v) > 0 {
		return v
	}
	return nil
}

// SkipReviewItem passes an item on: it returns to the queue for other
// reviewers (never again to this one), or leaves it after MaxSkips skips.
// A skip with NoneOfThese records that no label fits, and why (Note), in
// the action and the audit log.
func (db *DB) SkipReviewItem(ctx context.Context, req ActionRequest) (ActionOutcome, error) {
	if err := req.validate(); err != nil {
		return ActionOutcome{}, err
	}
	now := time.Now().UTC()
	o := ActionOutcome{ItemID: req.ItemID, State: StatePending}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		s, err := db.loadItem(ctx, tx, req.ItemID)
		if err != nil {
			return err
		}
		if err := s.available(req.Reviewer, now); err != nil {
			return fmt.Errorf("review item %d: %w", req.ItemID, err)
		}
		if err := db.insertAction(ctx, tx, req.ItemID, req.Reviewer, "skip", 0, s, req.RequestID, now, actionNote{req.NoneOfThese, req.Note}); err != nil {
			return err
		}
		if err := db.dropLease(ctx, tx, req.ItemID, req.Reviewer); err != nil {
			return err
		}
		if s.skipCount+1 >= MaxSkips {
			o.State = StateSkipped
		}
		o.Stage = s.stage
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE review_items SET state = ?, skip_count = skip_count + 1,
			claimed_by = NULL, lease_expires_at = NULL, updated_at = ? WHERE id = ?`), o.State, now, req.ItemID); err != nil {
			return fmt.Errorf("review item %d: skip: %w", req.ItemID, err)
		}
		details := map[string]any{"state": o.State}
		if req.NoneOfThese {
			details["none_of_these"], details["reason"] = true, req.Note
		}
		return db.writeAudit(ctx, tx, now, req.Reviewer, "review.skip", fmt.Sprintf("review_item:%d", req.ItemID), details, req.RequestID)
	})
	if err != nil {
		return ActionOutcome{}, fmt.Errorf("store: skip by %s: %w", req.Reviewer, err)
	}
	return o, nil
}

// UndoReviewAction takes back the reviewer's last action on an item, if it
// is younger than the window and nobody has acted on the item since. An
// undone label is kept, marked retracted, and never trains a model; the
// item returns to the reviewer under a fresh lease, to decide again.
func (db *DB) UndoReviewAction(ctx context.Context, req ActionRequest) (ActionOutcome, error) {
	out, err := db.UndoReviewActions(ctx, []ActionRequest{req})
	if err != nil {
		return ActionOutcome{}, err
	}
	return out[0], nil
}

// UndoReviewActions undoes the reviewer's last action on each of several
// items (a bulk label taken back), all or none, as UndoReviewAction does
// on one.
func (db *DB) UndoReviewActions(ctx context.Context, reqs []ActionRequest) ([]ActionOutcome, error) {
	if len(reqs) == 0 || len(reqs) > MaxBulkLabels {
		return nil, ValidationError{{"items", fmt.Sprintf("between 1 and %d items, got %d", MaxBulkLabels, len(reqs))}}
	}
	for _, req := range reqs {
		if err := req.validate(); err != nil {
			return nil, err
		}
	}
	now := time.Now().UTC()
	out := make([]ActionOutcome, len(reqs))
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for i, req := range reqs {
			o, err := db.undoOne(ctx, tx, req, now)
			if err != nil {
				return err
			}
			out[i] = o
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: undo by %s: %w", reqs[0].Reviewer, err)
	}
	return out, nil
}

func (db *DB) undoOne(ctx context.Context, tx *sql.Tx, req ActionRequest, now time.Time) (ActionOutcome, error) {
	o := ActionOutcome{ItemID: req.ItemID, State: StateClaimed}
	s, err := db.loadItem(ctx, tx, req.ItemID)
	if err != nil {
		return o, err
	}
	var (
		actionID  int64
		labelID   sql.NullInt64
		prevStage string
		at        time.Time
	)
	err = tx.QueryRowContext(ctx, db.rebind(`SELECT id, action, label_id, prev_stage, created_at FROM review_actions
		WHERE review_item_id = ? AND reviewer = ? AND undone_at IS NULL ORDER BY id DESC LIMIT 1`),
		req.ItemID, req.Reviewer).Scan(&actionID, &o.Undone, &labelID, &prevStage, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("review item %d: %w", req.ItemID, conflictf("you have nothing to undo on item %d", req.ItemID))
	}
	if err != nil {
		return o, fmt.Errorf("review item %d: last action: %w", req.ItemID, err)
	}
	if now.Sub(at) > req.Window {
		return o, fmt.Errorf("review item %d: %w", req.ItemID,
			conflictf("your last action on item %d was at %s, outside the %s undo window", req.ItemID, humanTime(at, now), humanDuration(req.Window)))
	}
	var later int
	if err := tx.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM review_actions
		WHERE review_item_id = ? AND id > ? AND undone_at IS NULL`), req.ItemID, actionID).Scan(&later); err != nil {
		return o, fmt.Errorf("review item %d: later actions: %w", req.ItemID, err)
	}
	if later > 0 || (s.state == StateClaimed && s.claimedBy != req.Reviewer && !s.lease.Time.Before(now)) {
		return o, fmt.Errorf("review item %d: %w", req.ItemID, conflictf("another reviewer has taken item %d up since", req.ItemID))
	}

	if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE review_actions SET undone_at = ? WHERE id = ?`), now, actionID); err != nil {
		return o, fmt.Errorf("review item %d: undo: %w", req.ItemID, err)
	}
	if labelID.Valid {
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE labels SET retracted_at = ? WHERE id = ?`), now, labelID.Int64); err != nil {
			return o, fmt.Errorf("review item %d: retract label: %w", req.ItemID, err)
		}
	}
	skips := 0
	if o.Undone == "skip" {
		skips = 1
	}
	o.Stage = prevStage
	_, err = tx.ExecContext(ctx, db.rebind(`UPDATE review_items SET state = 'claimed', stage = ?, claimed_by = ?,
		lease_expires_at = ?, claimed_at = ?, final_label_id = NULL, skip_count = skip_count - ?, updated_at = ? WHERE id = ?`),
		prevStage, req.Reviewer, now.Add(req.Lease), now, skips, now, req.ItemID)
	if violatesUnique(err) {
		return o, fmt.Errorf("review item %d: %w", req.ItemID, conflictf("the article of item %d has been queued for review again since", req.ItemID))
	}
	if err != nil {
		return o, fmt.Errorf("review item %d: reopen: %w", req.ItemID, err)
	}
	if err := db.recordLease(ctx, tx, req.ItemID, req.Reviewer, now.Add(req.Lease)); err != nil {
		return o, err
	}
	return o, db.writeAudit(ctx, tx, now, req.Reviewer, "review.undo", fmt.Sprintf("review_item:%d", req.ItemID), map[string]any{"undone": o.Undone}, req.RequestID)
}
