package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets below send fuzzed bodies to every JSON route through
// the whole middleware chain (key check, body limit, deadline, recover,
// error handler), over a real SQLite store, so the decode, validation and
// store paths are the ones clients reach. Run one with
//
//	go test ./web -run '^$' -fuzz '^FuzzClassifyNews$' -fuzztime 1000000x -parallel 2
//
// A panic becomes a 500 through the recover middleware, so "never 5xx"
// also catches panics.

// fuzzServer is a test server with 20 uncertain articles classified, so
// review items 1 to 20 exist for the claim, label, skip and undo targets.
func fuzzServer(f *testing.F) *testServer {
	f.Helper()
	s := newTestServer(f, testConfig())
	var batch []string
	for i := range 20 {
		batch = append(batch, fmt.Sprintf(`{"title":"Talks %d","text":"Leaders met in Geneva, round %d."}`, i, i))
	}
	rec := s.do(f, http.MethodPost, "/classify_news", strings.NewReader(`{"articles":[`+strings.Join(batch, ",")+`]}`), jsonKey())
	if rec.Code != http.StatusOK {
		f.Fatalf("seed classify: %d %s", rec.Code, rec.Body.String())
	}
	return s
}

func jsonKey() http.Header {
	h := keyHeader(oldKey)
	h.Set("Content-Type", "application/json")
	return h
}

// checkAnswer asserts what every answer to a fuzzed body must satisfy: a
// 2xx or 4xx, never a 5xx; an error body in the documented shape; and a
// 422 that says what is wrong, naming the field whenever the body was a
// well-formed JSON object (only a body that is not one has no field to
// name).
func checkAnswer(t *testing.T, method, target string, body []byte, status int, resp []byte) {
	t.Helper()
	if status >= 500 || status < 200 || (status >= 300 && status < 400) {
		t.Fatalf("%s %s with body %q: status %d, want 2xx or 4xx: %s", method, target, body, status, resp)
	}
	if status < 400 {
		if !json.Valid(resp) {
			t.Fatalf("%s %s: %d answer is not JSON: %q", method, target, status, resp)
		}
		return
	}
	var e errorBody
	if err := json.Unmarshal(resp, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("%s %s with body %q: %d error body lacks code or message (%v): %s", method, target, body, status, err, resp)
	}
	if status != http.StatusUnprocessableEntity {
		return
	}
	if len(e.Error.Details) == 0 {
		t.Fatalf("%s %s with body %q: 422 without details: %s", method, target, body, resp)
	}
	object := utf8.Valid(body) && json.Valid(body) && bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{"))
	for _, d := range e.Error.Details {
		if d.Message == "" {
			t.Fatalf("%s %s with body %q: 422 detail without a message: %s", method, target, body, resp)
		}
		if object && d.Field == "" {
			t.Fatalf("%s %s with JSON object %q: 422 detail names no field: %s", method, target, body, resp)
		}
	}
}

// fuzzBody fuzzes the body of method target, starting from seeds.
func fuzzBody(f *testing.F, method, target string, seeds ...string) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := s.do(t, method, target, bytes.NewReader(body), jsonKey())
		checkAnswer(t, method, target, body, rec.Code, rec.Body.Bytes())
	})
}

func FuzzClassifyNews(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/classify_news",
		`{"title":"Cup final","text":"The match ended 2-1.","url":"https://x.test/a","published_at":"2026-11-27","id":7}`,
		`{"articles":[{"title":"A","description":"Rates rose.","id":"a-1"},{"text":"Stocks fell","published_at":"2026-11-27T09:30:00Z"}],"taxonomy":"desk"}`,
		`{"articles":[]}`, `{"title":"x","text":"y","description":"z"}`, `{"text":"ok","taxonomy":"nope"}`,
		`{"text":"ok","url":"ftp://x"}`, `{"articles":[{"text":5}]}`, `[1,2]`, `{"text":"a"} {}`, "\xff", ``)
}

func FuzzSummarize(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/summarize",
		`{"title":"Rates","text":"The bank raised rates. Markets fell. Analysts expect more.","sentences":2}`,
		`{"text":"One sentence only."}`, `{"text":""}`, `{"text":"a","sentences":-1}`, `{"text":"a","ratio":2}`, `null`)
}

func FuzzEmbed(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/embed",
		`{"inputs":"hello world"}`, `{"inputs":["a","b"]}`, `{"inputs":[]}`, `{"inputs":[1]}`, `{"inputs":["  "]}`, `{"inputs":{}}`)
}

func FuzzFeedback(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/feedback",
		`{"prediction_id":1,"is_correct":false,"correct_label":"Sports","comment":"wrong"}`,
		`{"article_id":1,"correct_label":"World"}`, `{"prediction_id":99999,"is_correct":true}`,
		`{"article_id":-1}`, `{}`, `{"prediction_id":"1"}`)
}

