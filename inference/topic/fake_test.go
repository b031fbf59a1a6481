package topic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
)

// fakeEmbedder embeds a text as the normalised sum of one fixed random
// vector per word, so texts sharing words are close.
type fakeEmbedder struct {
	dim int

	mu    sync.Mutex
	calls int
	texts int
	fail  error
}

func (f *fakeEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	f.mu.Lock()
	f.calls++
	f.texts += len(texts)
	fail := f.fail
	f.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = f.vector(t)
	}
	return out, nil
}

func (f *fakeEmbedder) ModelID() string { return fmt.Sprintf("fake-%d", f.dim) }

func (f *fakeEmbedder) vector(text string) []float32 {
	v := make([]float64, f.dim)
	for _, w := range words(text) {
		rng := rand.New(rand.NewPCG(fnv64(w), 0))
		for j := range v {
			v[j] += rng.NormFloat64()
		}
	}
	n := l2(v)
	out := make([]float32, f.dim)
	for j := range v {
		if n > 0 {
			out[j] = float32(v[j] / n)
		}
	}
	return out
}

var errFake = errors.New("fake embedder failure")

// toyCorpus makes n labeled texts per topic from topic vocabularies plus
// shared filler words, deterministically.
func toyCorpus(n int, seed uint64) []Example {
	vocab := map[string][]string{
		"Sports":   {"match", "goal", "team", "coach", "league", "striker", "cup", "season", "win", "player"},
		"Business": {"shares", "profit", "market", "bank", "stocks", "earnings", "deal", "investors", "oil", "prices"},
		"World":    {"minister", "election", "troops", "president", "talks", "rebels", "government", "border", "vote", "peace"},
	}
	filler := []string{"the", "a", "on", "said", "today", "new", "after", "week", "report", "year"}
	rng := rand.New(rand.NewPCG(seed, 9))
	var out []Example
	for _, label := range sortedKeys(vocab) {
		for i := range n {
			var ws []string
			for range 4 {
				ws = append(ws, vocab[label][rng.IntN(len(vocab[label]))])
			}
			for range 5 {
				ws = append(ws, filler[rng.IntN(len(filler))])
			}
			// A quarter of the texts borrow a word of another topic.
			if rng.IntN(4) == 0 {
				other := sortedKeys(vocab)[rng.IntN(3)]
				ws = append(ws, vocab[other][rng.IntN(10)])
			}
			rng.Shuffle(len(ws), func(a, b int) { ws[a], ws[b] = ws[b], ws[a] })
			out = append(out, Example{Text: fmt.Sprintf("%s %d", strings.Join(ws, " "), i), Label: label})
		}
	}
	return out
}

func sumTo1(m map[string]float64) bool {
	var s float64
	for _, v := range m {
		s += v
	}
	return math.Abs(s-1) < 1e-9
}
