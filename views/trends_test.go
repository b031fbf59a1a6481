package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/views/chart"
)

func trendsDoc(t *testing.T, v TrendsView) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := TrendsPage(v).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestTrendsPage(t *testing.T) {
	c := chart.Chart{ID: "trends-predicted", Title: "Predicted", YLabel: "articles per day", Labels: []string{"2024-03-10"},
		Series: []chart.Series{{Name: "World", Values: []float64{3}}}}
	v := TrendsView{
		Filters: TrendsFilters{Action: "/console/trends", From: "2024-03-01", To: "2024-03-10", Zone: "Asia/Kolkata",
			Zones: []string{"UTC", "Asia/Kolkata"}, Source: "wire", Sources: []string{"blog", "wire"},
			Topics: []TopicChoice{{Name: "Sports"}, {Name: "World", Checked: true}}, Interval: "week", View: "line", Measure: "share"},
		Toggles: []ToggleGroup{{Label: "View", Options: []ToggleOption{
			{Label: "Stacked", URL: "/console/trends?view=stacked", TestID: "toggle-view-stacked"},
			{Label: "Lines", URL: "/console/trends?view=line", TestID: "toggle-view-line", Active: true}}}},
		Predicted: c, Reviewed: chart.Chart{ID: "trends-reviewed", Labels: []string{"2024-03-10"}},
		Spikes:      []TrendSpike{{Kind: "Predicted", Topic: "World", Period: "2024-03-10", Count: 12, Expected: "2.0", P: "1.4e-06", Href: "/console/articles?topic=World"}},
		CSVURL:      "/console/trends.csv?from=2024-03-01",
		PartialNote: "Hatched: 2024-03-10 is partial.",
	}
	doc := trendsDoc(t, v)
	if got := doc.Find(`[data-testid="trends-source"] option[selected]`).Text(); got != "wire" {
		t.Errorf("selected source %q", got)
	}
	if got := doc.Find(`[data-testid="trends-interval"] option[selected]`).AttrOr("value", ""); got != "week" {
		t.Errorf("selected interval %q", got)
	}
	if doc.Find(`input[name="topic"][value="World"]`).AttrOr("checked", "none") == "none" || doc.Find(`input[name="topic"][value="Sports"][checked]`).Length() != 0 {
		t.Error("topic boxes ticked wrong")
	}
	if got := doc.Find(`input[type="hidden"][name="view"]`).AttrOr("value", ""); got != "line" {
		t.Errorf("hidden view %q", got)
	}
	line := doc.Find(`[data-testid="toggle-view-line"]`)
	if line.AttrOr("aria-current", "") != "true" || line.AttrOr("hx-select", "") != "#trends-inner" || line.AttrOr("href", "") != "/console/trends?view=line" {
		t.Errorf("toggle link attributes wrong")
	}
	if doc.Find(`[data-testid="trends-predicted"] [data-testid="legend-entry"]`).Length() != 1 {
		t.Error("predicted chart not rendered")
	}
	if got := doc.Find(`[data-testid="spike-row"] a`).AttrOr("href", ""); got != "/console/articles?topic=World" {
		t.Errorf("spike link %q", got)
	}
	if doc.Find(`[data-testid="trends-errors"]`).Length() != 0 {
		t.Error("errors shown without errors")
	}
	if got := doc.Find(`[data-testid="trends-tz"] option[selected]`).AttrOr("value", ""); got != "Asia/Kolkata" {
		t.Errorf("selected zone %q", got)
	}
	row := doc.Find(`[data-testid="spike-row"]`)
	if row.Find(`[data-testid="spike-expected"]`).Text() != "2.0" || row.Find(`[data-testid="spike-p"]`).Text() != "1.4e-06" {
		t.Errorf("spike row %q", row.Text())
	}
	if got := doc.Find(`[data-testid="trends-partial-note"]`).Text(); got != v.PartialNote {
		t.Errorf("partial note %q", got)
	}
	v.PartialNote = ""
	if trendsDoc(t, v).Find(`[data-testid="trends-partial-note"]`).Length() != 0 {
		t.Error("partial note without partial periods")
	}

	v.Errors = []string{`from: "x" is not a date`}
	doc = trendsDoc(t, v)
	if got := doc.Find(`[data-testid="trends-errors"][role="alert"] li`).Text(); got != `from: "x" is not a date` {
		t.Errorf("errors %q", got)
	}
	if doc.Find(`[data-testid="trends-predicted"]`).Length() != 0 || doc.Find(`[data-testid="trends-csv"]`).Length() != 0 {
		t.Error("charts or CSV link shown with errors")
	}
	if !strings.Contains(doc.Find(`[data-testid="trends-from"]`).AttrOr("value", ""), "2024-03-01") {
		t.Error("form lost its values")
	}
}
