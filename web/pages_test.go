package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestBrowserGetsHTMLErrorPage(t *testing.T) {
	s := newTestServer(t, testConfig())
	h := http.Header{"Accept": {"text/html,application/xhtml+xml"}, HeaderRequestID: {"trace-77"}}
	rec := s.do(t, "GET", "/nowhere", nil, h)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
	doc, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.Find(`[data-testid="error-status"]`).Text(); got != "404" {
		t.Errorf("status shown %q", got)
	}
	if got := doc.Find(`[data-testid="error-request-id"]`).Text(); got != "trace-77" {
		t.Errorf("request id shown %q", got)
	}
	if doc.Find("html").Length() != 1 || doc.Find("title").Text() != "Not Found · newsintel" {
		t.Errorf("not a full page: title %q", doc.Find("title").Text())
	}
	href, _ := doc.Find(`link[rel="stylesheet"]`).Attr("href")
	if rec := s.do(t, "GET", href, nil, nil); rec.Code != http.StatusOK {
		t.Fatalf("stylesheet %s: %d", href, rec.Code)
	}
}

func TestHTMXFragment(t *testing.T) {
	s := newTestServer(t, testConfig())
	for _, tc := range []struct {
		name     string
		header   http.Header
		fullPage bool
	}{
		{"htmx swap gets the fragment", http.Header{"HX-Request": {"true"}}, false},
		{"boosted navigation gets the page", http.Header{"HX-Request": {"true"}, "HX-Boosted": {"true"}}, true},
		{"plain browser gets the page", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Accept": {"text/html"}}
			for k, v := range tc.header {
				h[k] = v
			}
			rec := s.do(t, "GET", "/nowhere", nil, h)
			body := rec.Body.String()
			if got := strings.Contains(body, "<html"); got != tc.fullPage {
				t.Fatalf("full page = %v, want %v: %s", got, tc.fullPage, body)
			}
			if !strings.Contains(body, `data-testid="error-page"`) {
				t.Fatalf("no error fragment: %s", body)
			}
			if vary := strings.Join(rec.Header().Values("Vary"), ","); !strings.Contains(vary, "HX-Request") {
				t.Fatalf("Vary = %q", vary)
			}
		})
	}
}

func TestStaticAssets(t *testing.T) {
	s := newTestServer(t, testConfig())
	url := s.assets.URL("css/app.css")
	if !strings.HasPrefix(url, "/static/css/app.") || !strings.HasSuffix(url, ".css") {
		t.Fatalf("url %q is not content-hashed", url)
	}
	rec := s.do(t, "GET", url, nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control %q", cc)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type %q", ct)
	}
	for _, stale := range []string{"/static/css/app.css", "/static/css/app.000000000000.css", "/static/../go.mod"} {
		if rec := s.do(t, "GET", stale, nil, nil); rec.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", stale, rec.Code)
		}
	}
}
