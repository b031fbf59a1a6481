package ingest_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
)

// fakeClassifier labels a doc by a hash of its text, instantly: these
// tests are about the queue and the store, not the model (the
// end-to-end test in cmd/newsintel uses the real encoder).
type fakeClassifier struct {
	calls atomic.Int64
	docs  atomic.Int64
	delay time.Duration
	// fail makes every call fail, as a model that cannot load would.
	fail atomic.Bool
}

var fakeLabels = []string{"World", "Sports", "Business", "Sci/Tech"}

func (f *fakeClassifier) Classify(ctx context.Context, docs []classify.Doc, taxonomy string) (classify.Result, error) {
	f.calls.Add(1)
	if f.fail.Load() {
		return classify.Result{}, fmt.Errorf("fake classifier: failing on purpose")
	}
	f.docs.Add(int64(len(docs)))
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return classify.Result{}, ctx.Err()
		}
	}
	if taxonomy != "" {
		return classify.Result{}, fmt.Errorf("taxonomy %q: %w", taxonomy, store.ErrNotFound)
	}
	res := classify.Result{ModelVersion: "fake-v1", Truncated: make([]bool, len(docs))}
	for _, d := range docs {
		sum := sha256.Sum256([]byte(d.Text()))
		k := binary.BigEndian.Uint32(sum[:4])
		label := fakeLabels[k%4]
		top := 0.4 + float64(k%60)/100 // some below the review threshold
		scores := map[string]float64{}
		for _, l := range fakeLabels {
			scores[l] = (1 - top) / 3
		}
		scores[label] = top
		res.Predictions = append(res.Predictions, topic.Prediction{Label: label, Confidence: top, Scores: scores,
			Uncertainty: topic.Uncertainty{Top: top, Margin: top - (1-top)/3}})
	}
	return res, nil
}

// startWorkers starts a River client working the ingest queue of db with
// classifier c; it stops when t ends.
func startWorkers(t *testing.T, db *store.DB, c ingest.Classifier, workers int) *jobs.Client {
	t.Helper()
	return startProcessor(t, db, processorFor(db, c), workers)
}

// startProcessor starts a River client working the ingest queue of db
// with p; it stops when t ends.
func startProcessor(t *testing.T, db *store.DB, p *ingest.Processor, workers int) *jobs.Client {
	t.Helper()
	w := river.NewWorkers()
	river.AddWorker(w, &ingest.Worker{Processor: p})
	client, err := jobs.New(db, jobs.Config{Workers: w, Queues: map[string]river.QueueConfig{ingest.Queue: {MaxWorkers: workers}},
		FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.StopAndCancel(ctx)
	})
	return client
}

// workersFor registers the ingest worker on db with classifier c and the
// default review rule.
func workersFor(db *store.DB, c ingest.Classifier) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &ingest.Worker{Processor: processorFor(db, c)})
	return w
}

// processorFor is the ingest processor of db with classifier c, the
// default review rule and no summarizer.
func processorFor(db *store.DB, c ingest.Classifier) *ingest.Processor {
	rule, err := classify.NewReviewRule(classify.LeastConfidence, 0)
	if err != nil {
		panic(err)
	}
	return &ingest.Processor{Store: db, Classifier: c, Rules: ingest.Rules{Review: rule}}
}

// waitFinished waits until import id is read and processed.
func waitFinished(t *testing.T, db *store.DB, id int64, within time.Duration) store.ImportStatus {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		st, err := db.ImportStatus(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Finished() {
			return st
		}
		if time.Now().After(deadline) {
			rows, _ := db.SQL().QueryContext(context.Background(), `SELECT state, attempt, errors FROM river_job WHERE errors IS NOT NULL LIMIT 5`)
			for rows != nil && rows.Next() {
				var s, e string
				var a int
				rows.Scan(&s, &a, &e)
				t.Logf("job %s attempt %d: %.600s", s, a, e)
			}
			t.Fatalf("import %d not finished after %s: %+v", id, within, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
