package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// loginTarget splits a redirect to the login page into next and reason.
func loginTarget(t *testing.T, location string) (next, reason string) {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil || u.Path != "/console/login" {
		t.Fatalf("not a redirect to the login page: %q", location)
	}
	return u.Query().Get("next"), u.Query().Get("reason")
}

// TestConsoleLoginRequired pins where a request without a live session is
// sent: the login page, with next a console page a GET opens (never the
// URL of a POST), and reason=expired when the user had a session.
func TestConsoleLoginRequired(t *testing.T) {
	cfg := testConfig()
	// Every session idles out at once: a logged-in client holds the
	// cookie of a session that has ended on the server.
	cfg.Console.IdleTimeout = time.Nanosecond
	ts, _ := consoleServer(t, cfg)
	ended := browser(t)
	if res, _ := logIn(t, ended, ts.URL, "reviewer@example.com", testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", res.StatusCode)
	}
	label := "/console/review/items/5/label"
	// form is what a browser sends with a form post.
	form := func(referer string) http.Header {
		return http.Header{"Referer": {referer}, "Accept": {"text/html,application/xhtml+xml"}}
	}
	evil := "https://evil.example"
	cases := []struct {
		name       string
		client     *http.Client
		method     string
		path       string
		header     http.Header
		wantStatus int
		wantNext   string
		wantReason string
	}{
		{"anonymous GET", browser(t), http.MethodGet, "/console/review", nil, http.StatusSeeOther, "/console/review", ""},
		{"ended session GET keeps the query", ended, http.MethodGet, "/console/review?topic=Sports", nil,
			http.StatusSeeOther, "/console/review?topic=Sports", reasonExpired},
		{"HTMX label post returns to the page it came from", ended, http.MethodPost, label,
			http.Header{"Hx-Request": {"true"}, "Hx-Current-Url": {ts.URL + "/console/review?topic=Sports&item=5"}},
			http.StatusUnauthorized, "/console/review?topic=Sports&item=5", reasonExpired},
		{"HTMX poll returns to the page, not the fragment", ended, http.MethodGet, "/console/status",
			http.Header{"Hx-Request": {"true"}, "Hx-Current-Url": {ts.URL + "/console/trends"}},
			http.StatusUnauthorized, "/console/trends", reasonExpired},
		{"boosted link goes on to the page it leads to", ended, http.MethodGet, "/console/articles?q=cup",
			http.Header{"Hx-Request": {"true"}, "Hx-Boosted": {"true"}, "Hx-Current-Url": {ts.URL + "/console/trends"}},
			http.StatusUnauthorized, "/console/articles?q=cup", reasonExpired},
		{"HTMX from another origin", ended, http.MethodPost, label,
			http.Header{"Hx-Request": {"true"}, "Hx-Current-Url": {evil + "/console/review"}},
			http.StatusUnauthorized, defaultNext, reasonExpired},
		{"HTMX without a current URL", browser(t), http.MethodPost, label, http.Header{"Hx-Request": {"true"}},
			http.StatusUnauthorized, defaultNext, reasonExpired},
		{"HTMX from a page shown after a form post", ended, http.MethodPost, "/console/users/role",
			http.Header{"Hx-Request": {"true"}, "Hx-Current-Url": {ts.URL + "/console/users/role"}},
			http.StatusUnauthorized, defaultNext, reasonExpired},
		{"form post returns to the form's page", ended, http.MethodPost, label,
			form(ts.URL + "/console/review?item=5"), http.StatusSeeOther, "/console/review?item=5", reasonExpired},
		{"form post never returns to its own URL", ended, http.MethodPost, label,
			form(ts.URL + label), http.StatusSeeOther, defaultNext, reasonExpired},
		{"form post with a foreign referer", ended, http.MethodPost, label,
			form(evil + "/console/review"), http.StatusSeeOther, defaultNext, reasonExpired},
		{"form post with a protocol-relative referer", ended, http.MethodPost, label,
			form("//evil.example/console/review"), http.StatusSeeOther, defaultNext, reasonExpired},
		{"a script's post gets 401, not a redirect", ended, http.MethodPost, label,
			http.Header{"Referer": {ts.URL + "/console/review"}}, http.StatusUnauthorized, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := fetch(t, tc.client, tc.method, ts.URL+tc.path, url.Values{"label": {"Sports"}}, tc.header)
			if res.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.wantStatus)
			}
			location := res.Header.Get("Location")
			if tc.wantStatus == http.StatusUnauthorized {
				location = res.Header.Get("HX-Redirect")
			}
			if tc.wantNext == "" {
				if location != "" {
					t.Fatalf("redirected to %q", location)
				}
				return
			}
			next, reason := loginTarget(t, location)
			if next != tc.wantNext || reason != tc.wantReason {
				t.Fatalf("next %q reason %q, want %q %q", next, reason, tc.wantNext, tc.wantReason)
			}
		})
	}
}

