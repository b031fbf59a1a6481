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

// NewFeedback is an API consumer's verdict on a prediction or article.
type NewFeedback struct {
	ArticleID    int64 // either this or PredictionID (or both, if they agree)
	PredictionID int64
	CorrectLabel string // the right topic, if the client says
	IsCorrect    *bool  // whether the prediction was right, if the client says
	Comment      string
	KeyName      string // the API key's name
	RequestID    string
	// IdempotencyKey makes retries safe: a second call with the same key
	// (for the same API key) returns the first call's record.
	IdempotencyKey string
	// RequestHash identifies the request body; reusing a key with another
	// body is a conflict, not a replay.
	RequestHash string
}

// Feedback is a stored feedback record.
type Feedback struct {
	ID           int64
	ArticleID    int64
	PredictionID int64
	CorrectLabel string
	IsCorrect    *bool
	Comment      string
	KeyName      string
	RequestID    string
	// Label is the training label the feedback yields ("" if none) and
	// LabelID its row in labels.
	Label     string
	LabelID   int64
	CreatedAt time.Time
}

// Limits of feedback.
const (
	maxComment        = 5000
	maxIdempotencyKey = 255
)

// RecordFeedback stores feedback, and the training label it implies: the
// correct label when given, or the predicted one when the client says it
// was right. replayed reports that an earlier call with the same
// idempotency key stored it already.
func (db *DB) RecordFeedback(ctx context.Context, f NewFeedback) (fb Feedback, replayed bool, err error) {
	if err := f.validate(); err != nil {
		return fb, false, err
	}
	now := time.Now().UTC()
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if f.IdempotencyKey != "" {
			prev, hash, err := db.feedbackByKey(ctx, tx, f.KeyName, f.IdempotencyKey)
			switch {
			case err == nil && hash != f.RequestHash:
				return conflictf("Idempotency-Key %q was used with a different request body", f.IdempotencyKey)
			case err == nil:
				fb, replayed = prev, true
				return nil
			case !errors.Is(err, ErrNotFound):
				return err
			}
		}
		var err error
		fb, err = db.insertFeedback(ctx, tx, f, now)
		return err
	})
	if violatesUnique(err) {
		// A concurrent retry with the same key committed first: answer as
		// a replay of it.
		err = db.inTx(ctx, func(tx *sql.Tx) error {
			prev, hash, err := db.feedbackByKey(ctx, tx, f.KeyName, f.IdempotencyKey)
			if err == nil && hash != f.RequestHash {
				return conflictf("Idempotency-Key %q was used with a different request body", f.IdempotencyKey)
			}
			fb, replayed = prev, true
			return err
		})
	}
	var v ValidationError
	if errors.As(err, &v) {
		return fb, false, v
	}
	if err != nil {
		return fb, false, fmt.Errorf("store: feedback from %s: %w", f.KeyName, err)
	}
	return fb, replayed, nil
}

func (f NewFeedback) validate() error {
	var v ValidationError
	if f.ArticleID <= 0 && f.PredictionID <= 0 {
		v = append(v, FieldIssue{"article_id", "article_id or prediction_id is required"})
	}
	if f.ArticleID < 0 {
		v = append(v, FieldIssue{"article_id", "must be positive"})
	}
	if f.PredictionID < 0 {
		v = append(v, FieldIssue{"prediction_id", "must be positive"})
	}
	if len(f.CorrectLabel) > maxLabel {
		v = append(v, FieldIssue{"correct_label", fmt.Sprintf("at most %d bytes", maxLabel)})
	}
	if f.CorrectLabel == "" && f.IsCorrect == nil && strings.TrimSpace(f.Comment) == "" {
		v = append(v, FieldIssue{"correct_label", "give correct_label, is_correct or a comment"})
	}
	if len(f.Comment) > maxComment {
		v = append(v, FieldIssue{"comment", fmt.Sprintf("at most %d bytes", maxComment)})
	}
	if len(f.IdempotencyKey) > maxIdempotencyKey {
		v = append(v, FieldIssue{"Idempotency-Key", fmt.Sprintf("at most %d bytes", maxIdempotencyKey)})
	}
	if len(v) > 0 {
		return v
	}
	return nil
}

