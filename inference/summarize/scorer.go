package summarize

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Scorer is a learned sentence scorer: the probability that a sentence
// belongs in the summary, from its Features. It is a logistic regression
// ("logreg") or a one-hidden-layer tanh network ("mlp") on standardised
// features, stored as JSON.
type Scorer struct {
	Version  string    `json:"version"`
	Kind     string    `json:"kind"`
	Features []string  `json:"features"`
	Mean     []float64 `json:"mean"`
	Std      []float64 `json:"std"`
	// logreg: p = σ(W·x + B). mlp: p = σ(W2·tanh(W1·x + B1) + B2).
	W  []float64   `json:"w,omitempty"`
	B  float64     `json:"b"`
	W1 [][]float64 `json:"w1,omitempty"`
	B1 []float64   `json:"b1,omitempty"`
	W2 []float64   `json:"w2,omitempty"`
	B2 float64     `json:"b2,omitempty"`
	// MMRLambda weighs relevance against redundancy when selecting:
	// λ·p(i) − (1−λ)·max cos(i, selected).
	MMRLambda float64 `json:"mmr_lambda"`
	// LengthExponent α weighs longer sentences when selecting: relevance
	// is p·(words/mean words)^α, the expected number of words a sentence
	// shares with a reference when α = 1 (what ROUGE recall rewards).
	LengthExponent float64 `json:"length_exponent"`
	// Lexical scorers were trained without embeddings (their embedding
	// features are 0): they need no encoder, and MMR has no similarities
	// to work with, so selection is by relevance alone.
	Lexical bool `json:"lexical,omitempty"`
	// Training records how the scorer was made.
	Training map[string]any `json:"training,omitempty"`
}

//go:embed scorer.json
var defaultScorerJSON []byte

// DefaultScorer returns the scorer that ships with the package
// (scorer.json; `newsintel train-summarizer --lexical` makes it): trained
// on BBC News Summary and CNN highlights, on features that need no
// encoder, so a summary costs a few milliseconds.
func DefaultScorer() (*Scorer, error) { return ParseScorer(defaultScorerJSON) }

// ParseScorer reads a scorer and checks that it fits FeatureNames.
func ParseScorer(raw []byte) (*Scorer, error) {
	var s Scorer
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("summarize: scorer: %w", err)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return &s, nil
}

func (s *Scorer) check() error {
	nf := len(FeatureNames)
	if !slices.Equal(s.Features, FeatureNames) {
		return fmt.Errorf("summarize: scorer %q was trained on features %v, this build computes %v", s.Version, s.Features, FeatureNames)
	}
	if len(s.Mean) != nf || len(s.Std) != nf {
		return fmt.Errorf("summarize: scorer %q: %d means and %d deviations for %d features", s.Version, len(s.Mean), len(s.Std), nf)
	}
	switch s.Kind {
	case "logreg":
		if len(s.W) != nf {
			return fmt.Errorf("summarize: scorer %q: %d weights for %d features", s.Version, len(s.W), nf)
		}
	case "mlp":
		if len(s.W1) == 0 || len(s.W1) != len(s.B1) || len(s.W2) != len(s.W1) {
			return fmt.Errorf("summarize: scorer %q: inconsistent layer sizes", s.Version)
		}
		for _, row := range s.W1 {
			if len(row) != nf {
				return fmt.Errorf("summarize: scorer %q: hidden row of %d weights for %d features", s.Version, len(row), nf)
			}
		}
	default:
		return fmt.Errorf("summarize: scorer %q: unknown kind %q", s.Version, s.Kind)
	}
	if s.MMRLambda <= 0 || s.MMRLambda > 1 {
		return fmt.Errorf("summarize: scorer %q: mmr_lambda %v outside (0, 1]", s.Version, s.MMRLambda)
	}
	return nil
}

// Marshal returns the scorer as indented JSON.
func (s *Scorer) Marshal() ([]byte, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	return append(b, '\n'), err
}

func (s *Scorer) standardise(x []float64) []float64 {
	z := make([]float64, len(x))
	for k, v := range x {
		z[k] = (v - s.Mean[k]) / s.Std[k]
	}
	return z
}

