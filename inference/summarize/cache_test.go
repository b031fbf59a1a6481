package summarize

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCachedEmbedder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "emb.bin")
	inner := &fakeEmbedder{}
	c, err := OpenCache(path, "model-a", inner)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first, err := c.Embed(ctx, []string{"one two", "three four"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Embed(ctx, []string{"three four", "five six", "one two"})
	if err != nil {
		t.Fatal(err)
	}
	if inner.texts != 3 || inner.calls != 2 || c.Hits != 2 || c.Misses != 3 {
		t.Errorf("inner saw %d texts in %d calls; hits %d misses %d", inner.texts, inner.calls, c.Hits, c.Misses)
	}
	if !slices.Equal(again[0], first[1]) || !slices.Equal(again[2], first[0]) {
		t.Error("cached vectors differ")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// A torn last record is dropped on reopening.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte(strings.Repeat("x", 50)))
	f.Close()
	c2, err := OpenCache(path, "model-a", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Len() != 3 {
		t.Errorf("reopened cache has %d entries, want 3", c2.Len())
	}
	got, err := c2.Embed(ctx, []string{"five six"})
	if err != nil || !slices.Equal(got[0], again[1]) {
		t.Errorf("reopened cache: %v", err)
	}
	// Another model id misses (and there is no encoder to fall back to).
	c2.Close()
	c3, _ := OpenCache(path, "model-b", nil)
	defer c3.Close()
	if _, err := c3.Embed(ctx, []string{"five six"}); err == nil {
		t.Error("a different model id hit the cache")
	}
}
