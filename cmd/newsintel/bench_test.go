package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBenchServeSmoke runs `newsintel bench serve` briefly, so the tool
// that produces the serving figures keeps working.
func TestBenchServeSmoke(t *testing.T) {
	data := filepath.Join(sharedModelDir(), "..", "..", "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "ag_news")); err != nil {
		t.Skipf("the shared data is absent: %v", err)
	}
	env := map[string]string{"MODEL_DIR": sharedModelDir()}
	var out bytes.Buffer
	err := run(context.Background(), []string{"bench", "serve", "--duration", "1s", "--offline", "1s", "--clients", "1,4", "--batches", "1,4", "--concurrency", "4", "--summaries", "1", "--data", data},
		envOf(env), nil, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"encoder alone", "classify, 1 client", "classify, 4 clients", "summarize ~600 words", "summarize ~800 words", "efficiency at 4 clients:", "CPU per article at 4 clients:", "p99 at 4 clients:", "RSS:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench output lacks %q:\n%s", want, out.String())
		}
	}
	// The mean batch comes from the server's metrics; 0 would mean the
	// scrape found nothing.
	m := regexp.MustCompile(`the mean batch formed, ([0-9.]+)\)`).FindStringSubmatch(out.String())
	if m == nil || m[1] == "0.0" {
		t.Errorf("no mean batch size in:\n%s", out.String())
	}
}
