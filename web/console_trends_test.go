package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// trendsServer is consoleServer with a raw handle for seeding past rows.
func trendsServer(t *testing.T) (*httptest.Server, *store.DB, *storetest.Raw) {
	t.Helper()
	ts, _, db, raw := analystServer(t)
	return ts, db, raw
}

// analystServer is trendsServer that also hands out the Server, whose
// metrics tests feed.
func analystServer(t *testing.T) (*httptest.Server, *testServer, *store.DB, *storetest.Raw) {
	t.Helper()
	db, raw, _ := storetest.OpenRaw(t, store.SQLite)
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range store.Roles {
		if _, err := db.CreateUser(context.Background(), role+"@example.com", hash, role, "test"); err != nil {
			t.Fatal(err)
		}
	}
	s := newTestServerWith(t, testConfig(), db, &fakeEncoder{})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, s, db, raw
}

// seedTrendData gives the 14 days before today a steady trickle of World
// (2 a day, from the wire) and Sports (1 a day, from a blog) predictions,
// with a World spike of 12 three days ago, and two feedback labels on
// articles published two days ago (which the model called World). It
// returns the day of the spike.
func seedTrendData(t *testing.T, db *store.DB, raw *storetest.Raw) time.Time {
	t.Helper()
	today := utcToday()
	spikeDay := today.AddDate(0, 0, -3)
	n := 0
	add := func(source, label string, day time.Time) {
		n++
		storetest.AddPrediction(t, db, raw, storetest.PastPrediction{Title: fmt.Sprintf("article %d", n), Source: source, Label: label,
			At: day.Add(time.Duration(n%20) * time.Hour)})
	}
	for d := 1; d <= 14; d++ {
		day := today.AddDate(0, 0, -d)
		world := 2
		if day.Equal(spikeDay) {
			world = 12
		}
		for range world {
			add("wire", "World", day)
		}
		add("blog", "Sports", day)
	}
	for i, l := range []string{"Business", "World"} {
		at := today.AddDate(0, 0, -2).Add(time.Duration(i) * time.Hour)
		storetest.AddLabel(t, db, raw, storetest.HumanLabel{Title: "label " + l, Body: l, Label: l, Source: "feedback",
			At: at, Published: at})
	}
	return spikeDay
}

