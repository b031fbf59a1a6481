package web

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// addTestRoute registers a protected route that only tests have, to drive
// the middleware with handlers that fail in chosen ways.
func (s *testServer) addTestRoute(method, path string, h echo.HandlerFunc) {
	s.echo.Add(method, path, h, s.requireKey)
	s.patterns[path] = true
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func TestRequestID(t *testing.T) {
	s := newTestServer(t, testConfig())
	cases := []struct {
		name, sent string
		kept       bool
	}{
		{"absent", "", false},
		{"uuid", "3f1c9a2e-7b4d-4e21-9c55-0a1b2c3d4e5f", true},
		{"trace token", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=1", false},
		{"short token", "req:42/a.b_c+d=", true},
		{"too long", strings.Repeat("a", 129), false},
		{"longest allowed", strings.Repeat("a", 128), true},
		{"space", "two words", false},
		{"log forging", "abc\" level=ERROR msg=\"forged", false},
		{"unicode", "idé", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.sent != "" {
				h.Set(HeaderRequestID, tc.sent)
			}
			rec := s.do(t, "GET", "/health", nil, h)
			got := rec.Header().Get(HeaderRequestID)
			switch {
			case tc.kept && got != tc.sent:
				t.Fatalf("response id %q, want the sent %q", got, tc.sent)
			case !tc.kept && !generatedID.MatchString(got):
				t.Fatalf("response id %q, want a generated one", got)
			}
			var found bool
			for _, l := range s.logs.withMsg(t, "request") {
				if l["request_id"] == got {
					found = true
					if l["route"] != "/health" || l["status"] != float64(200) || l["method"] != "GET" {
						t.Errorf("access log line = %v", l)
					}
					for _, k := range []string{"latency_ms", "bytes", "key", "path"} {
						if _, ok := l[k]; !ok {
							t.Errorf("access log line lacks %s: %v", k, l)
						}
					}
				}
			}
			if !found {
				t.Fatalf("no access log line with request id %q", got)
			}
		})
	}
	a := s.do(t, "GET", "/health", nil, nil).Header().Get(HeaderRequestID)
	b := s.do(t, "GET", "/health", nil, nil).Header().Get(HeaderRequestID)
	if a == b {
		t.Fatal("two requests got the same generated id")
	}
}

func TestBodyLimit(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBodyBytes = 64
	s := newTestServer(t, cfg)
	s.addTestRoute("POST", "/test/echo", func(c echo.Context) error {
		var v map[string]any
		if err := decodeJSON(c, &v); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	})
	small := `{"text":"fits"}`
	big := `{"text":"` + strings.Repeat("x", 100) + `"}`
	h := keyHeader(newKey)
	h.Set("Content-Type", "application/json")

	if rec := s.do(t, "POST", "/test/echo", strings.NewReader(small), h); rec.Code != http.StatusOK {
		t.Fatalf("small body: %d %s", rec.Code, rec.Body)
	}
	// Known length: refused before reading.
	rec := s.do(t, "POST", "/test/echo", strings.NewReader(big), h)
	if rec.Code != http.StatusRequestEntityTooLarge || errorOf(t, rec).Error.Code != "body_too_large" {
		t.Fatalf("big body: %d %s", rec.Code, rec.Body)
	}
	// Unknown length (chunked): refused once the reader passes the limit.
	req := strings.NewReader(big)
	rec = s.doStream(t, "POST", "/test/echo", req, h)
	if rec.Code != http.StatusRequestEntityTooLarge || errorOf(t, rec).Error.Code != "body_too_large" {
		t.Fatalf("chunked big body: %d %s", rec.Code, rec.Body)
	}
}

func TestMalformedJSONIs422(t *testing.T) {
	s := newTestServer(t, testConfig())
	s.addTestRoute("POST", "/test/article", func(c echo.Context) error {
		var v validatedArticle
		if err := decodeJSON(c, &v); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})
	cases := []struct {
		name, body, ctype string
		status            int
		field             string
	}{
		{"valid", `{"title":"ok","count":1}`, "application/json", 204, ""},
		{"valid with charset and unknown field", `{"title":"ok","extra":true}`, "application/json; charset=utf-8", 204, ""},
		{"no content type", `{"title":"ok"}`, "", 204, ""},
		{"empty", ``, "application/json", 422, ""},
		{"truncated", `{"title":"ok"`, "application/json", 422, ""},
		{"syntax", `{"title":ok}`, "application/json", 422, ""},
		{"wrong type", `{"title":42}`, "application/json", 422, "title"},
		{"wrong nested type", `{"title":"x","tags":["a",1]}`, "application/json", 422, "tags[1]"},
		{"two values", `{"title":"a"} {"title":"b"}`, "application/json", 422, ""},
		{"array instead of object", `[1,2]`, "application/json", 422, ""},
		{"schema violation", `{"title":""}`, "application/json", 422, "title"},
		{"invalid utf-8", "{\"title\":\"caf\xe9\"}", "application/json", 422, ""},
		{"not json", `title=x`, "application/x-www-form-urlencoded", 415, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := keyHeader(newKey)
			if tc.ctype != "" {
				h.Set("Content-Type", tc.ctype)
			}
			rec := s.do(t, "POST", "/test/article", strings.NewReader(tc.body), h)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status < 400 {
				return
			}
			body := errorOf(t, rec)
			if body.Error.RequestID != rec.Header().Get(HeaderRequestID) {
				t.Errorf("error request_id %q, header %q", body.Error.RequestID, rec.Header().Get(HeaderRequestID))
			}
			if tc.status == 422 {
				if len(body.Error.Details) == 0 {
					t.Fatalf("422 without details: %s", rec.Body)
				}
				if body.Error.Details[0].Field != tc.field {
					t.Errorf("details field %q, want %q", body.Error.Details[0].Field, tc.field)
				}
			}
		})
	}
}

