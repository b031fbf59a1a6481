package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// TrendQuery selects what TopicTrends counts. Days are UTC.
type TrendQuery struct {
	// From is the first instant counted, To the first one not counted.
	From, To time.Time
	// Source keeps articles from this source (articles.source); empty
	// keeps all.
	Source string
	// Topics keeps these topics in the per-topic counts; empty keeps all.
	// The day totals always cover every topic, so that a share of the
	// total stays a share of everything.
	Topics []string
}

// TopicDayCount is how many predictions or labels one topic got on one UTC
// day (YYYY-MM-DD).
type TopicDayCount struct {
	Day   string
	Topic string
	Count int
}

// TopicTrends is topic volume per UTC day, as the model saw it and as
// humans settled it. Days without any count are absent.
type TopicTrends struct {
	// Predicted counts predictions of the trained topic model (not
	// zero-shot taxonomies) by when they were made.
	Predicted []TopicDayCount
	// Reviewed counts settled human labels by when they were made: the
	// final labels of labeled review items and feedback labels, retracted
	// ones aside.
	Reviewed []TopicDayCount
	// PredictedTotal and ReviewedTotal count every topic per day, ignoring
	// TrendQuery.Topics.
	PredictedTotal []DayCount
	ReviewedTotal  []DayCount
}

// TrendFilters are the values the trends filters offer.
type TrendFilters struct {
	Sources []string
	Topics  []string
}

// maxTrendSpan bounds one query: two years of days is plenty for a chart
// and keeps a careless URL from scanning the whole history.
const maxTrendSpan = 2 * 366 * 24 * time.Hour

// Validate checks a query before it runs.
func (q TrendQuery) Validate() error {
	var v ValidationError
	switch {
	case q.From.IsZero() || q.To.IsZero():
		v = append(v, FieldIssue{Field: "from", Message: "a date range needs both ends"})
	case !q.From.Before(q.To):
		v = append(v, FieldIssue{Field: "from", Message: "the range must start before it ends"})
	case q.To.Sub(q.From) > maxTrendSpan:
		v = append(v, FieldIssue{Field: "to", Message: "the range may span at most two years"})
	}
	if len(v) > 0 {
		return v
	}
	return nil
}

// The two kinds of count share their shape: a day, a topic and the
// filters. from names the rows counted and their timestamp and topic
// columns, already joined to articles as a.
const (
	// Human labels count as training counts them (usableLabel): a review
	// label once its item settles on it, feedback as it arrives.
	reviewedFrom = `FROM labels l JOIN articles a ON a.id = l.article_id
		WHERE ` + usableLabel + ` AND l.created_at >= ? AND l.created_at < ?`
)

