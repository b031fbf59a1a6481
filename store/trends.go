package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TrendQuery selects what TopicTrends counts. Articles count by when
// they were published, or when they were received if they carry no date,
// on the days of Zone.
type TrendQuery struct {
	// From is the first instant counted, To the first one not counted.
	// Counts are kept by quarter hour, so instants between are rounded
	// down to one.
	From, To time.Time
	// Zone is where days begin and end; nil is UTC.
	Zone *time.Location
	// Source keeps articles from this source (articles.source); empty
	// keeps all.
	Source string
	// Topics keeps these topics in the per-topic counts; empty keeps all.
	// The day totals always cover every topic, so that a share of the
	// total stays a share of everything.
	Topics []string
}

// TopicDayCount is how many predictions or labels one topic got for
// articles of one day (YYYY-MM-DD) in the query's zone.
type TopicDayCount struct {
	Day   string
	Topic string
	Count int
}

// TopicTrends is topic volume per day of the articles' publication, as
// the model saw it and as humans settled it. Days without any count are
// absent.
type TopicTrends struct {
	// Predicted counts predictions of the trained topic model (not
	// zero-shot taxonomies).
	Predicted []TopicDayCount
	// Reviewed counts settled human labels: the final labels of labeled
	// review items and feedback labels, retracted ones aside.
	Reviewed []TopicDayCount
	// PredictedTotal and ReviewedTotal count every topic per day, ignoring
	// TrendQuery.Topics.
	PredictedTotal []DayCount
	ReviewedTotal  []DayCount
	// PredictedUndated and ReviewedUndated count, per day, those of
	// Predicted and Reviewed whose article has no publication date and
	// so counts by when it was received.
	PredictedUndated []DayCount
	ReviewedUndated  []DayCount
}

// TrendFilters are the values the trends filters offer.
type TrendFilters struct {
	Sources []string
	Topics  []string
}

// maxTrendSpan bounds one query: two years of days, and the trailing
// weeks spike detection reads before them, is plenty for a chart and
// keeps a careless URL from scanning the whole history.
const maxTrendSpan = (2*366 + 28*7) * 24 * time.Hour

// Validate checks a query before it runs.
func (q TrendQuery) Validate() error {
	var v ValidationError
	switch {
	case q.From.IsZero() || q.To.IsZero():
		v = append(v, FieldIssue{Field: "from", Message: "a date range needs both ends"})
	case !q.From.Before(q.To):
		v = append(v, FieldIssue{Field: "from", Message: "the range must start before it ends"})
	case q.To.Sub(q.From) > maxTrendSpan:
		v = append(v, FieldIssue{Field: "to", Message: "the range may span at most two years (and its history)"})
	}
	if len(v) > 0 {
		return v
	}
	return nil
}

// trendSlot is the quarter hour an instant is counted in, as Unix
// seconds: the rollup's key.
func trendSlot(t time.Time) int64 { return t.Truncate(15 * time.Minute).Unix() }

// slotSeconds is how long a rollup slot lasts.
const slotSeconds = 15 * 60

// articleEpoch is the dialect's expression for the Unix seconds of when an
// article (a) counts: its publication, else its arrival.
func (db *DB) articleEpoch() string {
	if db.dialect == Postgres {
		return `floor(extract(epoch FROM COALESCE(a.published_at, a.ingested_at)))::bigint`
	}
	return `CAST(strftime('%s', COALESCE(a.published_at, a.ingested_at)) AS INTEGER)`
}

// localDay is the dialect's expression for the day (YYYY-MM-DD) in loc of
// epoch, an expression of Unix seconds, with its arguments. SQLite knows
// no time zones, so the zone's offsets over from..to are spelled out: each
// stretch between two transitions has one offset.
func (db *DB) localDay(epoch string, loc *time.Location, from, to time.Time) (string, []any) {
	shifted, args := epoch, []any(nil)
	if loc != time.UTC {
		var b strings.Builder
		t := from.In(loc)
		for {
			_, offset := t.Zone()
			_, end := t.ZoneBounds()
			if end.IsZero() || !end.Before(to) {
				b.WriteString(`CAST(? AS BIGINT)`)
				args = append(args, offset)
				break
			}
			b.WriteString(`CASE WHEN ` + epoch + ` < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE `)
			args = append(args, end.Unix(), offset)
			t = end.In(loc)
		}
		b.WriteString(strings.Repeat(` END`, len(args)/2))
		shifted = `(` + epoch + ` + ` + b.String() + `)`
	}
	if db.dialect == Postgres {
		return `to_char(to_timestamp(` + shifted + `) AT TIME ZONE 'UTC', 'YYYY-MM-DD')`, args
	}
	return `date(` + shifted + `, 'unixepoch')`, args
}

// Human labels count as training counts them (usableLabel): a review
// label once its item settles on it, feedback as it arrives.
const reviewedFrom = `FROM labels l JOIN articles a ON a.id = l.article_id WHERE ` + usableLabel

