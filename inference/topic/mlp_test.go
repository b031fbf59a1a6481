package topic

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// mlpToy is a small synthetic problem for the MLP: k clusters in d
// dimensions, n points each, with a dev set drawn the same way.
func mlpToy(d, k, n int, seed uint64) (x [][]float32, y []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres := make([][]float64, k)
	for c := range centres {
		centres[c] = make([]float64, d)
		for j := range centres[c] {
			centres[c][j] = rng.NormFloat64()
		}
	}
	for i := range n * k {
		c := i % k
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(centres[c][j] + 1.5*rng.NormFloat64())
		}
		x, y = append(x, v), append(y, c)
	}
	return x, y
}

// trainToyMLP trains a fresh MLP on the toy problem as Train does.
func trainToyMLP(t *testing.T, seed uint64) (*mlp, mlpLog) {
	t.Helper()
	const d, h, k = 32, 24, 4
	x, y := mlpToy(d, k, 150, 7)
	dx, dy := mlpToy(d, k, 20, 8)
	m := newMLP(d, h, k, rand.New(rand.NewPCG(seed, 0x6d6c7069)))
	lg, err := trainMLP(context.Background(), m, x, y, dx, dy, mlpOptions{
		Epochs: 8, Batch: 16, LR: 1e-3, WeightDecay: 1e-4, Dropout: 0.2, Patience: 4, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	return m, lg
}

// TestTrainMLPDeterministic: the same seed gives bit-identical weights,
// and another seed other ones.
func TestTrainMLPDeterministic(t *testing.T) {
	a, la := trainToyMLP(t, 1)
	b, lb := trainToyMLP(t, 1)
	if la != lb {
		t.Errorf("training logs differ: %+v vs %+v", la, lb)
	}
	for _, p := range []struct {
		name string
		a, b []float32
	}{{"W1", a.W1, b.W1}, {"B1", a.B1, b.B1}, {"W2", a.W2, b.W2}, {"B2", a.B2, b.B2}} {
		if !slices.Equal(p.a, p.b) {
			t.Errorf("two runs with one seed give different %s", p.name)
		}
	}
	c, _ := trainToyMLP(t, 2)
	if slices.Equal(a.W1, c.W1) {
		t.Error("seeds 1 and 2 give the same W1")
	}
}

// TestTrainDeterministicMLP: Train with the MLP and its ensembles writes
// the same weights twice with one seed.
func TestTrainDeterministicMLP(t *testing.T) {
	edit := func(o *Options) { o.MinGain = -1 }
	m1, r1, _ := trainToyWith(t, edit, VariantLR, VariantHash, VariantMLP, VariantAll3)
	m2, r2, _ := trainToyWith(t, edit, VariantLR, VariantHash, VariantMLP, VariantAll3)
	if r1.Chosen != r2.Chosen || m1.Temperature != m2.Temperature {
		t.Errorf("two runs with one seed differ: %s %v vs %s %v", r1.Chosen, m1.Temperature, r2.Chosen, m2.Temperature)
	}
	b1, _ := m1.encode()
	b2, _ := m2.encode()
	if !slices.Equal(b1, b2) {
		t.Error("two runs with one seed wrote different weights")
	}
}
