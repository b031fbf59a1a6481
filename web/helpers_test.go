package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/summarize"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/static"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// Keys the tests configure: an old and a new one, as during a rotation.
var (
	oldKey = APIKey{Name: "old", Secret: "old-secret-0123456789abcdef"}
	newKey = APIKey{Name: "new", Secret: "new-secret-0123456789abcdef"}
)

// logBuffer collects JSON log lines safely from concurrent handlers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines returns the decoded log records.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

// withMsg returns the log records with message msg.
func (b *logBuffer) withMsg(t *testing.T, msg string) []map[string]any {
	var out []map[string]any
	for _, l := range b.lines(t) {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

type testServer struct {
	*Server
	logs *logBuffer
}

func testConfig() Config {
	return Config{
		APIKeys:        []APIKey{oldKey, newKey},
		MaxBodyBytes:   1 << 20,
		RequestTimeout: 5 * time.Second,
		Review:         classify.ReviewRule{Strategy: classify.LeastConfidence, Threshold: 0.6},
		Queue:          QueueConfig{Lease: time.Minute, UndoWindow: time.Minute},
		Console: ConsoleConfig{SessionKey: []byte("test-session-key-0123456789abcdef"), IdleTimeout: time.Hour, MaxAge: 8 * time.Hour,
			LoginLimitPerAccount: 5, LoginLimitPerIP: 20, LoginWindow: 15 * time.Minute},
	}
}

// newTestServer builds a Server over a fresh SQLite database.
func newTestServer(t testing.TB, cfg Config) *testServer {
	t.Helper()
	return newTestServerWith(t, cfg, storetest.Open(t, store.SQLite), &fakeEncoder{})
}

func newTestServerWith(t testing.TB, cfg Config, st Store, enc Encoder) *testServer {
	t.Helper()
	logs := &logBuffer{}
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	var importer Importer
	if db, ok := st.(*store.DB); ok {
		// Rows are staged for real; no job queue runs here, the
		// ingest package's tests and the full stack's cover that.
		importer = &ingest.Service{Store: db}
	}
	s, err := New(Deps{
		Importer:   importer,
		Config:     cfg,
		Store:      st,
		Encoder:    enc,
		Classifier: &fakeClassifier{},
		Summarizer: fakeSummarizer{},
		Finetuner:  &fakeFinetuner{},
		Metrics:    NewMetrics(),
		Assets:     assets,
		Logger:     slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testServer{Server: s, logs: logs}
}

// do sends one request through the whole middleware chain.
func (s *testServer) do(t testing.TB, method, target string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// errorOf decodes a JSON error response.
func errorOf(t *testing.T, rec *httptest.ResponseRecorder) errorBody {
	t.Helper()
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("error response is not JSON: %v: %q", err, rec.Body.String())
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("error response lacks code or message: %q", rec.Body.String())
	}
	return body
}

func keyHeader(k APIKey) http.Header {
	return http.Header{"X-Api-Key": {k.Secret}}
}

// fakeEncoder embeds a text as [len(text), tokens, 1, 0] and calls texts
// over maxFakeTokens characters truncated. Ready returns readyErr.
type fakeEncoder struct {
	readyErr error
	calls    int
}

const maxFakeTokens = 20

func (f *fakeEncoder) Ready() error    { return f.readyErr }
func (f *fakeEncoder) ModelID() string { return "fake-encoder" }

func (f *fakeEncoder) Encode(ctx context.Context, texts []string) ([]inference.Embedding, error) {
	if f.readyErr != nil {
		return nil, f.readyErr
	}
	f.calls++
	out := make([]inference.Embedding, len(texts))
	for i, text := range texts {
		out[i] = inference.Embedding{
			Vector:    []float32{float32(len(text)), float32(i), 1, 0},
			Tokens:    len(text),
			Truncated: len(text) > maxFakeTokens,
		}
	}
	return out, nil
}

// fakeClassifier labels a doc "Sports" when its text mentions a match,
// confidently, else "World" with confidence 0.5 (uncertain). Taxonomy
// "desk" exists; others do not. A body over maxFakeTokens characters is
// truncated.
type fakeClassifier struct{ calls int }

func (f *fakeClassifier) Classify(ctx context.Context, docs []classify.Doc, taxonomy string) (classify.Result, error) {
	f.calls++
	version := "fake-v1"
	if taxonomy != "" {
		if taxonomy != "desk" {
			return classify.Result{}, fmt.Errorf("taxonomy %s: %w", taxonomy, store.ErrNotFound)
		}
		version = "zeroshot:desk@1"
	}
	res := classify.Result{ModelVersion: version}
	for _, d := range docs {
		p := topic.Prediction{Label: "World", Confidence: 0.5, Scores: map[string]float64{"World": 0.5, "Sports": 0.5}}
		if strings.Contains(d.Text(), "match") {
			p = topic.Prediction{Label: "Sports", Confidence: 0.9, Scores: map[string]float64{"World": 0.1, "Sports": 0.9}}
		}
		p.Uncertainty = topic.UncertaintyOf([]float64{p.Scores["World"], p.Scores["Sports"]})
		res.Predictions = append(res.Predictions, p)
		res.Truncated = append(res.Truncated, len(d.Body) > maxFakeTokens)
	}
	return res, nil
}

// fakeSummarizer picks the first sentence (up to the first ". ").
type fakeSummarizer struct{}

func (fakeSummarizer) Summarize(ctx context.Context, req summarize.Request) (summarize.Summary, error) {
	first, _, _ := strings.Cut(req.Text, ". ")
	return summarize.Summary{Text: first, Version: "fake-sum",
		Sentences: []summarize.Selected{{Index: 0, Text: first, End: len(first), Score: 0.9}}, ArticleSentences: 2}, nil
}

// failingStoreOK is a store whose database answers, without a file; any
// other method panics.
type failingStoreOK struct{ Store }

func (*failingStoreOK) Ping(context.Context) error { return nil }

// failingStore is a store whose database is down; any other method panics.
type failingStore struct{ Store }

func (failingStore) Ping(context.Context) error { return io.ErrUnexpectedEOF }

// doStream sends a body of unknown length, as a chunked upload has.
func (s *testServer) doStream(t *testing.T, method, target string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, io.NopCloser(body))
	req.ContentLength = -1
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}
