package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestMetricsPage(t *testing.T) {
	for _, paused := range []bool{false, true} {
		v := MetricsView{URL: "/console/metrics", PauseURL: "/console/metrics?paused=1", ResumeURL: "/console/metrics", Paused: paused,
			Every: "10s", Updated: "12:00:00 UTC", Generation: "1.5", Backlog: "4",
			Routes:      []RouteMetrics{{Route: "/classify_news", Method: "POST", Requests: "10", ServerErrors: "2", Alert: true}},
			Predictions: []PredictionMetrics{{Model: "m", Topic: "World", Count: "3"}}}
		var buf bytes.Buffer
		if err := MetricsPage(v).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		doc, err := goquery.NewDocumentFromReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		live := doc.Find(`[data-testid="metrics-live"]`)
		trigger, polls := live.Attr("hx-trigger")
		if polls == paused || (polls && trigger != "every 10s") {
			t.Errorf("paused=%v: hx-trigger %q (%v)", paused, trigger, polls)
		}
		control := "metrics-pause"
		if paused {
			control = "metrics-resume"
		}
		if doc.Find(`[data-testid="`+control+`"]`).AttrOr("hx-target", "") != "#metrics-live" {
			t.Errorf("paused=%v: no %s control", paused, control)
		}
		if doc.Find(`[data-testid="metrics-backlog"]`).Text() != "4" || doc.Find(`[data-testid="metrics-updated"]`).AttrOr("data-generation", "") != "1.5" {
			t.Error("backlog or generation missing")
		}
		if doc.Find(`[data-testid="metrics-route"][data-route="/classify_news"] td.bad`).Length() != 1 {
			t.Error("alerting route not marked")
		}
		if doc.Find(`[data-testid="metrics-prediction"][data-topic="World"]`).Length() != 1 {
			t.Error("predictions table missing")
		}
	}
}

func TestMetricsJobs(t *testing.T) {
	v := MetricsView{JobQueues: []JobQueueMetrics{{Queue: "ingest", State: "available", Jobs: "12"}},
		JobKinds: []JobKindMetrics{{Kind: "ingest_items", Runs: "40", Failures: "1", RunP50: "0.4 s", RunP95: "0.9 s", WaitP95: "2 s"}},
		Feeds:    []FeedMetrics{{Source: "wire", Fetches: "3", Failures: "1", Entries: "20"}}}
	var b strings.Builder
	if err := MetricsLive(v).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if q := doc.Find(`[data-testid="metrics-job-queue"]`); q.Length() != 1 || !strings.Contains(q.Text(), "12") {
		t.Errorf("queue rows: %q", q.Text())
	}
	if k := doc.Find(`[data-testid="metrics-job-kind"][data-kind="ingest_items"]`); !strings.Contains(k.Text(), "40") || !strings.Contains(k.Text(), "2 s") {
		t.Errorf("kind row: %q", k.Text())
	}
	if f := doc.Find(`[data-testid="metrics-feed"][data-source="wire"]`); !strings.Contains(f.Text(), "20") {
		t.Errorf("feed row: %q", f.Text())
	}
	var idle strings.Builder
	if err := MetricsLive(MetricsView{}).Render(context.Background(), &idle); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(idle.String(), `data-testid="metrics-jobs-idle"`) {
		t.Error("no jobs: no idle note")
	}
}
