package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// NewArticle is an article as it arrives.
type NewArticle struct {
	ExternalID  string // the client's own id, if any
	Title       string
	Body        string
	URL         string
	Source      string
	PublishedAt *time.Time
	// Summary is an extractive summary of the article and SummaryVersion
	// the summarizer that made it (summarize.Summary.Version). The ingest
	// jobs set them; /classify_news leaves them empty, stored as NULL. A
	// duplicate's summary is not stored: the known article keeps its own.
	Summary        string
	SummaryVersion string
}

// NewPrediction is a model's verdict on an article.
type NewPrediction struct {
	ModelVersion string
	Taxonomy     string // empty for the trained topic model
	Label        string
	Confidence   float64
	Scores       map[string]float64
	RequestID    string
}

// ReviewRequest asks for a human to look at a prediction.
type ReviewRequest struct {
	Reason   string
	Priority float64
	// Uncertainty is 1 - the top probability, whatever the strategy; the
	// queue can sort by it.
	Uncertainty float64
	// RequiredReviews is 2 under double review, else 1 (0 means 1).
	RequiredReviews int
	// Embedding is the article's embedding, kept for diversity sampling.
	Embedding []float32
}

// Classification is one article, its prediction, and whether to queue it
// for review (Review nil: no).
type Classification struct {
	Article    NewArticle
	Prediction NewPrediction
	Review     *ReviewRequest

	// onlyNew records nothing for an article already stored (ingest).
	onlyNew bool
}

// Recorded says what RecordClassifications stored for one Classification.
type Recorded struct {
	ArticleID    int64
	PredictionID int64
	// Duplicate reports that the article was known already (same content
	// or same URL) and the prediction was attached to it.
	Duplicate bool
	// ByURL reports a duplicate found by its URL, not its content.
	ByURL bool
	// ReviewQueued reports that a review item is open for the article
	// because of this call. An article already waiting for review is not
	// queued twice.
	ReviewQueued bool
}

// ContentHash is the dedupe key of an article: SHA-256 of its title and
// body with white space folded and case ignored, so re-sent copies match.
func ContentHash(title, body string) string {
	norm := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }
	sum := sha256.Sum256([]byte(norm(title) + "\x00" + norm(body)))
	return hex.EncodeToString(sum[:])
}

// RecordClassifications stores a batch of classified articles in one
// transaction: each article (deduplicated by content hash, then by URL),
// its prediction, and a review item when asked for. Either all of the
// batch is stored or none of it. Concurrent calls share a transaction
// (group commit, see groupCommit); each returns once its rows are
// committed.
func (db *DB) RecordClassifications(ctx context.Context, items []Classification) ([]Recorded, error) {
	if db.group == nil {
		return db.recordAlone(ctx, items)
	}
	return db.group.record(ctx, items)
}

