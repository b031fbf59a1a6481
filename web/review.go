package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// reviewStore is what the review queue and feedback routes need.
type reviewStore interface {
	ReviewQueue(ctx context.Context, f store.QueueFilter) (store.QueuePage, error)
	ReviewItem(ctx context.Context, id int64) (store.QueueItem, error)
	ClaimReviewItems(ctx context.Context, req store.ClaimRequest) ([]store.QueueItem, error)
	LabelReviewItems(ctx context.Context, req store.LabelRequest) ([]store.LabelOutcome, error)
	SkipReviewItem(ctx context.Context, req store.ActionRequest) (store.ActionOutcome, error)
	UndoReviewAction(ctx context.Context, req store.ActionRequest) (store.ActionOutcome, error)
	UndoReviewActions(ctx context.Context, reqs []store.ActionRequest) ([]store.ActionOutcome, error)
	ReviewStats(ctx context.Context, days int) (store.ReviewStats, error)
	OpenReviewCount(ctx context.Context) (int, error)
	RecordFeedback(ctx context.Context, f store.NewFeedback) (store.Feedback, bool, error)
}

// QueueItemJSON is a review item on the wire: the article, the prediction
// that queued it, and where it stands.
type QueueItemJSON struct {
	ID              int64              `json:"id"`
	ArticleID       int64              `json:"article_id"`
	PredictionID    int64              `json:"prediction_id,omitempty"`
	Title           string             `json:"title"`
	Text            string             `json:"text"`
	Source          string             `json:"source,omitempty"`
	PublishedAt     *time.Time         `json:"published_at,omitempty"`
	Topic           string             `json:"topic"`
	Confidence      float64            `json:"confidence"`
	Scores          map[string]float64 `json:"scores"`
	ModelVersion    string             `json:"model_version"`
	Reason          string             `json:"reason"`
	Priority        float64            `json:"priority"`
	Uncertainty     float64            `json:"uncertainty"`
	State           string             `json:"state"`
	Stage           string             `json:"stage"`
	ClaimedBy       string             `json:"claimed_by,omitempty"`
	LeaseExpiresAt  *time.Time         `json:"lease_expires_at,omitempty"`
	RequiredReviews int                `json:"required_reviews"`
	Reviews         int                `json:"reviews"`
	SkipCount       int                `json:"skip_count"`
	CreatedAt       time.Time          `json:"created_at"`
}

func queueItemJSON(it store.QueueItem) QueueItemJSON {
	return QueueItemJSON{ID: it.ID, ArticleID: it.ArticleID, PredictionID: it.PredictionID, Title: it.Title, Text: it.Body,
		Source: it.Source, PublishedAt: it.PublishedAt, Topic: it.Topic, Confidence: it.Confidence, Scores: it.Scores,
		ModelVersion: it.ModelVersion, Reason: it.Reason, Priority: it.Priority, Uncertainty: it.Uncertainty,
		State: it.State, Stage: it.Stage, ClaimedBy: it.ClaimedBy, LeaseExpiresAt: it.LeaseExpiresAt,
		RequiredReviews: it.RequiredReviews, Reviews: it.Reviews, SkipCount: it.SkipCount, CreatedAt: it.CreatedAt}
}

func queueItemsJSON(items []store.QueueItem) []QueueItemJSON {
	out := make([]QueueItemJSON, len(items))
	for i, it := range items {
		out[i] = queueItemJSON(it)
	}
	return out
}

// QueuePageJSON is one page of GET /review/queue.
type QueuePageJSON struct {
	Items      []QueueItemJSON `json:"items"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// reviewQueue is GET /review/queue: filters topic, reason, source, q, from,
// to (RFC 3339 or YYYY-MM-DD), state, stage; sort; cursor; limit.
func (s *Server) reviewQueue(c echo.Context) error {
	q := c.QueryParams()
	f := store.QueueFilter{State: q.Get("state"), Stage: q.Get("stage"), Topic: q.Get("topic"), Reason: q.Get("reason"),
		Source: q.Get("source"), Query: q.Get("q"), Sort: q.Get("sort"), Cursor: q.Get("cursor")}
	var bad []FieldError
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad = append(bad, FieldError{Field: "limit", Message: fmt.Sprintf("%q is not an integer", v)})
		}
		f.Limit = n
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := q.Get(p.name); v != "" {
			t, err := parseTimeParam(v)
			if err != nil {
				bad = append(bad, FieldError{Field: p.name, Message: err.Error()})
			}
			*p.dst = &t
		}
	}
	if len(bad) > 0 {
		return errValidation(bad...)
	}
	page, err := s.store.ReviewQueue(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, QueuePageJSON{Items: queueItemsJSON(page.Items), NextCursor: page.NextCursor})
}

// parseTimeParam reads a query time: RFC 3339, or a UTC date.
func parseTimeParam(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither RFC 3339 (2026-11-27T09:00:00Z) nor a date (2026-11-27)", v)
}

// itemID reads the :id path parameter.
func itemID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errValidation(FieldError{Field: "id", Message: fmt.Sprintf("%q is not a review item id", c.Param("id"))})
	}
	return id, nil
}

// reviewer is who acts: the body's reviewer, else the API key's name, so
// a client working the queue with its own key need not repeat itself.
func reviewer(c echo.Context, given string) string {
	if r := strings.TrimSpace(given); r != "" {
		return r
	}
	return keyName(c)
}

func (s *Server) reviewItem(c echo.Context) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	it, err := s.store.ReviewItem(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, queueItemJSON(it))
}

// claimRequest is the body of POST /review/claim.
type claimRequest struct {
	Reviewer     string `json:"reviewer"`
	N            *int   `json:"n"`
	LeaseSeconds *int   `json:"lease_seconds"`
	Stage        string `json:"stage"`
	Diversity    *bool  `json:"diversity"`
}

// ClaimResponse lists the items a reviewer now holds.
type ClaimResponse struct {
	Reviewer string          `json:"reviewer"`
	Items    []QueueItemJSON `json:"items"`
}

// maxLease bounds a requested lease: a forgotten claim must come back.
const maxLease = 24 * time.Hour

func (s *Server) claimReview(c echo.Context) error {
	var req claimRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cr := store.ClaimRequest{Reviewer: reviewer(c, req.Reviewer), N: 1, Lease: s.cfg.Queue.Lease,
		Stage: req.Stage, Diversity: s.cfg.Review.Diverse()}
	if req.N != nil {
		cr.N = *req.N
	}
	if req.Diversity != nil {
		cr.Diversity = *req.Diversity
	}
	cr.Coverage = cr.Diversity && s.inColdStart()
	if req.LeaseSeconds != nil {
		// Checked in seconds, before converting: the product overflows
		// for a huge count, and 2^55+3600 seconds would become one hour.
		if n := *req.LeaseSeconds; n <= 0 || n > int(maxLease.Seconds()) {
			return errValidation(FieldError{Field: "lease_seconds", Message: fmt.Sprintf("must be between 1 and %d", int(maxLease.Seconds()))})
		}
		cr.Lease = time.Duration(*req.LeaseSeconds) * time.Second
	}
	items, err := s.store.ClaimReviewItems(c.Request().Context(), cr)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ClaimResponse{Reviewer: cr.Reviewer, Items: queueItemsJSON(items)})
}

// inColdStart reports whether the served model is in its cold start, when
// diversity claims pick by coverage (store.ClaimRequest.Coverage).
func (s *Server) inColdStart() bool { return s.coldStart != nil && s.coldStart() }
