package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// summaryCount reads "  <state>  <n>" from an import summary.
func summaryCount(t *testing.T, out, state string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^  ` + state + `\s+(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q line in the summary:\n%s", state, out)
	}
	return m[1]
}

// TestImportCommandEndToEnd imports a small JSONL file and a headerless
// AG News CSV with the real encoder and topic model, on each database:
// new, duplicate and rejected rows are counted with their reasons, the
// articles are classified, summarized and counted by publication date
// for Trends, and a headerless CSV reads with --columns.
func TestImportCommandEndToEnd(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			url := storetest.URL(t, d)
			env := map[string]string{"DB_URL": url, "DATA_DIR": t.TempDir(), "MODEL_DIR": sharedModelDir(), "LOG_LEVEL": "warn"}
			importFile := func(args ...string) string {
				t.Helper()
				var out, errs bytes.Buffer
				if err := run(context.Background(), append([]string{"import"}, args...), envOf(env), nil, &out, &errs); err != nil {
					t.Fatalf("import %v: %v\n%s", args, err, errs.String())
				}
				if !strings.Contains(errs.String(), "processing [") {
					t.Errorf("import %v drew no progress bar on stderr: %q", args, errs.String())
				}
				return out.String()
			}

			out := importFile("testdata/import_small.jsonl")
			for state, want := range map[string]string{"new": "5", "duplicate": "2", "rejected": "4"} {
				if got := summaryCount(t, out, state); got != want {
					t.Errorf("%s = %s, want %s\n%s", state, got, want, out)
				}
			}
			for _, reason := range []string{"same content as a stored article", "same url as a stored article",
				"text: required", "published_at: must be an RFC 3339 time", "not a JSON object", "title: must be a string"} {
				if !strings.Contains(out, reason) {
					t.Errorf("summary lacks reason %q:\n%s", reason, out)
				}
			}
			raw := storetest.RawOf(t, url)
			if n := raw.Int(t, `SELECT COUNT(*) FROM predictions p JOIN articles a ON a.id = p.article_id
				WHERE p.model_version LIKE 'agnews%' AND a.published_at IS NOT NULL`); n != 5 {
				t.Errorf("%d classified articles with publication dates, want 5", n)
			}
			// Trends count by publication date: 2026-10-05 has two articles.
			if n := raw.Int(t, `SELECT COALESCE(SUM(predicted), 0) FROM topic_hours WHERE undated = 0 AND slot >= ? AND slot < ?`,
				time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC).Unix(), time.Date(2026, 10, 6, 0, 0, 0, 0, time.UTC).Unix()); n != 2 {
				t.Errorf("trends count %d articles published on 2026-10-05, want 2", n)
			}
			if n := raw.Int(t, `SELECT COUNT(*) FROM articles WHERE summary IS NOT NULL AND summary <> '' AND summary_version LIKE 'learned%'`); n != 5 {
				t.Errorf("%d imported articles with a summary, want all 5", n)
			}
			if n := raw.Int(t, `SELECT COUNT(*) FROM articles WHERE source = 'import_small'`); n != 1 {
				t.Errorf("%d articles took the default source (the file's name), want 1", n)
			}

			// Each run loads the encoder (seconds): the CSV reader runs
			// on one database only; ingest's tests cover both.
			if d != store.SQLite {
				return
			}
			csvOut := importFile("testdata/import_agnews.csv", "--columns", "label,title,description", "--source", "agnews")
			if got := summaryCount(t, csvOut, "new"); got != "3" {
				t.Errorf("CSV import: new = %s, want 3\n%s", got, csvOut)
			}
		})
	}
}

// TestImportUsage checks that import refuses a missing file argument and
// an unknown format as usage errors.
func TestImportUsage(t *testing.T) {
	for _, args := range [][]string{{"import"}, {"import", "notes.txt"}, {"import", "a.jsonl", "b.jsonl"}} {
		err := run(context.Background(), args, envOf(map[string]string{"DATA_DIR": t.TempDir()}), nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "usage") {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

// TestImportCancelCommand stages a file without processing it (--no-wait)
// and cancels it with `import --cancel`: its pending rows end rejected as
// cancelled; a second cancel, an unknown id and a file beside --cancel
// are refused.
func TestImportCancelCommand(t *testing.T) {
	url := storetest.URL(t, store.SQLite)
	env := envOf(map[string]string{"DB_URL": url, "DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"})
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"import", "testdata/import_small.jsonl", "--no-wait"}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "import 1: ") {
		t.Fatalf("--no-wait: %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"import", "--cancel", "1"}, env, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	// 11 rows: 4 invalid (rejected at staging), 7 pending, now cancelled.
	if !strings.Contains(out.String(), "import 1 (import_small.jsonl) cancelled: 7 pending rows rejected as cancelled") ||
		summaryCount(t, out.String(), "rejected") != "11" || summaryCount(t, out.String(), "new") != "0" {
		t.Fatalf("cancel:\n%s", out.String())
	}
	raw := storetest.RawOf(t, url)
	if n := raw.Int(t, `SELECT COUNT(*) FROM ingest_items WHERE import_id = 1 AND reason = 'cancelled'`); n != 7 {
		t.Errorf("%d items cancelled, want 7", n)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "--cancel", "1"}, "cannot cancel: import 1 was cancelled at"},
		{[]string{"import", "--cancel", "99"}, "import 99: no such import"},
		{[]string{"import", "a.jsonl", "--cancel", "1"}, "usage"},
	} {
		err := run(ctx, c.args, env, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error containing %q", c.args, err, c.want)
		}
	}
}