// validatedArticle checks itself after decoding, as request bodies do.
type validatedArticle struct {
	Title string   `json:"title"`
	Tags  []string `json:"tags"`
	Count int      `json:"count"`
}

func (a validatedArticle) Validate() []FieldError {
	if a.Title == "" {
		return []FieldError{{Field: "title", Message: "must not be empty"}}
	}
	return nil
}

func TestErrorsNeverShowInternals(t *testing.T) {
	s := newTestServer(t, testConfig())
	const secret = "dsn=postgres://admin:hunter2@db"
	s.addTestRoute("GET", "/test/fail", func(c echo.Context) error {
		return errors.New("query failed: " + secret)
	})
	s.addTestRoute("GET", "/test/panic", func(c echo.Context) error {
		panic("nil map in " + secret)
	})
	s.addTestRoute("GET", "/test/gone", func(c echo.Context) error {
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: "item already labeled"}
	})
	cases := []struct {
		path   string
		status int
		code   string
		logged bool
	}{
		{"/test/fail", 500, "internal", true},
		{"/test/panic", 500, "internal", true},
		{"/test/gone", 409, "conflict", false},
		{"/nope", 404, "not_found", false},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			rec := s.do(t, "GET", tc.path, nil, keyHeader(newKey))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d", rec.Code, tc.status)
			}
			body := errorOf(t, rec)
			if body.Error.Code != tc.code {
				t.Errorf("code %q, want %q", body.Error.Code, tc.code)
			}
			if strings.Contains(rec.Body.String(), "hunter2") {
				t.Fatalf("response shows internals: %s", rec.Body)
			}
			id := rec.Header().Get(HeaderRequestID)
			var n int
			for _, l := range s.logs.withMsg(t, "request failed") {
				if l["request_id"] == id {
					n++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.logged]; n != want {
				t.Fatalf("logged %d times, want %d", n, want)
			}
		})
	}

	t.Run("timeout", func(t *testing.T) {
		cfg := testConfig()
		cfg.RequestTimeout = 20 * time.Millisecond
		s2 := newTestServer(t, cfg)
		s2.addTestRoute("GET", "/test/slow", func(c echo.Context) error {
			<-c.Request().Context().Done()
			return c.Request().Context().Err()
		})
		rec := s2.do(t, "GET", "/test/slow", nil, keyHeader(newKey))
		if rec.Code != http.StatusServiceUnavailable || errorOf(t, rec).Error.Code != "timeout" {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}

func TestMethodNotAllowed(t *testing.T) {
	s := newTestServer(t, testConfig())
	rec := s.do(t, "POST", "/health", nil, nil)
	if rec.Code != http.StatusMethodNotAllowed || errorOf(t, rec).Error.Code != "method_not_allowed" {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestCORS(t *testing.T) {
	cfg := testConfig()
	cfg.CORSAllowedOrigins = []string{"https://console.example.com"}
	s := newTestServer(t, cfg)

	preflight := http.Header{
		"Origin":                         {"https://console.example.com"},
		"Access-Control-Request-Method":  {"GET"},
		"Access-Control-Request-Headers": {"X-API-Key"},
	}
	rec := s.do(t, "OPTIONS", "/metrics", nil, preflight)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("preflight: status %d, want 204 without a key", rec.Code)
	}
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "https://console.example.com" {
		t.Fatalf("preflight allow-origin %q", got)
	}
	rec = s.do(t, "GET", "/health", nil, http.Header{"Origin": {"https://evil.example.com"}})
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("other origin allowed: %q", got)
	}

	none := newTestServer(t, testConfig())
	rec = none.do(t, "GET", "/health", nil, http.Header{"Origin": {"https://console.example.com"}})
	if got := rec.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Fatalf("no origins configured, yet allow-origin %q", got)
	}
}

func TestReady(t *testing.T) {
	up := newTestServer(t, testConfig())
	rec := up.do(t, "GET", "/ready", nil, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"ready"`) {
		t.Fatalf("up: %d %s", rec.Code, rec.Body)
	}
	down := newTestServerWith(t, testConfig(), failingStore{}, &fakeEncoder{})
	rec = down.do(t, "GET", "/ready", nil, nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("down: status %d", rec.Code)
	}
	for _, want := range []string{`"status":"not_ready"`, `"db":{"ok":false`} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Fatalf("down: body %s lacks %s", rec.Body, want)
		}
	}
	// Liveness does not depend on the database.
	if rec := down.do(t, "GET", "/health", nil, nil); rec.Code != http.StatusOK || rec.Body.String() != "{\"status\":\"ok\"}\n" {
		t.Fatalf("health with db down: %d %q", rec.Code, rec.Body)
	}
}

func TestGzip(t *testing.T) {
	s := newTestServer(t, testConfig())
	h := keyHeader(newKey)
	h.Set("Accept-Encoding", "gzip")
	h.Set("Accept", "text/plain; version=0.0.4")
	rec := s.do(t, "GET", "/metrics", nil, h)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("large response not compressed; headers %v", rec.Header())
	}
}
