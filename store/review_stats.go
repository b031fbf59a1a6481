package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ReviewStats is the state of the review loop: what the runbook's "review
// queue backlog" playbook asks for.
type ReviewStats struct {
	// ByState counts items: pending (expired claims included), claimed
	// (live leases), adjudication, labeled and skipped.
	ByState map[string]int
	// ByReason and ByTopic count the open items (pending or claimed) by
	// why they were queued and by predicted topic.
	ByReason map[string]int
	ByTopic  map[string]int
	// ByLabel counts settled items by their final label.
	ByLabel map[string]int
	// OldestPending is when the oldest open item was queued; MedianAge is
	// the median age of open items. Both zero when nothing is open.
	OldestPending time.Time
	MedianAge     time.Duration
	// LabelsPerDay counts review and feedback labels (retracted ones
	// aside) per UTC day over the last days, oldest first.
	LabelsPerDay []DayCount
	// ActiveReviewers acted in the last 24 hours; HoldingClaims hold live
	// leases now.
	ActiveReviewers []string
	HoldingClaims   []string
	// Pairs holds the two labels of each double-reviewed item, for
	// agreement figures.
	Pairs [][2]string
	// Feedback counts API feedback records.
	Feedback int
	// LastTrainingRun is when the latest training run started (zero if
	// none); LabelsSinceTraining counts labels made since.
	LastTrainingRun     time.Time
	LabelsSinceTraining int
}

// DayCount is a count for one UTC day (YYYY-MM-DD).
type DayCount struct {
	Day   string
	Count int
}

// ReviewStats reads the review loop's figures in one transaction, so they
// agree with each other. days bounds LabelsPerDay.
func (db *DB) ReviewStats(ctx context.Context, days int) (ReviewStats, error) {
	now := time.Now().UTC()
	st := ReviewStats{ByState: map[string]int{}, ByReason: map[string]int{}, ByTopic: map[string]int{}, ByLabel: map[string]int{}}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		q := func(query string, args []any, scan func(*sql.Rows) error) error {
			rows, err := tx.QueryContext(ctx, db.rebind(query), args...)
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
		counter := func(m map[string]int) func(*sql.Rows) error {
			return func(r *sql.Rows) error {
				var (
					k string
					n int
				)
				err := r.Scan(&k, &n)
				m[k] += n
				return err
			}
		}
		steps := []struct {
			name  string
			query string
			args  []any
			scan  func(*sql.Rows) error
		}{
			{"states", `SELECT CASE
				WHEN state = 'pending' AND stage = 'adjudication' THEN 'adjudication'
				WHEN state = 'claimed' AND lease_expires_at < ? THEN 'pending'
				ELSE state END, COUNT(*) FROM review_items GROUP BY 1`, []any{now}, counter(st.ByState)},
			{"reasons", `SELECT reason, COUNT(*) FROM review_items WHERE state IN ('pending', 'claimed') GROUP BY reason`, nil, counter(st.ByReason)},
			{"topics", `SELECT COALESCE(p.label, ''), COUNT(*) FROM review_items ri LEFT JOIN predictions p ON p.id = ri.prediction_id
				WHERE ri.state IN ('pending', 'claimed') GROUP BY 1`, nil, counter(st.ByTopic)},
			{"labels", `SELECT l.label, COUNT(*) FROM review_items ri JOIN labels l ON l.id = ri.final_label_id
				WHERE ri.state = 'labeled' GROUP BY l.label`, nil, counter(st.ByLabel)},
		}
		for _, s := range steps {
			if err := q(s.query, s.args, s.scan); err != nil {
				return fmt.Errorf("%s: %w", s.name, err)
			}
		}
		if err := db.backlogAge(ctx, tx, now, &st); err != nil {
			return err
		}
		if err := db.labelActivity(ctx, tx, now, days, &st, q); err != nil {
			return err
		}
		return db.agreementPairs(ctx, &st, q)
	})
	if err != nil {
		return st, fmt.Errorf("store: review stats: %w", err)
	}
	return st, nil
}

func (db *DB) backlogAge(ctx context.Context, tx *sql.Tx, now time.Time, st *ReviewStats) error {
	var open int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM review_items WHERE state IN ('pending', 'claimed')`).Scan(&open); err != nil {
		return fmt.Errorf("backlog: %w", err)
	}
	if open == 0 {
		return nil
	}
	const oldest = `SELECT created_at FROM review_items WHERE state IN ('pending', 'claimed') ORDER BY created_at, id LIMIT 1 OFFSET ?`
	if err := tx.QueryRowContext(ctx, db.rebind(oldest), 0).Scan(&st.OldestPending); err != nil {
		return fmt.Errorf("oldest pending: %w", err)
	}
	var median time.Time
	if err := tx.QueryRowContext(ctx, db.rebind(oldest), open/2).Scan(&median); err != nil {
		return fmt.Errorf("median pending: %w", err)
	}
	st.MedianAge = now.Sub(median)
	return nil
}

func (db *DB) labelActivity(ctx context.Context, tx *sql.Tx, now time.Time, days int, st *ReviewStats, q func(string, []any, func(*sql.Rows) error) error) error {
	start := now.Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
	perDay := map[string]int{}
	err := q(`SELECT created_at FROM labels WHERE retracted_at IS NULL AND created_at >= ?`, []any{start}, func(r *sql.Rows) error {
		var at time.Time
		err := r.Scan(&at)
		perDay[at.UTC().Format(time.DateOnly)]++
		return err
	})
	if err != nil {
		return fmt.Errorf("labels per day: %w", err)
	}
	for d := range days {
		day := start.AddDate(0, 0, d).Format(time.DateOnly)
		st.LabelsPerDay = append(st.LabelsPerDay, DayCount{Day: day, Count: perDay[day]})
	}
	names := func(dst *[]string) func(*sql.Rows) error {
		return func(r *sql.Rows) error {
			var s string
			err := r.Scan(&s)
			*dst = append(*dst, s)
			return err
		}
	}
	if err := q(`SELECT DISTINCT reviewer FROM review_actions WHERE created_at >= ? ORDER BY reviewer`, []any{now.Add(-24 * time.Hour)}, names(&st.ActiveReviewers)); err != nil {
		return fmt.Errorf("active reviewers: %w", err)
	}
	if err := q(`SELECT DISTINCT claimed_by FROM review_items WHERE state = 'claimed' AND lease_expires_at >= ? ORDER BY claimed_by`, []any{now}, names(&st.HoldingClaims)); err != nil {
		return fmt.Errorf("claim holders: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM feedback`).Scan(&st.Feedback); err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	var last sql.NullTime
	// Not MAX(started_at): SQLite returns an aggregate of a timestamp as text.
	err = tx.QueryRowContext(ctx, `SELECT started_at FROM training_runs ORDER BY started_at DESC LIMIT 1`).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("last training run: %w", err)
	}
	st.LastTrainingRun = last.Time
	since := `SELECT COUNT(*) FROM labels WHERE retracted_at IS NULL`
	args := []any{}
	if last.Valid {
		since += ` AND created_at >= ?`
		args = append(args, last.Time)
	}
	if err := tx.QueryRowContext(ctx, db.rebind(since), args...).Scan(&st.LabelsSinceTraining); err != nil {
		return fmt.Errorf("labels since training: %w", err)
	}
	return nil
}

