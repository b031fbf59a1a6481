package main

import (
	"bytes"
	"context"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/newsintel/newsintel/inference/topic"
)

// batchyEmbedder embeds like the real encoder: a text's vector moves by
// float rounding with the other texts of the call (there: the padding to
// the longest text and the batch size).
type batchyEmbedder struct{ dim int }

func (b batchyEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		h := fnv.New64a()
		h.Write([]byte(t))
		rng := rand.New(rand.NewPCG(h.Sum64(), 0))
		v := make([]float32, b.dim)
		var n float64
		for j := range v {
			v[j] = float32(rng.NormFloat64())
			n += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] = float32(float64(v[j])/math.Sqrt(n)) + float32(len(texts)%7)*1e-7
		}
		out[i] = v
	}
	return out, nil
}

// TestTrainReproducibleWhateverTheCache: train's embeddings, and so an MLP
// trained with a seed, are the same with a cold embedding cache and with
// one that already held some of the texts, embedded in other calls. With
// batched embeddings (the cache before the fix) they were not: the MLP of
// agnews-v2's candidates moved between runs with the same seed.
func TestTrainReproducibleWhateverTheCache(t *testing.T) {
	exs, err := topic.LoadExamples("testdata/topics.csv", "headline", "topic")
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, ex := range exs {
		texts = append(texts, topic.Normalize(ex.Text))
	}
	weights := func(perText bool, prewarm []string) []byte {
		t.Helper()
		c, err := openCache(batchyEmbedder{dim: 16}, "fake", t.TempDir(), perText)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		for i := 0; i < len(prewarm); i += 3 {
			if _, err := c.Embed(context.Background(), prewarm[i:min(i+3, len(prewarm))]); err != nil {
				t.Fatal(err)
			}
		}
		m, _, err := topic.Train(context.Background(), c, exs, topic.Options{Seed: 1, Variants: []string{"mlp"},
			MLPHidden: 8, MLPEpochs: 5, EncoderID: "fake"})
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(t.TempDir(), "model")
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "weights.bin"))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	half := texts[:len(texts)/2]
	if !bytes.Equal(weights(true, nil), weights(true, half)) {
		t.Error("per-text embeddings: a cold and a warm cache train different weights with one seed")
	}
	// The check above means something only if batching moves embeddings.
	if bytes.Equal(weights(false, nil), weights(false, half)) {
		t.Error("batched embeddings train the same weights: batchyEmbedder does not behave like the encoder")
	}
}
