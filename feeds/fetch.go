// Package feeds polls the RSS and Atom feeds operators register
// (store.Source) and stages their entries for background ingest.
//
// Polling is polite: conditional GETs with the ETag and Last-Modified of
// the last answer, at most one request per host per interval (per
// process), backoff after failures (and Retry-After when a server asks),
// a size limit, timeouts and a bound on redirects. Feeds are parsed with
// github.com/mmcdole/gofeed.
package feeds

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/time/rate"

	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/store"
)

// Options bound a Fetcher's requests.
type Options struct {
	// Timeout bounds a whole fetch, body included.
	Timeout time.Duration
	// MaxBytes bounds a feed's body.
	MaxBytes int64
	// MaxRedirects bounds the redirects a fetch follows.
	MaxRedirects int
	// HostInterval is the least time between two requests to one host.
	HostInterval time.Duration
	// UserAgent names us to feed servers.
	UserAgent string
	// Transport, if set, replaces the default HTTP transport (tests).
	Transport http.RoundTripper
}

// Defaults are the options serve uses unless configured otherwise.
var Defaults = Options{Timeout: 20 * time.Second, MaxBytes: 5 << 20, MaxRedirects: 5, HostInterval: time.Second,
	UserAgent: "newsintel-feeds/1 (+https://github.com/newsintel/newsintel)"}

// Fetcher fetches and parses feeds. It is safe for concurrent use.
type Fetcher struct {
	opts   Options
	client *http.Client

	mu    sync.Mutex
	hosts map[string]*rate.Limiter
}

// NewFetcher returns a Fetcher with opts; zero fields take Defaults'.
func NewFetcher(opts Options) *Fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = Defaults.Timeout
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = Defaults.MaxBytes
	}
	if opts.MaxRedirects <= 0 {
		opts.MaxRedirects = Defaults.MaxRedirects
	}
	if opts.HostInterval <= 0 {
		opts.HostInterval = Defaults.HostInterval
	}
	if opts.UserAgent == "" {
		opts.UserAgent = Defaults.UserAgent
	}
	f := &Fetcher{opts: opts, hosts: map[string]*rate.Limiter{}}
	f.client = &http.Client{
		Timeout:   opts.Timeout,
		Transport: opts.Transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > opts.MaxRedirects {
				return fmt.Errorf("more than %d redirects (a loop?)", opts.MaxRedirects)
			}
			// Each hop is a request to its host too.
			return f.wait(req.Context(), req.URL)
		},
	}
	return f
}

// wait blocks until u's host may be sent another request.
func (f *Fetcher) wait(ctx context.Context, u *url.URL) error {
	f.mu.Lock()
	lim, ok := f.hosts[u.Host]
	if !ok {
		lim = rate.NewLimiter(rate.Every(f.opts.HostInterval), 1)
		f.hosts[u.Host] = lim
	}
	f.mu.Unlock()
	return lim.Wait(ctx)
}

// Result is one fetch of a feed.
type Result struct {
	Status       int
	NotModified  bool
	ETag         string
	LastModified string
	// RetryAfter is how long the server asked us to wait (429, 503).
	RetryAfter time.Duration
	Items      []store.StagedItem
}

