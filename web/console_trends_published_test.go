package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// seedBackfill sends today, in one batch as a backfill would, 60 days of
// articles published on earlier days: World about 5 a day and Sports 2,
// plus a burst of 40 more World articles burstAgo days back, and three
// articles with no publication date. It returns the burst's day.
func seedBackfill(t *testing.T, db *store.DB, burstAgo int) time.Time {
	t.Helper()
	today := utcToday()
	burst := today.AddDate(0, 0, -burstAgo)
	var items []store.Classification
	add := func(label string, published *time.Time) {
		n := len(items)
		items = append(items, store.Classification{
			Article: store.NewArticle{Title: fmt.Sprintf("backfill %d", n), Body: fmt.Sprintf("body %d", n), Source: "wire", PublishedAt: published},
			Prediction: store.NewPrediction{ModelVersion: "agnews-v1", Label: label, Confidence: 0.9,
				Scores: map[string]float64{label: 0.9}},
		})
	}
	for d := 1; d <= 60; d++ {
		day := today.AddDate(0, 0, -d)
		world := 4 + d%3 // 4, 5 or 6: steady, not flat
		if day.Equal(burst) {
			world += 40
		}
		for i := range world {
			at := day.Add(time.Duration(1+i%22) * time.Hour)
			add("World", &at)
		}
		for i := range 2 {
			at := day.Add(time.Duration(8+i) * time.Hour)
			add("Sports", &at)
		}
	}
	for range 3 {
		add("Sports", nil)
	}
	if _, err := db.RecordClassifications(context.Background(), items); err != nil {
		t.Fatal(err)
	}
	return burst
}

func trendsGet(t *testing.T, c *http.Client, base string, q url.Values) *goquery.Document {
	t.Helper()
	res, body := fetch(t, c, http.MethodGet, base+"/console/trends?"+q.Encode(), nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d\n%s", q.Encode(), res.StatusCode, body)
	}
	return parseDoc(t, body)
}

// Sixty days of articles sent today land on their publication days: the
// burst stands out as the one spike, with what was expected and how
// unlikely it was, and today is no spike at all.
func TestConsoleTrendsBackfilled(t *testing.T) {
	ts, db, _ := trendsServer(t)
	burst := seedBackfill(t, db, 20)
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	from := utcToday().AddDate(0, 0, -45).Format(time.DateOnly)
	doc := trendsGet(t, c, ts.URL, url.Values{"from": {from}})

	rows := doc.Find(`[data-testid="spike-row"]`)
	if rows.Length() != 1 {
		t.Fatalf("%d spike rows: %q", rows.Length(), rows.Text())
	}
	day := burst.Format(time.DateOnly)
	if got := rows.Find("td").First().Text(); got != day || rows.AttrOr("data-topic", "") != "World" {
		t.Errorf("spike on %q (%s), want World on %s", got, rows.AttrOr("data-topic", ""), day)
	}
	expected := rows.Find(`[data-testid="spike-expected"]`).Text()
	p := rows.Find(`[data-testid="spike-p"]`).Text()
	if !strings.HasPrefix(expected, "5.") && !strings.HasPrefix(expected, "4.") || !strings.Contains(p, "e-") {
		t.Errorf("spike expected %q, p %q", expected, p)
	}
	if n := doc.Find(`[data-testid="trends-predicted"] [data-testid="spike-marker"]`).Length(); n != 1 {
		t.Errorf("%d spike markers", n)
	}
	// The burst's own bar: 44 to 46 World articles on that day.
	var burstRow []string
	doc.Find(`[data-testid="trends-predicted-table"] tbody tr`).Each(func(_ int, s *goquery.Selection) {
		if s.Find("th").Text() == day {
			s.Find("td").Each(func(_ int, td *goquery.Selection) { burstRow = append(burstRow, td.Text()) })
		}
	})
	if len(burstRow) != 2 || burstRow[0] != "2" || !slices.Contains([]string{"44", "45", "46"}, burstRow[1]) {
		t.Errorf("burst day row (Sports, World) %v", burstRow)
	}
	note := doc.Find(`[data-testid="trends-predicted-note"]`).Text()
	if note != "Counted by publication date, days in UTC; 3 articles without one counted by time received." {
		t.Errorf("note %q", note)
	}
	// Counts tick whole numbers.
	doc.Find(`[data-testid="trends-predicted"] [data-testid="y-tick"] text`).Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), ".") {
			t.Errorf("y tick %q", s.Text())
		}
	})
}

// A topic filter narrows the summary's counts to the chosen topics and
// says what all topics came to.
func TestConsoleTrendsFilteredTotal(t *testing.T) {
	ts, db, raw := trendsServer(t)
	seedTrendData(t, db, raw)
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	q := url.Values{"from": {utcToday().AddDate(0, 0, -14).Format(time.DateOnly)}, "to": {utcToday().AddDate(0, 0, -1).Format(time.DateOnly)}}
	q.Set("topic", "Sports")
	// 14 Sports predictions of 54; no Sports labels of 2.
	got := trendsGet(t, c, ts.URL, q).Find(`[data-testid="trends-summary"]`).Text()
	if !strings.Contains(got, "14 predictions and 0 human labels of the chosen topics (54 and 2 of all topics)") {
		t.Errorf("filtered summary %q", got)
	}
}