// TopicTrends counts predictions and settled labels per topic and day of
// the articles' publication (or arrival, undated) in q.Zone, all in one
// transaction so that the counts and totals agree. Predictions come from
// the quarter-hour rollup (topic_slots), so a view costs the same with a
// million predictions as with a hundred; labels are few and counted
// directly.
func (db *DB) TopicTrends(ctx context.Context, q TrendQuery) (TopicTrends, error) {
	var out TopicTrends
	if err := q.Validate(); err != nil {
		return out, err
	}
	loc := q.Zone
	if loc == nil {
		loc = time.UTC
	}
	from, to := q.From.Unix(), q.To.Unix()
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		epoch := db.articleEpoch()
		kinds := []struct {
			name, from, epoch, count, topic, source, undated string
			args                                             []any
			counts                                           *[]TopicDayCount
			totals, undatedDays                              *[]DayCount
		}{
			{"predicted", `FROM topic_slots t WHERE t.slot >= ? AND t.slot < ?`, "t.slot", "SUM(t.predicted)", "t.label", "t.source",
				"t.undated = 1", []any{from, to}, &out.Predicted, &out.PredictedTotal, &out.PredictedUndated},
			{"reviewed", reviewedFrom + ` AND ` + epoch + ` >= ? AND ` + epoch + ` < ?`, epoch, "COUNT(*)", "l.label", "a.source",
				"a.published_at IS NULL", []any{from, to}, &out.Reviewed, &out.ReviewedTotal, &out.ReviewedUndated},
		}
		for _, k := range kinds {
			day, dayArgs := db.localDay(k.epoch, loc, q.From, q.To)
			where, args := k.from, k.args
			if q.Source != "" {
				where += ` AND ` + k.source + ` = ?`
				args = append(args, q.Source)
			}
			byTopic, topicArgs := where, slices.Clone(args)
			if len(q.Topics) > 0 {
				byTopic += ` AND ` + k.topic + ` IN (?` + strings.Repeat(`, ?`, len(q.Topics)-1) + `)`
				for _, t := range q.Topics {
					topicArgs = append(topicArgs, t)
				}
			}
			query := `SELECT ` + day + `, ` + k.topic + `, ` + k.count + ` ` + byTopic + ` GROUP BY 1, 2 ORDER BY 1, 2`
			if err := scanRows(ctx, tx, db.rebind(query), append(slices.Clone(dayArgs), topicArgs...), func(r *sql.Rows) error {
				var c TopicDayCount
				err := r.Scan(&c.Day, &c.Topic, &c.Count)
				*k.counts = append(*k.counts, c)
				return err
			}); err != nil {
				return fmt.Errorf("%s by topic: %w", k.name, err)
			}
			days := func(name, where string, args []any, dst *[]DayCount) error {
				query := `SELECT ` + day + `, ` + k.count + ` ` + where + ` GROUP BY 1 ORDER BY 1`
				if err := scanRows(ctx, tx, db.rebind(query), append(slices.Clone(dayArgs), args...), func(r *sql.Rows) error {
					var c DayCount
					err := r.Scan(&c.Day, &c.Count)
					*dst = append(*dst, c)
					return err
				}); err != nil {
					return fmt.Errorf("%s %s: %w", k.name, name, err)
				}
				return nil
			}
			if err := days("totals", where, args, k.totals); err != nil {
				return err
			}
			if err := days("undated", byTopic+` AND `+k.undated, topicArgs, k.undatedDays); err != nil {
				return err
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
		if err := scanRows(ctx, tx, `SELECT DISTINCT source FROM topic_slots WHERE source <> '' ORDER BY source`, nil, str(&out.Sources)); err != nil {
			return fmt.Errorf("sources: %w", err)
		}
		const topics = `SELECT label FROM topic_slots
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

// RebuildTopicSlots recomputes the prediction rollup from the predictions
// and their articles. The rollup is kept in step as predictions are
// recorded; this is for rows written behind the store's back (bulk loads,
// test fixtures, an article's date corrected) and for repair.
func (db *DB) RebuildTopicSlots(ctx context.Context) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM topic_slots`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO topic_slots (slot, source, label, undated, predicted)
			SELECT s - ((s % `+strconv.Itoa(slotSeconds)+`) + `+strconv.Itoa(slotSeconds)+`) % `+strconv.Itoa(slotSeconds)+`, source, label, undated, COUNT(*)
			FROM (SELECT `+db.articleEpoch()+` AS s, COALESCE(a.source, '') AS source, p.label AS label,
					CASE WHEN a.published_at IS NULL THEN 1 ELSE 0 END AS undated
				FROM predictions p JOIN articles a ON a.id = p.article_id
				WHERE p.taxonomy IS NULL) t
			GROUP BY 1, 2, 3, 4`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: rebuild topic_slots: %w", err)
	}
	return nil
}
