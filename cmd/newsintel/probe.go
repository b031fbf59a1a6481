package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// probeArticle is the article the classify check sends: plainly sports
// news, so that the built-in model answers it confidently and it is never
// queued for review. Sent again and again, it is stored once (articles are
// deduplicated); each call adds a prediction row.
const probeArticle = `{"title":"Striker scores twice as United beat City in the derby",` +
	`"text":"The home side won the derby 2-0 in front of 70,000 fans, with the striker scoring in each half of the league match."}`

// probeBodyLimit bounds how much of an answer the probe reads.
const probeBodyLimit = 1 << 20

// probeCheck is one request the probe makes and how it judges the answer.
type probeCheck struct {
	name string
	run  func(p *prober, ctx context.Context) error
}

// probeChecks are run in this order on every run; each runs whatever the
// others' outcome, so a run tells everything that is wrong.
var probeChecks = []probeCheck{
	{"health", (*prober).checkHealth},
	{"ready", (*prober).checkReady},
	{"classify", (*prober).checkClassify},
}

// prober calls one server's public contract as a client would.
type prober struct {
	base        *url.URL
	apiKey      string
	expectTopic string
	timeout     time.Duration
	client      *http.Client
}

// probeResult is one check's outcome in one run.
type probeResult struct {
	check    string
	err      error
	duration time.Duration
}

// runOnce runs every check, each bounded by the timeout.
func (p *prober) runOnce(ctx context.Context) []probeResult {
	out := make([]probeResult, 0, len(probeChecks))
	for _, c := range probeChecks {
		cctx, cancel := context.WithTimeout(ctx, p.timeout)
		start := time.Now()
		err := c.run(p, cctx)
		cancel()
		out = append(out, probeResult{check: c.name, err: err, duration: time.Since(start)})
	}
	return out
}

// call sends one request and reads the answer's status and body.
func (p *prober) call(ctx context.Context, method, path string, body []byte, header http.Header) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, p.base.JoinPath(path).String(), rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "newsintel-probe")
	res, err := p.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, probeBodyLimit))
	if err != nil {
		return res.StatusCode, nil, fmt.Errorf("read the answer: %w", err)
	}
	return res.StatusCode, b, nil
}

// statusError describes an unexpected status with the start of the body,
// which names the cause for this server's JSON errors.
func statusError(status int, body []byte) error {
	snippet := strings.TrimSpace(string(body))
	if len(snippet) > 200 {
		snippet = snippet[:200] + "…"
	}
	return fmt.Errorf("status %d: %s", status, snippet)
}

// decodeAnswer reads a JSON object into v, refusing anything else.
func decodeAnswer(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("answer is not the expected JSON: %w", err)
	}
	return nil
}

// checkHealth expects 200 {"status":"ok"} from GET /health.
func (p *prober) checkHealth(ctx context.Context) error {
	status, body, err := p.call(ctx, http.MethodGet, "/health", nil, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return statusError(status, body)
	}
	var h struct {
		Status string `json:"status"`
	}
	if err := decodeAnswer(body, &h); err != nil {
		return err
	}
	if h.Status != "ok" {
		return fmt.Errorf("status is %q, want \"ok\"", h.Status)
	}
	return nil
}

// checkReady expects 200 {"status":"ready"} from GET /ready with every
// dependency's check ok; a failure names the ones that are not.
func (p *prober) checkReady(ctx context.Context) error {
	status, body, err := p.call(ctx, http.MethodGet, "/ready", nil, nil)
	if err != nil {
		return err
	}
	var r struct {
		Status string `json:"status"`
		Checks map[string]struct {
			OK      bool   `json:"ok"`
			Message string `json:"message"`
		} `json:"checks"`
	}
	decodeErr := decodeAnswer(body, &r)
	var failing []string
	for name, c := range r.Checks {
		if !c.OK {
			failing = append(failing, fmt.Sprintf("%s (%s)", name, c.Message))
		}
	}
	switch {
	case status != http.StatusOK && len(failing) > 0:
		return fmt.Errorf("status %d, not ready: %s", status, strings.Join(failing, ", "))
	case status != http.StatusOK:
		return statusError(status, body)
	case decodeErr != nil:
		return decodeErr
	case r.Status != "ready":
		return fmt.Errorf("status is %q, want \"ready\"", r.Status)
	case len(r.Checks) == 0:
		return errors.New("the answer lists no checks")
	case len(failing) > 0:
		return fmt.Errorf("ready, yet failing: %s", strings.Join(failing, ", "))
	}
	return nil
}

// checkClassify sends one real article to POST /classify_news and expects
// a topic the answer's own scores support.
func (p *prober) checkClassify(ctx context.Context) error {
	header := http.Header{"Content-Type": {"application/json"}}
	if p.apiKey != "" {
		header.Set("X-API-Key", p.apiKey)
	}
	status, body, err := p.call(ctx, http.MethodPost, "/classify_news", []byte(probeArticle), header)
	if err != nil {
		return err
	}
	if status == http.StatusUnauthorized {
		return fmt.Errorf("status 401: the API key was refused (set PROBE_API_KEY)")
	}
	if status != http.StatusOK {
		return statusError(status, body)
	}
	var c classifyAnswer
	if err := decodeAnswer(body, &c); err != nil {
		return err
	}
	return judgeClassification(c, p.expectTopic)
}

// classifyAnswer is the part of a classification the probe judges.
type classifyAnswer struct {
	Topic        *string            `json:"topic"`
	Confidence   *float64           `json:"confidence"`
	Scores       map[string]float64 `json:"scores"`
	ModelVersion string             `json:"model_version"`
}

// judgeClassification says whether a classification is sane: a topic, among the scores
// and the best of them, a confidence in (0, 1], a model version, and the
// expected topic when one is set.
func judgeClassification(c classifyAnswer, expect string) error {
	switch {
	case c.Topic == nil || *c.Topic == "":
		return errors.New("the answer has no topic")
	case c.Confidence == nil:
		return errors.New("the answer has no confidence")
	case len(c.Scores) == 0:
		return errors.New("the answer has no scores")
	case c.ModelVersion == "":
		return errors.New("the answer names no model version")
	}
	topic, conf := *c.Topic, *c.Confidence
	if math.IsNaN(conf) || conf <= 0 || conf > 1 {
		return fmt.Errorf("confidence %v is outside (0, 1]", conf)
	}
	own, ok := c.Scores[topic]
	if !ok {
		return fmt.Errorf("topic %q is not among the scores", topic)
	}
	for label, s := range c.Scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return fmt.Errorf("score of %q is %v", label, s)
		}
		if s > own+1e-9 {
			return fmt.Errorf("topic %q (%.3f) is not the best score: %q has %.3f", topic, own, label, s)
		}
	}
	if expect != "" && topic != expect {
		return fmt.Errorf("topic %q, want %q", topic, expect)
	}
	return nil
}

// newProber checks the flags that describe the target.
func newProber(rawURL, apiKey, expectTopic string, timeout time.Duration) (*prober, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: probe: --url must be an absolute http(s) URL, got %q", errUsage, rawURL)
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("%w: probe: --timeout must be positive", errUsage)
	}
	return &prober{base: u, apiKey: apiKey, expectTopic: expectTopic, timeout: timeout,
		client: &http.Client{Transport: &http.Transport{
			Proxy:       http.ProxyFromEnvironment,
			DialContext: (&net.Dialer{Timeout: timeout}).DialContext,
			// A fresh connection each run: the probe measures what a new
			// client gets, and a half-dead kept-alive connection must not
			// hide that the server stopped accepting.
			DisableKeepAlives: true,
		}},
	}, nil
}
