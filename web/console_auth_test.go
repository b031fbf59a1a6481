package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

const testPassword = "correct horse battery"

// consoleServer serves a test server over HTTP, with one user per role
// (password testPassword).
func consoleServer(t *testing.T, cfg Config) (*httptest.Server, *store.DB) {
	t.Helper()
	return consoleServerWith(t, cfg, &fakeEncoder{})
}

// consoleServerWith is consoleServer over a given encoder.
func consoleServerWith(t *testing.T, cfg Config, enc Encoder) (*httptest.Server, *store.DB) {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range store.Roles {
		if _, err := db.CreateUser(context.Background(), role+"@example.com", hash, role, "test"); err != nil {
			t.Fatal(err)
		}
	}
	s := newTestServerWith(t, cfg, db, enc)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, db
}

// browser is a client with a cookie jar that does not follow redirects,
// so tests see where they lead.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values, header http.Header) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// formToken reads a hidden csrf_token field from a page.
func formToken(t *testing.T, html string) string {
	t.Helper()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		t.Fatal(err)
	}
	v, ok := doc.Find(`input[name="csrf_token"]`).First().Attr("value")
	if !ok || v == "" {
		t.Fatalf("no csrf_token on the page:\n%s", html)
	}
	return v
}

// logIn logs c in as email and returns the console's CSRF token.
func logIn(t *testing.T, c *http.Client, base, email, password string) (*http.Response, string) {
	t.Helper()
	_, page := fetch(t, c, http.MethodGet, base+"/console/login", nil, nil)
	form := url.Values{"email": {email}, "password": {password}, "csrf_token": {formToken(t, page)}, "next": {"/console/status"}}
	return fetch(t, c, http.MethodPost, base+"/console/login", form, nil)
}

func TestConsoleLoginLogout(t *testing.T) {
	ts, _ := consoleServer(t, testConfig())
	c := browser(t)

	res, _ := fetch(t, c, http.MethodGet, ts.URL+"/console/", nil, nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/login?next=%2Fconsole%2F" {
		t.Fatalf("anonymous: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = fetch(t, c, http.MethodGet, ts.URL+"/console/status", nil, http.Header{"Hx-Request": {"true"}})
	if res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("HX-Redirect"), "/console/login") {
		t.Fatalf("anonymous HTMX: %d %v", res.StatusCode, res.Header)
	}

	if res, body := logIn(t, c, ts.URL, "reviewer@example.com", "wrong password!"); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong email or password") {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	if res, body := logIn(t, c, ts.URL, "nobody@example.com", testPassword); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong email or password") {
		t.Fatalf("unknown user: %d", res.StatusCode)
	}
	res, _ = logIn(t, c, ts.URL, "Reviewer@Example.com", testPassword)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/console/status" {
		t.Fatalf("login: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure || strings.Contains(cookie.Value, "reviewer") {
		t.Fatalf("session cookie %+v", cookie)
	}

	res, body := fetch(t, c, http.MethodGet, ts.URL+"/console/status", nil, http.Header{"Hx-Request": {"true"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(body, `data-testid="api-status-text"`) || strings.Contains(body, "<html") {
		t.Fatalf("status fragment: %d %s", res.StatusCode, body)
	}
	// A full page carries the sidebar, the user and the logout form.
	res, body = fetch(t, c, http.MethodGet, ts.URL+"/console/status", nil, nil)
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(body))
	if doc.Find(`[data-testid="whoami"]`).Text() == "" || !strings.Contains(doc.Find("body").AttrOr("hx-headers", ""), HeaderCSRF) {
		t.Fatalf("page shell: %s", body)
	}

	// Logout needs the CSRF token.
	if res, _ := fetch(t, c, http.MethodPost, ts.URL+"/console/logout", url.Values{}, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without token: %d", res.StatusCode)
	}
	token := formToken(t, body)
	if res, _ := fetch(t, c, http.MethodPost, ts.URL+"/console/logout", url.Values{"csrf_token": {"x" + token}}, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("logout with a wrong token: %d", res.StatusCode)
	}
	if res, _ := fetch(t, c, http.MethodPost, ts.URL+"/console/logout", url.Values{"csrf_token": {token}}, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", res.StatusCode)
	}
	// The old cookie, replayed, no longer works: the session ended on the server.
	replay := browser(t)
	u, _ := url.Parse(ts.URL)
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: cookie.Value, Path: "/"}})
	if res, _ := fetch(t, replay, http.MethodGet, ts.URL+"/console/status", nil, nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("replayed cookie after logout: %d", res.StatusCode)
	}
}

