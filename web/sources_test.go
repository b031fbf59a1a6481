package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestSourceRoutes drives the feed source routes in order through the
// whole middleware chain: add (and refusals), list, pause, resume, delete.
func TestSourceRoutes(t *testing.T) {
	s := newTestServer(t, testConfig())
	steps := []struct {
		name, method, target, body string
		status                     int
		field                      string // of a 422
		check                      func(t *testing.T, body []byte)
	}{
		{"add", "POST", "/sources", `{"name":"wire","url":"https://wire.test/rss"}`, 201, "", func(t *testing.T, b []byte) {
			var src SourceJSON
			if err := json.Unmarshal(b, &src); err != nil || src.PollIntervalSeconds != 900 || src.Paused || src.LastFetchAt != nil {
				t.Fatalf("%s: want the default interval, unpaused, never fetched (%v)", b, err)
			}
		}},
		{"add twice", "POST", "/sources", `{"name":"wire","url":"https://other.test/rss"}`, 409, "", nil},
		{"bad name", "POST", "/sources", `{"name":"no spaces","url":"https://x.test/"}`, 422, "name", nil},
		{"bad url", "POST", "/sources", `{"name":"x","url":"/relative"}`, 422, "url", nil},
		{"too frequent", "POST", "/sources", `{"name":"x","url":"https://x.test/","poll_interval_seconds":59}`, 422, "poll_interval_seconds", nil},
		{"overflowing interval", "POST", "/sources", `{"name":"x","url":"https://x.test/","poll_interval_seconds":9223372036}`, 422, "poll_interval_seconds", nil},
		{"unknown taxonomy", "POST", "/sources", `{"name":"x","url":"https://x.test/","taxonomy":"nope"}`, 422, "taxonomy", nil},
		{"list", "GET", "/sources", "", 200, "", func(t *testing.T, b []byte) {
			var out struct{ Sources []SourceJSON }
			if err := json.Unmarshal(b, &out); err != nil || len(out.Sources) != 1 || out.Sources[0].Name != "wire" {
				t.Fatalf("%s: want the one source", b)
			}
		}},
		{"pause", "POST", "/sources/wire/pause", "", 200, "", func(t *testing.T, b []byte) {
			if !strings.Contains(string(b), `"paused":true`) {
				t.Fatalf("%s: not paused", b)
			}
		}},
		{"resume", "POST", "/sources/wire/resume", "", 200, "", func(t *testing.T, b []byte) {
			if !strings.Contains(string(b), `"paused":false`) {
				t.Fatalf("%s: still paused", b)
			}
		}},
		{"delete", "DELETE", "/sources/wire", "", 204, "", nil},
		{"gone", "GET", "/sources/wire", "", 404, "", nil},
		{"delete again", "DELETE", "/sources/wire", "", 404, "", nil},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			h := keyHeader(newKey)
			var body io.Reader
			if st.body != "" {
				h.Set("Content-Type", "application/json")
				body = strings.NewReader(st.body)
			}
			rec := s.do(t, st.method, st.target, body, h)
			if rec.Code != st.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, st.status, rec.Body)
			}
			if st.field != "" {
				if d := errorOf(t, rec).Error.Details; len(d) == 0 || d[0].Field != st.field {
					t.Fatalf("details %+v, want field %q", d, st.field)
				}
			}
			if st.check != nil {
				st.check(t, rec.Body.Bytes())
			}
		})
	}
	if rec := s.do(t, "GET", "/sources", nil, http.Header{}); rec.Code != 401 {
		t.Errorf("list without a key: %d, want 401", rec.Code)
	}
}
