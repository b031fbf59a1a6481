// Package activelearn simulates the review loop offline to measure how
// many labels each review strategy needs. A run starts from a small seed
// set, then repeats: train the topic head on the labeled rows, score the
// unlabeled pool, pick the next batch by the strategy, reveal the gold
// labels of that batch (the oracle reviewer), and measure accuracy on a
// fixed held-out dev split. Random sampling is the baseline.
//
// The strategies rank the pool as the product does: the priority of
// classify.ReviewRule.Check, and for diversity the pick of
// store.ClaimReviewItems (coverage in the model's cold start, then the
// k-center mix). `newsintel bench active-learning` drives it.
package activelearn

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

// Strategies. The uncertainty ones and diversity are the review
// strategies of package classify; Random is the baseline.
const (
	Random          = "random"
	LeastConfidence = classify.LeastConfidence
	Margin          = classify.Margin
	Entropy         = classify.Entropy
	Diversity       = classify.Diversity
)

// Strategies lists every strategy, the baseline first.
func Strategies() []string {
	return []string{Random, LeastConfidence, Margin, Entropy, Diversity}
}

// Data is an embedded, labeled corpus. Row i is Examples[i], its
// embedding Vecs[i] (of Normalize(Examples[i].Text)) and its gold label
// Gold[i], an index into Labels.
type Data struct {
	Labels   []string
	Examples []topic.Example
	Vecs     [][]float32
	Gold     []int

	byText map[string]int // Normalize(text) → row, for the lookup embedder
}

// NewData checks that every example has an embedding and a known label.
func NewData(labels []string, exs []topic.Example, vecs [][]float32) (*Data, error) {
	if len(exs) != len(vecs) {
		return nil, fmt.Errorf("activelearn: %d examples and %d embeddings", len(exs), len(vecs))
	}
	idx := map[string]int{}
	for i, l := range labels {
		idx[l] = i
	}
	d := &Data{Labels: slices.Clone(labels), Examples: exs, Vecs: vecs, Gold: make([]int, len(exs)), byText: map[string]int{}}
	for i, ex := range exs {
		g, ok := idx[ex.Label]
		if !ok {
			return nil, fmt.Errorf("activelearn: example %d (%s) has label %q, not one of %q", i, ex.Source, ex.Label, labels)
		}
		d.Gold[i] = g
		d.byText[topic.Normalize(ex.Text)] = i
	}
	return d, nil
}

// Embed serves the precomputed embeddings, so that topic.Train sees the
// encoder's vectors without running it. It makes *Data a topic.Embedder.
func (d *Data) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		r, ok := d.byText[topic.Normalize(t)]
		if !ok {
			return nil, fmt.Errorf("activelearn: no embedding for text %q", t[:min(len(t), 60)])
		}
		out[i] = d.Vecs[r]
	}
	return out, nil
}

// Config is one simulated run.
type Config struct {
	// Pool are the rows that may be labeled; Dev the rows accuracy is
	// measured on. They must not overlap.
	Pool, Dev []int
	// SeedSize rows of the pool, the same number per label (as far as the
	// pool allows), are labeled before the first round.
	SeedSize int
	// Batch rows are labeled per round, for Rounds rounds.
	Batch, Rounds int
	Strategy      string
	// Seed draws the seed set and random sampling's picks.
	Seed uint64
	// Mix is diversity's weight on distance against priority:
	// store.DiversityMix, as store.ClaimReviewItems, when 0.
	Mix float64
	// ColdStartPerTopic bounds the cold start, in which diversity picks
	// by coverage: classify.ColdStartPerTopic, as the product, when 0.
	ColdStartPerTopic int
	// Progress, when set, is told after each round.
	Progress func(round, rounds int)
}