func parseDoc(t *testing.T, body string) *goquery.Document {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestConsoleTrendsRoles(t *testing.T) {
	ts, _, _ := trendsServer(t)
	for _, tc := range []struct {
		email string
		want  int
	}{
		{"analyst@example.com", http.StatusOK},
		{"admin@example.com", http.StatusOK},
		{"reviewer@example.com", http.StatusForbidden},
	} {
		c := browser(t)
		logIn(t, c, ts.URL, tc.email, testPassword)
		for _, path := range []string{"/console/trends", "/console/trends.csv", "/console/metrics"} {
			if res, _ := fetch(t, c, http.MethodGet, ts.URL+path, nil, nil); res.StatusCode != tc.want {
				t.Errorf("%s %s: %d, want %d", tc.email, path, res.StatusCode, tc.want)
			}
		}
	}
	res, _ := fetch(t, browser(t), http.MethodGet, ts.URL+"/console/trends", nil, nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous: %d", res.StatusCode)
	}
}

func TestConsoleTrendsPage(t *testing.T) {
	ts, db, raw := trendsServer(t)
	spikeDay := seedTrendData(t, db, raw)
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	yesterday := utcToday().AddDate(0, 0, -1).Format(time.DateOnly)
	from := utcToday().AddDate(0, 0, -14).Format(time.DateOnly)
	get := func(q string) *goquery.Document {
		t.Helper()
		res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/trends?"+q, nil, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d\n%s", q, res.StatusCode, body)
		}
		return parseDoc(t, body)
	}
	series := func(doc *goquery.Document, chartID string) []string {
		var out []string
		doc.Find(`[data-testid="` + chartID + `"] g[data-testid="chart-series"]`).Each(func(_ int, s *goquery.Selection) {
			out = append(out, s.AttrOr("data-series", ""))
		})
		return out
	}

	t.Run("default range", func(t *testing.T) {
		doc := get("")
		if got := doc.Find(`[data-testid="trends-from"]`).AttrOr("value", ""); got != utcToday().AddDate(0, 0, -29).Format(time.DateOnly) {
			t.Errorf("default from %q", got)
		}
		// AddLabel's own predictions land today, as World.
		if got := series(doc, "trends-predicted"); !reflect.DeepEqual(got, []string{"Business", "Sports", "World"}) {
			t.Errorf("predicted series %v", got)
		}
		if n := doc.Find(`[data-testid="trends-predicted"] [data-testid="x-tick"]`).Length(); n == 0 || n > 10 {
			t.Errorf("%d x ticks", n)
		}
	})

	t.Run("stacked counts", func(t *testing.T) {
		doc := get("from=" + from + "&to=" + yesterday)
		pred := doc.Find(`[data-testid="trends-predicted"]`)
		if pred.AttrOr("data-mode", "") != "stacked" || pred.Find("rect.chart-point").Length() != 28 {
			t.Fatalf("predicted: mode %q, %d bars", pred.AttrOr("data-mode", ""), pred.Find("rect.chart-point").Length())
		}
		if got := doc.Find(`[data-testid="trends-predicted-y-label"]`).Text(); got != "articles per day" {
			t.Errorf("y label %q", got)
		}
		if got := doc.Find(`[data-testid="trends-reviewed-y-label"]`).Text(); got != "labels per day" {
			t.Errorf("reviewed y label %q", got)
		}
		spikeLabel := spikeDay.Format(time.DateOnly)
		title := pred.Find(`g[data-series="World"] rect title`).FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.Contains(s.Text(), spikeLabel)
		}).Text()
		if title != "World · "+spikeLabel+": 12 articles (92.3% of 13)" {
			t.Errorf("spike bar tooltip %q", title)
		}
		// One spike, on the chart and in the list, leading to the articles.
		if n := pred.Find(`[data-testid="spike-marker"]`).Length(); n != 1 {
			t.Errorf("%d spike markers", n)
		}
		rows := doc.Find(`[data-testid="spike-row"]`)
		if rows.Length() != 1 || rows.AttrOr("data-topic", "") != "World" {
			t.Fatalf("spike rows: %d", rows.Length())
		}
		want := "/console/articles?from=" + spikeLabel + "&to=" + spikeLabel + "&topic=World"
		if href := rows.Find("a").AttrOr("href", ""); href != want {
			t.Errorf("spike link %q, want %q", href, want)
		}
		legend := doc.Find(`[data-testid="trends-predicted-legend"] [data-series="World"] a`).AttrOr("href", "")
		if legend != "/console/articles?from="+from+"&to="+yesterday+"&topic=World" {
			t.Errorf("legend link %q", legend)
		}
		reviewed := series(doc, "trends-reviewed")
		if !reflect.DeepEqual(reviewed, []string{"Business", "Sports", "World"}) {
			t.Errorf("reviewed series %v", reviewed)
		}
		if n := doc.Find(`[data-testid="trends-reviewed"] rect.chart-point`).Length(); n != 2 {
			t.Errorf("reviewed bars %d", n)
		}
		if got := doc.Find(`[data-testid="trends-summary"]`).Text(); !strings.Contains(got, "54 predictions and 2 human labels") {
			t.Errorf("summary %q", got)
		}
		if csvURL := doc.Find(`[data-testid="trends-csv"]`).AttrOr("href", ""); !strings.HasPrefix(csvURL, "/console/trends.csv?") || !strings.Contains(csvURL, "from="+from) {
			t.Errorf("csv link %q", csvURL)
		}
	})

	t.Run("line view and share", func(t *testing.T) {
		doc := get("from=" + from + "&to=" + yesterday + "&view=line&measure=share")
		pred := doc.Find(`[data-testid="trends-predicted"]`)
		if pred.AttrOr("data-mode", "") != "line" || pred.Find("polyline").Length() != 3 {
			t.Fatalf("line view: mode %q, %d lines", pred.AttrOr("data-mode", ""), pred.Find("polyline").Length())
		}
		if got := doc.Find(`[data-testid="trends-predicted-y-label"]`).Text(); got != "% of articles per day" {
			t.Errorf("y label %q", got)
		}
		if !doc.Find(`[data-testid="toggle-view-line"]`).HasClass("active") || !doc.Find(`[data-testid="toggle-measure-share"]`).HasClass("active") {
			t.Error("toggles do not show the current view")
		}
		// The toggles keep the other filters.
		href := doc.Find(`[data-testid="toggle-view-stacked"]`).AttrOr("href", "")
		u, _ := url.Parse(href)
		if q := u.Query(); q.Get("from") != from || q.Get("measure") != "share" || q.Get("view") != "stacked" {
			t.Errorf("stacked toggle %q", href)
		}
		var cells []string
		doc.Find(`[data-testid="trends-predicted-table"] tbody tr`).Last().Find("td").Each(func(_ int, s *goquery.Selection) { cells = append(cells, s.Text()) })
		if !reflect.DeepEqual(cells, []string{"0%", "33.3%", "66.7%"}) {
			t.Errorf("share row %v", cells)
		}
	})

	t.Run("filters", func(t *testing.T) {
		doc := get("from=" + from + "&to=" + yesterday + "&source=blog")
		if got := series(doc, "trends-predicted"); !reflect.DeepEqual(got, []string{"Sports"}) {
			t.Errorf("source=blog series %v", got)
		}
		doc = get("from=" + from + "&to=" + yesterday + "&topic=World&interval=week")
		if got := series(doc, "trends-predicted"); !reflect.DeepEqual(got, []string{"World"}) {
			t.Errorf("topic=World series %v", got)
		}
		if !doc.Find(`[data-testid="trends-topics"] input[value="World"]`).Is(":checked") {
			t.Error("chosen topic not ticked")
		}
		if got := doc.Find(`[data-testid="trends-predicted-y-label"]`).Text(); got != "articles per week" {
			t.Errorf("weekly y label %q", got)
		}
		// Whole weeks starting on Mondays.
		first := doc.Find(`[data-testid="trends-predicted-table"] tbody th`).First().Text()
		d, err := time.Parse(time.DateOnly, strings.TrimPrefix(first, "week of "))
		if err != nil || d.Weekday() != time.Monday {
			t.Errorf("first week %q", first)
		}
	})
}

