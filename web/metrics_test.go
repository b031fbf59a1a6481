package web

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestMetricsMoveAfterRequests(t *testing.T) {
	s := newTestServer(t, testConfig())
	snapshot := func() MetricsSnapshot {
		rec := s.do(t, "GET", "/metrics", nil, keyHeader(newKey))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /metrics: %d", rec.Code)
		}
		var snap MetricsSnapshot
		if err := json.Unmarshal(rec.Body.Bytes(), &snap); err != nil {
			t.Fatal(err)
		}
		return snap
	}
	find := func(snap MetricsSnapshot, route string) RouteStats {
		for _, r := range snap.Routes {
			if r.Route == route && r.Method == "GET" {
				return r
			}
		}
		return RouteStats{}
	}

	before := snapshot()
	for range 5 {
		s.do(t, "GET", "/health", nil, nil)
	}
	s.do(t, "GET", "/no/such/path/123", nil, nil)
	s.do(t, "GET", "/no/such/path/456", nil, nil)
	after := snapshot()

	h0, h1 := find(before, "/health"), find(after, "/health")
	if h1.Requests-h0.Requests != 5 || h1.ByStatus["2xx"]-h0.ByStatus["2xx"] != 5 {
		t.Fatalf("/health requests went %v -> %v", h0, h1)
	}
	if h1.Latency.Count-h0.Latency.Count != 5 {
		t.Fatalf("/health latency count went %d -> %d", h0.Latency.Count, h1.Latency.Count)
	}
	lat := h1.Latency
	if len(lat.Buckets) != len(latencyBuckets) || !(lat.P50 > 0 && lat.P50 <= lat.P95 && lat.P95 <= lat.P99) {
		t.Fatalf("latency = %+v", lat)
	}
	// Unknown paths share one label, whatever their spelling.
	if u := find(after, "unmatched"); u.ByStatus["4xx"] != 2 {
		t.Fatalf("unmatched = %+v", u)
	}
	for _, r := range after.Routes {
		if strings.Contains(r.Route, "such") {
			t.Fatalf("raw path became a label: %q", r.Route)
		}
	}
	if m := find(after, "/metrics"); m.ByStatus["2xx"] < 1 {
		t.Fatalf("/metrics itself not counted: %+v", m)
	}
}

func TestPrometheusOutputParses(t *testing.T) {
	s := newTestServer(t, testConfig())
	s.do(t, "GET", "/health", nil, nil)
	for _, tc := range []struct {
		path   string
		header http.Header
	}{
		{"/metrics/prometheus", keyHeader(newKey)},
		{"/metrics", http.Header{"X-Api-Key": {newKey.Secret}, "Accept": {"text/plain; version=0.0.4"}}},
	} {
		rec := s.do(t, "GET", tc.path, nil, tc.header)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d", tc.path, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("%s: content type %q", tc.path, ct)
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(rec.Body)
		if err != nil {
			t.Fatalf("%s: does not parse: %v", tc.path, err)
		}
		reqs := families[metricRequests]
		if reqs == nil {
			t.Fatalf("%s: no %s", tc.path, metricRequests)
		}
		var health float64
		for _, m := range reqs.GetMetric() {
			if label(m.GetLabel(), "route") == "/health" && label(m.GetLabel(), "status") == "2xx" {
				health = m.GetCounter().GetValue()
			}
		}
		if health != 1 {
			t.Fatalf("%s: /health 2xx = %v, want 1", tc.path, health)
		}
		if families[metricLatency].GetType().String() != "HISTOGRAM" {
			t.Fatalf("%s: %s is not a histogram", tc.path, metricLatency)
		}
		if families["go_goroutines"] == nil {
			t.Fatalf("%s: no Go runtime metrics", tc.path)
		}
	}
}

func TestQuantile(t *testing.T) {
	// 10 observations: 4 at or below 0.1, 9 at or below 0.5, 10 at or below 1.
	b := []Bucket{{0.1, 4}, {0.5, 9}, {1, 10}}
	cases := []struct {
		q, want float64
	}{
		{0.2, 0.05},  // rank 2 of 4 in [0, 0.1]
		{0.4, 0.1},   // rank 4: top of the first bucket
		{0.5, 0.18},  // rank 5: 1 of 5 into [0.1, 0.5]
		{0.9, 0.5},   // rank 9
		{0.95, 0.75}, // rank 9.5: half way into [0.5, 1]
	}
	for _, tc := range cases {
		if got := quantile(tc.q, b, 10); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("quantile(%v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	if got := quantile(0.99, []Bucket{{0.1, 1}}, 3); got != 0.1 {
		t.Errorf("rank beyond the last bound = %v, want that bound", got)
	}
	if got := quantile(0.5, nil, 0); got != 0 {
		t.Errorf("empty histogram = %v", got)
	}
}

func TestJSONPath(t *testing.T) {
	for in, want := range map[string]string{
		"title":            "title",
		"articles.3.title": "articles[3].title",
		"inputs.0":         "inputs[0]",
		"a.b.12.c.0":       "a.b[12].c[0]",
	} {
		if got := jsonPath(in); got != want {
			t.Errorf("jsonPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInferenceMetrics(t *testing.T) {
	m := NewMetrics()
	m.ObserveStage("forward", 30*time.Millisecond)
	m.ObserveStage("forward", 50*time.Millisecond)
	m.ObserveStage("tokenize", time.Millisecond)
	m.ObserveBatch(8, 3)
	m.ObserveBatch(32, 0)
	m.CountPrediction("agnews-v1", "Sports")
	m.CountPrediction("agnews-v1", "Sports")
	m.CountPrediction("agnews-v1", "World")
	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if f := snap.Inference.Stages["forward"]; f.Count != 2 || math.Abs(f.Sum-0.08) > 1e-9 || f.P50 < 0.025 || f.P50 > 0.05 {
		t.Errorf("forward = %+v", f)
	}
	if b := snap.Inference.BatchSize; b.Count != 2 || b.Sum != 40 {
		t.Errorf("batch size = %+v", b)
	}
	if snap.Inference.QueueDepth != 0 {
		t.Errorf("queue depth = %v, want the last value 0", snap.Inference.QueueDepth)
	}
	counts := map[string]float64{}
	for _, p := range snap.Predictions {
		counts[p.Model+"/"+p.Topic] = p.Count
	}
	if counts["agnews-v1/Sports"] != 2 || counts["agnews-v1/World"] != 1 {
		t.Errorf("predictions = %v", snap.Predictions)
	}
}