// Prob returns the probability that a sentence with features x is in the
// summary.
func (s *Scorer) Prob(x []float64) float64 {
	z := s.standardise(x)
	if s.Kind == "logreg" {
		return sigmoid(s.B + dot64(s.W, z))
	}
	o := s.B2
	for h, row := range s.W1 {
		o += s.W2[h] * math.Tanh(s.B1[h]+dot64(row, z))
	}
	return sigmoid(o)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func dot64(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// TrainOptions configures TrainScorer.
type TrainOptions struct {
	Kind   string  // "logreg" or "mlp"
	Hidden int     // mlp hidden units (default 16)
	Epochs int     // default 30
	LR     float64 // Adam step (default 0.01 for logreg, 0.003 for mlp)
	L2     float64 // weight decay (default 1e-4)
	Batch  int     // mini-batch size (default 256)
	Seed   uint64
}

// TrainScorer fits a scorer by Adam on the logistic loss over rows X with
// labels y (0 or 1). It is deterministic for a given Seed.
func TrainScorer(X [][]float64, y []float64, opt TrainOptions) *Scorer {
	nf := len(FeatureNames)
	if opt.Hidden == 0 {
		opt.Hidden = 16
	}
	if opt.Epochs == 0 {
		opt.Epochs = 30
	}
	if opt.LR == 0 {
		opt.LR = 0.01
		if opt.Kind == "mlp" {
			opt.LR = 0.003
		}
	}
	if opt.L2 == 0 {
		opt.L2 = 1e-4
	}
	if opt.Batch == 0 {
		opt.Batch = 256
	}
	s := &Scorer{Kind: opt.Kind, Features: slices.Clone(FeatureNames), Mean: make([]float64, nf), Std: make([]float64, nf), MMRLambda: 1}
	for _, x := range X {
		for k, v := range x {
			s.Mean[k] += v
		}
	}
	for k := range s.Mean {
		s.Mean[k] /= float64(len(X))
	}
	for _, x := range X {
		for k, v := range x {
			s.Std[k] += (v - s.Mean[k]) * (v - s.Mean[k])
		}
	}
	for k := range s.Std {
		s.Std[k] = math.Sqrt(s.Std[k] / float64(len(X)))
		if s.Std[k] < 1e-9 {
			s.Std[k] = 1
		}
	}
	Z := make([][]float64, len(X))
	for i, x := range X {
		Z[i] = s.standardise(x)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x5eed))

	// Parameters flattened into one vector for Adam.
	var params []float64
	H := opt.Hidden
	if opt.Kind == "logreg" {
		params = make([]float64, nf+1)
	} else {
		params = make([]float64, H*nf+H+H+1)
		scale := 1 / math.Sqrt(float64(nf))
		for i := range H * nf {
			params[i] = rng.NormFloat64() * scale
		}
		for h := range H {
			params[H*nf+H+h] = rng.NormFloat64() / math.Sqrt(float64(H))
		}
	}
	grad := make([]float64, len(params))
	m := make([]float64, len(params))
	v := make([]float64, len(params))
	const b1, b2, eps = 0.9, 0.999, 1e-8
	step := 0
	order := make([]int, len(Z))
	for i := range order {
		order[i] = i
	}
	hid := make([]float64, H)
	for range opt.Epochs {
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for start := 0; start < len(order); start += opt.Batch {
			batch := order[start:min(start+opt.Batch, len(order))]
			clear(grad)
			for _, i := range batch {
				z := Z[i]
				if opt.Kind == "logreg" {
					p := sigmoid(params[nf] + dot64(params[:nf], z))
					g := p - y[i]
					for k := range nf {
						grad[k] += g * z[k]
					}
					grad[nf] += g
					continue
				}
				o := params[len(params)-1]
				for h := range H {
					hid[h] = math.Tanh(params[H*nf+h] + dot64(params[h*nf:(h+1)*nf], z))
					o += params[H*nf+H+h] * hid[h]
				}
				g := sigmoid(o) - y[i]
				grad[len(params)-1] += g
				for h := range H {
					grad[H*nf+H+h] += g * hid[h]
					gh := g * params[H*nf+H+h] * (1 - hid[h]*hid[h])
					grad[H*nf+h] += gh
					row := grad[h*nf : (h+1)*nf]
					for k := range nf {
						row[k] += gh * z[k]
					}
				}
			}
			step++
			inv := 1 / float64(len(batch))
			c1 := 1 - math.Pow(b1, float64(step))
			c2 := 1 - math.Pow(b2, float64(step))
			for k := range params {
				g := grad[k]*inv + opt.L2*params[k]
				m[k] = b1*m[k] + (1-b1)*g
				v[k] = b2*v[k] + (1-b2)*g*g
				params[k] -= opt.LR * (m[k] / c1) / (math.Sqrt(v[k]/c2) + eps)
			}
		}
	}
	if opt.Kind == "logreg" {
		s.W = slices.Clone(params[:nf])
		s.B = params[nf]
		return s
	}
	s.W1 = make([][]float64, H)
	for h := range H {
		s.W1[h] = slices.Clone(params[h*nf : (h+1)*nf])
	}
	s.B1 = slices.Clone(params[H*nf : H*nf+H])
	s.W2 = slices.Clone(params[H*nf+H : H*nf+2*H])
	s.B2 = params[len(params)-1]
	return s
}

// LogLoss returns the mean logistic loss of the scorer on rows X.
func (s *Scorer) LogLoss(X [][]float64, y []float64) float64 {
	total := 0.0
	for i, x := range X {
		p := min(max(s.Prob(x), 1e-12), 1-1e-12)
		total -= y[i]*math.Log(p) + (1-y[i])*math.Log(1-p)
	}
	return total / float64(len(X))
}