// The chosen zone decides the day: an article published at 20:00 UTC is
// on the next day in Tokyo. The toggles keep the zone.
func TestConsoleTrendsZone(t *testing.T) {
	ts, db, raw := trendsServer(t)
	storetest.AddPrediction(t, db, raw, storetest.PastPrediction{Title: "late", Label: "World", At: time.Now(),
		Published: time.Date(2024, 3, 10, 20, 0, 0, 0, time.UTC)})
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	dayOf := func(tz string) (string, *goquery.Document) {
		q := url.Values{"from": {"2024-03-09"}, "to": {"2024-03-12"}}
		if tz != "" {
			q.Set("tz", tz)
		}
		doc := trendsGet(t, c, ts.URL, q)
		var day string
		doc.Find(`[data-testid="trends-predicted-table"] tbody tr`).Each(func(_ int, s *goquery.Selection) {
			if s.Find("td").Text() == "1" {
				day = s.Find("th").Text()
			}
		})
		return day, doc
	}
	if day, doc := dayOf(""); day != "2024-03-10" || doc.Find(`[data-testid="trends-tz"] option[selected]`).AttrOr("value", "") != "UTC" {
		t.Errorf("UTC: on %q", day)
	}
	day, doc := dayOf("Asia/Tokyo")
	if day != "2024-03-11" {
		t.Errorf("Tokyo: on %q", day)
	}
	if got := doc.Find(`[data-testid="trends-tz"] option[selected]`).AttrOr("value", ""); got != "Asia/Tokyo" {
		t.Errorf("selected zone %q", got)
	}
	if href := doc.Find(`[data-testid="toggle-view-line"]`).AttrOr("href", ""); !strings.Contains(href, "tz=Asia%2FTokyo") {
		t.Errorf("toggle drops the zone: %q", href)
	}
	if got := doc.Find(`[data-testid="trends-summary"]`).Text(); !strings.Contains(got, "(Asia/Tokyo)") {
		t.Errorf("summary %q", got)
	}
}

// Periods not over yet are hatched and explained; a past range has none.
func TestConsoleTrendsPartial(t *testing.T) {
	ts, db, raw := trendsServer(t)
	seedTrendData(t, db, raw)
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	doc := trendsGet(t, c, ts.URL, url.Values{"interval": {"week"}})
	parts := doc.Find(`[data-testid="trends-predicted"] [data-testid="partial-bucket"]`)
	weeks := doc.Find(`[data-testid="trends-predicted-table"] tbody tr`).Length()
	if parts.Length() != 1 || parts.AttrOr("data-index", "") != fmt.Sprint(weeks-1) {
		t.Errorf("%d partial buckets (index %q) of %d weeks", parts.Length(), parts.AttrOr("data-index", ""), weeks)
	}
	if note := doc.Find(`[data-testid="trends-partial-note"]`).Text(); !strings.Contains(note, "is partial") || !strings.Contains(note, "week of ") {
		t.Errorf("partial note %q", note)
	}
	doc = trendsGet(t, c, ts.URL, url.Values{"from": {"2024-03-01"}, "to": {"2024-03-10"}})
	if doc.Find(`[data-testid="partial-bucket"]`).Length() != 0 || doc.Find(`[data-testid="trends-partial-note"]`).Length() != 0 {
		t.Error("a past range marked partial")
	}
}

// A range with nothing in it says so instead of drawing blank axes.
func TestConsoleTrendsEmptyRange(t *testing.T) {
	ts, db, raw := trendsServer(t)
	seedTrendData(t, db, raw)
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	doc := trendsGet(t, c, ts.URL, url.Values{"from": {"2020-01-01"}, "to": {"2020-01-31"}})
	for _, id := range []string{"trends-predicted", "trends-reviewed"} {
		if msg := doc.Find(`[data-testid="` + id + `-empty"]`).Text(); !strings.Contains(msg, "No ") {
			t.Errorf("%s: empty message %q", id, msg)
		}
		if n := doc.Find(`[data-testid="` + id + `-svg"]`).Length(); n != 0 {
			t.Errorf("%s: %d plots drawn", id, n)
		}
	}
}

// The longest range the form takes, by week, with its weeks of spike
// history before it, is one the store answers.
func TestConsoleTrendsLongestRange(t *testing.T) {
	ts, _, _ := trendsServer(t)
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	from := time.Date(2022, 1, 5, 0, 0, 0, 0, time.UTC) // a Wednesday
	trendsGet(t, c, ts.URL, url.Values{"from": {from.Format(time.DateOnly)}, "to": {from.AddDate(0, 0, 731).Format(time.DateOnly)},
		"interval": {"week"}, "tz": {"Pacific/Auckland"}})
}
