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

// maxTrendSpan bounds one query: two years of days, widened to whole
// weeks, and the 28 weeks spike detection reads before them, is plenty
// for a chart and keeps a careless URL from scanning the whole history.
const maxTrendSpan = (2*366 + 30*7) * 24 * time.Hour

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

// trendRollup is one of the prediction rollups: counts per slot of the
// articles' time, source, topic and whether the time is a publication
// date. Zones offset by whole hours read topic_hours; the rest need
// quarter hours, 4 times the rows.
type trendRollup struct {
	table string
	slot  time.Duration
}

var (
	hourRollup    = trendRollup{"topic_hours", time.Hour}
	quarterRollup = trendRollup{"topic_slots", 15 * time.Minute}
	trendRollups  = []trendRollup{hourRollup, quarterRollup}
)

// key is the slot an instant is counted in, as Unix seconds.
func (r trendRollup) key(t time.Time) int64 { return t.Truncate(r.slot).Unix() }

// zoneSpan is a stretch of time with one offset from UTC: until (Unix
// seconds; the last span has none) and the offset in seconds.
type zoneSpan struct {
	until  int64
	offset int
}

// zoneSpans lists loc's offsets over from..to, split at its transitions.
func zoneSpans(loc *time.Location, from, to time.Time) []zoneSpan {
	var out []zoneSpan
	t := from.In(loc)
	for {
		_, offset := t.Zone()
		_, end := t.ZoneBounds()
		if end.IsZero() || !end.Before(to) {
			return append(out, zoneSpan{offset: offset})
		}
		out = append(out, zoneSpan{until: end.Unix(), offset: offset})
		t = end.In(loc)
	}
}

// rollupFor picks the coarsest rollup whose slots never straddle two
// local days of spans.
func rollupFor(spans []zoneSpan) trendRollup {
	for _, s := range spans {
		if s.offset%3600 != 0 {
			return quarterRollup
		}
	}
	return hourRollup
}

// articleEpoch is the dialect's expression for the Unix seconds of when an
// article (a) counts: its publication, else its arrival.
func (db *DB) articleEpoch() string {
	if db.dialect == Postgres {
		return `floor(extract(epoch FROM COALESCE(a.published_at, a.ingested_at)))::bigint`
	}
	return `CAST(strftime('%s', COALESCE(a.published_at, a.ingested_at)) AS INTEGER)`
}

