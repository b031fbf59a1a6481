package views

import (
	"bytes"
	"context"
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
