package topic

import (
	"context"
	"math"
)

// design is a feature matrix: an optional dense block (the sentence
// embeddings) followed by an optional sparse block (hashed words).
type design struct {
	Dense  [][]float32
	Sparse []sparseVec
	D, S   int
}

func (x design) rows() int { return max(len(x.Dense), len(x.Sparse)) }

// linear is multinomial logistic regression. W is laid out feature-major:
// W[j*K+k] is feature j's weight for class k, and the K biases follow the
// D+S features.
type linear struct {
	K, D, S int
	W       []float64
}

func newLinear(k, d, s int) *linear {
	return &linear{K: k, D: d, S: s, W: make([]float64, (d+s+1)*k)}
}

// logitsInto writes row i's class scores into out.
func (m *linear) logitsInto(x design, i int, w []float64, out []float64) {
	K := m.K
	copy(out, w[(m.D+m.S)*K:])
	if m.D > 0 {
		for j, v := range x.Dense[i] {
			if v == 0 {
				continue
			}
			wj := w[j*K : j*K+K]
			fv := float64(v)
			for k := range out {
				out[k] += fv * wj[k]
			}
		}
	}
	if m.S > 0 {
		sv := x.Sparse[i]
		for n, j := range sv.Idx {
			base := (m.D + int(j)) * K
			wj := w[base : base+K]
			fv := float64(sv.Val[n])
			for k := range out {
				out[k] += fv * wj[k]
			}
		}
	}
}

// logits returns the class scores of every row.
func (m *linear) logits(x design) [][]float64 {
	out := make([][]float64, x.rows())
	for i := range out {
		out[i] = make([]float64, m.K)
		m.logitsInto(x, i, m.W, out[i])
	}
	return out
}

// linearOptions configures trainLinear.
type linearOptions struct {
	L2Dense  float64 // L2 strength on the dense weights
	L2Sparse float64 // L2 strength on the sparse weights
	MaxIter  int
	// Patience stops training when the dev loss has not improved for
	// this many iterations; the best iterate is kept. 0 disables early
	// stopping.
	Patience int
	Progress func(iter, maxIter int)
}

// linearLog reports how training went.
type linearLog struct {
	lbfgsResult
	BestIter    int     `json:"best_iteration"`
	BestDevLoss float64 `json:"best_dev_loss"`
}

// trainLinear fits m on (x, y) minimising the mean cross-entropy plus
// ½λ‖W‖² (biases unpenalised) with L-BFGS, keeping the iterate with the
// lowest loss on (dx, dy) when a dev set is given.
func trainLinear(ctx context.Context, m *linear, x design, y []int, dx design, dy []int, opt linearOptions) (linearLog, error) {
	fn := linearObjective(m, x, y, opt)
	log := linearLog{BestDevLoss: math.Inf(1)}
	best := make([]float64, len(m.W))
	copy(best, m.W)
	hasDev := dx.rows() > 0
	lo := lbfgsOptions{MaxIter: opt.MaxIter, After: func(iter int, w []float64, f float64) bool {
		if opt.Progress != nil {
			opt.Progress(iter, max(opt.MaxIter, 1))
		}
		if !hasDev {
			copy(best, w)
			log.BestIter = iter
			return false
		}
		saved := m.W
		m.W = w
		dl := meanNLL(m.logits(dx), dy)
		m.W = saved
		if dl < log.BestDevLoss {
			log.BestDevLoss, log.BestIter = dl, iter
			copy(best, w)
		}
		return opt.Patience > 0 && iter-log.BestIter >= opt.Patience
	}}
	w := make([]float64, len(m.W))
	copy(w, m.W)
	res, err := minimize(ctx, fn, w, lo)
	log.lbfgsResult = res
	if err != nil && err != errLineSearch {
		return log, err
	}
	if log.BestIter == 0 {
		copy(best, w)
	}
	m.W = best
	return log, nil
}

// linearObjective is the mean cross-entropy of m on (x, y) plus the L2
// penalties of opt, as a function of the weights.
func linearObjective(m *linear, x design, y []int, opt linearOptions) objective {
	K, N := m.K, x.rows()
	nf := m.D + m.S
	return func(w, grad []float64) float64 {
		clear(grad)
		z := make([]float64, K)
		var loss float64
		for i := range N {
			m.logitsInto(x, i, w, z)
			lse := logSumExp(z)
			loss += lse - z[y[i]]
			for k := range z {
				z[k] = math.Exp(z[k] - lse)
			}
			z[y[i]]--
			// grad += x_i ⊗ (p - onehot) / N, accumulated unscaled.
			for k := range z {
				grad[nf*K+k] += z[k]
			}
			if m.D > 0 {
				for j, v := range x.Dense[i] {
					fv := float64(v)
					gj := grad[j*K : j*K+K]
					for k := range gj {
						gj[k] += fv * z[k]
					}
				}
			}
			if m.S > 0 {
				sv := x.Sparse[i]
				for n, j := range sv.Idx {
					base := (m.D + int(j)) * K
					gj := grad[base : base+K]
					fv := float64(sv.Val[n])
					for k := range gj {
						gj[k] += fv * z[k]
					}
				}
			}
		}
		inv := 1 / float64(N)
		loss *= inv
		scale(inv, grad)
		for j := range nf {
			lam := opt.L2Dense
			if j >= m.D {
				lam = opt.L2Sparse
			}
			if lam == 0 {
				continue
			}
			for k := range K {
				wv := w[j*K+k]
				loss += 0.5 * lam * wv * wv
				grad[j*K+k] += lam * wv
			}
		}
		return loss
	}
}

func logSumExp(z []float64) float64 {
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v)
	}
	var s float64
	for _, v := range z {
		s += math.Exp(v - mx)
	}
	return mx + math.Log(s)
}

// softmaxT turns scores into probabilities at temperature t.
func softmaxT(z []float64, t float64) []float64 {
	p := make([]float64, len(z))
	mx := math.Inf(-1)
	for _, v := range z {
		mx = math.Max(mx, v/t)
	}
	var s float64
	for k, v := range z {
		p[k] = math.Exp(v/t - mx)
		s += p[k]
	}
	for k := range p {
		p[k] /= s
	}
	return p
}

// meanNLL is the mean cross-entropy of scores against labels.
func meanNLL(z [][]float64, y []int) float64 {
	var s float64
	for i, zi := range z {
		s += logSumExp(zi) - zi[y[i]]
	}
	return s / float64(len(z))
}

func argmax(v []float64) int {
	b := 0
	for i, x := range v {
		if x > v[b] {
			b = i
		}
	}
	return b
}

func accuracyOf(z [][]float64, y []int) float64 {
	var c int
	for i, zi := range z {
		if argmax(zi) == y[i] {
			c++
		}
	}
	return float64(c) / float64(len(z))
}
