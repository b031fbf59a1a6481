package topic

import (
	"context"
	"math"
	"slices"
)

// smallSetFolds is the number of cross-validation folds on a small set.
const smallSetFolds = 5

// smallSetGrid extends an L2 grid by two decades upwards: a head fitted
// on a few dozen examples wants far stronger regularisation than one
// fitted on thousands, and cross-validation can tell which.
func smallSetGrid(grid []float64) []float64 {
	g := slices.Clone(grid)
	top := slices.Max(g)
	g = append(g, 10*top, 100*top)
	slices.Sort(g)
	return slices.Compact(g)
}

// cvFit is how Train fits a linear head on a small set (fewer than
// MinEarlyStoppingDev dev examples), where choosing the L2 strength on the
// dev split means choosing it on a handful of examples, and holding them
// out costs the head a tenth or more of what it could learn from. It
// scores every L2 strength of grid by the out-of-fold log loss of
// stratified k-fold cross-validation over all of x, refits on all of x
// with the best (l2s maps a grid point to the dense and sparse
// strengths), and returns that head, its L2 strength and the
// out-of-fold logits of every row at it (honest scores for the rows the
// caller calls dev, though the head has seen them).
func cvFit(ctx context.Context, K int, x design, y []int, grid []float64, l2s func(lam float64) (dense, sparse float64), opt linearOptions) (*linear, float64, [][]float64, error) {
	n := len(y)
	k := min(smallSetFolds, n)
	// Stratified folds: each label's rows are dealt round the folds in
	// turn, so every fold sees every label that has k or more rows.
	fold := make([]int, n)
	dealt := map[int]int{}
	for i, c := range y {
		fold[i] = dealt[c] % k
		dealt[c]++
	}
	bestLoss, bestLam := math.Inf(1), grid[0]
	var bestOOF [][]float64
	for _, lam := range grid {
		oof := make([][]float64, n)
		for f := range k {
			var tr, te []int
			for i := range n {
				if fold[i] == f {
					te = append(te, i)
				} else {
					tr = append(tr, i)
				}
			}
			if len(te) == 0 || len(tr) == 0 {
				continue
			}
			lin := newLinear(K, x.D, x.S)
			o := opt
			o.Progress = nil
			o.L2Dense, o.L2Sparse = l2s(lam)
			if _, err := trainLinear(ctx, lin, x.subset(tr), pick(y, tr), design{}, nil, o); err != nil {
				return nil, 0, nil, err
			}
			for j, z := range lin.logits(x.subset(te)) {
				oof[te[j]] = z
			}
		}
		var loss float64
		for i, z := range oof {
			if z == nil { // a single row: no fold to hold it out of
				z = make([]float64, K)
				oof[i] = z
			}
			loss += logSumExp(z) - z[y[i]]
		}
		if loss < bestLoss {
			bestLoss, bestLam, bestOOF = loss, lam, oof
		}
	}
	lin := newLinear(K, x.D, x.S)
	o := opt
	o.L2Dense, o.L2Sparse = l2s(bestLam)
	if _, err := trainLinear(ctx, lin, x, y, design{}, nil, o); err != nil {
		return nil, 0, nil, err
	}
	return lin, bestLam, bestOOF, nil
}

// subset returns the rows idx of x.
func (x design) subset(idx []int) design {
	out := design{D: x.D, S: x.S}
	for _, i := range idx {
		if x.Dense != nil {
			out.Dense = append(out.Dense, x.Dense[i])
		}
		if x.Sparse != nil {
			out.Sparse = append(out.Sparse, x.Sparse[i])
		}
	}
	return out
}

// concat returns the rows of a followed by those of b.
func (x design) concat(b design) design {
	out := design{D: x.D, S: x.S}
	if x.Dense != nil {
		out.Dense = append(slices.Clip(x.Dense), b.Dense...)
	}
	if x.Sparse != nil {
		out.Sparse = append(slices.Clip(x.Sparse), b.Sparse...)
	}
	return out
}

func pick(y []int, idx []int) []int {
	out := make([]int, len(idx))
	for j, i := range idx {
		out[j] = y[i]
	}
	return out
}
