package activelearn

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

// Round is what one round picks from.
type Round struct {
	// Unlabeled are the rows that may be picked.
	Unlabeled []int
	// Reviewed are the rows earlier rounds labeled, oldest first: the
	// labeled review items a coverage claim counts as covered. The seed
	// set is not among them, as a deployment's seed data is not in its
	// review queue.
	Reviewed []int
	// ColdStart: the model learned from too few labeled rows for its
	// uncertainty to guide the pick (classify.ColdStart), so diversity
	// picks by coverage.
	ColdStart bool
}

// Pick chooses k rows of r.Unlabeled for the next round. Random draws them
// uniformly; the uncertainty strategies take the k of highest review
// priority (classify.ReviewRule.Check, ties by row order, as the queue's
// ORDER BY priority DESC, id); diversity makes the claim's own choice:
// in the model's cold start, store.CoveragePick over the top
// store.CoveragePool rows and the reviewed ones, else store.DiversePick
// over the candidate pool of store.ClaimReviewItems with mix as the
// weight of distance.
//
// Thresholds play no part: the simulation queues the whole pool, so a
// batch is never short because too few predictions crossed one.
func Pick(strategy string, m *topic.Model, d *Data, r Round, k int, mix float64, rng *rand.Rand) ([]int, error) {
	unlabeled := r.Unlabeled
	k = min(k, len(unlabeled))
	if strategy == Random {
		perm := rng.Perm(len(unlabeled))
		out := make([]int, k)
		for i := range out {
			out[i] = unlabeled[perm[i]]
		}
		return out, nil
	}
	rule, err := classify.NewReviewRule(strategy, 0)
	if err != nil {
		return nil, err
	}
	vecs, texts, _ := d.rows(unlabeled)
	preds, err := m.PredictEmbedded(vecs, texts)
	if err != nil {
		return nil, fmt.Errorf("score the pool: %w", err)
	}
	cands := make([]candidate, len(unlabeled))
	for i, p := range preds {
		_, prio := rule.Check(p.Uncertainty)
		cands[i] = candidate{row: unlabeled[i], priority: prio, embedding: vecs[i]}
	}
	slices.SortStableFunc(cands, func(a, b candidate) int { return cmp.Compare(b.priority, a.priority) })
	switch {
	case !rule.Diverse():
		return rowsOf(cands[:k]), nil
	case r.ColdStart:
		return coverage(cands[:min(len(cands), store.CoveragePool)], d, r.Reviewed, k), nil
	default:
		return kCenter(cands[:min(len(cands), ClaimPool(k))], k, mix), nil
	}
}

// ClaimPool is how many of the top items store.ClaimReviewItems considers
// when it picks need of them for diversity.
func ClaimPool(need int) int { return min(max(4*need, 32), 400) }

// candidate is an unlabeled row with its review priority.
type candidate struct {
	row       int
	priority  float64
	embedding []float32
}

func rowsOf(cs []candidate) []int {
	out := make([]int, len(cs))
	for i, c := range cs {
		out[i] = c.row
	}
	return out
}

// kCenter picks rows with the review queue's own diversity pick
// (store.DiversePick), so the simulation measures what reviewers get.
func kCenter(cands []candidate, k int, mix float64) []int {
	prio := make([]float64, len(cands))
	embs := make([][]float32, len(cands))
	for i, c := range cands {
		prio[i], embs[i] = c.priority, c.embedding
	}
	idx := store.DiversePick(prio, embs, k, mix)
	out := make([]int, len(idx))
	for i, j := range idx {
		out[i] = cands[j].row
	}
	return out
}

// coverage picks rows with the cold-start claim's own pick
// (store.CoveragePick), the reviewed rows as the labeled items, the most
// recent store loads at most of them.
func coverage(cands []candidate, d *Data, reviewed []int, k int) []int {
	embs := make([][]float32, len(cands))
	for i, c := range cands {
		embs[i] = c.embedding
	}
	var labeled [][]float32
	for _, r := range reviewed[max(0, len(reviewed)-store.CoverageLabeled):] {
		labeled = append(labeled, d.Vecs[r])
	}
	idx := store.CoveragePick(embs, labeled, k, 1)
	out := make([]int, len(idx))
	for i, j := range idx {
		out[i] = cands[j].row
	}
	return out
}

// TopicTrainer trains with topic.Train, the trainer of `newsintel train`
// and of fine-tunes, on the precomputed embeddings of the Data. Train
// holds out a tenth of the labeled rows for its own model selection and
// calibration, exactly as it does in the product.
type TopicTrainer struct {
	// Variants to train: lr+hash (the fine-tune's) when empty.
	Variants []string
	// HashBits of the hashed-word head: topic.Train's default (18) when 0.
	HashBits int
	// Seed of the training split and initialisation: 1 when 0.
	Seed uint64
}

// Train fits a model on rows idx.
func (t TopicTrainer) Train(ctx context.Context, d *Data, idx []int) (*topic.Model, error) {
	exs := make([]topic.Example, len(idx))
	for i, r := range idx {
		exs[i] = d.Examples[r]
	}
	variants := t.Variants
	if len(variants) == 0 {
		variants = []string{topic.VariantLRHash}
	}
	seed := t.Seed
	if seed == 0 {
		seed = 1
	}
	m, _, err := topic.Train(ctx, d, exs, topic.Options{Name: "activelearn", Labels: d.Labels, Seed: seed,
		Variants: slices.Clone(variants), HashBits: t.HashBits, EncoderID: "precomputed"})
	return m, err
}
