package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

const testKey = "ci:ci-secret-0123456789abcdef"

// syncBuffer is an io.Writer the server logs into while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records decodes the JSON log lines written so far.
func (b *syncBuffer) records() []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(b.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// server is the whole program running in the test, as `newsintel serve`.
type server struct {
	URL  string
	Logs *syncBuffer
	stop func() error
}

// startServer runs `serve` through run, on port 0, and waits until it
// listens. It fails the test if the server exits first.
func startServer(t *testing.T, env map[string]string) *server {
	t.Helper()
	if env["MODEL_DIR"] == "" {
		env["MODEL_DIR"] = sharedModelDir()
	}
	env["LISTEN_ADDR"] = "127.0.0.1:0"
	env["LOG_FORMAT"] = "json"
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envOf(env), nil, io.Discard, logs) }()

	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve exited before listening: %v\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
		for _, r := range logs.records() {
			if r["msg"] == "listening" {
				s := &server{URL: r["url"].(string), Logs: logs}
				var once sync.Once
				var stopErr error
				s.stop = func() error {
					once.Do(func() {
						cancel()
						select {
						case stopErr = <-done:
						case <-time.After(30 * time.Second):
							stopErr = errors.New("serve did not stop within 30s")
						}
					})
					return stopErr
				}
				t.Cleanup(func() { s.stop() })
				return s
			}
		}
	}
	cancel()
	t.Fatalf("serve did not listen within 60s:\n%s", logs)
	return nil
}

// sharedModelDir is the repository's var/models: the folder serve uses by
// default from the repository root, shared with the inference tests so the
// model is fetched and converted once.
func sharedModelDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "var", "models")
}

// waitReady polls /ready until it answers 200; loading the model can take
// a while the first time (fetch and conversion).
func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		res, body := get(t, base+"/ready", nil)
		if res.StatusCode == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/ready still %d after 5 minutes: %s", res.StatusCode, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func post(t *testing.T, url, body string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func get(t *testing.T, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// TestServe runs the whole program against each database: it migrates,
