package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"testing"
)

// publicRoutes is the explicit allowlist of routes that need no key. A
// route added to the table is protected unless it is also added here.
var publicRoutes = []string{
	"GET /health",
	"GET /ready",
	"GET /static/*",
	"GET /favicon.ico",
	"GET /",
	"GET /console/login",
	"POST /console/login",
	"GET /openapi.json",
	"GET /docs",
}

// concrete turns a route pattern into a path that matches it.
func concrete(path string) string {
	var parts []string
	for _, p := range strings.Split(path, "/") {
		switch {
		case strings.HasPrefix(p, ":"):
			p = "1"
		case p == "*":
			p = "x"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "/")
}

func TestPublicRoutesAreExactlyTheAllowlist(t *testing.T) {
	s := newTestServer(t, testConfig())
	var got []string
	for _, r := range s.routes() {
		if r.public {
			got = append(got, r.method+" "+r.path)
		}
	}
	sort.Strings(got)
	want := append([]string(nil), publicRoutes...)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("public routes = %v, want %v", got, want)
	}
}

// TestAuthMatrix walks every route echo has registered: those not in the
// allowlist answer 401 without a key or with a wrong one, and never 401
// with either configured key (old and new, as during rotation), in either
// header style.
func TestAuthMatrix(t *testing.T) {
	s := newTestServer(t, testConfig())
	public := map[string]bool{}
	for _, r := range publicRoutes {
		public[r] = true
	}
	routes := s.echo.Routes()
	if len(routes) < 4 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	console := map[string]bool{}
	for _, p := range s.pages() {
		console[p.method+" "+p.path] = true
	}
	for _, r := range routes {
		id := r.Method + " " + r.Path
		path := concrete(r.Path)
		if console[id] {
			continue // TestConsolePagesNeedASession
		}
		t.Run(id, func(t *testing.T) {
			if public[id] {
				rec := s.do(t, r.Method, path, nil, nil)
				if rec.Code == http.StatusUnauthorized {
					t.Fatalf("public route answered 401")
				}
				return
			}
			for name, h := range map[string]http.Header{
				"no key":        nil,
				"wrong key":     {"X-Api-Key": {"wrong-secret-0123456789abcdef"}},
				"wrong bearer":  {"Authorization": {"Bearer wrong-secret-0123456789abcdef"}},
				"key as basic":  {"Authorization": {"Basic " + newKey.Secret}},
				"empty bearer":  {"Authorization": {"Bearer "}},
				"prefix of key": {"X-Api-Key": {newKey.Secret[:len(newKey.Secret)-1]}},
			} {
				rec := s.do(t, r.Method, path, nil, h)
				if rec.Code != http.StatusUnauthorized {
					t.Errorf("%s: status %d, want 401", name, rec.Code)
					continue
				}
				if rec.Header().Get("WWW-Authenticate") == "" {
					t.Errorf("%s: 401 without WWW-Authenticate", name)
				}
				if body := errorOf(t, rec); body.Error.Code != "unauthorized" {
					t.Errorf("%s: error code %q", name, body.Error.Code)
				}
			}
			for _, k := range []APIKey{oldKey, newKey} {
				for style, h := range map[string]http.Header{
					"X-API-Key": {"X-Api-Key": {k.Secret}},
					"Bearer":    {"Authorization": {"Bearer " + k.Secret}},
				} {
					rec := s.do(t, r.Method, path, nil, h)
					if rec.Code == http.StatusUnauthorized || rec.Code >= 500 {
						t.Errorf("key %s via %s: status %d", k.Name, style, rec.Code)
					}
				}
			}
		})
	}
}

