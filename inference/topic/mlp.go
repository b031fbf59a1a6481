package topic

import (
	"context"
	"math"
	"math/rand/v2"
)

// mlp is a one-hidden-layer perceptron on the sentence embedding:
// softmax(W2·relu(W1·x + b1) + b2). W1 is H×D and W2 is K×H, row-major.
type mlp struct {
	D, H, K int
	W1, B1  []float32
	W2, B2  []float32
}

func newMLP(d, h, k int, rng *rand.Rand) *mlp {
	m := &mlp{D: d, H: h, K: k,
		W1: make([]float32, h*d), B1: make([]float32, h),
		W2: make([]float32, k*h), B2: make([]float32, k)}
	// He initialisation for the ReLU layer, Glorot for the output.
	s1 := math.Sqrt(2 / float64(d))
	for i := range m.W1 {
		m.W1[i] = float32(rng.NormFloat64() * s1)
	}
	s2 := math.Sqrt(2 / float64(h+k))
	for i := range m.W2 {
		m.W2[i] = float32(rng.NormFloat64() * s2)
	}
	return m
}

func dot32(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	n := len(a)
	b = b[:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

func axpy32(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += a * v
	}
}

// hidden writes relu(W1·x + b1) into h.
func (m *mlp) hidden(x []float32, h []float32) {
	for j := range m.H {
		v := dot32(m.W1[j*m.D:(j+1)*m.D], x) + m.B1[j]
		h[j] = max(v, 0)
	}
}

// scores returns the logits of x.
func (m *mlp) scores(x []float32) []float64 {
	h := make([]float32, m.H)
	m.hidden(x, h)
	out := make([]float64, m.K)
	for k := range m.K {
		out[k] = float64(dot32(m.W2[k*m.H:(k+1)*m.H], h) + m.B2[k])
	}
	return out
}

func (m *mlp) logits(xs [][]float32) [][]float64 {
	out := make([][]float64, len(xs))
	for i, x := range xs {
		out[i] = m.scores(x)
	}
	return out
}

// mlpOptions configures trainMLP.
type mlpOptions struct {
	Epochs      int
	Batch       int
	LR          float64
	WeightDecay float64 // L2 on weights, decoupled (AdamW)
	Dropout     float64 // on the hidden layer
	Patience    int     // epochs without dev-loss improvement before stopping
	Seed        uint64
	Progress    func(epoch, epochs int)
}

// mlpLog reports how training went.
type mlpLog struct {
	Epochs      int     `json:"epochs"`
	BestEpoch   int     `json:"best_epoch"`
	BestDevLoss float64 `json:"best_dev_loss"`
	Stop        string  `json:"stop"`
}

type adam struct {
	m, v []float64
}

func (a *adam) step(w, g []float32, lr, wd float64, t int) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1 := 1 - math.Pow(b1, float64(t))
	c2 := 1 - math.Pow(b2, float64(t))
	for i := range w {
		gi := float64(g[i])
		a.m[i] = b1*a.m[i] + (1-b1)*gi
		a.v[i] = b2*a.v[i] + (1-b2)*gi*gi
		upd := lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + eps)
		w[i] = float32(float64(w[i]) - upd - lr*wd*float64(w[i]))
	}
}

func newAdam(n int) *adam { return &adam{m: make([]float64, n), v: make([]float64, n)} }

// trainMLP fits the MLP with minibatch AdamW, shuffling every epoch, and
// keeps the weights of the epoch with the lowest dev loss.
func trainMLP(ctx context.Context, m *mlp, x [][]float32, y []int, dx [][]float32, dy []int, opt mlpOptions) (mlpLog, error) {
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6d6c70))
	N, D, H, K := len(x), m.D, m.H, m.K
	gW1, gB1 := make([]float32, H*D), make([]float32, H)
	gW2, gB2 := make([]float32, K*H), make([]float32, K)
	aW1, aB1, aW2, aB2 := newAdam(H*D), newAdam(H), newAdam(K*H), newAdam(K)
	h := make([]float32, H)
	dh := make([]float32, H)
	mask := make([]float32, H)
	z := make([]float64, K)
	best := *m
	best.W1, best.B1, best.W2, best.B2 = clone32(m.W1), clone32(m.B1), clone32(m.W2), clone32(m.B2)
	log := mlpLog{BestDevLoss: math.Inf(1), Stop: "max epochs"}
	t := 0
	keep := 1 - opt.Dropout
	for epoch := 1; epoch <= opt.Epochs; epoch++ {
		perm := rng.Perm(N)
		for start := 0; start < N; start += opt.Batch {
			if err := ctx.Err(); err != nil {
				return log, err
			}
			end := min(start+opt.Batch, N)
			clear(gW1)
			clear(gB1)
			clear(gW2)
			clear(gB2)
			for _, i := range perm[start:end] {
				xi := x[i]
				m.hidden(xi, h)
				for j := range h {
					mask[j] = 0
					if rng.Float64() < keep {
						mask[j] = float32(1 / keep)
					}
					h[j] *= mask[j]
				}
				for k := range K {
					z[k] = float64(dot32(m.W2[k*H:(k+1)*H], h) + m.B2[k])
				}
				lse := logSumExp(z)
				clear(dh)
				for k := range K {
					g := float32(math.Exp(z[k] - lse))
					if k == y[i] {
						g--
					}
					gB2[k] += g
					axpy32(g, h, gW2[k*H:(k+1)*H])
					axpy32(g, m.W2[k*H:(k+1)*H], dh)
				}
				for j := range H {
					if h[j] <= 0 {
						continue
					}
					g := dh[j] * mask[j]
					gB1[j] += g
					axpy32(g, xi, gW1[j*D:(j+1)*D])
				}
			}
			inv := float32(1 / float64(end-start))
			for _, g := range [][]float32{gW1, gB1, gW2, gB2} {
				for i := range g {
					g[i] *= inv
				}
			}
			t++
			aW1.step(m.W1, gW1, opt.LR, opt.WeightDecay, t)
			aB1.step(m.B1, gB1, opt.LR, 0, t)
			aW2.step(m.W2, gW2, opt.LR, opt.WeightDecay, t)
			aB2.step(m.B2, gB2, opt.LR, 0, t)
		}
		log.Epochs = epoch
		if opt.Progress != nil {
			opt.Progress(epoch, opt.Epochs)
		}
		dl := -float64(epoch) // no dev set: keep the last epoch
		if len(dx) > 0 {
			dl = meanNLL(m.logits(dx), dy)
		}
		if dl < log.BestDevLoss {
			log.BestDevLoss, log.BestEpoch = dl, epoch
			copy(best.W1, m.W1)
			copy(best.B1, m.B1)
			copy(best.W2, m.W2)
			copy(best.B2, m.B2)
		}
		if opt.Patience > 0 && epoch-log.BestEpoch >= opt.Patience {
			log.Stop = "early stopping"
			break
		}
	}
	*m = best
	return log, nil
}

func clone32(v []float32) []float32 { return append([]float32(nil), v...) }