// serves real HTTP with auth and request ids, and shuts down cleanly.
func TestServe(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbURL := storetest.URL(t, d)
			s := startServer(t, map[string]string{"DB_URL": dbURL, "API_KEYS": testKey})

			res, body := get(t, s.URL+"/health", http.Header{"X-Request-Id": {"e2e-1"}})
			if res.StatusCode != 200 || string(body) != "{\"status\":\"ok\"}\n" {
				t.Fatalf("/health: %d %q", res.StatusCode, body)
			}
			if res.Header.Get("X-Request-Id") != "e2e-1" {
				t.Fatalf("request id not echoed: %q", res.Header.Get("X-Request-Id"))
			}
			waitReady(t, s.URL)
			auth := http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}}
			res, body = post(t, s.URL+"/embed", `{"inputs":["Stocks rallied on Friday.","The match ended in a draw."]}`, auth)
			var emb struct {
				Embeddings [][]float32 `json:"embeddings"`
				Model      string      `json:"model"`
				Truncated  []bool      `json:"truncated"`
			}
			if err := json.Unmarshal(body, &emb); res.StatusCode != 200 || err != nil {
				t.Fatalf("/embed: %d %s", res.StatusCode, body)
			}
			if len(emb.Embeddings) != 2 || len(emb.Embeddings[0]) != 512 || emb.Model != "use-lite-en-0.2.0" || len(emb.Truncated) != 2 {
				t.Fatalf("/embed: %d rows, model %q", len(emb.Embeddings), emb.Model)
			}
			if res, _ := post(t, s.URL+"/embed", `{"inputs":[""]}`, auth); res.StatusCode != 422 {
				t.Fatalf("/embed of an empty text: %d", res.StatusCode)
			}

			res, body = post(t, s.URL+"/classify_news", `{"articles":[
				{"title":"Striker scores twice as United beat City","text":"The home side won the derby 2-0 in front of 70,000 fans."},
				{"title":"Oil prices climb as OPEC cuts output","text":"Brent crude rose 3% after producers agreed to reduce supply, lifting energy shares."}]}`, auth)
			var cls struct {
				Results []struct {
					Topic        string  `json:"topic"`
					Confidence   float64 `json:"confidence"`
					ArticleID    int64   `json:"article_id"`
					ModelVersion string  `json:"model_version"`
				} `json:"results"`
			}
			if err := json.Unmarshal(body, &cls); res.StatusCode != 200 || err != nil || len(cls.Results) != 2 {
				t.Fatalf("/classify_news: %d %s", res.StatusCode, body)
			}
			if cls.Results[0].Topic != "Sports" || cls.Results[1].Topic != "Business" || cls.Results[0].ArticleID == 0 ||
				cls.Results[0].ModelVersion != topic.DefaultVersion {
				t.Fatalf("/classify_news topics: %s", body)
			}

			article := "The central bank held interest rates at 4% on Thursday. Officials said inflation was easing. " +
				"Markets had expected the decision. The next meeting is in March. Analysts said cuts could come later in the year."
			res, body = post(t, s.URL+"/summarize", `{"title":"Rates held","text":"`+article+`","max_sentences":2}`, auth)
			var sum struct {
				Summary   string `json:"summary"`
				Sentences []struct {
					Index int `json:"index"`
				} `json:"sentences"`
			}
			if err := json.Unmarshal(body, &sum); res.StatusCode != 200 || err != nil || len(sum.Sentences) != 2 || sum.Summary == "" {
				t.Fatalf("/summarize: %d %s", res.StatusCode, body)
			}
			// A two-sentence article is not its own summary.
			res, body = post(t, s.URL+"/summarize", `{"text":"The central bank held interest rates at 4% on Thursday. Officials said inflation was easing."}`, auth)
			var short struct {
				Sentences []struct {
					Index int `json:"index"`
				} `json:"sentences"`
				WholeText *bool `json:"whole_text"`
			}
			if err := json.Unmarshal(body, &short); res.StatusCode != 200 || err != nil || len(short.Sentences) != 1 || short.WholeText == nil || *short.WholeText {
				t.Fatalf("/summarize of a short article: %d %s", res.StatusCode, body)
			}
			if res, _ := get(t, s.URL+"/metrics", nil); res.StatusCode != 401 {
				t.Fatalf("/metrics without key: %d", res.StatusCode)
			}
			res, body = get(t, s.URL+"/metrics", http.Header{"Authorization": {"Bearer ci-secret-0123456789abcdef"}})
			if res.StatusCode != 200 || !strings.Contains(string(body), `"route":"/health"`) {
				t.Fatalf("/metrics with key: %d %s", res.StatusCode, body)
			}

			if err := s.stop(); err != nil {
				t.Fatalf("serve returned %v", err)
			}
			var sawAccess, sawStopped bool
			for _, r := range s.Logs.records() {
				if r["msg"] == "request" && r["request_id"] == "e2e-1" && r["route"] == "/health" {
					sawAccess = true
				}
				if r["msg"] == "stopped" {
					sawStopped = true
				}
			}
			if !sawAccess || !sawStopped {
				t.Fatalf("access line %v, stopped %v in logs:\n%s", sawAccess, sawStopped, s.Logs)
			}

			db, err := store.Open(context.Background(), dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			status, err := db.MigrationStatus(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range status {
				if m.Pending() {
					t.Fatalf("serve left migration %d pending", m.Version)
				}
			}
		})
	}
}

func TestServeRefusesOpenNetworkWithoutKeys(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"LISTEN_ADDR": "0.0.0.0:0", "DATA_DIR": dir}
	err := run(context.Background(), []string{"serve"}, envOf(env), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "API_KEYS") || !strings.Contains(err.Error(), "AUTH_DISABLED") {
		t.Fatalf("err = %v, want a refusal that says how to set keys", err)
	}
}