// TestConsoleLoginNext logs in with a next and checks where the login
// lands: on the page asked for if it is a console page a GET opens, on
// the console's home otherwise (no open redirect, no 405).
func TestConsoleLoginNext(t *testing.T) {
	ts, _ := consoleServer(t, testConfig())
	cases := []struct{ next, want string }{
		{"/console/review?topic=Sports&item=5", "/console/review?topic=Sports&item=5"},
		{"/console/articles/12", "/console/articles/12"},
		{"/console/review#item-5", "/console/review"},
		{"", defaultNext},
		{"//evil.example/x", defaultNext},
		{"https://evil.example/console/", defaultNext},
		{"http://" + strings.TrimPrefix(ts.URL, "http://") + "/console/review", defaultNext},
		{"/\\evil.example", defaultNext},
		{"/console/\\evil.example", defaultNext},
		{"\\\\evil.example", defaultNext},
		{"/%2F%2Fevil.example", defaultNext},
		{"/console/%2F%2Fevil.example", defaultNext},
		{"javascript:alert(1)", defaultNext},
		{"/console/review\r\nSet-Cookie: a=b", defaultNext},
		{"/console/review\t/evil", defaultNext},
		{"evil.example/console/", defaultNext},
		{"/console/review/items/5/label", defaultNext}, // a POST route: a GET of it is a 405
		{"/console/users/role", defaultNext},
		{"/console/login", defaultNext},
		{"/console/no-such-page", defaultNext},
		{"/static/js/console.js", defaultNext},
	}
	for _, tc := range cases {
		c := browser(t)
		_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/login?"+url.Values{"next": {tc.next}}.Encode(), nil, nil)
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := doc.Find(`input[name="next"]`).Attr("value"); v != tc.want {
			t.Errorf("next %q: the form carries %q, want %q", tc.next, v, tc.want)
		}
		// The posted next is checked again: the form's field can be edited.
		form := url.Values{"email": {"admin@example.com"}, "password": {testPassword}, "csrf_token": {formToken(t, page)}, "next": {tc.next}}
		res, _ := fetch(t, c, http.MethodPost, ts.URL+"/console/login", form, nil)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != tc.want {
			t.Errorf("next %q: %d to %q, want %q", tc.next, res.StatusCode, res.Header.Get("Location"), tc.want)
		}
	}
}

func TestConsoleLoginSaysWhy(t *testing.T) {
	ts, _ := consoleServer(t, testConfig())
	for _, tc := range []struct {
		query, want string
	}{
		{"?next=%2Fconsole%2Freview&reason=expired", expiredNotice},
		{"?next=%2Fconsole%2Freview", ""},
		{"?reason=something-else", ""},
	} {
		_, page := fetch(t, browser(t), http.MethodGet, ts.URL+"/console/login"+tc.query, nil, nil)
		doc := parseHTML(t, page)
		if got := strings.TrimSpace(findTestID(doc, "login-notice").Text()); got != tc.want {
			t.Errorf("%s: notice %q, want %q", tc.query, got, tc.want)
		}
	}
}

// TestConsoleForbiddenNamesRoles checks that a 403 says which role the page
// needs and which one the user has.
func TestConsoleForbiddenNamesRoles(t *testing.T) {
	ts, _ := consoleServer(t, testConfig())
	cases := []struct {
		email, path string
		want        []string
	}{
		{"analyst@example.com", "/console/review", []string{"needs the reviewer or admin role", "analyst@example.com with the analyst role"}},
		{"reviewer@example.com", "/console/trends", []string{"needs the analyst or admin role", "reviewer@example.com with the reviewer role"}},
		{"reviewer@example.com", "/console/users", []string{"needs the admin role", "reviewer@example.com with the reviewer role"}},
		{"analyst@example.com", "/console/review/adjudication", []string{"needs the admin role", "with the analyst role"}},
	}
	for _, tc := range cases {
		c := browser(t)
		logIn(t, c, ts.URL, tc.email, testPassword)
		res, body := fetch(t, c, http.MethodGet, ts.URL+tc.path, nil, http.Header{"Accept": {"text/html"}})
		msg := findTestID(parseHTML(t, body), "error-message").Text()
		if res.StatusCode != http.StatusForbidden {
			t.Fatalf("%s on %s: %d", tc.email, tc.path, res.StatusCode)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s on %s: %q lacks %q", tc.email, tc.path, msg, w)
			}
		}
	}
}