func TestConsoleLoginDefences(t *testing.T) {
	cfg := testConfig()
	cfg.Console.LoginLimitPerAccount = 3
	ts, _ := consoleServer(t, cfg)
	c := browser(t)

	// The login form's nonce must match its cookie.
	form := url.Values{"email": {"admin@example.com"}, "password": {testPassword}, "csrf_token": {"forged"}}
	if res, _ := fetch(t, c, http.MethodPost, ts.URL+"/console/login", form, nil); res.StatusCode != http.StatusForbidden {
		t.Fatalf("login without nonce: %d", res.StatusCode)
	}
	// No open redirect after login.
	_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/login", nil, nil)
	form = url.Values{"email": {"admin@example.com"}, "password": {testPassword}, "csrf_token": {formToken(t, page)}, "next": {"//evil.example/x"}}
	if res, _ := fetch(t, c, http.MethodPost, ts.URL+"/console/login", form, nil); res.Header.Get("Location") != "/console/" {
		t.Fatalf("next=//evil: %s", res.Header.Get("Location"))
	}

	// Three failures lock the account, even against the right password.
	c = browser(t)
	for range 3 {
		logIn(t, c, ts.URL, "analyst@example.com", "not the password")
	}
	res, body := logIn(t, c, ts.URL, "analyst@example.com", testPassword)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "Too many failed logins") {
		t.Fatalf("after 3 failures: %d %s", res.StatusCode, res.Header.Get("Retry-After"))
	}
	// Other accounts are unaffected.
	if res, _ := logIn(t, browser(t), ts.URL, "reviewer@example.com", testPassword); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("other account: %d", res.StatusCode)
	}
}

func TestConsoleProxySSO(t *testing.T) {
	cfg := testConfig()
	cfg.Console.ProxyHeader = "X-Forwarded-Email"
	cfg.Console.ProxyCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	ts, _ := consoleServer(t, cfg)
	for _, tc := range []struct {
		email string
		want  int
	}{
		{"analyst@example.com", http.StatusOK},
		{"stranger@example.com", http.StatusForbidden},
		{"", http.StatusSeeOther},
	} {
		res, _ := fetch(t, browser(t), http.MethodGet, ts.URL+"/console/status", nil, http.Header{"X-Forwarded-Email": {tc.email}})
		if res.StatusCode != tc.want {
			t.Errorf("proxy user %q: %d, want %d", tc.email, res.StatusCode, tc.want)
		}
	}
	// From outside the proxy's network the header is ignored.
	cfg.Console.ProxyCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	ts2, _ := consoleServer(t, cfg)
	res, _ := fetch(t, browser(t), http.MethodGet, ts2.URL+"/console/status", nil, http.Header{"X-Forwarded-Email": {"admin@example.com"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("forged header from outside the proxy: %d", res.StatusCode)
	}
}

func TestConsoleUserCan(t *testing.T) {
	for _, tc := range []struct {
		role  string
		roles []string
		want  bool
	}{
		{store.RoleReviewer, reviewers, true},
		{store.RoleAnalyst, reviewers, false},
		{store.RoleAdmin, admins, true},
		{store.RoleReviewer, admins, false},
		{store.RoleAnalyst, anyone, true},
	} {
		if got := (&ConsoleUser{Role: tc.role}).Can(tc.roles...); got != tc.want {
			t.Errorf("%s can %v: %v, want %v", tc.role, tc.roles, got, tc.want)
		}
	}
	var nobody *ConsoleUser
	if nobody.Can(anyone...) {
		t.Error("a nil user can")
	}
}
