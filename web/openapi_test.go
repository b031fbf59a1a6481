package web

import (
	"context"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/getkin/kin-openapi/openapi3"
)

// loadSpec parses and validates the embedded document as OpenAPI 3.1.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openAPISpec)
	if err != nil {
		t.Fatalf("load web/openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Fatalf("web/openapi.json is OpenAPI %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("web/openapi.json is not a valid OpenAPI 3.1 document: %v", err)
	}
	return doc
}

func TestOpenAPISpecIsValid(t *testing.T) { loadSpec(t) }

// echoParam is an Echo path parameter, ":name"; OpenAPI writes "{name}".
var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// specOperations lists the document's operations as "METHOD /path".
func specOperations(doc *openapi3.T) []string {
	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPISpecMatchesRouteTable keeps the spec and the one route table
// together: every JSON route has an operation, every operation a route.
// The routes that are not JSON API (specExempt, and all console pages)
// must stay out of the spec, and every exemption must name a real route.
func TestOpenAPISpecMatchesRouteTable(t *testing.T) {
	doc := loadSpec(t)
	s := newTestServer(t, testConfig())

	inTable := map[string]bool{}
	names := map[string]bool{}
	exempt := map[string]bool{}
	for _, r := range s.routes() {
		names[r.name] = true
		key := r.method + " " + echoParam.ReplaceAllString(r.path, "{$1}")
		if _, ok := specExempt[r.name]; ok {
			exempt[key] = true
			continue
		}
		inTable[key] = true
	}
	for name := range specExempt {
		if !names[name] {
			t.Errorf("specExempt names %q, which is not a route of routes()", name)
		}
	}
	for _, p := range s.pages() {
		exempt[p.method+" "+echoParam.ReplaceAllString(p.path, "{$1}")] = true
	}

	inSpec := map[string]bool{}
	for _, op := range specOperations(doc) {
		inSpec[op] = true
		switch {
		case exempt[op]:
			t.Errorf("web/openapi.json describes %s, an HTML route exempt from the spec", op)
		case !inTable[op]:
			t.Errorf("web/openapi.json describes %s, which no route of web/routes.go serves", op)
		}
	}
	for op := range inTable {
		if !inSpec[op] {
			t.Errorf("route %s has no operation in web/openapi.json: describe it there, or add it to specExempt if it is not JSON API", op)
		}
	}
}

// TestOpenAPIHandler serves the embedded document as JSON, without a key.
func TestOpenAPIHandler(t *testing.T) {
	s := newTestServer(t, testConfig())
	rec := s.do(t, http.MethodGet, "/openapi.json", nil, nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec.Body.String() != string(openAPISpec) {
		t.Fatal("GET /openapi.json does not serve the embedded document")
	}
}

// TestDocsPageUsesOnlyLocalAssets checks /docs references its renderer
// from the embedded assets alone (no CDN, no other host), that each of
// them is served, and that it points the renderer at /openapi.json.
func TestDocsPageUsesOnlyLocalAssets(t *testing.T) {
	s := newTestServer(t, testConfig())
	rec := s.do(t, http.MethodGet, "/docs", nil, http.Header{"Accept": {"text/html"}})
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /docs: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	page, err := goquery.NewDocumentFromReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := page.Find(`[data-testid="api-docs"]`).Attr("data-spec-url"); got != "/openapi.json" {
		t.Fatalf("docs page reads the spec from %q, want /openapi.json", got)
	}
	var refs []string
	page.Find("script[src], link[href], img[src], iframe[src], a[href]").Each(func(_ int, sel *goquery.Selection) {
		for _, attr := range []string{"src", "href"} {
			if v, ok := sel.Attr(attr); ok {
				refs = append(refs, v)
			}
		}
	})
	var scripts, styles int
	for _, ref := range refs {
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("docs page references %q, which is not a local path", ref)
			continue
		}
		if strings.HasPrefix(ref, "/static/") {
			if got := s.do(t, http.MethodGet, ref, nil, nil); got.Code != http.StatusOK {
				t.Errorf("docs asset %s: %d", ref, got.Code)
			}
		}
	}
	page.Find("script").Each(func(_ int, sel *goquery.Selection) {
		if src, _ := sel.Attr("src"); strings.Contains(src, "swagger-ui-bundle") {
			scripts++
		}
		if strings.TrimSpace(sel.Text()) != "" {
			t.Errorf("docs page has an inline script; keep scripts in static/js")
		}
	})
	page.Find(`link[rel="stylesheet"]`).Each(func(_ int, sel *goquery.Selection) {
		if href, _ := sel.Attr("href"); strings.Contains(href, "swagger-ui") {
			styles++
		}
	})
	if scripts != 1 || styles != 1 {
		t.Fatalf("docs page loads the renderer's bundle %d times and its styles %d times, want once each", scripts, styles)
	}
}
