package feeds

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// oneLabel classifies everything as World, instantly.
type oneLabel struct{}

func (oneLabel) Classify(_ context.Context, docs []classify.Doc, _ string) (classify.Result, error) {
	res := classify.Result{ModelVersion: "fake-v1", Truncated: make([]bool, len(docs))}
	for range docs {
		res.Predictions = append(res.Predictions, topic.Prediction{Label: "World", Confidence: 0.9,
			Scores: map[string]float64{"World": 0.9, "Sports": 0.1}, Uncertainty: topic.Uncertainty{Top: 0.9, Margin: 0.8}})
	}
	return res, nil
}

// TestPollSources runs the scan, poll and ingest jobs on River against
// the local feed server, on each database: RSS and Atom entries become
// classified articles with their publication dates; a malformed feed
// records its error and backs off; a second poll is conditional, gets a
// 304 and stages nothing.
func TestPollSources(t *testing.T) {
	srv := newFeedServer(t, 0)
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, raw, _ := storetest.OpenRaw(t, d)
			ctx := context.Background()
			if _, err := jobs.Migrate(ctx, db); err != nil {
				t.Fatal(err)
			}
			for name, path := range map[string]string{"wire": "/rss", "science": "/atom", "broken": "/malformed"} {
				if _, err := db.AddSource(ctx, store.NewSource{Name: name, URL: srv.URL + path, PollInterval: 10 * time.Minute}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.AddSource(ctx, store.NewSource{Name: "wire", URL: srv.URL + "/rss", PollInterval: time.Minute}); err == nil {
				t.Fatal("a second source named wire was accepted")
			}

			var client *river.Client[*sql.Tx]
			w := river.NewWorkers()
			river.AddWorker(w, &ingest.Worker{Processor: &ingest.Processor{Store: db, Classifier: oneLabel{}}})
			river.AddWorker(w, &PollWorker{Store: db, Fetcher: NewFetcher(Options{HostInterval: time.Millisecond}),
				Enqueue: func(ctx context.Context, tx *sql.Tx, from, to int64) error {
					return ingest.Enqueue(client)(ctx, tx, from, to)
				}})
			river.AddWorker(w, &ScanWorker{Store: db, Client: func() *river.Client[*sql.Tx] { return client }})
			client, err := jobs.New(db, jobs.Config{Workers: w, FetchPollInterval: 50 * time.Millisecond,
				Queues:       map[string]river.QueueConfig{ingest.Queue: {MaxWorkers: 2}, Queue: {MaxWorkers: 2}},
				PeriodicJobs: []*river.PeriodicJob{Periodic(200 * time.Millisecond)}})
			if err != nil {
				t.Fatal(err)
			}
			if err := client.Start(ctx); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { client.StopAndCancel(context.Background()) })

			waitFor(t, "4 articles from the RSS and Atom feeds", func() bool {
				return raw.Int(t, `SELECT COUNT(*) FROM articles a JOIN predictions p ON p.article_id = a.id WHERE a.published_at IS NOT NULL`) == 4
			})
			// The three polls are separate jobs in any order: the
			// malformed feed's may end after the others' articles are in.
			waitFor(t, "the malformed feed's poll", func() bool {
				return raw.Int(t, `SELECT COUNT(*) FROM sources WHERE name = 'broken' AND last_fetch_at IS NOT NULL`) == 1
			})
			broken, err := db.Source(ctx, "broken")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(broken.LastError, "parse") || broken.Failures != 1 || broken.LastFetchAt == nil ||
				broken.NextFetchAt.Before(broken.LastFetchAt.Add(20*time.Minute)) {
				t.Errorf("malformed feed: %+v; want its parse error, one failure and a doubled wait", broken)
			}
			if n := raw.Int(t, `SELECT COUNT(*) FROM ingest_items WHERE state = 'rejected' AND reason LIKE 'text: required%'`); n != 1 {
				t.Errorf("%d rejected entries, want the RSS entry without text", n)
			}

			// Due again: the poll is conditional and the feed unchanged.
			before := srv.conditional.Load()
			raw.Exec(t, `UPDATE sources SET next_fetch_at = ? WHERE name IN ('wire', 'science')`, time.Now().UTC().Add(-time.Second))
			waitFor(t, "conditional polls answered 304", func() bool {
				return raw.Int(t, `SELECT COUNT(*) FROM sources WHERE last_status = 304`) == 2
			})
			if srv.conditional.Load() < before+2 {
				t.Errorf("the second polls sent no validators")
			}
			if n := raw.Int(t, `SELECT COUNT(*) FROM ingest_items`); n != 5 {
				t.Errorf("%d items after the 304s, want the first poll's 5", n)
			}
			counts, err := db.SourceCounts(ctx, time.Now().Add(-time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			wire, _ := db.Source(ctx, "wire")
			if c := counts[wire.ID]; c.New != 2 || c.Rejected != 1 {
				t.Errorf("wire counts %+v, want 2 new and 1 rejected", c)
			}
		})
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
