package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// appendOnly are the tables whose rows, once written, the drill's load
// never changes: a backup's row there must be the source's row, byte for
// byte. (Review items change state as they are claimed and labeled.)
var appendOnly = []string{"articles", "predictions", "feedback", "labels"}

// TestRestoreDrill is the runbook's restore drill: back up while writers
// are busy, restore into a new database, and check the copy is a
// consistent snapshot (every table's count between the counts before and
// after the backup, appended rows identical to the source's, the
// writers' transactions whole); then back up the quiet database and check
// the restored copy equals it table by table, checksums included.
func TestRestoreDrill(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			if d == store.Postgres {
				for _, tool := range []string{"pg_dump", "pg_restore"} {
					if _, err := exec.LookPath(tool); err != nil {
						t.Skipf("%s not installed: the Postgres drill needs it", tool)
					}
				}
			}
			restoreDrill(t, d)
		})
	}
}

func restoreDrill(t *testing.T, d store.Dialect) {
	ctx := context.Background()
	srcURL := storetest.URL(t, d)
	src, err := store.Open(ctx, srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := src.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := drillWrite(ctx, src, 99, i); err != nil {
			t.Fatal(err)
		}
	}

	// Eight writers keep writing through the backup.
	// Writers stop between writes, not by a cancelled context: a write
	// cancelled mid-commit may still commit on the server after the
	// writer has returned, and land after the final digest.
	var stopped atomic.Bool
	var writes atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stopped.Load(); i++ {
				if err := drillWrite(ctx, src, w, i); err != nil {
					errs <- err
					return
				}
				writes.Add(1)
				// A pause between writes leaves room for the digests'
				// transactions: eight writers in a tight loop can starve
				// another writer past SQLite's 5 s busy timeout on a
				// loaded machine, which is not what the drill measures.
				time.Sleep(500 * time.Microsecond)
			}
		}()
	}
	stop := func() {
		stopped.Store(true)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("writer: %v", err)
		}
	}
	for writes.Load() < 40 {
		time.Sleep(10 * time.Millisecond)
	}
	before := digest(t, src, false)
	writesBefore := writes.Load()
	dir := t.TempDir()
	file := filepath.Join(dir, "live.backup")
	start := time.Now()
	out := mustRun(t, map[string]string{"DB_URL": srcURL}, "backup", "--out", file)
	backupTime := time.Since(start)
	after := digest(t, src, false)
	writesDuring := writes.Load() - writesBefore
	stop()
	final := digest(t, src, true)
	t.Logf("%s", out)
	if writesDuring == 0 {
		t.Fatal("no write landed while the backup ran: the drill did not test an online backup")
	}

	liveURL := drillTarget(t, d, srcURL)
	start = time.Now()
	t.Logf("%s", mustRun(t, map[string]string{"DB_URL": liveURL}, "restore", "--from", file))
	restoreTime := time.Since(start)
	restored := openDigest(t, liveURL)
	checkSnapshot(t, before, after, final, restored)
	checkWholeTransactions(t, liveURL)

	// Quiet: the copy must equal the source exactly.
	quiet := filepath.Join(dir, "quiet.backup")
	mustRun(t, map[string]string{"DB_URL": srcURL}, "backup", "--out", quiet)
	quietURL := drillTarget(t, d, srcURL)
	mustRun(t, map[string]string{"DB_URL": quietURL}, "restore", "--from", quiet)
	again := openDigest(t, quietURL)
	if len(again) != len(final) {
		t.Fatalf("restored %d tables, source has %d", len(again), len(final))
	}
	var rows int64
	for i, f := range final {
		if again[i].Name != f.Name || again[i].Rows != f.Rows || again[i].SHA256 != f.SHA256 {
			t.Errorf("quiet restore: %s %d rows %.12s, source %s %d rows %.12s",
				again[i].Name, again[i].Rows, again[i].SHA256, f.Name, f.Rows, f.SHA256)
		}
		rows += f.Rows
	}
	t.Logf("restore drill (%s): %d tables, %d rows; online backup %s with %d transactions committed during it, restore %s; "+
		"live copy consistent; quiet copy equals source (all %d table checksums match)",
		d, len(final), rows, backupTime.Round(time.Millisecond), writesDuring, restoreTime.Round(time.Millisecond), len(final))
}

// shrinks names the tables whose rows the drill's writers also delete
// (a lease is dropped when its reviewer labels the item), so that their
// count in a copy need not lie between the counts before and after it.
var shrinks = map[string]bool{"review_leases": true}

