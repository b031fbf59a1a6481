package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// backlogRow is row i (from 1) of the generated import: every 97th has no
// text (rejected), every 10th repeats the previous row's content, every
// 25th reuses the previous row's URL with new content.
func backlogRow(i int) (title, text, url string) {
	content := i
	if i%10 == 0 {
		content = i - 1
	}
	title, text, url = fmt.Sprintf("Story %d", content), fmt.Sprintf("Body of story %d, with details.", content), fmt.Sprintf("https://news.test/a/%d", i)
	if i%25 == 0 && i%10 != 0 {
		url = fmt.Sprintf("https://news.test/a/%d", i-1)
	}
	if i%97 == 0 {
		text = ""
	}
	return
}

// expectedArticles counts the articles n rows make: valid rows joined by
// same content or same URL (union-find), whatever order they land in.
func expectedArticles(n int) (articles, rejected int) {
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if parent[x] == "" || parent[x] == x {
			parent[x] = x
			return x
		}
		parent[x] = find(parent[x])
		return parent[x]
	}
	union := func(a, b string) { parent[find(a)] = find(b) }
	for i := 1; i <= n; i++ {
		title, text, url := backlogRow(i)
		if text == "" {
			rejected++
			continue
		}
		h := "h:" + store.ContentHash(title, text)
		union(h, "u:"+url)
	}
	roots := map[string]bool{}
	for x := range parent {
		roots[find(x)] = true
	}
	return len(roots), rejected
}

func writeBacklog(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backlog.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for i := 1; i <= n; i++ {
		title, text, url := backlogRow(i)
		if err := enc.Encode(map[string]string{"title": title, "text": text, "url": url, "source": "wire",
			"published_at": time.Date(2026, 11, 1+i%28, 9, 0, 0, 0, time.UTC).Format(time.RFC3339)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportKilledHalfwayResumes imports 10,000 rows, kills the import
// (its context and its job queue, mid-transaction as it happens) once
// about half are read, then runs the same import again: the end state has
// exactly one article per unique row, one prediction per article, and
// every row accounted for once.
func TestImportKilledHalfwayResumes(t *testing.T) {
	const rows = 10_000
	path := writeBacklog(t, rows)
	wantArticles, wantRejected := expectedArticles(rows)
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, raw, _ := storetest.OpenRaw(t, d)
			ctx := context.Background()
			if _, err := jobs.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}

			// First run: killed once half the file is read.
			killCtx, kill := context.WithCancel(ctx)
			first := startWorkers(t, db, &fakeClassifier{delay: time.Millisecond}, 4)
			var once sync.Once
			im, resumed, err := ingest.ImportFile(killCtx, db, first, ingest.FileImport{Path: path, Progress: func(n int) {
				if n >= rows/2 {
					once.Do(func() {
						go func() {
							kill()
							stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
							defer cancel()
							first.StopAndCancel(stopCtx)
						}()
					})
				}
			}})
			if err == nil || resumed {
				t.Fatalf("first run: err %v, resumed %v; want it killed", err, resumed)
			}
			<-first.Stopped()
			mid, err := db.ImportStatus(ctx, im.ID)
			if err != nil {
				t.Fatal(err)
			}
			if mid.ReadDone || mid.RowsRead < rows/2 || mid.RowsRead >= rows {
				t.Fatalf("after the kill: %d rows read (done %v); want about half", mid.RowsRead, mid.ReadDone)
			}
			t.Logf("killed after %d rows read, %d new, %d pending", mid.RowsRead, mid.Count(store.ItemNew), mid.Count(store.ItemPending))

			// Second run: the same file resumes the same import.
			second := startWorkers(t, db, &fakeClassifier{}, 4)
			again, resumed, err := ingest.ImportFile(ctx, db, second, ingest.FileImport{Path: path})
			if err != nil || !resumed || again.ID != im.ID {
				t.Fatalf("second run: import %d (want %d), resumed %v, err %v", again.ID, im.ID, resumed, err)
			}
			st := waitFinished(t, db, im.ID, 2*time.Minute)

			if got := raw.Int(t, `SELECT COUNT(*) FROM ingest_items WHERE import_id = ?`, im.ID); got != rows {
				t.Errorf("%d items staged, want one per row, %d", got, rows)
			}
			if got := raw.Int(t, `SELECT COUNT(DISTINCT item_key) FROM ingest_items WHERE import_id = ?`, im.ID); got != rows {
				t.Errorf("%d distinct rows staged, want %d (no gaps)", got, rows)
			}
			if got := raw.Int(t, `SELECT COUNT(*) FROM articles`); got != int64(wantArticles) {
				t.Errorf("%d articles, want %d (one per unique row)", got, wantArticles)
			}
			if got := raw.Int(t, `SELECT COUNT(*) FROM predictions`); got != int64(wantArticles) {
				t.Errorf("%d predictions for %d articles: an article was processed twice", got, wantArticles)
			}
			if st.Count(store.ItemNew) != wantArticles || st.Count(store.ItemRejected) != wantRejected ||
				st.Count(store.ItemDuplicate) != rows-wantArticles-wantRejected {
				t.Errorf("summary %+v; want %d new, %d rejected, %d duplicate", st.Counts, wantArticles, wantRejected, rows-wantArticles-wantRejected)
			}
		})
	}
}

// TestImportSameFileTwice imports a file, then the same file again once
// the first import is finished: the second is a new import whose rows
// are all duplicates, and no article gets a second prediction.
func TestImportSameFileTwice(t *testing.T) {
	path := writeBacklog(t, 300)
	want, rejected := expectedArticles(300)
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		client := startWorkers(t, db, &fakeClassifier{}, 2)
		first, _, err := ingest.ImportFile(ctx, db, client, ingest.FileImport{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		waitFinished(t, db, first.ID, 30*time.Second)
		second, resumed, err := ingest.ImportFile(ctx, db, client, ingest.FileImport{Path: path})
		if err != nil || resumed || second.ID == first.ID {
			t.Fatalf("second import %d (first %d), resumed %v, err %v; want a new import", second.ID, first.ID, resumed, err)
		}
		st := waitFinished(t, db, second.ID, 30*time.Second)
		if st.Count(store.ItemNew) != 0 || st.Count(store.ItemDuplicate) != 300-rejected {
			t.Errorf("second import %+v; want 0 new, %d duplicate", st.Counts, 300-rejected)
		}
		n, err := db.PendingItemCount(ctx)
		if err != nil || n != 0 {
			t.Fatalf("pending %d, %v", n, err)
		}
		if got := countPredictions(t, db); got != want {
			t.Errorf("%d predictions, want %d: the second import classified duplicates", got, want)
		}
	})
}

func countPredictions(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM predictions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
