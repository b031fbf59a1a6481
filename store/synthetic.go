package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// SyntheticSpec sizes a made-up corpus for benchmarks: the console must
// stay fast with a production-sized database, and measuring that needs
// one.
type SyntheticSpec struct {
	Articles    int
	Predictions int // spread over the articles
	// ReviewShare of articles get an open review item; LabeledShare of
	// those are settled by a review label.
	ReviewShare  float64
	LabeledShare float64
	Days         int // predictions spread over the last Days days
	Topics       []string
	Sources      []string
	Seed         uint64
	// Progress, if set, is told how many rows are written so far.
	Progress func(done, total int)
}

// SeedSynthetic writes a synthetic corpus in one transaction, with the
// same rows the product writes: articles, predictions (with scores),
// review items and review labels. It is for benchmarks, on a scratch
// database.
func (db *DB) SeedSynthetic(ctx context.Context, spec SyntheticSpec) error {
	if spec.Articles <= 0 || spec.Predictions < spec.Articles || len(spec.Topics) < 2 || len(spec.Sources) == 0 || spec.Days <= 0 {
		return fmt.Errorf("store: synthetic corpus: need articles > 0, predictions ≥ articles, 2+ topics, a source and days > 0")
	}
	rng := rand.New(rand.NewPCG(spec.Seed, 1))
	now := time.Now().UTC()
	total := spec.Articles + spec.Predictions
	done := 0
	tick := func() {
		done++
		if spec.Progress != nil && (done%10000 == 0 || done == total) {
			spec.Progress(done, total)
		}
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		insArticle, err := tx.PrepareContext(ctx, db.rebind(`INSERT INTO articles
			(content_hash, title, body, source, published_at, ingested_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		defer insArticle.Close()
		insPred, err := tx.PrepareContext(ctx, db.rebind(`INSERT INTO predictions
			(article_id, model_version, label, confidence, scores, request_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		defer insPred.Close()
		insReview, err := tx.PrepareContext(ctx, db.rebind(`INSERT INTO review_items
			(article_id, prediction_id, state, reason, priority, uncertainty, created_at, updated_at)
			VALUES (?, ?, 'pending', 'least_confidence', ?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		defer insReview.Close()

		ids := make([]int64, spec.Articles)
		times := make([]time.Time, spec.Articles)
		span := time.Duration(spec.Days) * 24 * time.Hour
		for i := range ids {
			at := now.Add(-time.Duration(rng.Int64N(int64(span))))
			times[i] = at
			title := fmt.Sprintf("Synthetic story %d about %s", i, spec.Topics[rng.IntN(len(spec.Topics))])
			body := fmt.Sprintf("Body of synthetic story %d. It has a few sentences. Nothing in it is real.", i)
			if err := insArticle.QueryRowContext(ctx, fmt.Sprintf("synthetic-%d-%d", spec.Seed, i), title, body,
				spec.Sources[rng.IntN(len(spec.Sources))], at, at).Scan(&ids[i]); err != nil {
				return fmt.Errorf("article %d: %w", i, err)
			}
			tick()
		}
		for p := range spec.Predictions {
			a := p % spec.Articles // every article gets one, the rest repeat
			at := times[a]
			if p >= spec.Articles {
				at = now.Add(-time.Duration(rng.Int64N(int64(span))))
			}
			label, scores, conf := syntheticScores(rng, spec.Topics)
			var predID int64
			if err := insPred.QueryRowContext(ctx, ids[a], "synthetic-v1", label, conf, scores, "", at).Scan(&predID); err != nil {
				return fmt.Errorf("prediction %d: %w", p, err)
			}
			tick()
			if p < spec.Articles && rng.Float64() < spec.ReviewShare {
				var itemID int64
				if err := insReview.QueryRowContext(ctx, ids[a], predID, 1-conf, 1-conf, at, at).Scan(&itemID); err != nil {
					return fmt.Errorf("review item %d: %w", p, err)
				}
				if rng.Float64() < spec.LabeledShare {
					if err := db.settleSynthetic(ctx, tx, itemID, ids[a], label, at); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: synthetic corpus: %w", err)
	}
	// The predictions went in behind RecordClassifications' back.
	return db.RebuildTopicSlots(ctx)
}

// syntheticScores draws a probability vector with a clear winner most of
// the time, as a trained model's are.
func syntheticScores(rng *rand.Rand, topics []string) (string, string, float64) {
	w := make([]float64, len(topics))
	var sum float64
	for i := range w {
		w[i] = rng.Float64()
		sum += w[i]
	}
	best := rng.IntN(len(topics))
	w[best] += sum * (0.5 + rng.Float64()*2)
	sum = 0
	for _, x := range w {
		sum += x
	}
	m := make(map[string]float64, len(topics))
	for i, t := range topics {
		m[t] = w[i] / sum
	}
	b, _ := json.Marshal(m) // a map of floats always marshals
	return topics[best], string(b), w[best] / sum
}

func (db *DB) settleSynthetic(ctx context.Context, tx *sql.Tx, itemID, articleID int64, label string, at time.Time) error {
	var labelID int64
	if err := tx.QueryRowContext(ctx, db.rebind(`INSERT INTO labels (article_id, review_item_id, label, labeled_by, source, created_at)
		VALUES (?, ?, ?, 'synthetic@example.com', 'review', ?) RETURNING id`), articleID, itemID, label, at).Scan(&labelID); err != nil {
		return fmt.Errorf("label of item %d: %w", itemID, err)
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO review_actions
		(review_item_id, reviewer, action, label_id, prev_state, prev_stage, created_at) VALUES (?, 'synthetic@example.com', 'label', ?, 'pending', 'review', ?)`),
		itemID, labelID, at); err != nil {
		return fmt.Errorf("action on item %d: %w", itemID, err)
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE review_items SET state = 'labeled', final_label_id = ?, updated_at = ? WHERE id = ?`),
		labelID, at, itemID); err != nil {
		return fmt.Errorf("settle item %d: %w", itemID, err)
	}
	return nil
}
