package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TrainingLabel is one human-labeled example, with where it came from.
type TrainingLabel struct {
	LabelID   int64
	ArticleID int64
	Title     string
	Body      string
	Label     string
	Source    string // "review" or "feedback"
	LabeledBy string
	CreatedAt time.Time
}

// usableLabel is the condition on labels l that training may use: not
// retracted, and either the settled label of a labeled review item (not an
// intermediate vote of a double review) or feedback.
const usableLabel = `l.retracted_at IS NULL AND (l.source = 'feedback' OR EXISTS (
	SELECT 1 FROM review_items r WHERE r.final_label_id = l.id AND r.state = 'labeled'))`

// TrainingLabels returns every usable human label, oldest first.
func (db *DB) TrainingLabels(ctx context.Context) ([]TrainingLabel, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT l.id, l.article_id, a.title, a.body, l.label, l.source, l.labeled_by, l.created_at
		FROM labels l JOIN articles a ON a.id = l.article_id
		WHERE `+usableLabel+` ORDER BY l.created_at, l.id`)
	if err != nil {
		return nil, fmt.Errorf("store: training labels: %w", err)
	}
	defer rows.Close()
	var out []TrainingLabel
	for rows.Next() {
		var l TrainingLabel
		if err := rows.Scan(&l.LabelID, &l.ArticleID, &l.Title, &l.Body, &l.Label, &l.Source, &l.LabeledBy, &l.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: training labels: %w", err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: training labels: %w", err)
	}
	return out, nil
}

// LabelsSince counts the usable human labels created after t.
func (db *DB) LabelsSince(ctx context.Context, t time.Time) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM labels l WHERE l.created_at > ? AND `+usableLabel),
		t.UTC()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: labels since %s: %w", t.Format(time.RFC3339), err)
	}
	return n, nil
}

// Lineage is everything that led to and followed from a prediction.
type Lineage struct {
	Prediction  Prediction
	Article     Article
	ReviewItems []LineageReviewItem
	Labels      []LineageLabel
	Feedback    []LineageFeedback
	// Model is the prediction's model version, when registered (custom
	// taxonomies' zero-shot models are not), and ModelRun the training
	// run that made it, when one did.
	Model    *ModelVersion
	ModelRun *TrainingRun
}

// LineageReviewItem is a review item of the prediction's article.
type LineageReviewItem struct {
	ID           int64
	PredictionID int64
	State        string
	Reason       string
	FinalLabelID int64
	CreatedAt    time.Time
}

// LineageLabel is a human label of the article, and the training runs
// that used it.
type LineageLabel struct {
	ID           int64
	ReviewItemID int64
	Label        string
	LabeledBy    string
	Source       string
	CreatedAt    time.Time
	RetractedAt  *time.Time
	// Final reports that a labeled review item settled on it, or that it
	// came from feedback: that training may use it.
	Final          bool
	TrainingRunIDs []int64
}

// LineageFeedback is feedback given on the article.
type LineageFeedback struct {
	ID           int64
	PredictionID int64
	CorrectLabel string
	IsCorrect    *bool
	Comment      string
	KeyName      string
	LabelID      int64
	CreatedAt    time.Time
}

