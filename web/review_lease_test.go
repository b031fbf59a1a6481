package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestReviewLabelAfterLeaseExpired(t *testing.T) {
	s, ids := reviewServer(t, 2)
	h := jsonHeader(oldKey)
	post := func(path, body string) (int, []byte) {
		rec := s.do(t, http.MethodPost, path, strings.NewReader(body), h)
		return rec.Code, rec.Body.Bytes()
	}
	if code, body := post("/review/claim", `{"reviewer":"ann@example.com","n":1,"lease_seconds":1}`); code != http.StatusOK {
		t.Fatalf("claim: %d %s", code, body)
	}
	time.Sleep(1100 * time.Millisecond)
	path := fmt.Sprintf("/review/%d/label", ids[0])
	code, body := post(path, `{"label":"World","reviewer":"ann@example.com"}`)
	if code != http.StatusConflict || !strings.Contains(string(body), "went back to the queue") {
		t.Fatalf("late label: %d %s, want 409 saying the lease ran out", code, body)
	}
	if code, body := post("/review/claim", `{"reviewer":"ann@example.com","n":1}`); code != http.StatusOK {
		t.Fatalf("reclaim: %d %s", code, body)
	}
	if code, body := post(path, `{"label":"World","reviewer":"ann@example.com"}`); code != http.StatusOK {
		t.Fatalf("label after reclaiming: %d %s", code, body)
	}
}

func TestConsoleReviewLabelAfterLeaseExpired(t *testing.T) {
	cfg := testConfig()
	cfg.Queue.Lease = 300 * time.Millisecond
	ts, _, db, ids := reviewConsoleWith(t, cfg, 3, 2)
	c := browser(t)
	logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
	_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
	token := formToken(t, page)
	time.Sleep(400 * time.Millisecond)
	for _, tc := range []struct {
		name   string
		header http.Header
		form   url.Values
	}{
		{"htmx", htmx(token), url.Values{"label": {"Sports"}}},
		{"plain form", nil, url.Values{"csrf_token": {token}, "label": {"Sports"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			time.Sleep(400 * time.Millisecond) // the page's own claim runs out too
			res, body := fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/label", ids[0]), tc.form, tc.header)
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("status %d, want 409: %s", res.StatusCode, body)
			}
			doc := parseHTML(t, body)
			if got := testidText(doc, "review-error"); !strings.Contains(got, "lease on item") || !strings.Contains(got, "went back to the queue") {
				t.Fatalf("inline error %q", got)
			}
			if doc.Find(`[data-testid="review-item"]`).Length() != 1 {
				t.Fatal("the error replaced the workspace")
			}
		})
	}
	if it := item(t, db, ids[0]); it.Reviews != 0 {
		t.Fatalf("a late label was stored: %+v", it)
	}
}
