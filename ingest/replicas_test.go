package ingest_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// TestTwoReplicasShareBacklog has two replicas, each with its own
// connection pool and River client, work one backlog on one Postgres.
// Every range is enqueued twice (as after a crash), so the replicas do
// race for the same items: the backlog is processed with 0 duplicates,
// one prediction per article, and both replicas do part of the work.
func TestTwoReplicasShareBacklog(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("needs Postgres: set " + storetest.EnvPostgres)
	}
	const rows = 1200
	path := writeBacklog(t, rows)
	want, rejected := expectedArticles(rows)
	ctx := context.Background()
	db, raw, url := storetest.OpenRaw(t, store.Postgres)
	if _, err := jobs.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	// Stage the whole backlog first, with an insert-only client, then
	// enqueue every range a second time.
	stager, err := jobs.New(db, jobs.Config{Workers: workersFor(db, &fakeClassifier{})})
	if err != nil {
		t.Fatal(err)
	}
	im, _, err := ingest.ImportFile(ctx, db, stager, ingest.FileImport{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ingest.Requeue(ctx, db, stager, im.Origin()); err != nil || n == 0 {
		t.Fatalf("requeue: %d ranges, %v", n, err)
	}

	second, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	a, b := &fakeClassifier{delay: 2 * time.Millisecond}, &fakeClassifier{delay: 2 * time.Millisecond}
	startWorkers(t, db, a, 2)
	startWorkers(t, second, b, 2)
	st := waitFinished(t, db, im.ID, time.Minute)

	if got := raw.Int(t, `SELECT COUNT(*) FROM articles`); got != int64(want) {
		t.Errorf("%d articles, want %d", got, want)
	}
	if got := raw.Int(t, `SELECT COUNT(*) FROM predictions`); got != int64(want) {
		t.Errorf("%d predictions for %d articles: an article was processed twice", got, want)
	}
	if got := raw.Int(t, `SELECT COUNT(*) FROM (SELECT article_id FROM predictions GROUP BY article_id HAVING COUNT(*) > 1) d`); got != 0 {
		t.Errorf("%d articles with more than one prediction", got)
	}
	if st.Count(store.ItemNew) != want || st.Count(store.ItemRejected) != rejected {
		t.Errorf("summary %+v, want %d new and %d rejected", st.Counts, want, rejected)
	}
	if a.docs.Load() == 0 || b.docs.Load() == 0 {
		t.Errorf("replica a classified %d docs, b %d: both should share the work", a.docs.Load(), b.docs.Load())
	}
	t.Logf("replica a classified %d docs, b %d (of %d valid rows)", a.docs.Load(), b.docs.Load(), rows-rejected)
}
