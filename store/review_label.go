package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// LabelInput is one item's label in a LabelRequest.
type LabelInput struct {
	ItemID int64
	Label  string
	Note   string
}

// LabelRequest is one reviewer labeling one or many items.
type LabelRequest struct {
	Reviewer  string
	RequestID string
	Items     []LabelInput
	// SeenAt, when set, is when the reviewer was shown the items (the
	// bulk table, which lists open items without claiming them). A claim
	// of theirs that ran out before then does not refuse the label: they
	// decided on a fresh look at an open item, not under a lapsed lease.
	SeenAt time.Time
}

// LabelOutcome says what became of one labeled item.
type LabelOutcome struct {
	ItemID  int64
	LabelID int64
	Label   string
	State   string // the item's state afterwards
	Stage   string
	// Final reports that this label settled the item (it trains models).
	Final bool
	// Replayed reports a retry: the reviewer had given this very label
	// already, and nothing was stored again.
	Replayed bool
}

// Limits of labels.
const (
	MaxBulkLabels = 500
	maxNote       = 2000
	maxLabel      = 100
)

// itemState is a review item as label, skip and undo see it.
type itemState struct {
	id                      int64
	state, stage, claimedBy string
	lease                   sql.NullTime
	required                int
	skipCount               int
	finalLabel              sql.NullInt64
	allowed                 []string // the prediction's labels; empty if unknown
}

func (db *DB) loadItem(ctx context.Context, tx *sql.Tx, id int64) (itemState, error) {
	var (
		s      itemState
		claim  sql.NullString
		scores []byte
	)
	lock := ""
	if db.dialect == Postgres {
		lock = " FOR UPDATE OF ri" // serialise actions on one item
	}
	err := tx.QueryRowContext(ctx, db.rebind(`SELECT ri.state, ri.stage, ri.claimed_by, ri.lease_expires_at,
		ri.required_reviews, ri.skip_count, ri.final_label_id, COALESCE(p.scores, '{}')
		FROM review_items ri LEFT JOIN predictions p ON p.id = ri.prediction_id WHERE ri.id = ?`+lock), id).
		Scan(&s.state, &s.stage, &claim, &s.lease, &s.required, &s.skipCount, &s.finalLabel, &scores)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("review item %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("review item %d: %w", id, err)
	}
	s.id, s.claimedBy = id, claim.String
	var m map[string]float64
	if err := json.Unmarshal(scores, &m); err != nil {
		return s, fmt.Errorf("review item %d scores: %w", id, err)
	}
	for k := range m {
		s.allowed = append(s.allowed, k)
	}
	slices.Sort(s.allowed)
	return s, nil
}

// available reports whether the reviewer may act on the item now: it is
// pending, or claimed by them, or claimed by someone whose lease ran out.
func (s itemState) available(reviewer string, now time.Time) error {
	switch {
	case s.state == StatePending:
		return nil
	case s.state == StateClaimed && (s.claimedBy == reviewer || s.lease.Time.Before(now)):
		return nil
	case s.state == StateClaimed:
		return conflictf("item %d is claimed by another reviewer until %s", s.id, humanTime(s.lease.Time, now))
	default:
		return conflictf("item %d is %s already", s.id, s.state)
	}
}

// LabelReviewItems stores a reviewer's labels, all or none. A label must
// be one of the item's prediction labels. Repeating a label the reviewer
// gave already is a no-op (safe to retry); a different one is a conflict
// until the first is undone. Under double review the first label sends
// the item back to the queue for a second reviewer; two labels that agree
// settle it, two that disagree send it to adjudication, where an admin's
// label settles it.
func (db *DB) LabelReviewItems(ctx context.Context, req LabelRequest) ([]LabelOutcome, error) {
	if err := req.validate(); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	out := make([]LabelOutcome, len(req.Items))
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for i, in := range req.Items {
			o, err := db.labelOne(ctx, tx, req, in, now)
			var v ValidationError
			if errors.As(err, &v) {
				for j := range v {
					v[j].Field = fmt.Sprintf("items[%d].%s", i, v[j].Field)
				}
				return v
			}
			if err != nil {
				return err
			}
			out[i] = o
		}
		return nil
	})
	if err != nil {
		var v ValidationError
		if errors.As(err, &v) {
			return nil, v
		}
		return nil, fmt.Errorf("store: label by %s: %w", req.Reviewer, err)
	}
	return out, nil
}

func (r LabelRequest) validate() error {
	var v ValidationError
	if strings.TrimSpace(r.Reviewer) == "" {
		v = append(v, FieldIssue{"reviewer", "required"})
	}
	if len(r.Items) == 0 || len(r.Items) > MaxBulkLabels {
		v = append(v, FieldIssue{"items", fmt.Sprintf("between 1 and %d labels, got %d", MaxBulkLabels, len(r.Items))})
	}
	seen := map[int64]bool{}
	for i, in := range r.Items {
		field := fmt.Sprintf("items[%d].", i)
		if seen[in.ItemID] {
			v = append(v, FieldIssue{field + "id", fmt.Sprintf("item %d appears twice", in.ItemID)})
		}
		seen[in.ItemID] = true
		if strings.TrimSpace(in.Label) == "" || len(in.Label) > maxLabel {
			v = append(v, FieldIssue{field + "label", fmt.Sprintf("required, at most %d bytes", maxLabel)})
		}
		if len(in.Note) > maxNote {
			v = append(v, FieldIssue{field + "note", fmt.Sprintf("at most %d bytes", maxNote)})
		}
	}
	if len(v) > 0 {
		return v
	}
	return nil
}

