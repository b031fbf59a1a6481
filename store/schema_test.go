package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// The schema is written twice, once per dialect. These cases pin down that
// both accept and refuse the same rows, so later issues can rely on the
// constraints rather than re-checking in Go.
func TestSchemaConstraints(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	type stmt struct {
		sql  string
		args []any
	}
	article := func(id int, hash, url string) stmt {
		var u any
		if url != "" {
			u = url
		}
		return stmt{"INSERT INTO articles (id, content_hash, title, body, url, ingested_at) VALUES (?, ?, 't', 'b', ?, ?)",
			[]any{id, hash, u, now}}
	}
	review := func(id, article int, state string) stmt {
		var by, lease any
		if state == "claimed" {
			by, lease = "r@example.com", now.Add(time.Minute)
		}
		return stmt{"INSERT INTO review_items (id, article_id, state, reason, priority, claimed_by, lease_expires_at, created_at, updated_at) VALUES (?, ?, ?, 'low_confidence', 0.5, ?, ?, ?, ?)",
			[]any{id, article, state, by, lease, now, now}}
	}
	model := func(version string, active int) stmt {
		return stmt{"INSERT INTO model_versions (version, encoder, labels, created_at, is_active) VALUES (?, 'use-lite', '[\"World\"]', ?, ?)",
			[]any{version, now, active}}
	}
	cases := []struct {
		name    string
		setup   []stmt
		stmt    stmt
		wantErr bool
	}{
		{"article", nil, article(1, "h1", "https://a/1"), false},
		{"duplicate content hash", []stmt{article(1, "h1", "")}, article(2, "h1", ""), true},
		{"duplicate url", []stmt{article(1, "h1", "https://a/1")}, article(2, "h2", "https://a/1"), true},
		{"many articles without url", []stmt{article(1, "h1", "")}, article(2, "h2", ""), false},
		{"prediction needs its article",
			nil,
			stmt{"INSERT INTO predictions (article_id, model_version, label, confidence, scores, created_at) VALUES (?, 'v1', 'World', 0.9, '{}', ?)", []any{42, now}},
			true},
		{"confidence above one",
			[]stmt{article(1, "h1", "")},
			stmt{"INSERT INTO predictions (article_id, model_version, label, confidence, scores, created_at) VALUES (?, 'v1', 'World', 1.5, '{}', ?)", []any{1, now}},
			true},
		{"review item", []stmt{article(1, "h1", "")}, review(1, 1, "pending"), false},
		{"unknown review state", []stmt{article(1, "h1", "")}, review(1, 1, "lost"), true},
		{"claimed needs lease",
			[]stmt{article(1, "h1", "")},
			stmt{"INSERT INTO review_items (article_id, state, reason, created_at, updated_at) VALUES (1, 'claimed', 'x', ?, ?)", []any{now, now}},
			true},
		{"one open review item per article", []stmt{article(1, "h1", ""), review(1, 1, "pending")}, review(2, 1, "claimed"), true},
		{"closed items do not block a new one", []stmt{article(1, "h1", ""), review(1, 1, "labeled")}, review(2, 1, "pending"), false},
		{"label source checked",
			[]stmt{article(1, "h1", "")},
			stmt{"INSERT INTO labels (article_id, label, labeled_by, source, created_at) VALUES (1, 'World', 'key-1', 'guess', ?)", []any{now}},
			true},
		{"one active model", []stmt{model("v1", 1)}, model("v2", 1), true},
		{"many inactive models", []stmt{model("v1", 1), model("v2", 0)}, model("v3", 0), false},
		{"user role checked",
			nil,
			stmt{"INSERT INTO users (email, password_hash, role, created_at) VALUES ('a@b.c', 'x', 'root', ?)", []any{now}},
			true},
		{"user email lower case",
			nil,
			stmt{"INSERT INTO users (email, password_hash, role, created_at) VALUES ('A@b.c', 'x', 'admin', ?)", []any{now}},
			true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				for _, s := range tc.setup {
					if _, err := db.Exec(ctx, overridingID(db, s.sql), s.args...); err != nil {
						t.Fatalf("setup %q: %v", s.sql, err)
					}
				}
				_, err := db.Exec(ctx, overridingID(db, tc.stmt.sql), tc.stmt.args...)
				if gotErr := err != nil; gotErr != tc.wantErr {
					t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
				}
			})
		})
	}
}

// overridingID lets the cases choose ids on Postgres, whose identity
// columns are GENERATED ALWAYS.
func overridingID(db *store.DB, q string) string {
	if db.Dialect() != store.Postgres {
		return q
	}
	for _, p := range []string{"INSERT INTO articles (id,", "INSERT INTO review_items (id,"} {
		if strings.HasPrefix(q, p) {
			i := strings.Index(q, ") VALUES")
			return q[:i+1] + " OVERRIDING SYSTEM VALUE" + q[i+1:]
		}
	}
	return q
}
