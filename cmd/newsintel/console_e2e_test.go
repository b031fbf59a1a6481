package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/store/storetest"
)

var (
	passwordLine = regexp.MustCompile(`password: (\S+)`)
	labelForm    = regexp.MustCompile(`action="(/console/review/items/\d+/label)"`)
)

// The console from a fresh database, as the README tells an operator to
// use it: create a user with the CLI, log in, label an item on the review
// page, and see it on the trends page. Runs on both databases.
func TestConsoleEndToEnd(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			dbURL := storetest.URL(t, d)
			env := map[string]string{"DB_URL": dbURL, "API_KEYS": testKey, "REVIEW_THRESHOLD": "0.99"}
			s := startServer(t, env)
			waitReady(t, s.URL)

			var out bytes.Buffer
			err := run(context.Background(), []string{"user", "add", "--email", "Ed@Example.com", "--role", "admin"},
				envOf(env), strings.NewReader(""), &out, io.Discard)
			m := passwordLine.FindStringSubmatch(out.String())
			if err != nil || m == nil {
				t.Fatalf("user add: %v\n%s", err, out.String())
			}

			auth := http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}}
			if res, body := post(t, s.URL+"/classify_news", `{"title":"Markets wobble","text":"Shares and bonds moved on the news."}`, auth); res.StatusCode != 200 {
				t.Fatalf("classify: %d %s", res.StatusCode, body)
			}

			jar, _ := cookiejar.New(nil)
			c := &http.Client{Jar: jar}
			page := func(method, path string, form url.Values) string {
				t.Helper()
				var res *http.Response
				var err error
				if method == http.MethodPost {
					res, err = c.PostForm(s.URL+path, form)
				} else {
					res, err = c.Get(s.URL + path)
				}
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				if res.StatusCode != http.StatusOK {
					t.Fatalf("%s %s: %d\n%s", method, path, res.StatusCode, b)
				}
				return string(b)
			}
			login := page(http.MethodGet, "/console/login?next=/console/review", nil)
			nonce := csrfInput.FindStringSubmatch(login)
			if nonce == nil {
				t.Fatalf("login page without a token:\n%s", login)
			}
			review := page(http.MethodPost, "/console/login", url.Values{"email": {"ed@example.com"}, "password": {m[1]},
				"csrf_token": {nonce[1]}, "next": {"/console/review"}})
			if !strings.Contains(review, "Markets wobble") {
				t.Fatalf("the review page does not show the queued article:\n%s", review)
			}
			// An admin sees the queue read-only until they start reviewing.
			if !strings.Contains(review, `data-testid="review-start"`) {
				t.Fatalf("the admin's review page does not offer to start reviewing:\n%s", review)
			}
			review = page(http.MethodGet, "/console/review?mode=review", nil)
			token, action := csrfInput.FindStringSubmatch(review), labelForm.FindStringSubmatch(review)
			if token == nil || action == nil {
				t.Fatalf("no label form on the review page:\n%s", review)
			}
			page(http.MethodPost, action[1], url.Values{"label": {"Business"}, "csrf_token": {token[1]}})

			trends := page(http.MethodGet, "/console/trends", nil)
			if !strings.Contains(trends, "<svg") || !strings.Contains(trends, "Business") {
				t.Fatalf("the trends page has no chart of the labeled topic:\n%s", trends)
			}
			res, body := get(t, s.URL+"/review/active-learning", auth)
			if res.StatusCode != 200 || !strings.Contains(string(body), `"Business":1`) {
				t.Fatalf("the label is not counted: %s", body)
			}
		})
	}
}