// localDay is the dialect's expression for the local day (YYYY-MM-DD) of
// epoch, an expression of Unix seconds, with its arguments. SQLite knows
// no time zones, so the zone's offsets are spelled out, span by span.
func (db *DB) localDay(epoch string, spans []zoneSpan) (string, []any) {
	shifted, args := epoch, []any(nil)
	if len(spans) > 1 || spans[0].offset != 0 {
		var b strings.Builder
		for _, s := range spans[:len(spans)-1] {
			b.WriteString(`CASE WHEN ` + epoch + ` < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE `)
			args = append(args, s.until, s.offset)
		}
		b.WriteString(`CAST(? AS BIGINT)` + strings.Repeat(` END`, len(spans)-1))
		args = append(args, spans[len(spans)-1].offset)
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
// a rollup (topic_hours, or topic_slots for zones offset by part of an
// hour), so a view reads slots, not predictions; labels are few and
// counted directly.
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
	spans := zoneSpans(loc, q.From, q.To)
	rollup := rollupFor(spans)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		epoch := db.articleEpoch()
		kinds := []struct {
			name, from, epoch, count, topic, source, undated string
			counts                                           *[]TopicDayCount
			totals, undatedDays                              *[]DayCount
		}{
			{"predicted", `FROM ` + rollup.table + ` t WHERE t.slot >= ? AND t.slot < ?`, "t.slot", "SUM(t.predicted)", "t.label", "t.source",
				"t.undated", &out.Predicted, &out.PredictedTotal, &out.PredictedUndated},
			{"reviewed", reviewedFrom + ` AND ` + epoch + ` >= ? AND ` + epoch + ` < ?`, epoch, "COUNT(*)", "l.label", "a.source",
				"CASE WHEN a.published_at IS NULL THEN 1 ELSE 0 END", &out.Reviewed, &out.ReviewedTotal, &out.ReviewedUndated},
		}
		for _, k := range kinds {
			// One pass per kind, by day, topic and whether dated: the
			// totals and undated counts are sums of its rows.
			day, args := db.localDay(k.epoch, spans)
			where := k.from
			args = append(args, from, to)
			if q.Source != "" {
				where += ` AND ` + k.source + ` = ?`
				args = append(args, q.Source)
			}
			query := `SELECT ` + day + `, ` + k.topic + `, ` + k.undated + `, ` + k.count + ` ` + where + ` GROUP BY 1, 2, 3 ORDER BY 1, 2`
			err := scanRows(ctx, tx, db.rebind(query), args, func(r *sql.Rows) error {
				var (
					c       TopicDayCount
					undated int
				)
				if err := r.Scan(&c.Day, &c.Topic, &undated, &c.Count); err != nil {
					return err
				}
				addDay(k.totals, c.Day, c.Count)
				if len(q.Topics) > 0 && !slices.Contains(q.Topics, c.Topic) {
					return nil
				}
				if undated == 1 {
					addDay(k.undatedDays, c.Day, c.Count)
				}
				if n := len(*k.counts); n > 0 && (*k.counts)[n-1].Day == c.Day && (*k.counts)[n-1].Topic == c.Topic {
					(*k.counts)[n-1].Count += c.Count
					return nil
				}
				*k.counts = append(*k.counts, c)
				return nil
			})
			if err != nil {
				return fmt.Errorf("%s: %w", k.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("store: topic trends: %w", err)
	}
	return out, nil
}

// addDay adds n to day's count in days, which arrive in day order.
func addDay(days *[]DayCount, day string, n int) {
	if l := len(*days); l > 0 && (*days)[l-1].Day == day {
		(*days)[l-1].Count += n
		return
	}
	*days = append(*days, DayCount{Day: day, Count: n})
}

// distinctTrendValues lists the distinct values of a topic_hours column
// (label or source, both indexed) but the empty one, sorted, by a loose index
// scan: one index probe per value rather than a pass over every slot. It
// runs alike on SQLite and Postgres.
func distinctTrendValues(col string) string {
	return `WITH RECURSIVE v(x) AS (
		SELECT MIN(` + col + `) FROM topic_hours WHERE ` + col + ` <> ''
		UNION ALL
		SELECT (SELECT MIN(` + col + `) FROM topic_hours WHERE ` + col + ` > v.x) FROM v WHERE v.x IS NOT NULL
	) SELECT x FROM v WHERE x IS NOT NULL`
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
		if err := scanRows(ctx, tx, distinctTrendValues("source"), nil, str(&out.Sources)); err != nil {
			return fmt.Errorf("sources: %w", err)
		}
		topics := `SELECT x FROM (` + distinctTrendValues("label") + `) t
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

// RebuildTopicSlots recomputes the prediction rollups from the
// predictions and their articles. The rollups are kept in step as
// predictions are recorded; this is for rows written behind the store's
// back (bulk loads, test fixtures, an article's date corrected) and for
// repair.
func (db *DB) RebuildTopicSlots(ctx context.Context) error {
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for _, r := range trendRollups {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+r.table); err != nil {
				return err
			}
			n := strconv.Itoa(int(r.slot / time.Second))
			_, err := tx.ExecContext(ctx, `INSERT INTO `+r.table+` (slot, source, label, undated, predicted)
				SELECT s - ((s % `+n+`) + `+n+`) % `+n+`, source, label, undated, COUNT(*)
				FROM (SELECT `+db.articleEpoch()+` AS s, COALESCE(a.source, '') AS source, p.label AS label,
						CASE WHEN a.published_at IS NULL THEN 1 ELSE 0 END AS undated
					FROM predictions p JOIN articles a ON a.id = p.article_id
					WHERE p.taxonomy IS NULL) t
				GROUP BY 1, 2, 3, 4`)
			if err != nil {
				return fmt.Errorf("%s: %w", r.table, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: rebuild trend rollups: %w", err)
	}
	return nil
}
