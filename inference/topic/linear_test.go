package topic

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func TestMinimizeRosenbrock(t *testing.T) {
	rosen := func(x, g []float64) float64 {
		a, b := 1-x[0], x[1]-x[0]*x[0]
		g[0] = -2*a - 400*x[0]*b
		g[1] = 200 * b
		return a*a + 100*b*b
	}
	x := []float64{-1.2, 1}
	res, err := minimize(context.Background(), rosen, x, lbfgsOptions{MaxIter: 500, GradTol: 1e-8, FuncTol: 1e-16})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(x[0]-1) > 1e-4 || math.Abs(x[1]-1) > 1e-4 {
		t.Errorf("minimum at %v after %+v, want (1, 1)", x, res)
	}
}

// toyBlobs draws n points per class around well-separated centres in d
// dimensions.
func toyBlobs(n, d, k int, spread float64, seed uint64) ([][]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var x [][]float32
	var y []int
	for c := range k {
		for range n {
			v := make([]float32, d)
			v[c%d] = 3
			for j := range v {
				v[j] += float32(rng.NormFloat64() * spread)
			}
			x = append(x, v)
			y = append(y, c)
		}
	}
	return x, y
}

func TestTrainLinearSeparable(t *testing.T) {
	tests := []struct {
		name   string
		sparse bool
		l2     float64
	}{
		{"dense, no penalty", false, 0},
		{"dense, L2", false, 1e-3},
		{"sparse, L2", true, 1e-4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const K, D = 3, 5
			x, y := toyBlobs(40, D, K, 0.5, 7)
			dx, dy := toyBlobs(20, D, K, 0.5, 8)
			var tr, dv design
			if tt.sparse {
				toSparse := func(rows [][]float32) []sparseVec {
					out := make([]sparseVec, len(rows))
					for i, r := range rows {
						for j, v := range r {
							out[i].Idx = append(out[i].Idx, int32(j))
							out[i].Val = append(out[i].Val, v)
						}
					}
					return out
				}
				tr, dv = design{Sparse: toSparse(x), S: D}, design{Sparse: toSparse(dx), S: D}
			} else {
				tr, dv = design{Dense: x, D: D}, design{Dense: dx, D: D}
			}
			m := newLinear(K, tr.D, tr.S)
			before := meanNLL(m.logits(tr), y)
			lg, err := trainLinear(context.Background(), m, tr, y, dv, dy, linearOptions{L2Dense: tt.l2, L2Sparse: tt.l2, MaxIter: 200})
			if err != nil {
				t.Fatal(err)
			}
			after := meanNLL(m.logits(tr), y)
			if acc := accuracyOf(m.logits(tr), y); acc != 1 {
				t.Errorf("train accuracy %.3f on separable data, want 1 (%+v)", acc, lg)
			}
			if acc := accuracyOf(m.logits(dv), dy); acc < 0.98 {
				t.Errorf("dev accuracy %.3f, want ≥ 0.98", acc)
			}
			if !(after < before/10) {
				t.Errorf("loss went from %.4f to %.4f", before, after)
			}
			if tt.l2 > 0 && lg.Stop != "gradient tolerance" && lg.Stop != "loss tolerance" && lg.Stop != "early stopping" {
				t.Errorf("did not converge: %+v", lg)
			}
		})
	}
}

// TestTrainLinearGradient checks the analytic gradient of the objective
// against central differences.
func TestTrainLinearGradient(t *testing.T) {
	x, y := toyBlobs(5, 4, 3, 1, 3)
	tr := design{Dense: x, D: 4, Sparse: make([]sparseVec, len(x)), S: 3}
	for i := range tr.Sparse {
		tr.Sparse[i] = sparseVec{Idx: []int32{int32(i % 3)}, Val: []float32{0.5}}
	}
	m := newLinear(3, 4, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float64, len(m.W))
	for i := range w {
		w[i] = rng.NormFloat64() * 0.3
	}
	fn := linearObjective(m, tr, y, linearOptions{L2Dense: 0.1, L2Sparse: 0.01})
	g := make([]float64, len(w))
	fn(w, g)
	const h = 1e-6
	gp := make([]float64, len(w))
	for i := range w {
		old := w[i]
		w[i] = old + h
		fp := fn(w, gp)
		w[i] = old - h
		fm := fn(w, gp)
		w[i] = old
		if num := (fp - fm) / (2 * h); math.Abs(num-g[i]) > 1e-6 {
			t.Errorf("gradient[%d] = %.8f, numeric %.8f", i, g[i], num)
		}
	}
}