// checkSnapshot checks the copy of a database taken between before and
// after: the same tables, each count between the two, and appended rows
// exactly as the source has them.
func checkSnapshot(t *testing.T, before, after, final, restored []store.TableDigest) {
	t.Helper()
	if len(restored) != len(final) {
		t.Fatalf("restored %d tables, source has %d", len(restored), len(final))
	}
	for i, r := range restored {
		if r.Name != before[i].Name || r.Name != after[i].Name {
			t.Fatalf("table %d: restored %s, source %s", i, r.Name, before[i].Name)
		}
		if !shrinks[r.Name] && (r.Rows < before[i].Rows || r.Rows > after[i].Rows) {
			t.Errorf("%s: %d rows in the backup, not between %d (before it) and %d (after)", r.Name, r.Rows, before[i].Rows, after[i].Rows)
		}
		for _, name := range appendOnly {
			if r.Name != name {
				continue
			}
			have := map[string]bool{}
			for _, s := range final[i].RowSums {
				have[s] = true
			}
			for _, s := range r.RowSums {
				if !have[s] {
					t.Errorf("%s: a row in the backup differs from every source row", r.Name)
					break
				}
			}
		}
	}
}

// checkWholeTransactions checks that the copy holds each writer's
// transaction whole: an article, its prediction and its review item are
// written together, and so are a label and its item's new state.
func checkWholeTransactions(t *testing.T, dbURL string) {
	t.Helper()
	raw := storetest.RawOf(t, dbURL)
	articles := raw.Int(t, "SELECT COUNT(*) FROM articles")
	predictions := raw.Int(t, "SELECT COUNT(*) FROM predictions")
	items := raw.Int(t, "SELECT COUNT(*) FROM review_items")
	if articles == 0 || predictions != articles || items != articles {
		t.Errorf("torn classification: %d articles, %d predictions, %d review items", articles, predictions, items)
	}
	labeled := raw.Int(t, "SELECT COUNT(*) FROM review_items WHERE state = 'labeled'")
	labels := raw.Int(t, "SELECT COUNT(*) FROM labels WHERE source = 'review'")
	if labeled != labels {
		t.Errorf("torn label: %d labeled items, %d review labels", labeled, labels)
	}
}

// drillWrite is one unit of the drill's load: a classified article queued
// for review, every other time feedback on it, every third time a claim
// and a label.
func drillWrite(ctx context.Context, db *store.DB, w, i int) error {
	title := fmt.Sprintf("Drill article %d-%d", w, i)
	rec, err := db.RecordClassifications(ctx, []store.Classification{{
		Article: store.NewArticle{Title: title, Body: "The body of " + title + ".", Source: "drill"},
		Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: "Sports", Confidence: 0.55,
			Scores: map[string]float64{"Sports": 0.55, "World": 0.45}, RequestID: fmt.Sprintf("drill-%d-%d", w, i)},
		Review: &store.ReviewRequest{Reason: "low_confidence", Priority: 0.45},
	}})
	if err != nil {
		return err
	}
	if i%2 == 0 {
		if _, _, err := db.RecordFeedback(ctx, store.NewFeedback{PredictionID: rec[0].PredictionID, CorrectLabel: "World",
			KeyName: "drill", IdempotencyKey: fmt.Sprintf("fb-%d-%d", w, i)}); err != nil {
			return err
		}
	}
	if i%3 == 0 {
		reviewer := fmt.Sprintf("r%d@example.com", w)
		claimed, err := db.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: reviewer, N: 1, Lease: time.Minute})
		if err != nil {
			return err
		}
		for _, it := range claimed {
			if _, err := db.LabelReviewItems(ctx, store.LabelRequest{Reviewer: reviewer,
				Items: []store.LabelInput{{ItemID: it.ID, Label: "Sports"}}}); err != nil && !errors.Is(err, store.ErrConflict) {
				return err
			}
		}
	}
	return nil
}

func digest(t *testing.T, db *store.DB, keepRows bool) []store.TableDigest {
	t.Helper()
	d, err := db.Digest(context.Background(), keepRows)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func openDigest(t *testing.T, dbURL string) []store.TableDigest {
	t.Helper()
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return digest(t, db, true)
}

// mustRun runs one newsintel command and returns its output, failing the
// test if it fails.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, envOf(env), nil, &out, &errOut); err != nil {
		t.Fatalf("newsintel %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return strings.TrimSpace(out.String())
}

// drillTarget is a new, empty database to restore into: a new data dir
// for SQLite; for Postgres a new database (removed when t ends) under the
// source's schema name, which the dump re-creates.
func drillTarget(t *testing.T, d store.Dialect, srcURL string) string {
	t.Helper()
	if d == store.SQLite {
		return "sqlite://" + filepath.Join(t.TempDir(), "data", "newsintel.db")
	}
	base := os.Getenv(storetest.EnvPostgres)
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	admin := stdlib.OpenDB(*cfg)
	defer admin.Close()
	name := fmt.Sprintf("drill_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin := stdlib.OpenDB(*cfg)
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	src, err := url.Parse(srcURL)
	if err != nil {
		t.Fatal(err)
	}
	src.Path = "/" + name
	return src.String()
}