// Fetch GETs src's feed, conditionally on its validators, and parses
// it into staged items (entries that are not valid articles are staged
// rejected, with why). An error says why the fetch failed; Result.Status
// is then the HTTP status, if one came.
func (f *Fetcher) Fetch(ctx context.Context, src store.Source) (Result, error) {
	var res Result
	u, err := url.Parse(src.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return res, fmt.Errorf("feed URL %q is not an http(s) URL", src.URL)
	}
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	if err := f.wait(ctx, u); err != nil {
		return res, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src.URL, nil)
	if err != nil {
		return res, err
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1")
	if src.ETag != "" {
		req.Header.Set("If-None-Match", src.ETag)
	}
	if src.LastModified != "" {
		req.Header.Set("If-Modified-Since", src.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return res, fmt.Errorf("fetch: %w", unwrapURLError(err))
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	switch {
	case resp.StatusCode == http.StatusNotModified:
		res.NotModified, res.ETag, res.LastModified = true, src.ETag, src.LastModified
		return res, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		res.RetryAfter = retryAfter(resp.Header.Get("Retry-After"))
		return res, fmt.Errorf("HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return res, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		return res, fmt.Errorf("read: %w", unwrapURLError(err))
	}
	if int64(len(body)) > f.opts.MaxBytes {
		return res, fmt.Errorf("feed larger than %d bytes", f.opts.MaxBytes)
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(body))
	if err != nil {
		return res, fmt.Errorf("parse: %w", err)
	}
	res.ETag, res.LastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	res.Items = Items(feed, src)
	return res, nil
}

// Items turns a parsed feed's entries into staged items of src, keyed by
// their id (GUID), else link, else content.
func Items(feed *gofeed.Feed, src store.Source) []store.StagedItem {
	out := make([]store.StagedItem, 0, len(feed.Items))
	for _, it := range feed.Items {
		text := Text(it.Description)
		if text == "" {
			text = Text(it.Content)
		}
		a := ingest.Article{Title: strings.TrimSpace(Text(it.Title)), Text: &text, URL: strings.TrimSpace(it.Link), Source: src.Name}
		checked, problems := a.Check()
		if problems != nil && len(problems) == 1 && problems[0].Field == "url" {
			// A feed with relative or odd links still has articles.
			checked.URL, problems = "", nil
		}
		switch {
		case it.PublishedParsed != nil:
			t := it.PublishedParsed.UTC()
			checked.PublishedAt = &t
		case it.UpdatedParsed != nil:
			t := it.UpdatedParsed.UTC()
			checked.PublishedAt = &t
		}
		key := strings.TrimSpace(it.GUID)
		if key == "" {
			key = strings.TrimSpace(it.Link)
		}
		if key == "" {
			sum := sha256.Sum256([]byte(a.Title + "\x00" + text))
			key = "sha256:" + hex.EncodeToString(sum[:])
		}
		if len(key) > 500 {
			sum := sha256.Sum256([]byte(key))
			key = "sha256:" + hex.EncodeToString(sum[:])
		}
		st := store.StagedItem{Key: key, Article: checked, Taxonomy: src.Taxonomy}
		if len(problems) > 0 {
			reasons := make([]string, len(problems))
			for i, p := range problems {
				reasons[i] = p.String()
			}
			st.Reject, st.Article = strings.Join(reasons, "; "), store.NewArticle{}
		}
		out = append(out, st)
	}
	return out
}

// Text is the readable text of a feed field that may hold HTML: tags
// dropped, entities decoded, white space folded.
func Text(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return strings.Join(strings.Fields(s), " ")
	}
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(s))
	skip := 0 // inside <script> or <style>
	for {
		switch tt := z.Next(); tt {
		case html.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if tt == html.EndTagToken {
					skip = max(skip-1, 0)
				} else {
					skip++
				}
			case "p", "br", "div", "li", "h1", "h2", "h3", "h4", "td", "tr", "blockquote":
				// Block boundaries separate words; inline tags do not.
				b.WriteByte(' ')
			}
		}
	}
}

func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// unwrapURLError drops *url.Error's "Get "URL": " prefix: the source's
// URL is shown beside its last error already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("timed out")
		}
		return ue.Err
	}
	return err
}

// NextFetch is when a source polls next: after its interval, or after a
// failure later and later (doubling per consecutive failure, at most a
// day), or when the server asked.
func NextFetch(now time.Time, interval time.Duration, failures int, retryAfter time.Duration) time.Time {
	wait := interval
	if failures > 0 {
		wait = interval << min(failures, 10)
		wait = min(wait, 24*time.Hour)
	}
	return now.Add(max(wait, retryAfter))
}
