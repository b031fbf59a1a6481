package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Review item states and stages.
const (
	StatePending = "pending"
	StateClaimed = "claimed"
	StateLabeled = "labeled"
	StateSkipped = "skipped"

	// StageReview items wait for reviewers; StageAdjudication items are
	// double-reviewed ones whose reviewers disagreed, waiting for an admin.
	StageReview       = "review"
	StageAdjudication = "adjudication"
)

// Queue sort orders.
const (
	SortPriority    = "priority"    // highest priority first
	SortUncertainty = "uncertainty" // least confident prediction first
	SortAge         = "age"         // oldest first
)

// QueueItem is a review item with what a reviewer needs to decide: the
// article and the prediction that queued it.
type QueueItem struct {
	ID           int64
	ArticleID    int64
	PredictionID int64
	Title        string
	Body         string
	Source       string
	PublishedAt  *time.Time
	Topic        string // the predicted label
	Confidence   float64
	Scores       map[string]float64
	ModelVersion string
	// Taxonomy names the custom taxonomy the prediction was made
	// against; empty for the trained model.
	Taxonomy        string
	Reason          string
	Priority        float64
	Uncertainty     float64
	State           string
	Stage           string
	ClaimedBy       string
	LeaseExpiresAt  *time.Time
	RequiredReviews int
	Reviews         int // labels given so far, undone ones aside
	SkipCount       int
	CreatedAt       time.Time
}

// QueueFilter selects and orders the review queue.
type QueueFilter struct {
	// State is "pending" (the default: pending items and claims whose
	// lease ran out), "claimed", "labeled", "skipped" or "all".
	State  string
	Stage  string // StageReview (default) or StageAdjudication
	Topic  string
	Reason string
	Source string
	Query  string // the article's title or text contains it (case-insensitive)
	// HeldBy adds, to the pending items, those this reviewer holds: their
	// own claims are theirs to act on (an undone bulk label comes back
	// as one).
	HeldBy string
	From   *time.Time // created at or after
	To     *time.Time // created before
	Sort   string     // SortPriority (default), SortUncertainty or SortAge
	Cursor string     // from the previous page's NextCursor
	Limit  int        // 1–200, default 50
}

// QueuePage is one page of the queue; NextCursor is empty on the last.
type QueuePage struct {
	Items      []QueueItem
	NextCursor string
}

