package summarize

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// MMR selects sentences greedily by maximal marginal relevance: at each
// step the candidate maximising λ·rel(i) − (1−λ)·max_{j selected}
// cos(i, j), within the length. rel should lie in [0, 1]. The result is
// in document order.
func MMR(d *Document, rel []float64, lambda float64, l Length) []int {
	var cands []int
	for i := range d.Sentences {
		if d.Candidate[i] {
			cands = append(cands, i)
		}
	}
	return mmr(d, cands, l.sentenceBudget(len(cands)), rel, lambda, l)
}

// mmr is MMR among the sentences cands, picking k of them (or as many as
// fit l.MaxWords).
func mmr(d *Document, cands []int, k int, rel []float64, lambda float64, l Length) []int {
	n := len(d.Sentences)
	if l.MaxWords > 0 && l.MaxSentences == 0 {
		k = len(cands)
	}
	sims := func(i, j int) float64 { return dot(d.Emb[i], d.Emb[j]) }
	maxSim := make([]float64, n)
	taken := make([]bool, n)
	var sel []int
	words := 0
	for len(sel) < k {
		best, bestVal := -1, math.Inf(-1)
		for _, i := range cands {
			if taken[i] {
				continue
			}
			if l.MaxWords > 0 && words+d.WordCount(i) > l.MaxWords {
				continue
			}
			v := lambda*rel[i] - (1-lambda)*maxSim[i]
			if v > bestVal {
				best, bestVal = i, v
			}
		}
		if best < 0 {
			break
		}
		taken[best] = true
		sel = append(sel, best)
		words += d.WordCount(best)
		for _, i := range cands {
			if !taken[i] {
				maxSim[i] = max(maxSim[i], sims(i, best))
			}
		}
	}
	if len(sel) == 0 && len(cands) > 0 {
		// MaxWords smaller than every sentence: the most relevant alone.
		best := cands[0]
		for _, i := range cands {
			if rel[i] > rel[best] {
				best = i
			}
		}
		sel = []int{best}
	}
	slices.Sort(sel)
	return sel
}

// Learned is newsintel's method: the learned Scorer's probability for
// each sentence from embedding centrality, title similarity, position,
// length and lexical features, then MMR with the scorer's λ.
type Learned struct {
	Scorer *Scorer
	Length Length
	// Lambda overrides the scorer's MMR λ when not 0.
	Lambda float64
	// Shortlist, when not 0, makes the method a cascade: the lexical
	// Stage1 scorer ranks all sentences and only the best Shortlist (more
	// for long summaries) are embedded and scored by Scorer. It bounds the
	// encoder cost of an article whatever its length.
	Shortlist int
	Stage1    *Scorer
	// EmbedWords, when not 0, embeds each shortlisted sentence from its
	// first EmbedWords words only: the encoder's cost grows with the
	// longest text of a group, and a sentence's opening carries most of
	// its meaning.
	EmbedWords int
}

// Name implements Method.
func (m Learned) Name() string {
	switch {
	case m.Scorer != nil && m.Scorer.Lexical:
		return "learned-lexical" + lengthSuffix(m.Length)
	case m.Shortlist > 0 && m.EmbedWords > 0:
		return fmt.Sprintf("learned-top%d-w%d", m.Shortlist, m.EmbedWords) + lengthSuffix(m.Length)
	case m.Shortlist > 0:
		return fmt.Sprintf("learned-top%d", m.Shortlist) + lengthSuffix(m.Length)
	}
	return "learned" + lengthSuffix(m.Length)
}

// Probs returns the scorer's probability for each sentence of an
// embedded document (0 for non-candidates).
func (m Learned) Probs(d *Document) []float64 {
	if m.Scorer.Lexical && (d.Emb != nil || d.TitleEmb != nil) {
		// Another method embedded the document: a lexical scorer must
		// still see the features it was trained on.
		lex := *d
		lex.Emb, lex.TitleEmb = nil, nil
		d = &lex
	}
	feats := Features(d)
	p := make([]float64, len(feats))
	for i, f := range feats {
		if d.Candidate[i] {
			p[i] = m.Scorer.Prob(f)
		}
	}
	return p
}

// Extract implements Method.
func (m Learned) Extract(ctx context.Context, d *Document, emb Embedder) ([]int, []float64, error) {
	if m.Shortlist > 0 && !m.Scorer.Lexical {
		return m.cascade(ctx, d, emb)
	}
	if !m.Scorer.Lexical {
		if err := d.Embed(ctx, emb); err != nil {
			return nil, nil, err
		}
	}
	p := m.Probs(d)
	lambda := m.Scorer.MMRLambda
	if m.Lambda != 0 {
		lambda = m.Lambda
	}
	sel := MMR(d, Relevance(d, p, m.Scorer.LengthExponent), lambda, m.Length)
	return sel, pick(p, sel), nil
}

// Centroid is the unsupervised embedding method the learned scorer
// improves on: relevance = a fixed blend of centrality (cosine to the
// centroid, standardised), title similarity, position and length,
// squashed to (0, 1), then MMR.
type Centroid struct {
	Length Length
	Lambda float64 // MMR λ; 0 means 0.7
}

// Name implements Method.
func (m Centroid) Name() string { return "centroid" + lengthSuffix(m.Length) }

// CentroidRelevance returns the heuristic relevance of each sentence of
// an embedded document.
func CentroidRelevance(d *Document) []float64 {
	f := Features(d)
	rel := make([]float64, len(f))
	for i, x := range f {
		if !d.Candidate[i] {
			continue
		}
		// cen_z + 0.7·title_z + position prior − short penalty.
		s := x[9] + 0.7*x[13] + 2*x[1] + 0.5*x[3] - 1.0*x[6]
		rel[i] = sigmoid(s)
	}
	return rel
}

// Extract implements Method.
func (m Centroid) Extract(ctx context.Context, d *Document, emb Embedder) ([]int, []float64, error) {
	if err := d.Embed(ctx, emb); err != nil {
		return nil, nil, err
	}
	rel := CentroidRelevance(d)
	lambda := m.Lambda
	if lambda == 0 {
		lambda = 0.7
	}
	sel := MMR(d, rel, lambda, m.Length)
	return sel, pick(rel, sel), nil
}

// Relevance turns probabilities into MMR relevance: p·(words/mean
// words)^alpha over candidates, divided by its maximum so it lies in
// [0, 1].
func Relevance(d *Document, p []float64, alpha float64) []float64 {
	rel := make([]float64, len(p))
	total, n := 0.0, 0
	for i := range p {
		if d.Candidate[i] {
			total += float64(d.WordCount(i))
			n++
		}
	}
	if n == 0 {
		return rel
	}
	mean := max(total/float64(n), 1)
	top := 0.0
	for i := range p {
		if d.Candidate[i] {
			rel[i] = p[i] * math.Pow(float64(max(d.WordCount(i), 1))/mean, alpha)
			top = max(top, rel[i])
		}
	}
	if top > 0 {
		for i := range rel {
			rel[i] /= top
		}
	}
	return rel
}
