package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// soaker is the state the soak's clients share.
type soaker struct {
	base, key, dbFile string
	api               *http.Client
	console           *http.Client // logged in; nil without a console account
	csrf              string
	texts, articles   []string
	rec               *soakRecorder
	seq               atomic.Int64

	mu          sync.Mutex
	predictions []soakPrediction       // recent ones, for feedback
	claimed     map[string][]soakClaim // by reviewer: held and not yet labeled

	// reviewing serialises the console reviewer: one person in one tab,
	// who does not skip the item on screen twice at once.
	reviewing sync.Mutex
}

type soakPrediction struct {
	id    int64
	topic string
}

type soakClaim struct {
	id    int64
	topic string
}

// soakReq is one request of an operation.
type soakReq struct {
	client      *http.Client
	method      string
	path        string
	body        []byte
	contentType string
	header      map[string]string
	noKey       bool // send no API key (or header carries a wrong one)
}

// send makes req, records its answer under op and returns the body of a
// successful answer.
func (s *soaker) send(ctx context.Context, op soakOp, req soakReq) ([]byte, bool) {
	began := time.Now()
	status, body, err := s.exchange(ctx, req)
	lat := time.Since(began)
	if ctx.Err() != nil && op != opCancelled && status == 0 {
		return nil, false // the run ended under this request: not the server's doing
	}
	s.rec.record(op, began, lat, status, snippet(body), err)
	expected, _ := judge(op, status, err)
	return body, expected
}

func (s *soaker) exchange(ctx context.Context, r soakReq) (int, []byte, error) {
	var rd io.Reader
	if r.body != nil {
		rd = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, s.base+r.path, rd)
	if err != nil {
		return 0, nil, err
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	if !r.noKey && s.key != "" {
		req.Header.Set("X-API-Key", s.key)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	client := r.client
	if client == nil {
		client = s.api
	}
	res, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, err // a body cut off is no answer
	}
	return res.StatusCode, body, nil
}

func snippet(b []byte) string {
	if len(b) > 300 {
		b = b[:300]
	}
	return string(b)
}

func jsonReq(path string, v any) soakReq {
	b, _ := json.Marshal(v)
	return soakReq{method: http.MethodPost, path: path, body: b, contentType: "application/json"}
}

// do runs one operation.
func (s *soaker) do(ctx context.Context, op soakOp, rng *rand.Rand, reviewer string) {
	switch op {
	case opClassify:
		s.classify(ctx)
	case opSummarize:
		s.send(ctx, op, jsonReq("/summarize", map[string]any{"text": s.articles[rng.IntN(len(s.articles))], "max_sentences": 3}))
	case opReviewClaim:
		s.claim(ctx, reviewer)
	case opReviewLabel:
		s.mu.Lock()
		held := s.claimed[reviewer]
		var c soakClaim
		if len(held) > 0 {
			c, s.claimed[reviewer] = held[0], held[1:]
		}
		s.mu.Unlock()
		if c.id == 0 {
			s.claim(ctx, reviewer)
			return
		}
		s.send(ctx, op, jsonReq(fmt.Sprintf("/review/%d/label", c.id), map[string]string{"label": c.topic, "reviewer": reviewer}))
	case opFeedback:
		s.mu.Lock()
		var p soakPrediction
		if n := len(s.predictions); n > 0 {
			p = s.predictions[rng.IntN(n)]
		}
		s.mu.Unlock()
		if p.id == 0 {
			s.classify(ctx)
			return
		}
		body := map[string]any{"prediction_id": p.id, "is_correct": true}
		if rng.IntN(2) == 0 {
			body = map[string]any{"prediction_id": p.id, "correct_label": p.topic, "comment": "soak"}
		}
		s.send(ctx, op, jsonReq("/feedback", body))
	case opConsolePage:
		s.send(ctx, op, soakReq{client: s.console, method: http.MethodGet, path: consolePages[rng.IntN(len(consolePages))]})
	case opConsoleSkip:
		s.consoleSkip(ctx)
	case opMetricsScrape:
		r := soakReq{method: http.MethodGet, path: "/metrics"}
		if rng.IntN(2) == 0 {
			r.path = "/metrics/prometheus"
		}
		s.send(ctx, op, r)
	case opBadBody:
		s.send(ctx, op, badBodies[rng.IntN(len(badBodies))])
	case opNoKey:
		r := jsonReq("/classify_news", map[string]string{"text": s.texts[rng.IntN(len(s.texts))]})
		r.noKey = true
		if rng.IntN(2) == 0 {
			r.header = map[string]string{"X-API-Key": "not-the-key-0123456789"}
		}
		s.send(ctx, op, r)
	case opBadCSRF:
		form := url.Values{"csrf_token": {"forged"}}.Encode()
		s.send(ctx, op, soakReq{client: s.console, method: http.MethodPost, path: "/console/review/items/1/skip",
			body: []byte(form), contentType: "application/x-www-form-urlencoded", header: map[string]string{"HX-Request": "true"}})
	case opCancelled:
		// A client that gives up after 0–100 ms: mid-classification or
		// mid-summary on this machine, sometimes after the answer.
		cctx, cancel := context.WithTimeout(ctx, time.Duration(rng.IntN(100_000))*time.Microsecond)
		defer cancel()
		r := jsonReq("/classify_news", map[string]string{"title": fmt.Sprintf("soak cancel %d", s.seq.Add(1)), "text": s.texts[rng.IntN(len(s.texts))]})
		if rng.IntN(2) == 0 {
			r = jsonReq("/summarize", map[string]any{"text": s.articles[rng.IntN(len(s.articles))]})
		}
		if ctx.Err() == nil {
			s.send(cctx, op, r)
		}
	}
}

// badBodies are requests every one of which must answer 422.
var badBodies = []soakReq{
	{method: http.MethodPost, path: "/classify_news", body: []byte(`{"text":`), contentType: "application/json"},
	{method: http.MethodPost, path: "/classify_news", body: []byte(`{"title":"no text"}`), contentType: "application/json"},
	{method: http.MethodPost, path: "/classify_news", body: []byte(`{"text":"a"} {"text":"b"}`), contentType: "application/json"},
	{method: http.MethodPost, path: "/summarize", body: []byte(`{"text":5}`), contentType: "application/json"},
	{method: http.MethodPost, path: "/feedback", body: []byte(`{}`), contentType: "application/json"},
	{method: http.MethodPost, path: "/review/claim", body: []byte(`{"lease_seconds":-1}`), contentType: "application/json"},
	{method: http.MethodPost, path: "/review/1/label", body: []byte(`{"label":7}`), contentType: "application/json"},
	{method: http.MethodPost, path: "/classify_news", body: []byte("{\"text\":\"\xff\xfe\"}"), contentType: "application/json"},
}

// classify sends a new article (its title makes it unique, so the
// database grows as a news feed's would) and keeps its prediction.
func (s *soaker) classify(ctx context.Context) {
	n := s.seq.Add(1)
	body, ok := s.send(ctx, opClassify, jsonReq("/classify_news",
		map[string]string{"title": fmt.Sprintf("soak %d", n), "text": s.texts[int(n)%len(s.texts)]}))
	if !ok {
		return
	}
	var res struct {
		PredictionID int64  `json:"prediction_id"`
		Topic        string `json:"topic"`
	}
	if json.Unmarshal(body, &res) != nil || res.PredictionID == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.predictions) >= 1000 {
		s.predictions = s.predictions[1:]
	}
	s.predictions = append(s.predictions, soakPrediction{res.PredictionID, res.Topic})
}