// TopicTrends counts predictions and settled labels per topic and UTC day,
// all in one transaction so that the counts and totals agree. Predictions
// come from the daily rollup (topic_daily), so a view costs the same with
// a million predictions as with a hundred; labels are few and counted
// directly.
func (db *DB) TopicTrends(ctx context.Context, q TrendQuery) (TopicTrends, error) {
	var out TopicTrends
	if err := q.Validate(); err != nil {
		return out, err
	}
	from, to := q.From.UTC(), q.To.UTC()
	// The rollup is by whole days: a range that starts or ends inside a
	// day counts that whole day, as the chart draws it.
	fromDay, toDay := from.Format(time.DateOnly), to.Add(-time.Nanosecond).Format(time.DateOnly)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		kinds := []struct {
			name             string
			from, day, count string
			topic            string
			args             []any
			counts           *[]TopicDayCount
			totals           *[]DayCount
			source           string
		}{
			{"predicted", `FROM topic_daily t WHERE t.day >= ? AND t.day <= ?`, "t.day", "SUM(t.predicted)", "t.label",
				[]any{fromDay, toDay}, &out.Predicted, &out.PredictedTotal, "t.source"},
			{"reviewed", reviewedFrom, db.utcDay("l.created_at"), "COUNT(*)", "l.label",
				[]any{from, to}, &out.Reviewed, &out.ReviewedTotal, "a.source"},
		}
		for _, k := range kinds {
			where, args := k.from, k.args
			if q.Source != "" {
				where += ` AND ` + k.source + ` = ?`
				args = append(args, q.Source)
			}
			byTopic := where
			topicArgs := args
			if len(q.Topics) > 0 {
				byTopic += ` AND ` + k.topic + ` IN (?` + strings.Repeat(`, ?`, len(q.Topics)-1) + `)`
				for _, t := range q.Topics {
					topicArgs = append(topicArgs, t)
				}
			}
			query := `SELECT ` + k.day + `, ` + k.topic + `, ` + k.count + ` ` + byTopic + ` GROUP BY 1, 2 ORDER BY 1, 2`
			if err := scanRows(ctx, tx, db.rebind(query), topicArgs, func(r *sql.Rows) error {
				var c TopicDayCount
				err := r.Scan(&c.Day, &c.Topic, &c.Count)
				*k.counts = append(*k.counts, c)
				return err
			}); err != nil {
				return fmt.Errorf("%s by topic: %w", k.name, err)
			}
			query = `SELECT ` + k.day + `, ` + k.count + ` ` + where + ` GROUP BY 1 ORDER BY 1`
			if err := scanRows(ctx, tx, db.rebind(query), args, func(r *sql.Rows) error {
				var c DayCount
				err := r.Scan(&c.Day, &c.Count)
				*k.totals = append(*k.totals, c)
				return err
			}); err != nil {
				return fmt.Errorf("%s totals: %w", k.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("store: topic trends: %w", err)
	}
	return out, nil
}

// TrendFilters lists the article sources and the topics ever predicted by
// the trained model or given by a human, sorted, for the filter controls.
func (db *DB) TrendFilters(ctx context.Context) (TrendFilters, error) {
	var out TrendFilters
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		str := func(dst *[]string) func(*sql.Rows) error {
			return func(r *sql.Rows) error {
				var s string
				err := r.Scan(&s)
				*dst = append(*dst, s)
				return err
			}
		}
		// From the rollup, not articles and predictions: the same values at
		// a fraction of the rows.
		if err := scanRows(ctx, tx, `SELECT DISTINCT source FROM topic_daily WHERE source <> '' ORDER BY source`, nil, str(&out.Sources)); err != nil {
			return fmt.Errorf("sources: %w", err)
		}
		const topics = `SELECT label FROM topic_daily
			UNION SELECT label FROM labels WHERE retracted_at IS NULL ORDER BY 1`
		if err := scanRows(ctx, tx, topics, nil, str(&out.Topics)); err != nil {
			return fmt.Errorf("topics: %w", err)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("store: trend filters: %w", err)
	}
	return out, nil
}

// utcDay is the dialect's expression for the UTC day (YYYY-MM-DD) of a
// timestamp column. SQLite's date() reads the stored offset and converts
// to UTC; Postgres formats the instant in UTC whatever the session zone.
func (db *DB) utcDay(col string) string {
	if db.dialect == Postgres {
		return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
	}
	return `date(` + col + `)`
}

// scanRows runs a query in tx and hands each row to scan.
func scanRows(ctx context.Context, tx *sql.Tx, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RebuildTopicDaily recomputes the daily prediction rollup from the
// predictions themselves. The rollup is kept in step as predictions are
// recorded; this is for rows written behind the store's back (bulk loads,
// test fixtures) and for repair.
func (db *DB) RebuildTopicDaily(ctx context.Context) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM topic_daily`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO topic_daily (day, source, label, predicted)
			SELECT `+db.utcDay("p.created_at")+`, COALESCE(a.source, ''), p.label, COUNT(*)
			FROM predictions p JOIN articles a ON a.id = p.article_id
			WHERE p.taxonomy IS NULL GROUP BY 1, 2, 3`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: rebuild topic_daily: %w", err)
	}
	return nil
}
