package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/store"
)

func TestConsoleMetricsPage(t *testing.T) {
	ts, s, db, _ := analystServer(t)
	s.metrics.ObserveBatch(3, 7)
	s.metrics.ObserveBatch(40, 7)
	s.metrics.ObserveStage("forward", 30*time.Millisecond)
	s.metrics.CountPrediction("agnews-v1", "World")
	s.metrics.CountPrediction("agnews-v1", "World")
	s.metrics.CountPrediction("agnews-v1", "Sports")
	s.metrics.observeRequest(http.MethodPost, "/classify_news", 500, "", 2*time.Second)
	s.metrics.observeRequest(http.MethodPost, "/classify_news", 200, "", 20*time.Millisecond)
	_, err := db.RecordClassifications(context.Background(), []store.Classification{{
		Article:    store.NewArticle{Title: "t", Body: "b"},
		Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: "World", Confidence: 0.5, Scores: map[string]float64{"World": 0.5}},
		Review:     &store.ReviewRequest{Reason: "least_confidence"},
	}})
	if err != nil {
		t.Fatal(err)
	}

	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/metrics", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	doc := parseDoc(t, body)
	text := func(id string) string { return strings.TrimSpace(doc.Find(`[data-testid="` + id + `"]`).Text()) }
	if got := text("metrics-queue-depth"); got != "7" {
		t.Errorf("queue depth %q", got)
	}
	if got := text("metrics-backlog"); got != "1" {
		t.Errorf("backlog %q", got)
	}
	row := doc.Find(`[data-testid="metrics-route"][data-route="/classify_news"][data-method="POST"]`)
	if row.Length() != 1 {
		t.Fatalf("no /classify_news row:\n%s", body)
	}
	var cells []string
	row.Children().Each(func(_ int, sel *goquery.Selection) { cells = append(cells, strings.TrimSpace(sel.Text())) })
	if cells[2] != "2" || !strings.HasPrefix(cells[4], "1") || cells[5] != "50.0 %" {
		t.Errorf("route row %q", cells)
	}
	if !row.Find("td").Eq(3).HasClass("bad") {
		t.Error("a 50 % server error rate is not flagged")
	}
	// Two requests: one in the ≤25ms bucket, one in ≤2s, as histogram bars.
	bars := row.Find(`[data-testid="chart-point"] title`)
	if bars.Length() != 2 || bars.First().Text() != "≤25 ms: 1 requests" {
		t.Errorf("latency bars: %d, first %q", bars.Length(), bars.First().Text())
	}
	if got := doc.Find(`[data-testid="metrics-prediction"][data-topic="World"] td`).Last().Text(); got != "2" {
		t.Errorf("World predictions %q", got)
	}
	if n := doc.Find(`[data-testid="batch-sizes"] [data-testid="chart-point"]`).Length(); n != 2 {
		t.Errorf("batch bars %d", n)
	}
	if got := doc.Find(`[data-testid="metrics-stages"] tbody tr th`).Text(); got != "forward" {
		t.Errorf("stages %q", got)
	}

	// Live region: polls unless paused.
	live := doc.Find(`[data-testid="metrics-live"]`)
	if live.AttrOr("hx-trigger", "") != "every 10s" || live.AttrOr("hx-select", "") != "#metrics-live" {
		t.Errorf("live region attributes: trigger %q", live.AttrOr("hx-trigger", ""))
	}
	res, body = fetch(t, c, http.MethodGet, ts.URL+"/console/metrics?paused=1", nil, http.Header{"Hx-Request": {"true"}})
	if res.StatusCode != http.StatusOK || strings.Contains(body, "<html") {
		t.Fatalf("htmx poll: %d, full page %v", res.StatusCode, strings.Contains(body, "<html"))
	}
	paused := parseDoc(t, body).Find(`[data-testid="metrics-live"]`)
	if _, polls := paused.Attr("hx-trigger"); polls || paused.Find(`[data-testid="metrics-resume"]`).Length() != 1 {
		t.Error("paused region still polls or has no resume link")
	}
	// The JSON /metrics and the page read one registry: the page's own
	// earlier request is counted now.
	doc = parseDoc(t, body)
	if got := doc.Find(`[data-testid="metrics-route"][data-route="/console/metrics"] [data-testid="route-requests"]`).Text(); got != "1" {
		t.Errorf("page requests %q", got)
	}
}

func TestHistogramChart(t *testing.T) {
	h := Histogram{Count: 6, Buckets: []Bucket{{LE: 1, Count: 1}, {LE: 2, Count: 1}, {LE: 4, Count: 5}}}
	c := histogramChart("h", "sizes", "batches", h, func(le float64) string { return fmtCount(le) }, false)
	want := []float64{1, 0, 4, 1}
	if len(c.Series) != 1 || len(c.Series[0].Values) != 4 {
		t.Fatalf("chart %+v", c)
	}
	for i, v := range want {
		if c.Series[0].Values[i] != v {
			t.Errorf("bucket %d = %v, want %v", i, c.Series[0].Values[i], v)
		}
	}
	if c.Labels[3] != "more" {
		t.Errorf("labels %v", c.Labels)
	}
}

func TestFmtSeconds(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		n    uint64
		want string
	}{{0.0005, 1, "500 µs"}, {0.025, 1, "25 ms"}, {2.5, 1, "2.5 s"}, {1, 0, "–"}} {
		if got := fmtSeconds(tc.v, tc.n); got != tc.want {
			t.Errorf("fmtSeconds(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// TestConsoleMetricsJobs checks that the Metrics page shows the job
// queue's depth (read from the database at each view), job runs by kind
// and feed polls by source.
func TestConsoleMetricsJobs(t *testing.T) {
	ts, s, _, _ := analystServer(t)
	depth := []QueueCount{{Queue: "ingest", State: "available", Jobs: 5}}
	if err := s.metrics.WatchJobQueue(func(context.Context) ([]QueueCount, error) { return depth, nil }, s.log); err != nil {
		t.Fatal(err)
	}
	s.metrics.ObserveJob("ingest_items", time.Second, 200*time.Millisecond, nil)
	s.metrics.ObserveFeedFetch("wire", false, 4)
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/metrics", nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	doc := parseDoc(t, body)
	if q := doc.Find(`[data-testid="metrics-job-queue"]`); !strings.Contains(q.Text(), "ingest") || !strings.Contains(q.Text(), "5") {
		t.Errorf("queue depth row %q", q.Text())
	}
	if k := doc.Find(`[data-testid="metrics-job-kind"][data-kind="ingest_items"]`); k.Length() != 1 {
		t.Error("no ingest_items row")
	}
	if f := doc.Find(`[data-testid="metrics-feed"][data-source="wire"]`); !strings.Contains(f.Text(), "4") {
		t.Errorf("feed row %q", f.Text())
	}
}
