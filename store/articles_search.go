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

// ArticleQuery selects articles for the console's Articles page. Every
// filter is optional.
type ArticleQuery struct {
	// Q is a case-insensitive substring of the title or body. SQLite folds
	// ASCII letters only; Postgres folds every letter.
	Q string
	// Topic keeps articles whose latest prediction by the trained topic
	// model (not a zero-shot taxonomy) has this label, as Trends counts.
	Topic string
	// Source keeps articles from this source (articles.source).
	Source string
	// From and To bound when the article was classified (its latest
	// topic-model prediction, else its ingestion): From is the first
	// instant kept, To the first one not kept. Zero leaves that end open.
	From, To time.Time
	// Offset skips that many matches, newest first; Limit returns at most
	// that many (1 to MaxArticlePage).
	Offset, Limit int
}

// Bounds of ArticleSearch. Offsets beyond MaxArticleOffset would scan
// ever more rows per page; narrowing the filters finds old articles
// faster.
const (
	MaxArticlePage   = 200
	MaxArticleOffset = 10_000
)

// ArticleRow is one article in a search result.
type ArticleRow struct {
	ID          int64
	Title       string
	Source      string
	URL         string
	PublishedAt *time.Time
	IngestedAt  time.Time
	// Topic, Confidence, ModelVersion and ClassifiedAt describe the latest
	// topic-model prediction; Topic is empty when there is none.
	Topic        string
	Confidence   float64
	ModelVersion string
	ClassifiedAt *time.Time
}

// ArticlePage is one page of a search: Rows newest first, and whether
// more match beyond them.
type ArticlePage struct {
	Rows []ArticleRow
	More bool
}

// Validate checks a query before it runs.
func (q ArticleQuery) Validate() error {
	var v ValidationError
	if q.Limit < 1 || q.Limit > MaxArticlePage {
		v = append(v, FieldIssue{Field: "limit", Message: fmt.Sprintf("must be from 1 to %d", MaxArticlePage)})
	}
	if q.Offset < 0 || q.Offset > MaxArticleOffset {
		v = append(v, FieldIssue{Field: "page", Message: fmt.Sprintf("results stop after %d articles; narrow the filters to reach older ones", MaxArticleOffset)})
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		v = append(v, FieldIssue{Field: "from", Message: "the range must start before it ends"})
	}
	if len(v) > 0 {
		return v
	}
	return nil
}

// likePattern makes s a LIKE pattern matching any text containing it,
// with LIKE's own wildcards escaped (ESCAPE '\').
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// latestTopicPrediction joins each article a to its latest prediction p
// by the trained topic model, if any.
const latestTopicPrediction = `LEFT JOIN predictions p ON p.id = (SELECT MAX(p2.id) FROM predictions p2
	WHERE p2.article_id = a.id AND p2.taxonomy IS NULL)`