// Lineage traces prediction id: its article, the review items and labels
// of that article (retracted ones included, marked), the feedback on it,
// the training runs that used those labels, and the run that made the
// prediction's model. An unknown prediction is ErrNotFound.
func (db *DB) Lineage(ctx context.Context, predictionID int64) (Lineage, error) {
	var lin Lineage
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		p := &lin.Prediction
		var (
			taxonomy sql.NullString
			scores   []byte
		)
		err := tx.QueryRowContext(ctx, db.rebind(`SELECT id, article_id, model_version, taxonomy, label, confidence, scores, request_id, created_at
			FROM predictions WHERE id = ?`), predictionID).Scan(&p.ID, &p.ArticleID, &p.ModelVersion, &taxonomy, &p.Label,
			&p.Confidence, &scores, &p.RequestID, &p.CreatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("prediction: %w", err)
		}
		p.Taxonomy = taxonomy.String
		if err := json.Unmarshal(scores, &p.Scores); err != nil {
			return fmt.Errorf("prediction scores: %w", err)
		}
		if lin.Article, err = db.Article(ctx, p.ArticleID); err != nil {
			return err
		}
		if lin.ReviewItems, err = db.lineageReviewItems(ctx, tx, p.ArticleID); err != nil {
			return fmt.Errorf("review items: %w", err)
		}
		if lin.Labels, err = db.lineageLabels(ctx, tx, p.ArticleID); err != nil {
			return fmt.Errorf("labels: %w", err)
		}
		if lin.Feedback, err = db.lineageFeedback(ctx, tx, p.ArticleID); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		switch m, err := db.modelVersion(ctx, tx, p.ModelVersion); {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return fmt.Errorf("model version: %w", err)
		default:
			lin.Model = &m
			if m.TrainingRunID != 0 {
				run, err := db.trainingRun(ctx, tx, `id = ?`, m.TrainingRunID)
				if err != nil {
					return fmt.Errorf("training run %d: %w", m.TrainingRunID, err)
				}
				lin.ModelRun = &run
			}
		}
		return nil
	})
	if err != nil {
		return lin, fmt.Errorf("store: lineage of prediction %d: %w", predictionID, err)
	}
	return lin, nil
}

func (db *DB) lineageReviewItems(ctx context.Context, tx *sql.Tx, articleID int64) ([]LineageReviewItem, error) {
	rows, err := tx.QueryContext(ctx, db.rebind(`SELECT id, prediction_id, state, reason, final_label_id, created_at
		FROM review_items WHERE article_id = ? ORDER BY id`), articleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LineageReviewItem
	for rows.Next() {
		var (
			it          LineageReviewItem
			pred, final sql.NullInt64
		)
		if err := rows.Scan(&it.ID, &pred, &it.State, &it.Reason, &final, &it.CreatedAt); err != nil {
			return nil, err
		}
		it.PredictionID, it.FinalLabelID = pred.Int64, final.Int64
		out = append(out, it)
	}
	return out, rows.Err()
}

func (db *DB) lineageLabels(ctx context.Context, tx *sql.Tx, articleID int64) ([]LineageLabel, error) {
	rows, err := tx.QueryContext(ctx, db.rebind(`SELECT l.id, l.review_item_id, l.label, l.labeled_by, l.source, l.created_at, l.retracted_at,
			CASE WHEN `+usableLabel+` THEN 1 ELSE 0 END, trl.training_run_id
		FROM labels l LEFT JOIN training_run_labels trl ON trl.label_id = l.id
		WHERE l.article_id = ? ORDER BY l.id, trl.training_run_id`), articleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LineageLabel
	for rows.Next() {
		var (
			l           LineageLabel
			item, run   sql.NullInt64
			retractedAt sql.NullTime
			final       int
		)
		if err := rows.Scan(&l.ID, &item, &l.Label, &l.LabeledBy, &l.Source, &l.CreatedAt, &retractedAt, &final, &run); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != l.ID {
			l.ReviewItemID, l.Final = item.Int64, final == 1
			if retractedAt.Valid {
				t := retractedAt.Time
				l.RetractedAt = &t
			}
			out = append(out, l)
		}
		if run.Valid {
			last := &out[len(out)-1]
			last.TrainingRunIDs = append(last.TrainingRunIDs, run.Int64)
		}
	}
	return out, rows.Err()
}

func (db *DB) lineageFeedback(ctx context.Context, tx *sql.Tx, articleID int64) ([]LineageFeedback, error) {
	rows, err := tx.QueryContext(ctx, db.rebind(`SELECT id, prediction_id, correct_label, is_correct, comment, key_name, label_id, created_at
		FROM feedback WHERE article_id = ? ORDER BY id`), articleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LineageFeedback
	for rows.Next() {
		var (
			f            LineageFeedback
			pred, label  sql.NullInt64
			correctLabel sql.NullString
			isCorrect    sql.NullBool
		)
		if err := rows.Scan(&f.ID, &pred, &correctLabel, &isCorrect, &f.Comment, &f.KeyName, &label, &f.CreatedAt); err != nil {
			return nil, err
		}
		f.PredictionID, f.LabelID, f.CorrectLabel = pred.Int64, label.Int64, correctLabel.String
		if isCorrect.Valid {
			b := isCorrect.Bool
			f.IsCorrect = &b
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