func (db *DB) labelOne(ctx context.Context, tx *sql.Tx, req LabelRequest, in LabelInput, now time.Time) (LabelOutcome, error) {
	o := LabelOutcome{ItemID: in.ItemID, Label: in.Label}
	s, err := db.loadItem(ctx, tx, in.ItemID)
	if err != nil {
		return o, err
	}
	if len(s.allowed) > 0 && !slices.Contains(s.allowed, in.Label) {
		return o, ValidationError{{"label", fmt.Sprintf("%q is not a topic of this item's taxonomy: use one of %s", in.Label, strings.Join(s.allowed, ", "))}}
	}
	var prevLabel string
	err = tx.QueryRowContext(ctx, db.rebind(`SELECT l.id, l.label FROM review_actions ra JOIN labels l ON l.id = ra.label_id
		WHERE ra.review_item_id = ? AND ra.reviewer = ? AND ra.action IN ('label', 'adjudicate') AND ra.undone_at IS NULL`),
		in.ItemID, req.Reviewer).Scan(&o.LabelID, &prevLabel)
	switch {
	case err == nil && prevLabel == in.Label:
		o.Replayed, o.State, o.Stage = true, s.state, s.stage
		o.Final = s.finalLabel.Valid && s.finalLabel.Int64 == o.LabelID
		return o, nil
	case err == nil:
		return o, fmt.Errorf("review item %d: %w", in.ItemID, conflictf("you labeled item %d %q already; undo that first", in.ItemID, prevLabel))
	case !errors.Is(err, sql.ErrNoRows):
		return o, fmt.Errorf("review item %d: %w", in.ItemID, err)
	}
	if err := db.checkLease(ctx, tx, s, req.Reviewer, now, req.SeenAt); err != nil {
		return o, fmt.Errorf("review item %d: %w", in.ItemID, err)
	}
	if err := s.available(req.Reviewer, now); err != nil {
		return o, fmt.Errorf("review item %d: %w", in.ItemID, err)
	}
	if err := db.dropLease(ctx, tx, in.ItemID, req.Reviewer); err != nil {
		return o, err
	}

	if err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO labels
		(article_id, review_item_id, label, labeled_by, source, note, request_id, created_at)
		SELECT article_id, id, ?, ?, 'review', ?, ?, ? FROM review_items WHERE id = ? RETURNING id`),
		in.Label, req.Reviewer, in.Note, req.RequestID, now, in.ItemID).Scan(&o.LabelID); err != nil {
		return o, fmt.Errorf("review item %d: insert label: %w", in.ItemID, err)
	}
	action := "label"
	if s.stage == StageAdjudication {
		action = "adjudicate"
	}
	if err := db.insertAction(ctx, tx, in.ItemID, req.Reviewer, action, o.LabelID, s, req.RequestID, now, actionNote{}); err != nil {
		return o, err
	}

	// Decide where the item goes next.
	o.State, o.Stage = StateLabeled, s.stage
	if action == "label" {
		given, err := db.reviewLabels(ctx, tx, in.ItemID)
		if err != nil {
			return o, err
		}
		switch {
		case len(given) < s.required:
			o.State = StatePending
		case s.required > 1 && slices.ContainsFunc(given, func(l string) bool { return l != given[0] }):
			o.State, o.Stage = StatePending, StageAdjudication
		}
	}
	o.Final = o.State == StateLabeled
	var final any
	if o.Final {
		final = o.LabelID
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE review_items SET state = ?, stage = ?, claimed_by = NULL,
		lease_expires_at = NULL, final_label_id = ?, updated_at = ? WHERE id = ?`),
		o.State, o.Stage, final, now, in.ItemID); err != nil {
		return o, fmt.Errorf("review item %d: update: %w", in.ItemID, err)
	}
	return o, db.writeAudit(ctx, tx, now, req.Reviewer, "review."+action, fmt.Sprintf("review_item:%d", in.ItemID),
		map[string]any{"label": in.Label, "state": o.State, "stage": o.Stage}, req.RequestID)
}

// reviewLabels lists the labels reviewers have given an item (undone ones
// aside), oldest first.
func (db *DB) reviewLabels(ctx context.Context, tx *sql.Tx, itemID int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, db.rebind(`SELECT l.label FROM review_actions ra JOIN labels l ON l.id = ra.label_id
		WHERE ra.review_item_id = ? AND ra.action = 'label' AND ra.undone_at IS NULL ORDER BY ra.id`), itemID)
	if err != nil {
		return nil, fmt.Errorf("review item %d labels: %w", itemID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return nil, fmt.Errorf("review item %d labels: %w", itemID, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// actionNote is what a skip may say beside itself: that no label fits,
// and why. A label's note lives on the label.
type actionNote struct {
	noneOfThese bool
	text        string
}

func (db *DB) insertAction(ctx context.Context, tx *sql.Tx, itemID int64, reviewer, action string, labelID int64, s itemState, requestID string, now time.Time, note actionNote) error {
	var label any
	if labelID != 0 {
		label = labelID
	}
	_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO review_actions
		(review_item_id, reviewer, action, label_id, prev_state, prev_stage, request_id, created_at, none_of_these, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`), itemID, reviewer, action, label, s.state, s.stage, requestID, now, note.noneOfThese, note.text)
	if err != nil {
		return fmt.Errorf("review item %d: record %s: %w", itemID, action, err)
	}
	return nil
}

// writeAudit appends to the audit log inside the caller's transaction, so the
// log never disagrees with what was done.
func (db *DB) writeAudit(ctx context.Context, tx *sql.Tx, at time.Time, actor, action, target string, details map[string]any, requestID string) error {
	b, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO audit_log (at, actor, action, target, details, request_id)
		VALUES (?, ?, ?, ?, ?, ?)`), at, actor, action, target, string(b), requestID); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