func (db *DB) insertFeedback(ctx context.Context, tx *sql.Tx, f NewFeedback, now time.Time) (Feedback, error) {
	fb := Feedback{ArticleID: f.ArticleID, PredictionID: f.PredictionID, CorrectLabel: f.CorrectLabel, IsCorrect: f.IsCorrect,
		Comment: f.Comment, KeyName: f.KeyName, RequestID: f.RequestID, CreatedAt: now}

	// Find the prediction the feedback is about: the one named, or the
	// article's latest.
	var (
		predicted string
		scores    []byte
	)
	query, arg := `SELECT id, article_id, label, scores FROM predictions WHERE id = ?`, f.PredictionID
	if f.PredictionID == 0 {
		query, arg = `SELECT id, article_id, label, scores FROM predictions WHERE article_id = ? ORDER BY id DESC LIMIT 1`, f.ArticleID
	}
	var predID, articleID int64
	err := tx.QueryRowContext(ctx, db.rebind(query), arg).Scan(&predID, &articleID, &predicted, &scores)
	switch {
	case errors.Is(err, sql.ErrNoRows) && f.PredictionID != 0:
		return fb, fmt.Errorf("prediction %d: %w", f.PredictionID, ErrNotFound)
	case errors.Is(err, sql.ErrNoRows):
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT id FROM articles WHERE id = ?`), f.ArticleID).Scan(&articleID); errors.Is(err, sql.ErrNoRows) {
			return fb, fmt.Errorf("article %d: %w", f.ArticleID, ErrNotFound)
		} else if err != nil {
			return fb, fmt.Errorf("article %d: %w", f.ArticleID, err)
		}
	case err != nil:
		return fb, fmt.Errorf("find prediction: %w", err)
	}
	if f.ArticleID != 0 && articleID != f.ArticleID {
		return fb, ValidationError{{"prediction_id", fmt.Sprintf("prediction %d is of article %d, not %d", predID, articleID, f.ArticleID)}}
	}
	fb.ArticleID = articleID
	if f.PredictionID == 0 && predID != 0 {
		fb.PredictionID = predID
	}

	var allowed []string
	if len(scores) > 0 {
		var m map[string]float64
		if err := json.Unmarshal(scores, &m); err != nil {
			return fb, fmt.Errorf("prediction %d scores: %w", predID, err)
		}
		for k := range m {
			allowed = append(allowed, k)
		}
		slices.Sort(allowed)
	}
	switch {
	case f.CorrectLabel != "" && len(allowed) > 0 && !slices.Contains(allowed, f.CorrectLabel):
		return fb, ValidationError{{"correct_label", fmt.Sprintf("%q is not a topic of the prediction's taxonomy: use one of %s", f.CorrectLabel, strings.Join(allowed, ", "))}}
	case f.CorrectLabel != "" && f.IsCorrect != nil && *f.IsCorrect && f.CorrectLabel != predicted:
		return fb, ValidationError{{"is_correct", fmt.Sprintf("true contradicts correct_label %q: the prediction was %q", f.CorrectLabel, predicted)}}
	case f.CorrectLabel != "":
		fb.Label = f.CorrectLabel
	case f.IsCorrect != nil && *f.IsCorrect && predicted != "":
		fb.Label = predicted
	}

	if fb.Label != "" {
		if err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO labels (article_id, label, labeled_by, source, note, request_id, created_at)
			VALUES (?, ?, ?, 'feedback', ?, ?, ?) RETURNING id`), fb.ArticleID, fb.Label, f.KeyName, f.Comment, f.RequestID, now).Scan(&fb.LabelID); err != nil {
			return fb, fmt.Errorf("insert label: %w", err)
		}
	}
	err = tx.QueryRowContext(ctx, db.rebind(`INSERT INTO feedback (article_id, prediction_id, correct_label, is_correct, comment,
		key_name, request_id, idempotency_key, request_hash, label_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		fb.ArticleID, nullInt(fb.PredictionID), nullString(f.CorrectLabel), f.IsCorrect, f.Comment, f.KeyName, f.RequestID,
		nullString(f.IdempotencyKey), f.RequestHash, nullInt(fb.LabelID), now).Scan(&fb.ID)
	if err != nil {
		return fb, fmt.Errorf("insert feedback: %w", err)
	}
	return fb, nil
}

// feedbackByKey finds the feedback stored under an idempotency key, with
// the hash of the request that stored it.
func (db *DB) feedbackByKey(ctx context.Context, tx *sql.Tx, keyName, key string) (Feedback, string, error) {
	var (
		fb                  Feedback
		hash                string
		pred, label         sql.NullInt64
		correct, labelValue sql.NullString
		isCorrect           sql.NullBool
	)
	err := tx.QueryRowContext(ctx, db.rebind(`SELECT f.id, f.article_id, f.prediction_id, f.correct_label, f.is_correct,
		f.comment, f.key_name, f.request_id, f.request_hash, f.label_id, l.label, f.created_at
		FROM feedback f LEFT JOIN labels l ON l.id = f.label_id WHERE f.key_name = ? AND f.idempotency_key = ?`), keyName, key).
		Scan(&fb.ID, &fb.ArticleID, &pred, &correct, &isCorrect, &fb.Comment, &fb.KeyName, &fb.RequestID, &hash, &label, &labelValue, &fb.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return fb, "", ErrNotFound
	}
	if err != nil {
		return fb, "", fmt.Errorf("feedback by key: %w", err)
	}
	fb.PredictionID, fb.CorrectLabel, fb.LabelID, fb.Label = pred.Int64, correct.String, label.Int64, labelValue.String
	if isCorrect.Valid {
		fb.IsCorrect = &isCorrect.Bool
	}
	return fb, hash, nil
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}
