package web

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserDocsRendersEveryOperation opens /docs in Chromium and checks
// the vendored Swagger UI renders one block per operation of the spec,
// with its path, and that the page fetched nothing but from this server:
// it works offline.
func TestBrowserDocsRendersEveryOperation(t *testing.T) {
	doc := loadSpec(t)
	ops := specOperations(doc)
	ts := httptest.NewServer(newTestServer(t, testConfig()))
	t.Cleanup(ts.Close)
	ctx := newBrowser(t, 60*time.Second)

	var mu sync.Mutex
	var fetched []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if req, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			fetched = append(fetched, req.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/docs"),
		chromedp.WaitVisible(`#swagger-ui .opblock`),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Every operation's block, as "METHOD /path" from its method badge and
	// path.
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#swagger-ui .opblock')).map(b =>
		b.querySelector('.opblock-summary-method').textContent.trim().toUpperCase() + ' ' +
		b.querySelector('.opblock-summary-path').getAttribute('data-path'))`))
	if err != nil {
		t.Fatal(err)
	}
	rendered := map[string]bool{}
	for _, op := range raw {
		rendered[op] = true
	}
	for _, op := range ops {
		if !rendered[op] {
			t.Errorf("/docs does not show %s; it shows %v", op, raw)
		}
	}
	if len(raw) != len(ops) {
		t.Errorf("/docs shows %d operations, the spec has %d", len(raw), len(ops))
	}
	title, err := chromedp.Run(ctx, chromedp.Text(`#swagger-ui .info .title`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(title, "newsintel API") || !strings.Contains(title, "OAS 3.1") {
		t.Errorf("/docs title is %q, want the spec's title and OAS 3.1", title)
	}
	// An operation opens with its body and answers, the 422 among them:
	// the document's references resolve in the browser.
	err = chromedp.Do(ctx,
		chromedp.Click(`#operations-Inference-classifyNews .opblock-summary-control`),
		chromedp.WaitVisible(`#operations-Inference-classifyNews .responses-table`),
	)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := chromedp.Run(ctx, chromedp.Text(`#operations-Inference-classifyNews`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Request body", "422", "The request does not match the schema", "Uncertain predictions are queued"} {
		if !strings.Contains(opened, want) {
			t.Errorf("the opened classify_news operation lacks %q", want)
		}
	}
	screenshot(t, ctx, "api-docs")

	mu.Lock()
	defer mu.Unlock()
	for _, u := range fetched {
		if !strings.HasPrefix(u, ts.URL+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("/docs fetched %s, which is not on this server", u)
		}
	}
	if len(fetched) == 0 {
		t.Fatal("saw no requests: the listener did not run")
	}
}