func (db *DB) recordOne(ctx context.Context, tx *sql.Tx, it Classification, now time.Time) (Recorded, error) {
	a, p := it.Article, it.Prediction
	hash := ContentHash(a.Title, a.Body)
	var r Recorded
	var err error
	r.ArticleID, r.ByURL, err = db.findArticle(ctx, tx, hash, a.URL)
	switch {
	case err == nil:
		r.Duplicate = true
	case errors.Is(err, ErrNotFound):
		// A concurrent transaction may insert the same article first; on
		// Postgres ours then inserts nothing and we find theirs.
		err = tx.QueryRowContext(ctx, db.rebind(`INSERT INTO articles
			(content_hash, external_id, title, body, url, source, published_at, ingested_at, summary, summary_version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`),
			hash, nullString(a.ExternalID), a.Title, a.Body, nullString(a.URL), nullString(a.Source), a.PublishedAt, now,
			nullString(a.Summary), nullString(a.SummaryVersion),
		).Scan(&r.ArticleID)
		if errors.Is(err, sql.ErrNoRows) {
			r.ArticleID, r.ByURL, err = db.findArticle(ctx, tx, hash, a.URL)
			r.Duplicate = true
		}
		if err != nil {
			return r, fmt.Errorf("insert article: %w", err)
		}
	default:
		return r, err
	}
	if it.onlyNew && r.Duplicate {
		return r, nil
	}

	scores, err := json.Marshal(p.Scores)
	if err != nil {
		return r, fmt.Errorf("encode scores: %w", err)
	}
	err = tx.QueryRowContext(ctx, db.rebind(`INSERT INTO predictions
		(article_id, model_version, taxonomy, label, confidence, scores, request_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.ArticleID, p.ModelVersion, nullString(p.Taxonomy), p.Label, p.Confidence, string(scores), p.RequestID, now,
	).Scan(&r.PredictionID)
	if err != nil {
		return r, fmt.Errorf("insert prediction: %w", err)
	}

	if p.Taxonomy == "" {
		if err := db.countTopicSlot(ctx, tx, r, a, p.Label, now); err != nil {
			return r, err
		}
	}

	if it.Review != nil {
		// The partial unique index on open items makes a second request
		// for an article already waiting a no-op.
		rv := it.Review
		res, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO review_items
			(article_id, prediction_id, state, reason, priority, uncertainty, required_reviews, embedding, created_at, updated_at)
			VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
			r.ArticleID, r.PredictionID, rv.Reason, rv.Priority, rv.Uncertainty, max(rv.RequiredReviews, 1),
			encodeVector(rv.Embedding), now, now)
		if err != nil {
			return r, fmt.Errorf("queue review: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return r, fmt.Errorf("queue review: %w", err)
		}
		r.ReviewQueued = n == 1
	}
	return r, nil
}

// findArticle returns the id of the article with this content hash or,
// failing that, this URL, and whether the URL matched.
func (db *DB) findArticle(ctx context.Context, tx *sql.Tx, hash, url string) (id int64, byURL bool, err error) {
	err = tx.QueryRowContext(ctx, db.rebind(`SELECT id FROM articles WHERE content_hash = ?`), hash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) && url != "" {
		byURL = true
		err = tx.QueryRowContext(ctx, db.rebind(`SELECT id FROM articles WHERE url = ?`), url).Scan(&id)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, ErrNotFound
	case err != nil:
		return 0, false, fmt.Errorf("find article: %w", err)
	}
	return id, byURL, nil
}

// Article is a stored article.
type Article struct {
	ID          int64
	ContentHash string
	ExternalID  string
	Title       string
	Body        string
	URL         string
	Source      string
	PublishedAt *time.Time
	IngestedAt  time.Time
	// Summary and SummaryVersion are the stored summary, empty when none
	// was stored (see NewArticle).
	Summary        string
	SummaryVersion string
}

// Article returns the article with id, or ErrNotFound.
func (db *DB) Article(ctx context.Context, id int64) (Article, error) {
	var (
		a                                 Article
		ext, url, source, summary, sumVer sql.NullString
		published                         sql.NullTime
	)
	err := db.sql.QueryRowContext(ctx, db.rebind(`SELECT id, content_hash, external_id, title, body, url, source, published_at, ingested_at,
		summary, summary_version
		FROM articles WHERE id = ?`), id).Scan(&a.ID, &a.ContentHash, &ext, &a.Title, &a.Body, &url, &source, &published, &a.IngestedAt,
		&summary, &sumVer)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return a, fmt.Errorf("store: article %d: %w", id, ErrNotFound)
	case err != nil:
		return a, fmt.Errorf("store: article %d: %w", id, err)
	}
	a.ExternalID, a.URL, a.Source = ext.String, url.String, source.String
	a.Summary, a.SummaryVersion = summary.String, sumVer.String
	if published.Valid {
		t := published.Time
		a.PublishedAt = &t
	}
	return a, nil
}

// Prediction is a stored prediction.
type Prediction struct {
	ID           int64
	ArticleID    int64
	ModelVersion string
	Taxonomy     string
	Label        string
	Confidence   float64
	Scores       map[string]float64
	RequestID    string
	CreatedAt    time.Time
}

// Predictions lists an article's predictions, oldest first.
func (db *DB) Predictions(ctx context.Context, articleID int64) ([]Prediction, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT id, article_id, model_version, taxonomy, label, confidence, scores, request_id, created_at
		FROM predictions WHERE article_id = ? ORDER BY id`), articleID)
	if err != nil {
		return nil, fmt.Errorf("store: predictions of article %d: %w", articleID, err)
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
			return nil, fmt.Errorf("store: predictions of article %d: %w", articleID, err)
		}
		p.Taxonomy = taxonomy.String
		if err := json.Unmarshal(scores, &p.Scores); err != nil {
			return nil, fmt.Errorf("store: prediction %d scores: %w", p.ID, err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: predictions of article %d: %w", articleID, err)
	}
	return out, nil
}

// ReviewItem is a stored review queue entry.
type ReviewItem struct {
	ID           int64
	ArticleID    int64
	PredictionID int64
	State        string
	Reason       string
	Priority     float64
	CreatedAt    time.Time
}

// OpenReviewItems lists pending and claimed items, highest priority first.
func (db *DB) OpenReviewItems(ctx context.Context, limit int) ([]ReviewItem, error) {
	rows, err := db.sql.QueryContext(ctx, db.rebind(`SELECT id, article_id, prediction_id, state, reason, priority, created_at
		FROM review_items WHERE state IN ('pending', 'claimed') ORDER BY priority DESC, id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("store: open review items: %w", err)
	}
	defer rows.Close()
	var out []ReviewItem
	for rows.Next() {
		var (
			it   ReviewItem
			pred sql.NullInt64
		)
		if err := rows.Scan(&it.ID, &it.ArticleID, &pred, &it.State, &it.Reason, &it.Priority, &it.CreatedAt); err != nil {
			return nil, fmt.Errorf("store: open review items: %w", err)
		}
		it.PredictionID = pred.Int64
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: open review items: %w", err)
	}
	return out, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// countTopicSlot adds a trained-model prediction to the rollups the
// trends page reads, under the stored article's source and time (a
// duplicate may arrive with others): its publication, or its arrival when
// it has none.
func (db *DB) countTopicSlot(ctx context.Context, tx *sql.Tx, r Recorded, a NewArticle, label string, now time.Time) error {
	source, published, received := a.Source, a.PublishedAt, now
	if r.Duplicate {
		var (
			stored sql.NullString
			pub    sql.NullTime
		)
		err := tx.QueryRowContext(ctx, db.rebind(`SELECT source, published_at, ingested_at FROM articles WHERE id = ?`), r.ArticleID).
			Scan(&stored, &pub, &received)
		if err != nil {
			return fmt.Errorf("article source and time: %w", err)
		}
		source, published = stored.String, nil
		if pub.Valid {
			published = &pub.Time
		}
	}
	at, undated := received, 1
	if published != nil {
		at, undated = *published, 0
	}
	for _, ru := range trendRollups {
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO `+ru.table+` (slot, source, label, undated, predicted) VALUES (?, ?, ?, ?, 1)
			ON CONFLICT (slot, source, label, undated) DO UPDATE SET predicted = `+ru.table+`.predicted + 1`),
			ru.key(at), source, label, undated)
		if err != nil {
			return fmt.Errorf("count %s: %w", ru.table, err)
		}
	}
	return nil
}
