package inference

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference/internal/testenv"
	"github.com/newsintel/newsintel/inference/use"
)

// Parity thresholds against the JS reference, per input.
const (
	minCosine = 0.9999
	maxAbs    = 1e-4
	batchSize = 32
)

// buildFolder returns a model folder: the shared one in var/models (made by
// EnsureModel, as serve makes it) when mutate is nil, else a fresh
// conversion with mutate applied to the extracted parameters.
func buildFolder(t testing.TB, mutate func(*use.Encoder)) string {
	t.Helper()
	if mutate == nil {
		dir, err := EnsureModel(context.Background(), FetchOptions{Dir: testenv.ModelsDir()})
		if err != nil {
			t.Fatal(err)
		}
		return dir
	}
	enc, vocab, err := use.Convert(testenv.ModelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		mutate(enc)
	}
	dir := t.TempDir()
	if err := enc.WriteFolder(dir, vocab, ""); err != nil {
		t.Fatal(err)
	}
	return dir
}

func embedAll(t testing.TB, e *Encoder, inputs []string) [][]float32 {
	t.Helper()
	var out [][]float32
	for start := 0; start < len(inputs); start += batchSize {
		end := min(start+batchSize, len(inputs))
		got, err := e.Embed(context.Background(), inputs[start:end])
		if err != nil {
			t.Fatalf("Embed(inputs[%d:%d]): %v", start, end, err)
		}
		out = append(out, got...)
	}
	return out
}

type parity struct {
	worstCos, worstAbs float64
	worstCosIdx        int
	worstAbsIdx        int
	failures           []int
}

func compareAll(got, want [][]float32) parity {
	p := parity{worstCos: 2}
	for i := range want {
		c, d := testenv.Compare(got[i], want[i])
		if c < p.worstCos {
			p.worstCos, p.worstCosIdx = c, i
		}
		if d > p.worstAbs {
			p.worstAbs, p.worstAbsIdx = d, i
		}
		if !(c >= minCosine && d <= maxAbs) {
			p.failures = append(p.failures, i)
		}
	}
	return p
}

// TestParity checks token ids and embeddings of every golden input against
// the JS reference through hugot's Go backend.
func TestParity(t *testing.T) {
	g := testenv.LoadGolden(t)
	dir := buildFolder(t, nil)
	e, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	for i, in := range g.Inputs {
		if got := e.Tokenize(in); !slices.Equal(got, g.IDs[i]) {
			t.Errorf("input %d %q: ids %v, want %v", i, in, got, g.IDs[i])
		}
	}

	start := time.Now()
	got := embedAll(t, e, g.Inputs)
	t.Logf("embedded %d inputs in %v (batches of %d)", len(got), time.Since(start), batchSize)
	p := compareAll(got, g.Embeddings)
	for _, i := range p.failures {
		c, d := testenv.Compare(got[i], g.Embeddings[i])
		t.Errorf("input %d %q: cosine %.7f, max|Δ| %.3g", i, g.Inputs[i], c, d)
	}
	t.Logf("parity over %d inputs: min cosine %.9f (input %d), max |Δ| %.3g (input %d)",
		len(got), p.worstCos, p.worstCosIdx, p.worstAbs, p.worstAbsIdx)
}

// TestParityDetectsPerturbation shows that the parity check is sensitive:
// changing a single weight makes it fail.
func TestParityDetectsPerturbation(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	g := testenv.LoadGolden(t)
	// A subset keeps this fast; it includes inputs with "the" (id 9).
	inputs, want := g.Inputs[:64], g.Embeddings[:64]
	cases := []struct {
		name   string
		mutate func(*use.Encoder)
	}{
		{"embedding[▁the][0]+=0.05", func(e *use.Encoder) { e.Embeddings[9*e.EmbedDim] += 0.05 }},
		{"layer1.ffn2[0][0]+=0.05", func(e *use.Encoder) { e.Layers[1].FFN2[0] += 0.05 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := Open(context.Background(), buildFolder(t, c.mutate))
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			p := compareAll(embedAll(t, e, inputs), want)
			t.Logf("%s: %d/%d inputs fail; min cosine %.7f, max |Δ| %.3g", c.name, len(p.failures), len(inputs), p.worstCos, p.worstAbs)
			if len(p.failures) == 0 {
				t.Errorf("perturbation %s went undetected", c.name)
			}
		})
	}
}

// TestEmptyAndPaddingInvariance checks that an empty text and batch
// composition do not disturb the results.
func TestEmptyAndPaddingInvariance(t *testing.T) {
	g := testenv.LoadGolden(t)
	e, err := Open(context.Background(), buildFolder(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	idx := slices.Index(g.Inputs, "")
	long := slices.IndexFunc(g.IDs, func(ids []int) bool { return len(ids) > 128 })
	if idx < 0 || long < 0 {
		t.Fatal("golden set lacks an empty or a long input")
	}
	texts := []string{g.Inputs[long], "", "a", g.Inputs[0]}
	got, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		j := slices.Index(g.Inputs, text)
		c, d := testenv.Compare(got[i], g.Embeddings[j])
		if c < minCosine || d > maxAbs {
			t.Errorf("%q in a mixed batch: cosine %.7f, max|Δ| %.3g", text, c, d)
		}
		var n float64
		for _, v := range got[i] {
			n += float64(v) * float64(v)
		}
		if math.Abs(n-1) > 1e-5 {
			t.Errorf("%q: squared norm %g, want 1", text, n)
		}
	}
}

// TestFolderContents checks that the converted folder has what hugot and
// users need.
func TestFolderContents(t *testing.T) {
	dir := buildFolder(t, nil)
	for _, name := range []string{use.ModelFile, use.TokenizerFile, use.ConfigFile, "README.md", "NOTICE"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", name, err)
		}
	}
	e, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	meta := e.Pipeline().Output
	if meta.Name != use.Output || fmt.Sprint(meta.Dimensions) != "[-1 512]" {
		t.Errorf("pipeline output %s %v, want %s [-1 512]", meta.Name, meta.Dimensions, use.Output)
	}
}

