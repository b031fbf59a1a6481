package topic

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// tableEmbedder serves fixed vectors by text.
type tableEmbedder map[string][]float32

func (e tableEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v, ok := e[t]
		if !ok {
			return nil, fmt.Errorf("no vector for %q", t)
		}
		out[i] = v
	}
	return out, nil
}

// TestTrainSmallImbalancedSet is the active-learning round that collapsed:
// a few dozen labels, one topic over-represented, and one of the handful
// of dev examples ambiguous (it lies among another topic's examples, as
// a Sci/Tech story about a company does among Business). A well-trained
// head gets that dev example confidently wrong, so with early stopping on
// the dev loss the "best" iterate was L-BFGS's first step from zero,
// which mostly predicts the majority topic (test accuracy ~0.3).
func TestTrainSmallImbalancedSet(t *testing.T) {
	const dim = 64
	labels := []string{"A", "B", "C", "D"}
	rng := rand.New(rand.NewPCG(5, 6))
	// Examples of topic k lie around the k-th basis direction.
	vec := func(k int) []float32 {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(0.1 * rng.NormFloat64())
		}
		v[k]++
		return v
	}
	emb := tableEmbedder{}
	var exs []Example
	for k, n := range []int{20, 2, 2, 2} {
		for i := range n {
			text := fmt.Sprintf("%s %d", labels[k], i)
			emb[text] = vec(k)
			exs = append(exs, Example{Text: text, Label: labels[k]})
		}
	}
	opts := Options{Seed: 1, Variants: []string{VariantLR}}
	sp, err := SplitExamples(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Dev) >= MinCalibrationDev {
		t.Fatalf("dev %d: the test wants a small dev split", len(sp.Dev))
	}
	// Make D's dev example look like an A.
	for _, ex := range sp.Dev {
		if ex.Label == "D" {
			emb[ex.Text] = vec(0)
		}
	}
	m, rep, err := Train(context.Background(), emb, exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	var test [][]float32
	var gold []string
	for k, l := range labels {
		for range 100 {
			test = append(test, vec(k))
			gold = append(gold, l)
		}
	}
	preds, err := m.PredictEmbedded(test, make([]string, len(test)))
	if err != nil {
		t.Fatal(err)
	}
	acc := Evaluate(labels, gold, preds).Accuracy
	t.Logf("train %d, dev %d: test accuracy %.3f (%s)", rep.Train, rep.Dev, acc, rep.Variants[0].Notes)
	if acc < 0.9 {
		t.Errorf("test accuracy %.3f on well-separated topics, want ≥ 0.9", acc)
	}
}

// On a small set the dev split is too small to hold out: the head learns
// from every example. Here the only example of a region (D's dev example,
// moved to a direction of its own) must be learned: a head fitted on the
// train split alone has never seen that region.
func TestTrainSmallSetLearnsFromDev(t *testing.T) {
	const dim = 16
	labels := []string{"A", "B", "C", "D"}
	rng := rand.New(rand.NewPCG(7, 8))
	vec := func(k int) []float32 {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(0.05 * rng.NormFloat64())
		}
		v[k]++
		return v
	}
	emb := tableEmbedder{}
	var exs []Example
	for k, l := range labels {
		for i := range 3 {
			text := fmt.Sprintf("%s %d", l, i)
			emb[text] = vec(k)
			exs = append(exs, Example{Text: text, Label: l})
		}
	}
	opts := Options{Seed: 1, Variants: []string{VariantLR}}
	sp, err := SplitExamples(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	moved := false
	for _, ex := range sp.Dev {
		if ex.Label == "D" {
			emb[ex.Text] = vec(8)
			moved = true
		}
	}
	if !moved {
		t.Fatal("no dev example of D")
	}
	m, rep, err := Train(context.Background(), emb, exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	var probe [][]float32
	for range 20 {
		probe = append(probe, vec(8))
	}
	preds, err := m.PredictEmbedded(probe, make([]string, len(probe)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range preds {
		if p.Label != "D" {
			t.Fatalf("a text of D's held-out region is %s (%.2f): the dev example was not learned (%s)", p.Label, p.Confidence, rep.Variants[0].Notes)
		}
	}
}