func (s *soaker) claim(ctx context.Context, reviewer string) {
	body, ok := s.send(ctx, opReviewClaim, jsonReq("/review/claim", map[string]any{"reviewer": reviewer, "n": 2}))
	if !ok {
		return
	}
	var res struct {
		Items []struct {
			ID    int64  `json:"id"`
			Topic string `json:"topic"`
		} `json:"items"`
	}
	if json.Unmarshal(body, &res) != nil {
		return
	}
	// A claim answers every item the reviewer holds, old ones too (their
	// leases renewed): the answer replaces what we knew.
	held := make([]soakClaim, len(res.Items))
	for i, it := range res.Items {
		held[i] = soakClaim{it.ID, it.Topic}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.claimed[reviewer] = held
}

var skipAction = regexp.MustCompile(`action="(/console/review/items/\d+/skip)[^"]*"`)

// consoleSkip opens the review page, as a reviewer does, and skips the
// item it shows through the form (session cookie and CSRF token).
func (s *soaker) consoleSkip(ctx context.Context) {
	s.reviewing.Lock()
	defer s.reviewing.Unlock()
	page, ok := s.send(ctx, opConsolePage, soakReq{client: s.console, method: http.MethodGet, path: "/console/review"})
	if !ok {
		return
	}
	m := skipAction.FindSubmatch(page)
	if m == nil {
		return // nothing to review now
	}
	form := url.Values{"csrf_token": {s.csrf}}.Encode()
	s.send(ctx, opConsoleSkip, soakReq{client: s.console, method: http.MethodPost, path: string(m[1]), body: []byte(form),
		contentType: "application/x-www-form-urlencoded", header: map[string]string{"HX-Request": "true"}})
}

// login signs the console client in and keeps its CSRF token. Afterwards
// it follows no redirects, so an ended session shows as a 303, not as the
// login page answering 200.
func (s *soaker) login(email, password string) error {
	client, err := consoleLogin(s.base, email, password)
	if err != nil {
		return err
	}
	res, err := client.Get(s.base + "/console/status")
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfInput.FindSubmatch(page)
	if m == nil {
		return fmt.Errorf("bench soak: the status page has no csrf_token")
	}
	s.csrf = string(m[1])
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	s.console = client
	return nil
}

// scrape reads RSS and goroutines from the server's Prometheus metrics
// and the database's size (with its WAL) from disk.
func (s *soaker) scrape(ctx context.Context, at time.Duration) soakSample {
	smp := soakSample{at: at, dbBytes: -1}
	body, ok := s.send(ctx, opMetricsScrape, soakReq{method: http.MethodGet, path: "/metrics/prometheus"})
	if ok {
		smp.rss = promValue(body, "process_resident_memory_bytes")
		smp.goroutines = promValue(body, "go_goroutines")
	}
	if s.dbFile != "" {
		var total int64
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if fi, err := os.Stat(s.dbFile + suffix); err == nil {
				total += fi.Size()
			}
		}
		smp.dbBytes = total
	}
	return smp
}

// promValue is the value of an unlabeled metric in the text format, or 0.
func promValue(body []byte, name string) float64 {
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return 0
}
