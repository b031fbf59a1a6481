package feeds

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
)

// TestFetch fetches each of the feed server's feeds once: parsed
// entries with their dates, and each failure with its reason.
func TestFetch(t *testing.T) {
	srv := newFeedServer(t, 2*time.Second)
	f := NewFetcher(Options{Timeout: 300 * time.Millisecond, MaxBytes: 1 << 20, HostInterval: time.Millisecond})
	cases := []struct {
		path    string
		err     string // "" for a success
		entries int
		valid   int
	}{
		{"/rss", "", 3, 2},
		{"/atom", "", 2, 2},
		{"/malformed", "parse", 0, 0},
		{"/huge", "larger than 1048576 bytes", 0, 0},
		{"/slow", "timed out", 0, 0},
		{"/loop", "redirects", 0, 0},
		{"/busy", "HTTP 503", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			res, err := f.Fetch(context.Background(), store.Source{NewSource: store.NewSource{Name: "test", URL: srv.URL + tc.path}})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			valid := 0
			for _, it := range res.Items {
				if it.Reject == "" {
					valid++
					if it.Article.PublishedAt == nil || it.Article.Source != "test" || it.Article.Body == "" || strings.Contains(it.Article.Body, "<") {
						t.Errorf("entry %+v: want a date, the source's name and text without tags", it.Article)
					}
				}
			}
			if len(res.Items) != tc.entries || valid != tc.valid {
				t.Fatalf("%d entries (%d valid), want %d (%d)", len(res.Items), valid, tc.entries, tc.valid)
			}
		})
	}
	res, _ := f.Fetch(context.Background(), store.Source{NewSource: store.NewSource{URL: srv.URL + "/busy"}})
	if res.RetryAfter != 120*time.Second {
		t.Errorf("Retry-After read as %s, want 2m0s", res.RetryAfter)
	}
}

// TestFetchConditional sends the validators of the last answer back:
// the RSS feed's ETag and the Atom feed's Last-Modified both earn a 304.
func TestFetchConditional(t *testing.T) {
	srv := newFeedServer(t, 0)
	f := NewFetcher(Options{HostInterval: time.Millisecond})
	for _, path := range []string{"/rss", "/atom"} {
		src := store.Source{NewSource: store.NewSource{Name: "c", URL: srv.URL + path}}
		first, err := f.Fetch(context.Background(), src)
		if err != nil || first.NotModified || first.Status != 200 {
			t.Fatalf("%s first: %+v, %v", path, first, err)
		}
		src.ETag, src.LastModified = first.ETag, first.LastModified
		second, err := f.Fetch(context.Background(), src)
		if err != nil || !second.NotModified || second.Status != 304 || len(second.Items) != 0 {
			t.Fatalf("%s second: %+v, %v; want a 304", path, second, err)
		}
		if second.ETag != src.ETag || second.LastModified != src.LastModified {
			t.Errorf("%s: a 304 lost the validators", path)
		}
	}
	if n := srv.conditional.Load(); n != 2 {
		t.Errorf("%d conditional requests, want 2", n)
	}
}

// TestHostRateLimit checks that requests to one host are spaced by the
// host interval.
func TestHostRateLimit(t *testing.T) {
	srv := newFeedServer(t, 0)
	f := NewFetcher(Options{HostInterval: 150 * time.Millisecond})
	start := time.Now()
	for range 3 {
		if _, err := f.Fetch(context.Background(), store.Source{NewSource: store.NewSource{URL: srv.URL + "/rss"}}); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("3 fetches of one host took %s; want at least 2 intervals (300ms)", took)
	}
}

func TestNextFetchBacksOff(t *testing.T) {
	now := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		failures int
		retry    time.Duration
		want     time.Duration
	}{{0, 0, 10 * time.Minute}, {1, 0, 20 * time.Minute}, {3, 0, 80 * time.Minute}, {30, 0, 24 * time.Hour}, {0, time.Hour, time.Hour}} {
		if got := NextFetch(now, 10*time.Minute, tc.failures, tc.retry).Sub(now); got != tc.want {
			t.Errorf("failures %d, retry-after %s: wait %s, want %s", tc.failures, tc.retry, got, tc.want)
		}
	}
}

func TestText(t *testing.T) {
	for in, want := range map[string]string{
		"plain  text\n here":                            "plain text here",
		"<p>Shares <b>rose</b>.</p><p>Then fell.</p>":   "Shares rose. Then fell.",
		"Tom &amp; Jerry":                               "Tom & Jerry",
		"un<i>break</i>able<br/>word":                   "unbreakable word",
		"<script>alert(1)</script>Safe<style>x</style>": "Safe",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}