// After rotation (runbook 5.1) the removed key stops working and the
// requests of each key are counted under its name.
func TestKeyRotation(t *testing.T) {
	cfg := testConfig()
	cfg.APIKeys = []APIKey{newKey}
	s := newTestServer(t, cfg)
	if rec := s.do(t, "GET", "/metrics", nil, keyHeader(oldKey)); rec.Code != http.StatusUnauthorized {
		t.Fatalf("removed key: status %d, want 401", rec.Code)
	}
	for range 3 {
		if rec := s.do(t, "GET", "/metrics", nil, keyHeader(newKey)); rec.Code != http.StatusOK {
			t.Fatalf("new key: status %d", rec.Code)
		}
	}
	snap, err := s.metrics.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if snap.APIKeys["new"] != 3 || snap.APIKeys["old"] != 0 || snap.AuthFailures != 1 {
		t.Fatalf("per-key counts = %v, auth failures = %v", snap.APIKeys, snap.AuthFailures)
	}
	var logged bool
	for _, l := range s.logs.withMsg(t, "request") {
		if l["key"] == "new" {
			logged = true
		}
		for _, v := range l {
			if str, ok := v.(string); ok && strings.Contains(str, newKey.Secret) {
				t.Fatalf("a log line carries the secret: %v", l)
			}
		}
	}
	if !logged {
		t.Fatal("no access log line names the key")
	}
}

func TestAuthDisabled(t *testing.T) {
	cfg := testConfig()
	cfg.APIKeys, cfg.AuthDisabled = nil, true
	s := newTestServer(t, cfg)
	if rec := s.do(t, "GET", "/metrics", nil, nil); rec.Code != http.StatusOK {
		t.Fatalf("status %d, want 200", rec.Code)
	}
}

func TestParseAPIKeys(t *testing.T) {
	const a, b = "aaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb"
	cases := []struct {
		name            string
		apiKey, apiKeys string
		want            []string // name=secret
		wantErr         string
	}{
		{"none", "", "", nil, ""},
		{"single", a, "", []string{"key-" + hashPrefix(a) + "=" + a}, ""},
		{"both variables", a, " " + b + " ", []string{"key-" + hashPrefix(a) + "=" + a, "key-" + hashPrefix(b) + "=" + b}, ""},
		{"named", "", "ci:" + a + ";ops: " + b, []string{"ci=" + a, "ops=" + b}, ""},
		{"empty entries ignored", "", ";;" + a + "; ;", []string{"key-" + hashPrefix(a) + "=" + a}, ""},
		{"duplicate secret counted once", a, a, []string{"key-" + hashPrefix(a) + "=" + a}, ""},
		{"colon in a bare secret", "", "x/y:" + a, []string{"key-" + hashPrefix("x/y:"+a) + "=x/y:" + a}, ""},
		{"name before a colon", "", "ci:x/y:" + a, []string{"ci=x/y:" + a}, ""},
		{"too short", "", "short", nil, "API_KEYS"},
		{"too short in API_KEY", "abc", "", nil, "API_KEY"},
		{"same name twice", "", "ci:" + a + ";ci:" + b, nil, "named"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := ParseAPIKeys(tc.apiKey, tc.apiKeys)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), a) || strings.Contains(err.Error(), b) {
					t.Fatalf("error reveals a secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range keys {
				got = append(got, k.Name+"="+k.Secret)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("keys = %v, want %v", got, tc.want)
			}
		})
	}
}

// hashPrefix is the documented name of a bare key: its SHA-256, first 8 hex.
func hashPrefix(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])[:8]
}

// TestConsolePagesNeedASession walks every console page: without a
// session, and even with an API key, a page sends browsers to the login
// form and refuses anything else.
func TestConsolePagesNeedASession(t *testing.T) {
	s := newTestServer(t, testConfig())
	pages := s.pages()
	if len(pages) < 3 {
		t.Fatalf("only %d console pages", len(pages))
	}
	for _, p := range pages {
		t.Run(p.method+" "+p.path, func(t *testing.T) {
			for name, h := range map[string]http.Header{
				"no key":   nil,
				"API key":  {"X-Api-Key": {newKey.Secret}},
				"via HTMX": {"Hx-Request": {"true"}},
			} {
				rec := s.do(t, p.method, concrete(p.path), nil, h)
				switch {
				case p.method == http.MethodGet && name != "via HTMX":
					if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/console/login?next=") {
						t.Errorf("%s: %d to %q, want 303 to the login page", name, rec.Code, rec.Header().Get("Location"))
					}
				case rec.Code != http.StatusUnauthorized:
					t.Errorf("%s: %d, want 401", name, rec.Code)
				}
			}
		})
	}
}
