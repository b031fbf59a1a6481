package storetest

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/newsintel/newsintel/store"
)

// Raw is a plain database/sql handle on a test database, for seeding rows
// that the code under test reads but another package writes (labels,
// review outcomes, feedback). Queries use ? placeholders.
type Raw struct {
	db      *sql.DB
	dialect store.Dialect
}

// OpenRaw returns a migrated database of dialect d and a Raw handle on
// the same database, both closed when t ends; url is its DB_URL, for tests
// that start servers on it.
func OpenRaw(t testing.TB, d store.Dialect) (db *store.DB, raw *Raw, url string) {
	t.Helper()
	url = URL(t, d)
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("storetest: migrate %s: %v", d, err)
	}
	return db, RawOf(t, url), url
}

// RawOf opens a Raw handle on the database at url.
func RawOf(t testing.TB, url string) *Raw {
	t.Helper()
	var (
		sqlDB   *sql.DB
		dialect = store.SQLite
	)
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatalf("storetest: %v", err)
		}
		sqlDB, dialect = stdlib.OpenDB(*cfg), store.Postgres
	} else {
		var err error
		sqlDB, err = sql.Open("sqlite3", "file:"+store.SQLitePath(url)+"?_foreign_keys=on&_busy_timeout=5000")
		if err != nil {
			t.Fatalf("storetest: %v", err)
		}
	}
	t.Cleanup(func() { sqlDB.Close() })
	return &Raw{db: sqlDB, dialect: dialect}
}

func (r *Raw) rebind(q string) string {
	if r.dialect != store.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Exec runs one statement.
func (r *Raw) Exec(t testing.TB, q string, args ...any) {
	t.Helper()
	if _, err := r.db.ExecContext(context.Background(), r.rebind(q), args...); err != nil {
		t.Fatalf("storetest: %s: %v", q, err)
	}
}

// Int runs a query returning one integer.
func (r *Raw) Int(t testing.TB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := r.db.QueryRowContext(context.Background(), r.rebind(q), args...).Scan(&n); err != nil {
		t.Fatalf("storetest: %s: %v", q, err)
	}
	return n
}

// HumanLabel is a label to seed with AddLabel.
type HumanLabel struct {
	Title, Body string
	Label       string
	Source      string // "review" (the settled label of a review item) or "feedback"
	By          string
	At          time.Time // zero: now
	// Published dates the article, which trends count by; zero for none.
	Published time.Time
}

// AddLabel records the article (classified as "agnews-v1"), then a label
// on it as the review workflow or feedback would leave it: a review label
// is the final label of a labeled review item. It returns the label id.
func AddLabel(t testing.TB, db *store.DB, raw *Raw, l HumanLabel) int64 {
	t.Helper()
	ctx := context.Background()
	c := store.Classification{
		Article: store.NewArticle{Title: l.Title, Body: l.Body},
		Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: "World", Confidence: 0.5,
			Scores: map[string]float64{"World": 0.5}},
	}
	if !l.Published.IsZero() {
		c.Article.PublishedAt = &l.Published
	}
	if l.Source == "review" {
		c.Review = &store.ReviewRequest{Reason: "least_confidence", Priority: 0.5}
	}
	rec, err := db.RecordClassifications(ctx, []store.Classification{c})
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	at := l.At
	if at.IsZero() {
		at = time.Now()
	}
	by := l.By
	if by == "" {
		by = "tester"
	}
	var item any
	if l.Source == "review" {
		item = raw.Int(t, `SELECT id FROM review_items WHERE article_id = ? ORDER BY id DESC LIMIT 1`, rec[0].ArticleID)
	}
	id := raw.Int(t, `INSERT INTO labels (article_id, review_item_id, label, labeled_by, source, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, rec[0].ArticleID, item, l.Label, by, l.Source, at.UTC())
	switch l.Source {
	case "review":
		raw.Exec(t, `UPDATE review_items SET state = 'labeled', final_label_id = ? WHERE id = ?`, id, item)
	case "feedback":
		raw.Exec(t, `INSERT INTO feedback (article_id, prediction_id, correct_label, is_correct, key_name, label_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, rec[0].ArticleID, rec[0].PredictionID, l.Label, false, by, id, at.UTC())
	}
	return id
}