func TestConsoleTrendsBadFilters(t *testing.T) {
	ts, _, _ := trendsServer(t)
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	for q, want := range map[string]string{
		"from=2024-13-01":                  `from: "2024-13-01" is not a date`,
		"from=2024-03-10&to=2024-03-01":    "the range starts after it ends",
		"from=2020-01-01&to=2024-01-01":    "at most two years",
		"view=pie":                         `view: "pie" is not one of stacked, line`,
		"from=2024-03-01&to=2024-03-01x":   `to: "2024-03-01x" is not a date`,
		"interval=month&from=2024-03-01":   `interval: "month"`,
		"measure=ratio&to=2024-03-01&x=1":  `measure: "ratio"`,
		"from=yesterday&to=2024-03-01&a=b": `from: "yesterday"`,
		"tz=Mars/Olympus":                  `tz: "Mars/Olympus" is not an IANA time zone`,
		"tz=Local":                         `tz: "Local" is not an IANA time zone`,
	} {
		res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/trends?"+q, nil, http.Header{"Accept": {"text/html"}})
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", q, res.StatusCode)
			continue
		}
		doc := parseDoc(t, body)
		errs := doc.Find(`[data-testid="trends-errors"]`).Text()
		if !strings.Contains(errs, want) {
			t.Errorf("%s: errors %q, want %q", q, errs, want)
		}
		// The form stays, with what was typed, and no chart is drawn.
		if doc.Find(`[data-testid="trends-filters"]`).Length() != 1 || doc.Find(`[data-testid="trends-predicted"]`).Length() != 0 {
			t.Errorf("%s: form or chart wrong", q)
		}
		res, _ = fetch(t, c, http.MethodGet, ts.URL+"/console/trends.csv?"+q, nil, nil)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("csv %s: %d", q, res.StatusCode)
		}
	}
}