// TestEncodeFlagsTruncation: texts past MaxTokens are embedded from their
// first MaxTokens tokens, and say so.
func TestEncodeFlagsTruncation(t *testing.T) {
	e, err := Open(context.Background(), buildFolder(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	short := "Stocks rallied on Friday."
	var long strings.Builder
	for long.Len() < 2000 {
		long.WriteString("The central bank raised interest rates again on Thursday. ")
	}
	// The first MaxTokens tokens of long, with different text after them.
	cut := long.String() + " Completely different ending about football and music."
	got, err := e.Encode(context.Background(), []string{short, long.String(), cut})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Truncated || got[0].Tokens == 0 || got[0].Tokens > MaxTokens {
		t.Errorf("short text: %+v", got[0].Tokens)
	}
	if !got[1].Truncated || got[1].Tokens <= MaxTokens {
		t.Errorf("long text: tokens %d, truncated %v", got[1].Tokens, got[1].Truncated)
	}
	if c, d := testenv.Compare(got[1].Vector, got[2].Vector); c < 0.999999 || d > 1e-6 {
		t.Errorf("text past the clip changed the embedding: cosine %v, max|Δ| %v", c, d)
	}
	if len(got[0].Vector) != Dim {
		t.Errorf("dim %d", len(got[0].Vector))
	}
}

// TestConcurrentEmbed: one Encoder serves many goroutines, each getting
// exactly what it would get alone, across batch sizes that span several
// buckets and more than one chunk.
func TestConcurrentEmbed(t *testing.T) {
	g := testenv.LoadGolden(t)
	e, err := Open(context.Background(), buildFolder(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sizes := []int{1, 3, 9, 33, 70}
	var wg sync.WaitGroup
	for w, n := range sizes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := (w * 37) % (len(g.Inputs) - n)
			got, err := e.Embed(context.Background(), g.Inputs[start:start+n])
			if err != nil {
				t.Error(err)
				return
			}
			if len(got) != n {
				t.Errorf("batch of %d: %d embeddings", n, len(got))
				return
			}
			for i := range got {
				if c, d := testenv.Compare(got[i], g.Embeddings[start+i]); c < minCosine || d > maxAbs {
					t.Errorf("batch of %d, input %d: cosine %.7f, max|Δ| %.3g", n, start+i, c, d)
				}
			}
		}()
	}
	wg.Wait()
}

// TestManyShapes: requests of every batch size and length must reuse a
// bounded set of compiled graphs, not fail once the cache is full.
func TestManyShapes(t *testing.T) {
	e, err := Open(context.Background(), buildFolder(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	word := "news "
	for n := 1; n <= 70; n++ {
		texts := make([]string, 1+n%9)
		for i := range texts {
			texts[i] = strings.Repeat(word, n+i)
		}
		if _, err := e.Embed(context.Background(), texts); err != nil {
			t.Fatalf("batch of %d texts of ~%d tokens: %v", len(texts), n, err)
		}
	}
}

// TestWarm compiles every shape a call can make: all of them must fit the
// executor's cache, and the encoder must still be right afterwards.
func TestWarm(t *testing.T) {
	g := testenv.LoadGolden(t)
	e, err := Open(context.Background(), buildFolder(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	start := time.Now()
	if err := e.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("warmed %d shapes in %v", 2*len(batchBuckets)*len(sequenceBuckets), time.Since(start))
	got := embedAll(t, e, g.Inputs[:40])
	if p := compareAll(got, g.Embeddings[:40]); len(p.failures) > 0 {
		t.Fatalf("after Warm, %d inputs differ from the reference", len(p.failures))
	}
}

func TestGroupByLength(t *testing.T) {
	for _, n := range []int{1, 2, 3, 5, 7, 8, 9, 16, 17, 27, 32, 33, 64} {
		ids := make([][]int, n)
		for i := range ids {
			ids[i] = make([]int, (i*37)%50) // lengths out of order
		}
		groups := groupByLength(ids)
		seen := map[int]bool{}
		prevMax := -1
		for _, g := range groups {
			if !slices.Contains(batchBuckets, len(g)) {
				t.Fatalf("n=%d: a group of %d is not a batch bucket, so it would be padded: %v", n, len(g), groups)
			}
			if len(ids[g[0]]) < prevMax {
				t.Fatalf("n=%d: groups are not in length order", n)
			}
			for _, i := range g {
				seen[i] = true
				prevMax = max(prevMax, len(ids[i]))
			}
		}
		if len(seen) != n {
			t.Fatalf("n=%d: groups cover %d texts", n, len(seen))
		}
		if n > 1 && len(groups) < 2 {
			t.Fatalf("n=%d: one group leaves a core idle", n)
		}
	}
}