func TestServeWithAuthDisabledWarns(t *testing.T) {
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "AUTH_DISABLED": "1"})
	if res, _ := get(t, s.URL+"/metrics", nil); res.StatusCode != 200 {
		t.Fatalf("/metrics with auth disabled: %d", res.StatusCode)
	}
	if !strings.Contains(s.Logs.String(), "AUTH_DISABLED=1") {
		t.Fatal("no loud warning about AUTH_DISABLED")
	}
}

func TestAutoMigrateOff(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"DATA_DIR": dir, "AUTO_MIGRATE": "0", "LISTEN_ADDR": "127.0.0.1:0"}
	err := run(context.Background(), []string{"serve"}, envOf(env), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "newsintel migrate up") {
		t.Fatalf("err = %v, want pending migrations named", err)
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"migrate", "up"}, envOf(env), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	startServer(t, env) // now the schema is current
}

func TestMigrateCommands(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir()}
	ctx := context.Background()
	runOut := func(args ...string) string {
		var out bytes.Buffer
		if err := run(ctx, args, envOf(env), nil, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out.String()
	}
	if out := runOut("migrate", "status"); !strings.Contains(out, "0001") || !strings.Contains(out, "pending") {
		t.Fatalf("status before: %q", out)
	}
	if out := runOut("migrate", "status"); !strings.Contains(out, "river-001") {
		t.Fatalf("status lists no job queue migrations: %q", out)
	}
	if out := runOut("migrate", "up"); !strings.Contains(out, "applied 0001_init") || !strings.Contains(out, "applied job queue (River) 001") {
		t.Fatalf("up: %q", out)
	}
	if out := runOut("migrate", "up"); !strings.Contains(out, "up to date") {
		t.Fatalf("second up: %q", out)
	}
	// A pending migration shows "pending" then no time ("-"); River's
	// migration 4 is named pending_and_more.
	if out := runOut("migrate", "status"); strings.Contains(out, "pending  -") || !strings.Contains(out, "applied") {
		t.Fatalf("status after: %q", out)
	}
	err := run(ctx, []string{"migrate", "down"}, envOf(env), nil, io.Discard, io.Discard)
	if !errors.Is(err, errUsage) {
		t.Fatalf("migrate down: %v, want a usage error", err)
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, envOf(nil), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"newsintel", "go: " + runtime.Version(), "GOEXPERIMENT:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBuildInfoSIMD(t *testing.T) {
	cases := []struct {
		exp  string
		simd bool
	}{{"simd", true}, {"", false}, {"greenteagc,simd", true}, {"nosimd", false}}
	for _, tc := range cases {
		b := buildInfo{Version: "v1", GoVersion: "go1.27.3", GOEXPERIMENT: tc.exp}
		if b.SIMD() != tc.simd {
			t.Errorf("%q: SIMD = %v", tc.exp, b.SIMD())
		}
		if warned := strings.Contains(b.String(), "WARNING"); warned == tc.simd {
			t.Errorf("%q: warning shown = %v", tc.exp, warned)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"frobnicate"}, {"serve", "extra"}, {"version", "x"}} {
		err := run(context.Background(), args, envOf(nil), nil, io.Discard, io.Discard)
		if !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"help"}, envOf(nil), nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "migrate up") {
		t.Fatalf("help: %v %q", err, out.String())
	}
}

func TestServeRefusesUnknownClassifierVersion(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir(), "LISTEN_ADDR": "127.0.0.1:0", "CLASSIFIER_VERSION": "agnews-v9",
		"MODEL_DIR": sharedModelDir()}
	err := run(context.Background(), []string{"serve"}, envOf(env), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "CLASSIFIER_VERSION") || !strings.Contains(err.Error(), topic.DefaultVersion) {
		t.Fatalf("err = %v, want the unknown version refused, naming the available one", err)
	}
}