func TestConsoleTrendsCSV(t *testing.T) {
	ts, db, raw := trendsServer(t)
	spikeDay := seedTrendData(t, db, raw)
	// A topic name that needs quoting, and one a spreadsheet would run.
	day := utcToday().AddDate(0, 0, -5)
	storetest.AddPrediction(t, db, raw, storetest.PastPrediction{Title: "odd 1", Label: `Arts, "Culture"`, At: day})
	storetest.AddPrediction(t, db, raw, storetest.PastPrediction{Title: "odd 2", Label: "=HYPERLINK(1)", At: day})
	c := browser(t)
	logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	from, to := utcToday().AddDate(0, 0, -14).Format(time.DateOnly), utcToday().AddDate(0, 0, -1).Format(time.DateOnly)
	res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/trends.csv?from="+from+"&to="+to, nil, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("content type %q", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); cd != `attachment; filename="trends-`+from+`-`+to+`-day.csv"` {
		t.Errorf("disposition %q", cd)
	}
	if !strings.Contains(body, `"Arts, ""Culture"""`) {
		t.Errorf("topic not quoted:\n%s", body)
	}
	records, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := []string{"period_start", "period_end", "kind", "topic", "count", "share_percent", "period_total", "spike",
		"spike_expected", "spike_p_value", "partial"}
	if !reflect.DeepEqual(records[0], header) {
		t.Fatalf("header %v", records[0])
	}
	// 14 days × 2 kinds × 5 topics (Arts…, =HYPERLINK, Business, Sports, World).
	if len(records)-1 != 14*2*5 {
		t.Errorf("%d rows", len(records)-1)
	}
	find := func(kind, topic, day string) []string {
		for _, r := range records[1:] {
			if r[0] == day && r[2] == kind && r[3] == topic {
				return r
			}
		}
		t.Fatalf("no row %s %s %s", kind, topic, day)
		return nil
	}
	s := spikeDay.Format(time.DateOnly)
	if got := find("predicted", "World", s); !reflect.DeepEqual(got, []string{s, s, "predicted", "World", "12", "92.3", "13", "true", "2.00", "1.4e-06", "false"}) {
		t.Errorf("spike row %v", got)
	}
	if got := find("predicted", "'=HYPERLINK(1)", day.Format(time.DateOnly)); got[4] != "1" {
		t.Errorf("formula row %v", got)
	}
	two := utcToday().AddDate(0, 0, -2).Format(time.DateOnly)
	if got := find("reviewed", "Business", two); got[4] != "1" || got[5] != "50.0" || got[7] != "false" {
		t.Errorf("reviewed row %v", got)
	}
}

func TestTrendBuckets(t *testing.T) {
	wed := time.Date(2024, 3, 13, 0, 0, 0, 0, time.UTC)
	all, history := trendBuckets(wed, wed.AddDate(0, 0, 8), intervalWeek)
	shown := all[history:]
	if len(shown) != 2 || shown[0].Start.Format(time.DateOnly) != "2024-03-11" || shown[1].Last.Format(time.DateOnly) != "2024-03-24" {
		t.Fatalf("weeks %v", shown)
	}
	if all[0].Start != shown[0].Start.AddDate(0, 0, -7*spikeHistory) {
		t.Errorf("history starts %v", all[0].Start)
	}
	all, history = trendBuckets(wed, wed, intervalDay)
	if len(all)-history != 1 || all[history].Start != wed || all[history].Last != wed {
		t.Errorf("one day: %v", all[history:])
	}
}

// Spikes are tested against the days before, from the first day with any
// data on, and never against an empty or all-zero past.
func TestBuildTrendSetSpikes(t *testing.T) {
	today := time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC)
	all, history := trendBuckets(today.AddDate(0, 0, -29), today, intervalDay)
	day := func(i int) string { return all[i].Start.Format(time.DateOnly) } // i indexes all buckets
	last := len(all) - 1
	build := func(rows []store.TopicDayCount) trendSet {
		var totals []store.DayCount
		for _, r := range rows {
			totals = append(totals, store.DayCount{Day: r.Day, Count: r.Count})
		}
		return buildTrendSet(rows, totals, nil, all, history, []string{"World"})
	}
	// Everything on the day it was received: 229 against nothing, which
	// a z-score over a floor of 1 called a spike.
	if got := build([]store.TopicDayCount{{Day: day(last), Topic: "World", Count: 229}}).Series[0].Spikes; len(got) != 0 {
		t.Errorf("a lone day against an empty past: %+v", got)
	}
	// A steady 5 a day with a burst of +40 on one day: found, with what
	// was expected and how unlikely it was.
	var rows []store.TopicDayCount
	burst := last - 10
	for i := range all {
		n := 5
		if i == burst {
			n = 45
		}
		rows = append(rows, store.TopicDayCount{Day: day(i), Topic: "World", Count: n})
	}
	got := build(rows).Series[0].Spikes
	if len(got) != 1 || got[0].Index != burst-history || got[0].Count != 45 || got[0].Expected != 5 || got[0].P > 1e-12 {
		t.Fatalf("burst: %+v", got)
	}
	// The same burst with only three days of data before it: too little
	// history to judge.
	if got := build(rows[burst-3:]).Series[0].Spikes; len(got) != 0 {
		t.Errorf("burst after 3 days of data: %+v", got)
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{"World": "World", "=1+1": "'=1+1", "+x": "'+x", "-x": "'-x", "@x": "'@x", "": ""} {
		if got := csvCell(in); got != want {
			t.Errorf("csvCell(%q) = %q, want %q", in, got, want)
		}
	}
}
