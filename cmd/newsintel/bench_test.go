package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
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
	err := run(context.Background(), []string{"bench", "serve", "--duration", "1s", "--concurrency", "4", "--summaries", "1", "--data", data},
		envOf(env), nil, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"classify, 1 client", "classify, 4 clients", "summarize ~600 words", "summarize ~800 words", "batching speed-up", "RSS:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("bench output lacks %q:\n%s", want, out.String())
		}
	}
}
