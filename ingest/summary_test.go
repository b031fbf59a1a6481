package ingest_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference/summarize"
	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// noEmbed is the summarizer's encoder in these tests: the default scorer
// is lexical and must never call it.
type noEmbed struct{}

func (noEmbed) Embed(context.Context, []string) ([][]float32, error) {
	return nil, errors.New("the default summarizer called the encoder")
}

// lockedBuffer collects log lines from concurrent jobs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// summaryRow is row i (from 1) of the summarized backlog: articles of a
// few sentences, but every 7th has a text with no sentence in it (only
// dashes), which the summarizer refuses.
func summaryRow(i int) (title, text string) {
	title = fmt.Sprintf("Story %d", i)
	if i%7 == 0 {
		return title, "— — —"
	}
	return title, fmt.Sprintf("Officials in city %d announced a new budget on Monday. "+
		"The plan raises spending on schools by %d percent. Critics said the increase was too small. "+
		"A vote is expected next week.", i, i%20+1)
}

// TestProcessedBacklogIsSummarized imports a backlog through the job
// queue with the server's default summarizer, on both databases: every
// article whose text has sentences is stored with its summary (the one
// the summarizer makes of its title and text) and the summarizer's
// version; the ones with no sentence are stored all the same, without a
// summary, and the failure is logged at debug.
func TestProcessedBacklogIsSummarized(t *testing.T) {
	const rows = 120
	path := filepath.Join(t.TempDir(), "backlog.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(f)
	for i := 1; i <= rows; i++ {
		title, text := summaryRow(i)
		if err := enc.Encode(map[string]string{"title": title, "text": text, "source": "wire"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	summarizer, err := summarize.New(noEmbed{}, "none")
	if err != nil {
		t.Fatal(err)
	}

	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := jobs.Migrate(ctx, db); err != nil {
			t.Fatal(err)
		}
		logs := &lockedBuffer{}
		p := processorFor(db, &fakeClassifier{})
		p.Summarizer = summarizer
		p.Log = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		client := startProcessor(t, db, p, 2)
		im, _, err := ingest.ImportFile(ctx, db, client, ingest.FileImport{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		st := waitFinished(t, db, im.ID, time.Minute)
		if st.Count(store.ItemNew) != rows {
			t.Fatalf("import %+v; want all %d rows new", st.Counts, rows)
		}

		res, err := db.SQL().QueryContext(ctx, `SELECT title, body, summary, summary_version FROM articles ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		var summarized, without int
		for res.Next() {
			var (
				title, body  string
				sum, version sql.NullString
			)
			if err := res.Scan(&title, &body, &sum, &version); err != nil {
				t.Fatal(err)
			}
			want, err := summarizer.Summarize(ctx, summarize.Request{Title: title, Text: body})
			switch {
			case err != nil:
				without++
				if sum.Valid || version.Valid {
					t.Errorf("%s: the summarizer refuses its text (%v), yet it has summary %q", title, err, sum.String)
				}
			case !sum.Valid || sum.String == "":
				t.Errorf("%s: no summary stored, want %q", title, want.Text)
			case sum.String != want.Text || version.String != summarizer.Version():
				t.Errorf("%s: summary %q by %q, want %q by %q", title, sum.String, version.String, want.Text, summarizer.Version())
			default:
				summarized++
			}
		}
		if err := res.Err(); err != nil {
			t.Fatal(err)
		}
		if wantWithout := rows / 7; without != wantWithout || summarized != rows-wantWithout {
			t.Errorf("%d summarized and %d without a summary, want %d and %d", summarized, without, rows-wantWithout, wantWithout)
		}
		if got := strings.Count(logs.String(), `"msg":"ingest: not summarized"`); got != rows/7 {
			t.Errorf("%d debug lines for articles not summarized, want %d", got, rows/7)
		}
	})
}
