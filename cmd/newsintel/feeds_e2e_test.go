package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store/storetest"
)

// TestFeedEndToEnd, on each database, is what a fresh clone does: serve, add a feed through
// the API, and see its entries classified by the real encoder and topic
// model and summarized by the server's summarizer, counted by
// publication date for the Trends page, with the source's last fetch and
// counts on GET /sources, each article with its summary on GET
// /articles/:id, and the job and feed figures in /metrics.
func TestFeedEndToEnd(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			rss, err := os.ReadFile("testdata/feed_rss2.xml")
			if err != nil {
				t.Fatal(err)
			}
			feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/rss+xml")
				w.Write(rss)
			}))
			defer feed.Close()
			url := storetest.URL(t, d)
			env := map[string]string{"DB_URL": url, "API_KEYS": testKey,
				"FEED_SCAN_INTERVAL": "200ms", "JOB_POLL_INTERVAL": "100ms", "FEED_HOST_INTERVAL": "10ms"}
			s := startServer(t, env)
			waitReady(t, s.URL)
			auth := http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}, "Content-Type": {"application/json"}}
			res, body := post(t, s.URL+"/sources", `{"name":"wire","url":"`+feed.URL+`/rss","poll_interval_seconds":600}`, auth)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("POST /sources: %d %s", res.StatusCode, body)
			}

			var src struct {
				LastStatus     int     `json:"last_status"`
				New7d          int     `json:"new_7d"`
				Rejected7d     int     `json:"rejected_7d"`
				ArticlesPerDay float64 `json:"articles_per_day"`
			}
			deadline := time.Now().Add(90 * time.Second)
			for src.New7d < 2 {
				if time.Now().After(deadline) {
					t.Fatalf("the feed's entries were not ingested in time: %s", body)
				}
				time.Sleep(200 * time.Millisecond)
				res, body = get(t, s.URL+"/sources/wire", auth)
				if err := json.Unmarshal(body, &src); res.StatusCode != 200 || err != nil {
					t.Fatalf("GET /sources/wire: %d %s", res.StatusCode, body)
				}
			}
			if src.LastStatus != 200 || src.New7d != 2 || src.Rejected7d != 1 || src.ArticlesPerDay <= 0 {
				t.Errorf("source %+v: want a 200, 2 new, 1 rejected (the entry without text)", src)
			}

			raw := storetest.RawOf(t, url)
			if n := raw.Int(t, `SELECT COUNT(*) FROM articles a JOIN predictions p ON p.article_id = a.id
				WHERE a.source = 'wire' AND a.published_at IS NOT NULL AND p.model_version LIKE 'agnews%'`); n != 2 {
				t.Errorf("%d classified feed articles with publication dates, want 2", n)
			}
			// Every feed article is stored with its summary, which GET
			// /articles/:id returns with the article's prediction.
			if n := raw.Int(t, `SELECT COUNT(*) FROM articles WHERE source = 'wire'
				AND summary IS NOT NULL AND summary <> '' AND summary_version LIKE 'learned%'`); n != 2 {
				t.Errorf("%d feed articles with a summary, want 2", n)
			}
			id := raw.Int(t, `SELECT id FROM articles WHERE url = 'https://wire.test/sport/final'`)
			res, body = get(t, s.URL+"/articles/"+strconv.FormatInt(id, 10), auth)
			var article struct {
				Title          string  `json:"title"`
				Summary        *string `json:"summary"`
				SummaryVersion *string `json:"summary_version"`
				Prediction     *struct {
					Label        string `json:"label"`
					ModelVersion string `json:"model_version"`
				} `json:"prediction"`
			}
			if err := json.Unmarshal(body, &article); res.StatusCode != 200 || err != nil {
				t.Fatalf("GET /articles/%d: %d %s", id, res.StatusCode, body)
			}
			if article.Title != "Late goal wins the cup final" || article.Summary == nil || !strings.Contains(*article.Summary, "extra time") ||
				article.SummaryVersion == nil || article.Prediction == nil || !strings.HasPrefix(article.Prediction.ModelVersion, "agnews") {
				t.Errorf("GET /articles/%d: %s; want the feed article with its summary and prediction", id, body)
			}

			// Trends count by publication date: one entry was published on
			// 2026-10-05, the other on 2026-10-06.
			day := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
			if n := raw.Int(t, `SELECT COALESCE(SUM(predicted), 0) FROM topic_hours WHERE source = 'wire' AND undated = 0 AND slot >= ? AND slot < ?`,
				day.Unix(), day.Add(24*time.Hour).Unix()); n != 1 {
				t.Errorf("trends count %d wire articles published on 2026-10-05, want 1", n)
			}
			// And as an analyst sees them: the Trends page for the feed, and its
			// CSV export, count one article on each publication date.
			console := loginConsole(t, s.URL, env)
			trends := console(t, "/console/trends?from=2026-10-05&to=2026-10-06&source=wire&tz=UTC&interval=day")
			if !strings.Contains(trends, `data-testid="trends-summary"`) || !strings.Contains(trends, "<svg") {
				t.Errorf("the Trends page for the feed has no chart:\n%s", trends)
			}
			perDay := map[string]int{}
			rows, err := csv.NewReader(strings.NewReader(console(t, "/console/trends.csv?from=2026-10-05&to=2026-10-06&source=wire&tz=UTC&interval=day"))).ReadAll()
			if err != nil || len(rows) < 2 {
				t.Fatalf("trends CSV: %v, %d rows", err, len(rows))
			}
			for _, r := range rows[1:] {
				if r[2] == "predicted" {
					n, _ := strconv.Atoi(r[4])
					perDay[r[0]] += n
				}
			}
			if perDay["2026-10-05"] != 1 || perDay["2026-10-06"] != 1 {
				t.Errorf("the Trends export counts %v predicted wire articles per day, want 1 on 2026-10-05 and 1 on 2026-10-06", perDay)
			}

			res, body = get(t, s.URL+"/metrics", auth)
			if res.StatusCode != 200 || !strings.Contains(string(body), `"kind":"ingest_items"`) || !strings.Contains(string(body), `"source":"wire"`) {
				t.Errorf("/metrics lacks the ingest job and the feed: %d %s", res.StatusCode, body)
			}
		})
	}
}

// loginConsole adds an admin through `newsintel user add`, logs in to the
// console at baseURL with a cookie jar and the login form's CSRF token,
// and returns a getter of console pages that fails the test on any
// status but 200.
func loginConsole(t *testing.T, baseURL string, env map[string]string) func(t *testing.T, path string) string {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), []string{"user", "add", "--email", "analyst@example.com", "--role", "admin"},
		envOf(env), strings.NewReader(""), &out, io.Discard)
	m := passwordLine.FindStringSubmatch(out.String())
	if err != nil || m == nil {
		t.Fatalf("user add: %v\n%s", err, out.String())
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	read := func(t *testing.T, res *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: %d\n%s", res.Request.Method, res.Request.URL.Path, res.StatusCode, b)
		}
		return string(b)
	}
	res, err := c.Get(baseURL + "/console/login")
	nonce := csrfInput.FindStringSubmatch(read(t, res, err))
	if nonce == nil {
		t.Fatal("login page without a CSRF token")
	}
	res, err = c.PostForm(baseURL+"/console/login", url.Values{"email": {"analyst@example.com"}, "password": {m[1]},
		"csrf_token": {nonce[1]}, "next": {"/console/trends"}})
	read(t, res, err)
	return func(t *testing.T, path string) string {
		t.Helper()
		res, err := c.Get(baseURL + path)
		return read(t, res, err)
	}
}