// agreementPairs collects the first two labels of each double-reviewed
// item.
func (db *DB) agreementPairs(ctx context.Context, st *ReviewStats, q func(string, []any, func(*sql.Rows) error) error) error {
	byItem := map[int64][]string{}
	var order []int64
	err := q(`SELECT ra.review_item_id, l.label FROM review_actions ra
		JOIN labels l ON l.id = ra.label_id JOIN review_items ri ON ri.id = ra.review_item_id
		WHERE ri.required_reviews = 2 AND ra.action = 'label' AND ra.undone_at IS NULL
		ORDER BY ra.review_item_id, ra.id`, nil, func(r *sql.Rows) error {
		var (
			id    int64
			label string
		)
		err := r.Scan(&id, &label)
		if _, ok := byItem[id]; !ok {
			order = append(order, id)
		}
		byItem[id] = append(byItem[id], label)
		return err
	})
	if err != nil {
		return fmt.Errorf("agreement: %w", err)
	}
	for _, id := range order {
		if l := byItem[id]; len(l) >= 2 {
			st.Pairs = append(st.Pairs, [2]string{l[0], l[1]})
		}
	}
	return nil
}

// Agreement is Cohen's kappa between two raters.
type Agreement struct {
	Pairs    int
	Observed float64 // share of pairs that agree
	// Kappa is nil when it is undefined: no pairs, or chance agreement of
	// 1 (both raters always gave one and the same label).
	Kappa *float64
	// PerLabel is each label's kappa, one label against the rest.
	PerLabel map[string]*float64
}

// Kappa computes Cohen's kappa over label pairs, overall and per label.
func Kappa(pairs [][2]string) Agreement {
	a := Agreement{Pairs: len(pairs), PerLabel: map[string]*float64{}}
	if len(pairs) == 0 {
		return a
	}
	var labels []string
	seen := map[string]bool{}
	for _, p := range pairs {
		for _, l := range p {
			if !seen[l] {
				seen[l] = true
				labels = append(labels, l)
			}
		}
	}
	slices.Sort(labels)
	a.Observed, a.Kappa = kappaOf(pairs, func(l string) string { return l }, labels)
	for _, l := range labels {
		bin := func(x string) string {
			if x == l {
				return "yes"
			}
			return "no"
		}
		_, a.PerLabel[l] = kappaOf(pairs, bin, []string{"yes", "no"})
	}
	return a
}

func kappaOf(pairs [][2]string, f func(string) string, labels []string) (float64, *float64) {
	n := float64(len(pairs))
	first, second := map[string]float64{}, map[string]float64{}
	agree := 0.0
	for _, p := range pairs {
		x, y := f(p[0]), f(p[1])
		first[x]++
		second[y]++
		if x == y {
			agree++
		}
	}
	po := agree / n
	pe := 0.0
	for _, l := range labels {
		pe += first[l] / n * second[l] / n
	}
	if pe >= 1 {
		return po, nil
	}
	k := (po - pe) / (1 - pe)
	return po, &k
}

// OpenReviewCount counts open review items (pending or claimed): a cheap
// figure for polling, where ReviewStats would be too much.
func (db *DB) OpenReviewCount(ctx context.Context) (int, error) {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM review_items WHERE state IN ('pending', 'claimed')`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: open review count: %w", err)
	}
	return n, nil
}

// OpenCounts are the open review items (pending or claimed, whoever holds
// them) by stage: the figure the sidebar shows and the figure the review
// page shows are the same query, so they cannot disagree.
type OpenCounts struct {
	Review       int // what reviewers work through
	Adjudication int // disagreements waiting for an admin
}

// OpenReviewCounts counts open review items by stage.
func (db *DB) OpenReviewCounts(ctx context.Context) (OpenCounts, error) {
	var c OpenCounts
	if err := db.sql.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN stage = 'review' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN stage = 'adjudication' THEN 1 ELSE 0 END), 0)
		FROM review_items WHERE state IN ('pending', 'claimed')`).Scan(&c.Review, &c.Adjudication); err != nil {
		return c, fmt.Errorf("store: open review counts: %w", err)
	}
	return c, nil
}
