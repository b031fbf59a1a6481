package web

import (
	"net/http"
	"strings"
	"testing"
)

func TestFavicon(t *testing.T) {
	s := newTestServer(t, testConfig())
	page := s.do(t, "GET", "/console/login", nil, nil)
	doc := parseHTML(t, page.Body.String())
	href, ok := doc.Find(`head link[rel="icon"]`).Attr("href")
	if !ok || !strings.HasPrefix(href, "/static/img/favicon.") {
		t.Fatalf("the page links no hashed icon: %q", href)
	}
	for _, tc := range []struct{ path, cache string }{
		{href, "immutable"},
		// Asked for by browsers and crawlers whatever the page links to.
		{"/favicon.ico", "max-age=86400"},
	} {
		rec := s.do(t, "GET", tc.path, nil, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", tc.path, rec.Code)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "image/svg+xml" {
			t.Errorf("%s: Content-Type %q", tc.path, ct)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, tc.cache) {
			t.Errorf("%s: Cache-Control %q", tc.path, cc)
		}
		if !strings.HasPrefix(rec.Body.String(), "<svg") {
			t.Errorf("%s: not an SVG: %.40q", tc.path, rec.Body.String())
		}
	}
}