// ArticleSearch finds articles, newest first.
func (db *DB) ArticleSearch(ctx context.Context, q ArticleQuery) (ArticlePage, error) {
	if err := q.Validate(); err != nil {
		return ArticlePage{}, err
	}
	var (
		where []string
		args  []any
	)
	if s := strings.TrimSpace(q.Q); s != "" {
		where = append(where, `(LOWER(a.title) LIKE ? ESCAPE '\' OR LOWER(a.body) LIKE ? ESCAPE '\')`)
		args = append(args, likePattern(s), likePattern(s))
	}
	if q.Topic != "" {
		where, args = append(where, `p.label = ?`), append(args, q.Topic)
	}
	if q.Source != "" {
		where, args = append(where, `a.source = ?`), append(args, q.Source)
	}
	if !q.From.IsZero() {
		where, args = append(where, `COALESCE(p.created_at, a.ingested_at) >= ?`), append(args, q.From.UTC())
	}
	if !q.To.IsZero() {
		where, args = append(where, `COALESCE(p.created_at, a.ingested_at) < ?`), append(args, q.To.UTC())
	}
	query := `SELECT a.id, a.title, a.source, a.url, a.published_at, a.ingested_at, p.label, p.confidence, p.model_version, p.created_at
		FROM articles a ` + latestTopicPrediction
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY a.id DESC LIMIT ? OFFSET ?`
	args = append(args, q.Limit+1, q.Offset)

	rows, err := db.sql.QueryContext(ctx, db.rebind(query), args...)
	if err != nil {
		return ArticlePage{}, fmt.Errorf("store: article search: %w", err)
	}
	defer rows.Close()
	var page ArticlePage
	for rows.Next() {
		var (
			r                    ArticleRow
			source, url, label   sql.NullString
			model                sql.NullString
			confidence           sql.NullFloat64
			published, classifed sql.NullTime
		)
		if err := rows.Scan(&r.ID, &r.Title, &source, &url, &published, &r.IngestedAt, &label, &confidence, &model, &classifed); err != nil {
			return ArticlePage{}, fmt.Errorf("store: article search: %w", err)
		}
		r.Source, r.URL, r.Topic, r.ModelVersion, r.Confidence = source.String, url.String, label.String, model.String, confidence.Float64
		r.PublishedAt, r.ClassifiedAt = timePtr(published), timePtr(classifed)
		page.Rows = append(page.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return ArticlePage{}, fmt.Errorf("store: article search: %w", err)
	}
	if len(page.Rows) > q.Limit {
		page.Rows, page.More = page.Rows[:q.Limit], true
	}
	return page, nil
}

func timePtr(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// ArticleHistory is everything known about one article: its predictions,
// the review items and labels of it (retracted ones included, marked), the
// feedback on it, the training runs that used those labels, and the model
// versions involved (those that predicted it and those the runs started
// from or made).
type ArticleHistory struct {
	Article      Article
	Predictions  []Prediction
	ReviewItems  []LineageReviewItem
	Labels       []LineageLabel
	Feedback     []LineageFeedback
	TrainingRuns []TrainingRun
	Models       []ModelVersion
}

// ArticleHistory traces article id; an unknown one is ErrNotFound.
func (db *DB) ArticleHistory(ctx context.Context, id int64) (ArticleHistory, error) {
	var h ArticleHistory
	err := db.inTx(ctx, func(tx *sql.Tx) (err error) {
		if h.Article, err = db.Article(ctx, id); err != nil {
			return err
		}
		if h.Predictions, err = db.predictionsTx(ctx, tx, id); err != nil {
			return fmt.Errorf("predictions: %w", err)
		}
		if h.ReviewItems, err = db.lineageReviewItems(ctx, tx, id); err != nil {
			return fmt.Errorf("review items: %w", err)
		}
		if h.Labels, err = db.lineageLabels(ctx, tx, id); err != nil {
			return fmt.Errorf("labels: %w", err)
		}
		if h.Feedback, err = db.lineageFeedback(ctx, tx, id); err != nil {
			return fmt.Errorf("feedback: %w", err)
		}
		var runIDs []int64
		for _, l := range h.Labels {
			runIDs = append(runIDs, l.TrainingRunIDs...)
		}
		slices.Sort(runIDs)
		var versions []string
		for _, p := range h.Predictions {
			versions = append(versions, p.ModelVersion)
		}
		for _, rid := range slices.Compact(runIDs) {
			run, err := db.trainingRun(ctx, tx, `id = ?`, rid)
			if err != nil {
				return fmt.Errorf("training run %d: %w", rid, err)
			}
			h.TrainingRuns = append(h.TrainingRuns, run)
			versions = append(versions, run.BaseVersion, run.NewVersion)
		}
		seen := map[string]bool{"": true}
		for _, v := range versions {
			if seen[v] {
				continue
			}
			seen[v] = true
			m, err := db.modelVersion(ctx, tx, v)
			if errors.Is(err, ErrNotFound) {
				continue // zero-shot taxonomies' models are not registered
			} else if err != nil {
				return fmt.Errorf("model version %q: %w", v, err)
			}
			h.Models = append(h.Models, m)
		}
		return nil
	})
	if err != nil {
		return h, fmt.Errorf("store: history of article %d: %w", id, err)
	}
	return h, nil
}

// predictionsTx lists an article's predictions, oldest first.
func (db *DB) predictionsTx(ctx context.Context, tx *sql.Tx, articleID int64) ([]Prediction, error) {
	rows, err := tx.QueryContext(ctx, db.rebind(`SELECT id, article_id, model_version, taxonomy, label, confidence, scores, request_id, created_at
		FROM predictions WHERE article_id = ? ORDER BY id`), articleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Prediction
	for rows.Next() {
		var (
			p        Prediction
			taxonomy sql.NullString
			scores   []byte
		)
		if err := rows.Scan(&p.ID, &p.ArticleID, &p.ModelVersion, &taxonomy, &p.Label, &p.Confidence, &scores, &p.RequestID, &p.CreatedAt); err != nil {
			return nil, err
		}
		p.Taxonomy = taxonomy.String
		if err := json.Unmarshal(scores, &p.Scores); err != nil {
			return nil, fmt.Errorf("prediction %d scores: %w", p.ID, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
