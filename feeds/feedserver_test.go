package feeds

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// feedServer is the local feed server of the tests: RSS 2.0 and Atom 1.0
// with validators (answering 304 to a conditional GET that matches), a
// malformed feed, a huge one, a slow one, a redirect loop, and an error.
type feedServer struct {
	*httptest.Server
	requests    atomic.Int64
	conditional atomic.Int64 // requests that carried a validator
}

const (
	rssETag      = `"rss-v1"`
	atomModified = "Wed, 07 Oct 2026 18:30:02 GMT"
)

func newFeedServer(t *testing.T, slow time.Duration) *feedServer {
	t.Helper()
	rss, err := os.ReadFile("testdata/rss2.xml")
	if err != nil {
		t.Fatal(err)
	}
	atom, err := os.ReadFile("testdata/atom.xml")
	if err != nil {
		t.Fatal(err)
	}
	fs := &feedServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/rss", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") != "" {
			fs.conditional.Add(1)
		}
		if r.Header.Get("If-None-Match") == rssETag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", rssETag)
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(rss)
	})
	mux.HandleFunc("/atom", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-Modified-Since") != "" {
			fs.conditional.Add(1)
		}
		if r.Header.Get("If-Modified-Since") == atomModified {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", atomModified)
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Write(atom)
	})
	mux.HandleFunc("/malformed", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><item><title>Cut off`))
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel>`))
		item := "<item><title>Filler</title><description>" + strings.Repeat("words ", 200) + "</description></item>"
		for range 3000 { // about 3.6 MB
			w.Write([]byte(item))
		}
		w.Write([]byte(`</channel></rss>`))
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
			return
		}
		w.Write(rss)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/loop", http.StatusFound)
	})
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(fs.Close)
	return fs
}