// FuzzReviewClaim also checks that a claim holds its items for the lease
// the body asked for: a lease of 2^55+3600 seconds once overflowed into
// one hour and was accepted.
func FuzzReviewClaim(f *testing.F) {
	// The regression seed first: it must find items to claim. Once the
	// fuzzer has claimed all 20, the lease check has nothing to look at.
	for _, b := range []string{
		`{"n":1,"lease_seconds":36028797018967568}`,
		`{"reviewer":"ana","n":2,"lease_seconds":60}`, `{"n":-1}`, `{"n":1000000}`, `{"lease_seconds":0}`,
		`{"stage":"adjudication","diversity":true}`, `{"lease_seconds":99999999999}`, `{}`,
	} {
		f.Add([]byte(b))
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		before := time.Now()
		rec := s.do(t, http.MethodPost, "/review/claim", bytes.NewReader(body), jsonKey())
		checkAnswer(t, http.MethodPost, "/review/claim", body, rec.Code, rec.Body.Bytes())
		var req claimRequest
		if rec.Code != http.StatusOK || json.Unmarshal(body, &req) != nil || req.LeaseSeconds == nil {
			return
		}
		var resp ClaimResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatal(err)
		}
		// In float seconds: a Duration would overflow as the bug did.
		want := float64(*req.LeaseSeconds)
		for _, it := range resp.Items {
			if it.LeaseExpiresAt == nil || math.Abs(it.LeaseExpiresAt.Sub(before).Seconds()-want) > 60 {
				t.Fatalf("claim %q: lease ends %v, want %.0f s after %v", body, it.LeaseExpiresAt, want, before)
			}
		}
	})
}

func FuzzReviewLabel(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/review/1/label",
		`{"label":"World","reviewer":"ana","note":"clear"}`, `{"label":""}`, `{"label":"Nope"}`, `{"label":7}`)
}

func FuzzReviewBulkLabel(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/review/labels",
		`{"reviewer":"ana","items":[{"id":1,"label":"World","note":"n"}]}`, `{"items":[]}`,
		`{"items":[{"id":1,"label":"World"},{"id":1,"label":"Sports"}]}`, `{"items":[{"id":-5,"label":"x"}]}`, `{"items":{}}`)
}

func FuzzReviewSkip(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/review/1/skip", `{"reviewer":"ana"}`, `{"reviewer":""}`, `{"reviewer":1}`)
}

func FuzzReviewUndo(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/review/1/undo", `{"reviewer":"ana"}`, `{}`, `{"reviewer":[]}`)
}

func FuzzModelPromote(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/models/fake-v1/promote",
		`{"override":true,"reason":"checked by hand"}`, `{"override":true}`, `{"override":"yes"}`, `{}`)
}

func FuzzModelRollback(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/models/rollback", `{"to":"fake-v1"}`, `{"to":""}`, `{"to":1}`, `{}`)
}

func FuzzFinetune(f *testing.F) {
	fuzzBody(f, http.MethodPost, "/admin/finetune", `{"force":true,"dry_run":true}`, `{"force":1}`, `{}`)
}

// FuzzTaxonomyPut fuzzes the taxonomy's name as well as its body: the
// name is a path segment the store validates.
func FuzzTaxonomyPut(f *testing.F) {
	for _, c := range []struct{ name, body string }{
		{"desk", `{"topics":[{"name":"Markets","description":"Stocks and bonds","examples":["Shares fell"]},{"name":"Sport","description":"Games"}]}`},
		{"desk", `{"topics":[]}`},
		{"x", `{"topics":[{"name":"","description":""}]}`},
		{"a b", `{"topics":[{"name":"A","description":"d"},{"name":"A","description":"d"}]}`},
		{"..", `{"topics":null}`},
	} {
		f.Add(c.name, []byte(c.body))
	}
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		target := "/taxonomies/" + url.PathEscape(name)
		rec := s.do(t, http.MethodPut, target, bytes.NewReader(body), jsonKey())
		if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
			return // a name the router does not send here ("", "..", "a/b")
		}
		checkAnswer(t, http.MethodPut, target, body, rec.Code, rec.Body.Bytes())
	})
}

// FuzzAPIKey fuzzes the API key header: a wrong key is a 401 whatever its
// bytes, and only a configured key gets through.
func FuzzAPIKey(f *testing.F) {
	for _, k := range []string{oldKey.Secret, newKey.Secret, "", "Bearer " + oldKey.Secret, oldKey.Secret + " ", "\x00", strings.Repeat("k", 5000)} {
		f.Add(k, false)
		f.Add(k, true)
	}
	s := newTestServer(f, testConfig())
	f.Fuzz(func(t *testing.T, key string, bearer bool) {
		h := http.Header{}
		if bearer {
			h.Set("Authorization", "Bearer "+key)
		} else {
			h.Set("X-Api-Key", key)
		}
		rec := s.do(t, http.MethodGet, "/taxonomies", nil, h)
		// Surrounding white space is forgiven, as clients paste keys.
		k := strings.TrimSpace(key)
		valid := k == oldKey.Secret || k == newKey.Secret
		switch {
		case valid && rec.Code != http.StatusOK, !valid && rec.Code != http.StatusUnauthorized:
			t.Fatalf("key %q (bearer %v): status %d: %s", key, bearer, rec.Code, rec.Body.String())
		}
	})
}