// Point is the state after one round.
type Point struct {
	Labeled  int     `json:"labeled"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
}

// Curve is one run's dev scores, round 0 (the seed set) first.
type Curve struct {
	Strategy string  `json:"strategy"`
	Seed     uint64  `json:"seed"`
	Points   []Point `json:"points"`
}

// Trainer fits a topic model on the rows idx of d.
type Trainer interface {
	Train(ctx context.Context, d *Data, idx []int) (*topic.Model, error)
}

// Run simulates the loop of cfg and returns its learning curve.
func Run(ctx context.Context, d *Data, tr Trainer, cfg Config) (Curve, error) {
	if cfg.SeedSize < len(d.Labels) || cfg.Batch < 1 || cfg.Rounds < 0 {
		return Curve{}, fmt.Errorf("activelearn: seed size %d (at least one per label), batch %d, rounds %d", cfg.SeedSize, cfg.Batch, cfg.Rounds)
	}
	if !slices.Contains(Strategies(), cfg.Strategy) {
		return Curve{}, fmt.Errorf("activelearn: unknown strategy %q (use one of %v)", cfg.Strategy, Strategies())
	}
	if len(cfg.Dev) == 0 {
		return Curve{}, errors.New("activelearn: no dev rows")
	}
	if cfg.Mix == 0 {
		cfg.Mix = store.DiversityMix
	}
	if cfg.ColdStartPerTopic == 0 {
		cfg.ColdStartPerTopic = classify.ColdStartPerTopic
	}
	labeled := seedSet(d, cfg.Pool, cfg.SeedSize, cfg.Seed)
	if len(labeled) < cfg.SeedSize {
		return Curve{}, fmt.Errorf("activelearn: the pool has too few rows of some label for a seed set of %d", cfg.SeedSize)
	}
	isLabeled := map[int]bool{}
	for _, r := range labeled {
		isLabeled[r] = true
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x616c)) // random sampling's own stream
	curve := Curve{Strategy: cfg.Strategy, Seed: cfg.Seed}
	for round := 0; ; round++ {
		m, err := tr.Train(ctx, d, labeled)
		if err != nil {
			return curve, fmt.Errorf("activelearn: %s round %d (%d labels): %w", cfg.Strategy, round, len(labeled), err)
		}
		p, err := Score(m, d, cfg.Dev)
		if err != nil {
			return curve, fmt.Errorf("activelearn: %s round %d: %w", cfg.Strategy, round, err)
		}
		p.Labeled = len(labeled)
		curve.Points = append(curve.Points, p)
		if cfg.Progress != nil {
			cfg.Progress(round, cfg.Rounds)
		}
		if round == cfg.Rounds {
			return curve, nil
		}
		var unlabeled []int
		for _, r := range cfg.Pool {
			if !isLabeled[r] {
				unlabeled = append(unlabeled, r)
			}
		}
		if len(unlabeled) == 0 {
			return curve, nil
		}
		// The oracle: the picked rows join the labeled set with their
		// gold labels, which Train reads from d.
		// classify.ColdStart's rule, with the bound of cfg.
		cold := len(labeled) < cfg.ColdStartPerTopic*len(d.Labels)
		r := Round{Unlabeled: unlabeled, Reviewed: labeled[cfg.SeedSize:], ColdStart: cold}
		picked, err := Pick(cfg.Strategy, m, d, r, cfg.Batch, cfg.Mix, rng)
		if err != nil {
			return curve, fmt.Errorf("activelearn: %s round %d: %w", cfg.Strategy, round, err)
		}
		for _, r := range picked {
			isLabeled[r] = true
		}
		labeled = append(labeled, picked...)
	}
}

// Score measures m on the rows idx of d.
func Score(m *topic.Model, d *Data, idx []int) (Point, error) {
	vecs, texts, gold := d.rows(idx)
	preds, err := m.PredictEmbedded(vecs, texts)
	if err != nil {
		return Point{}, err
	}
	met := topic.Evaluate(d.Labels, gold, preds)
	return Point{Accuracy: met.Accuracy, MacroF1: met.MacroF1}, nil
}

// rows returns the embeddings, texts and gold label names of idx.
func (d *Data) rows(idx []int) (vecs [][]float32, texts, gold []string) {
	vecs, texts, gold = make([][]float32, len(idx)), make([]string, len(idx)), make([]string, len(idx))
	for i, r := range idx {
		vecs[i], texts[i], gold[i] = d.Vecs[r], d.Examples[r].Text, d.Examples[r].Label
	}
	return vecs, texts, gold
}

// seedSet draws n rows of pool, as evenly over the labels as the pool
// allows, like a small curated starting set: a random draw of 40 could
// miss a topic, and Train needs every label.
func seedSet(d *Data, pool []int, n int, seed uint64) []int {
	byLabel := make([][]int, len(d.Labels))
	for _, r := range pool {
		byLabel[d.Gold[r]] = append(byLabel[d.Gold[r]], r)
	}
	rng := rand.New(rand.NewPCG(seed, 0x73656564))
	for _, rows := range byLabel {
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	}
	var out []int
	for k := 0; len(out) < n; k++ {
		added := false
		for _, rows := range byLabel {
			if k < len(rows) && len(out) < n {
				out = append(out, rows[k])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}
