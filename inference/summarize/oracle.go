package summarize

import (
	"context"
	"slices"
)

// OracleSentences returns the greedy ROUGE oracle of a document against a
// reference summary, in document order: starting from nothing, it adds
// the candidate sentence that raises ROUGE-1 F1 + ROUGE-2 F1 against the
// reference the most, until k sentences are chosen or no sentence raises
// it (as extractive systems label abstractive references, e.g.
// BertSumExt). It labels training sentences for references that are not
// made of article sentences (CNN highlights), and is the upper bound in
// evaluations.
func OracleSentences(d *Document, reference string, k int) []int {
	ref := Tokens(reference, RougeOptions{})
	ref1, ref2 := ngrams(ref, 1), ngrams(ref, 2)
	var sel []int
	var cand []string
	best := 0.0
	for len(sel) < k {
		bi, bv := -1, best
		for i := range d.Sentences {
			if !d.Candidate[i] || slices.Contains(sel, i) {
				continue
			}
			// Order does not change ROUGE-1; for ROUGE-2 only the bigram
			// across the join differs, which the final order fixes anyway.
			c := append(slices.Clone(cand), d.Words[i]...)
			v := rougeNF1(c, ref1, len(ref), 1) + rougeNF1(c, ref2, len(ref)-1, 2)
			if v > bv {
				bi, bv = i, v
			}
		}
		if bi < 0 {
			break
		}
		sel = append(sel, bi)
		cand = append(cand, d.Words[bi]...)
		best = bv
	}
	slices.Sort(sel)
	return sel
}

// rougeNF1 is rougeN's F1 with the reference n-grams counted once.
func rougeNF1(cand []string, ref map[string]int, refTotal, n int) float64 {
	cn := ngrams(cand, n)
	overlap, ct := 0, 0
	for g, k := range cn {
		overlap += min(k, ref[g])
		ct += k
	}
	p := float64(overlap) / float64(max(ct, 1))
	r := float64(overlap) / float64(max(refTotal, 1))
	return fmeasure(p, r)
}

// Oracle is the extractive upper bound: OracleSentences against the
// article's own reference, up to the length's sentence budget. Evaluate
// gives it the reference; it is not a summarizer.
type Oracle struct{ Length Length }

// Name implements Method.
func (m Oracle) Name() string { return "oracle" + lengthSuffix(m.Length) }

// Extract implements Method; without a reference there is nothing to
// aim at, so it selects nothing. Evaluate calls ExtractFor instead.
func (m Oracle) Extract(context.Context, *Document, Embedder) ([]int, []float64, error) {
	return nil, nil, nil
}

// ExtractFor returns the oracle's sentences for the reference.
func (m Oracle) ExtractFor(d *Document, reference string) []int {
	n := 0
	for _, c := range d.Candidate {
		if c {
			n++
		}
	}
	return OracleSentences(d, reference, max(m.Length.sentenceBudget(n), 1))
}