// cursor is the keyset position after the last item of a page.
type cursor struct {
	Sort  string    `json:"s"`
	Value float64   `json:"v,omitempty"`
	Time  time.Time `json:"t,omitzero"`
	ID    int64     `json:"id"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c) // a struct of plain fields always marshals
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Sort != sort || c.ID <= 0 {
		return c, ValidationError{{Field: "cursor", Message: "not a cursor of this listing: pass next_cursor back unchanged, with the same sort"}}
	}
	return c, nil
}

// maxQuery bounds a search inside the queue.
const maxQuery = 200

// Validate checks a filter and fills in its defaults.
func (f *QueueFilter) Validate() error {
	var v ValidationError
	if f.State == "" {
		f.State = StatePending
	}
	switch f.State {
	case StatePending, StateClaimed, StateLabeled, StateSkipped, "all":
	default:
		v = append(v, FieldIssue{"state", fmt.Sprintf("%q is not a state: use pending, claimed, labeled, skipped or all", f.State)})
	}
	if f.Stage == "" {
		f.Stage = StageReview
	}
	if f.Stage != StageReview && f.Stage != StageAdjudication {
		v = append(v, FieldIssue{"stage", fmt.Sprintf("%q is not a stage: use review or adjudication", f.Stage)})
	}
	if f.Sort == "" {
		f.Sort = SortPriority
	}
	if f.Sort != SortPriority && f.Sort != SortUncertainty && f.Sort != SortAge {
		v = append(v, FieldIssue{"sort", fmt.Sprintf("%q is not a sort: use priority, uncertainty or age", f.Sort)})
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > 200 {
		v = append(v, FieldIssue{"limit", fmt.Sprintf("%d is outside 1–200", f.Limit)})
	}
	if len(f.Query) > maxQuery {
		v = append(v, FieldIssue{"q", fmt.Sprintf("at most %d bytes", maxQuery)})
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		v = append(v, FieldIssue{"to", "must be after from"})
	}
	if len(v) > 0 {
		return v
	}
	return nil
}

// queueSelect reads QueueItems; callers append WHERE and ORDER BY.
const queueSelect = `SELECT ri.id, ri.article_id, COALESCE(ri.prediction_id, 0), a.title, a.body,
	COALESCE(a.source, ''), a.published_at, COALESCE(p.label, ''), COALESCE(p.confidence, 0),
	COALESCE(p.scores, '{}'), COALESCE(p.model_version, ''), COALESCE(p.taxonomy, ''), ri.reason, ri.priority, ri.uncertainty,
	ri.state, ri.stage, COALESCE(ri.claimed_by, ''), ri.lease_expires_at, ri.required_reviews,
	(SELECT COUNT(*) FROM review_actions ra WHERE ra.review_item_id = ri.id AND ra.action = 'label' AND ra.undone_at IS NULL),
	ri.skip_count, ri.created_at
	FROM review_items ri JOIN articles a ON a.id = ri.article_id LEFT JOIN predictions p ON p.id = ri.prediction_id`

// openClause matches items a reviewer may take: pending, or claimed with
// an expired lease (expired leases return to the queue without a sweeper).
const openClause = `(ri.state = 'pending' OR (ri.state = 'claimed' AND ri.lease_expires_at < ?))`

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (db *DB) queryQueueItems(ctx context.Context, q querier, tail string, args ...any) ([]QueueItem, error) {
	rows, err := q.QueryContext(ctx, db.rebind(queueSelect+" "+tail), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QueueItem
	for rows.Next() {
		var (
			it               QueueItem
			published, lease sql.NullTime
			scores           []byte
		)
		if err := rows.Scan(&it.ID, &it.ArticleID, &it.PredictionID, &it.Title, &it.Body, &it.Source, &published,
			&it.Topic, &it.Confidence, &scores, &it.ModelVersion, &it.Taxonomy, &it.Reason, &it.Priority, &it.Uncertainty,
			&it.State, &it.Stage, &it.ClaimedBy, &lease, &it.RequiredReviews, &it.Reviews, &it.SkipCount, &it.CreatedAt); err != nil {
			return nil, err
		}
		if published.Valid {
			it.PublishedAt = &published.Time
		}
		if lease.Valid {
			it.LeaseExpiresAt = &lease.Time
		}
		if err := json.Unmarshal(scores, &it.Scores); err != nil {
			return nil, fmt.Errorf("item %d scores: %w", it.ID, err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

// ReviewQueue lists review items by filter, one page at a time.
func (db *DB) ReviewQueue(ctx context.Context, f QueueFilter) (QueuePage, error) {
	if err := f.Validate(); err != nil {
		return QueuePage{}, err
	}
	now := time.Now().UTC()
	var (
		where []string
		args  []any
	)
	add := func(clause string, a ...any) { where, args = append(where, clause), append(args, a...) }
	switch f.State {
	case StatePending:
		if f.HeldBy != "" {
			add("("+openClause+" OR (ri.state = 'claimed' AND ri.claimed_by = ?))", now, f.HeldBy)
		} else {
			add(openClause, now)
		}
	case StateClaimed:
		add("ri.state = 'claimed' AND ri.lease_expires_at >= ?", now)
	case StateLabeled, StateSkipped:
		add("ri.state = ?", f.State)
	}
	add("ri.stage = ?", f.Stage)
	if f.Topic != "" {
		add("p.label = ?", f.Topic)
	}
	if f.Reason != "" {
		add("ri.reason = ?", f.Reason)
	}
	if f.Source != "" {
		add("a.source = ?", f.Source)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		add(queueSearch, likePattern(q), likePattern(q))
	}
	if f.From != nil {
		add("ri.created_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		add("ri.created_at < ?", f.To.UTC())
	}
	col, order := "ri.priority", "ri.priority DESC, ri.id"
	switch f.Sort {
	case SortUncertainty:
		col, order = "ri.uncertainty", "ri.uncertainty DESC, ri.id"
	case SortAge:
		order = "ri.created_at, ri.id"
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor, f.Sort)
		if err != nil {
			return QueuePage{}, err
		}
		if f.Sort == SortAge {
			add("(ri.created_at > ? OR (ri.created_at = ? AND ri.id > ?))", c.Time, c.Time, c.ID)
		} else {
			add("("+col+" < ? OR ("+col+" = ? AND ri.id > ?))", c.Value, c.Value, c.ID)
		}
	}
	// Pick the page's ids first, reading review_items alone (plus the
	// joins a filter needs), then read the full rows of just those: with
	// thousands of open items, building every full row (article body,
	// scores, label count) only to sort and drop it cost 60 ms.
	joins := ""
	if f.Source != "" {
		joins += " JOIN articles a ON a.id = ri.article_id"
	}
	if f.Topic != "" {
		joins += " LEFT JOIN predictions p ON p.id = ri.prediction_id"
	}
	inner := `SELECT ri.id FROM review_items ri` + joins + `
		WHERE ` + strings.Join(where, " AND ") + " ORDER BY " + order + " LIMIT ?"
	tail := "WHERE ri.id IN (" + inner + ") ORDER BY " + order
	items, err := db.queryQueueItems(ctx, db.sql, tail, append(args, f.Limit+1)...)
	if err != nil {
		return QueuePage{}, fmt.Errorf("store: review queue: %w", err)
	}
	page := QueuePage{Items: items}
	if len(items) > f.Limit {
		page.Items = items[:f.Limit]
		last := page.Items[f.Limit-1]
		c := cursor{Sort: f.Sort, ID: last.ID, Value: last.Priority}
		switch f.Sort {
		case SortUncertainty:
			c.Value = last.Uncertainty
		case SortAge:
			c.Value, c.Time = 0, last.CreatedAt
		}
		page.NextCursor = c.encode()
	}
	return page, nil
}

// ReviewItem returns one review item with its article and prediction.
func (db *DB) ReviewItem(ctx context.Context, id int64) (QueueItem, error) {
	items, err := db.queryQueueItems(ctx, db.sql, "WHERE ri.id = ?", id)
	if err != nil {
		return QueueItem{}, fmt.Errorf("store: review item %d: %w", id, err)
	}
	if len(items) == 0 {
		return QueueItem{}, fmt.Errorf("store: review item %d: %w", id, ErrNotFound)
	}
	return items[0], nil
}
