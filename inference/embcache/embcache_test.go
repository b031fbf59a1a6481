package embcache

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

var errFake = errors.New("fake embedder failure")

// fakeEmbedder embeds a text as its bytes' sums, dim wide, counting calls.
type fakeEmbedder struct {
	dim   int
	mu    sync.Mutex
	texts int
	fail  error
}

func (f *fakeEmbedder) vector(text string) []float32 {
	v := make([]float32, f.dim)
	for i, b := range []byte(text) {
		v[i%f.dim] += float32(b)
	}
	return v
}

func (f *fakeEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	f.texts += len(texts)
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = f.vector(t)
	}
	return out, nil
}

func TestCache(t *testing.T) {
	dir := t.TempDir()
	inner := &fakeEmbedder{dim: 6}
	ctx := context.Background()
	c, err := Open(inner, "enc/v1", dir)
	if err != nil {
		t.Fatal(err)
	}
	first, err := c.Embed(ctx, []string{"a b", "c", "a b"})
	if err != nil {
		t.Fatal(err)
	}
	if inner.texts != 2 {
		t.Errorf("embedded %d texts for two distinct ones", inner.texts)
	}
	if !slices.Equal(first[0], first[2]) || !slices.Equal(first[0], inner.vector("a b")) {
		t.Error("wrong vectors")
	}
	if _, err := c.Embed(ctx, []string{"c", "d"}); err != nil {
		t.Fatal(err)
	}
	if inner.texts != 3 {
		t.Errorf("embedded %d texts, want 3 (c was cached)", inner.texts)
	}
	if hits, misses := c.Stats(); hits != 1 || misses != 3 {
		t.Errorf("hits %d misses %d, want 1 and 3", hits, misses)
	}
	c.Close()

	// Reopened, everything is served from disk.
	inner2 := &fakeEmbedder{dim: 6, fail: errFake}
	c2, err := Open(inner2, "enc/v1", dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c2.Embed(ctx, []string{"d", "a b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[1], first[0]) || !slices.Equal(got[0], inner.vector("d")) {
		t.Error("reopened cache returned other vectors")
	}
	c2.Close()

	// Another encoder id does not see these entries.
	c3, err := Open(inner2, "enc/v2", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c3.Embed(ctx, []string{"a b"}); err == nil {
		t.Error("another encoder's cache answered")
	}
	c3.Close()

	// A torn last record is dropped, the rest kept.
	path := filepath.Join(dir, "enc_v1.emb")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, st.Size()-5); err != nil {
		t.Fatal(err)
	}
	inner4 := &fakeEmbedder{dim: 6}
	c4, err := Open(inner4, "enc/v1", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c4.Close()
	if _, err := c4.Embed(ctx, []string{"a b", "c", "d"}); err != nil {
		t.Fatal(err)
	}
	if inner4.texts != 1 {
		t.Errorf("after a torn write, embedded %d texts, want 1 (d)", inner4.texts)
	}
}

func TestOpenRejectsOtherFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "x.emb"), []byte("something else entirely, not a cache"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(&fakeEmbedder{dim: 2}, "x", dir); err == nil {
		t.Error("opened a file that is not a cache")
	}
}

// callSizes records the size of every call.
type callSizes struct {
	fakeEmbedder
	sizes []int
}

func (c *callSizes) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.mu.Lock()
	c.sizes = append(c.sizes, len(texts))
	c.mu.Unlock()
	return c.fakeEmbedder.Embed(ctx, texts)
}

func TestPerText(t *testing.T) {
	inner := &callSizes{fakeEmbedder: fakeEmbedder{dim: 4}}
	texts := []string{"one", "two", "three", "four", "five"}
	got, err := PerText{Inner: inner, Workers: 2}.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		if !slices.Equal(got[i], inner.vector(text)) {
			t.Errorf("embedding %d is not that of %q", i, text)
		}
	}
	if !slices.Equal(inner.sizes, []int{1, 1, 1, 1, 1}) {
		t.Errorf("call sizes %v, want one text per call", inner.sizes)
	}
	inner.fail = errFake
	if _, err := (PerText{Inner: inner, Workers: 2}).Embed(context.Background(), texts); !errors.Is(err, errFake) {
		t.Errorf("err = %v, want the inner embedder's", err)
	}
	if PerTextID("enc/v1") == "enc/v1" {
		t.Error("per-text embeddings share the batched ones' cache key")
	}
}
