package summarize

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// DefaultShortlist is how many sentences the cascade embeds for a summary
// of up to four sentences. With the title that makes 8 texts, which the
// encoder runs as two groups of 4, one per core: about half the encoder
// time of a 300-word article embedded whole (see README.md, Latency).
const DefaultShortlist = 7

// DefaultEmbedWords is how many words of a shortlisted sentence the
// cascade embeds: long sentences would otherwise set the padded length of
// their group (see README.md for its effect on ROUGE).
const DefaultEmbedWords = 20

// Cascade returns the method New's Summarizer runs: scorer on the
// DefaultShortlist sentences that the lexical stage1 ranks highest, each
// embedded from its first DefaultEmbedWords words.
func Cascade(scorer, stage1 *Scorer, l Length) Learned {
	return Learned{Scorer: scorer, Length: l, Shortlist: DefaultShortlist, Stage1: stage1, EmbedWords: DefaultEmbedWords}
}

// shortlistSize returns how many of the candidates ranked by stage-1
// relevance (order, best first) the cascade embeds for length l: at least
// base, and half as many again as the summary needs, so that MMR still has
// alternatives to a redundant sentence.
func shortlistSize(d *Document, order []int, base int, l Length) int {
	need := l.sentenceBudget(len(order))
	if l.MaxWords > 0 {
		words := 0
		for k, i := range order {
			need = k + 1
			words += d.WordCount(i)
			if words >= l.MaxWords {
				break
			}
		}
	}
	return min(len(order), max(base, need+(need+1)/2))
}

// cascade is Learned.Extract with a shortlist: the encoder-free Stage1
// scorer ranks every candidate, only the best Shortlist sentences (and the
// title) are embedded, and the embedding scorer and MMR choose among them.
// Embedding features are computed among the shortlist; lexical ones over
// the whole article.
func (m Learned) cascade(ctx context.Context, d *Document, emb Embedder) ([]int, []float64, error) {
	if m.Stage1 == nil || !m.Stage1.Lexical {
		return nil, nil, errors.New("summarize: a shortlist needs a lexical Stage1 scorer")
	}
	short, nc := m.shortlist(d)
	sub, err := d.embedShortlist(ctx, emb, short, m.EmbedWords)
	if err != nil {
		return nil, nil, err
	}
	return m.selectShortlisted(sub, short, nc)
}

// shortlist returns, in document order, the candidates of d that the
// Stage1 scorer ranks highest, and the number of candidates.
func (m Learned) shortlist(d *Document) (short []int, candidates int) {
	p1 := Learned{Scorer: m.Stage1}.Probs(d)
	rel1 := Relevance(d, p1, m.Stage1.LengthExponent)
	var order []int
	for i := range d.Sentences {
		if d.Candidate[i] {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rel1[a] > rel1[b]:
			return -1
		case rel1[a] < rel1[b]:
			return 1
		}
		return 0
	})
	short = slices.Clone(order[:shortlistSize(d, order, m.Shortlist, m.Length)])
	slices.Sort(short)
	return short, len(order)
}

// selectShortlisted scores the shortlisted sentences of sub (embedded by
// embedShortlist) and picks the summary among them by MMR.
func (m Learned) selectShortlisted(sub *Document, short []int, nc int) ([]int, []float64, error) {
	all := m.Probs(sub)
	p := make([]float64, len(all))
	for _, i := range short {
		p[i] = all[i]
	}
	lambda := m.Scorer.MMRLambda
	if m.Lambda != 0 {
		lambda = m.Lambda
	}
	// The budget counts every candidate, so that a Ratio means the same
	// share of the article as without a shortlist.
	rel := Relevance(sub, p, m.Scorer.LengthExponent)
	sel := mmr(sub, short, m.Length.sentenceBudget(nc), rel, lambda, m.Length)
	return sel, pick(p, sel), nil
}

// embedShortlist returns a view of d in which only the sentences idx (and
// the title) have embeddings, each sentence embedded from its first
// maxWords words (all of them if 0). They are taken from d if it was
// embedded already (another method of an evaluation did it) and nothing
// is cut, else from one Embed call for just those texts.
func (d *Document) embedShortlist(ctx context.Context, emb Embedder, idx []int, maxWords int) (*Document, error) {
	sub := &Document{Title: d.Title, Sentences: d.Sentences, Words: d.Words, Candidate: d.Candidate,
		Emb: make([][]float32, len(d.Sentences)), embedded: true}
	if d.embedded && maxWords == 0 {
		sub.TitleEmb = d.TitleEmb
		for _, i := range idx {
			if d.Emb != nil {
				sub.Emb[i] = d.Emb[i]
			}
		}
		return sub, nil
	}
	var texts []string
	if d.Title != "" {
		texts = append(texts, d.Title)
	}
	for _, i := range idx {
		texts = append(texts, firstWords(d.Sentences[i].Text, maxWords))
	}
	if len(texts) == 0 {
		return sub, nil
	}
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("summarize: encoder returned %d embeddings for %d texts", len(vecs), len(texts))
	}
	if d.Title != "" {
		sub.TitleEmb, vecs = vecs[0], vecs[1:]
	}
	for k, i := range idx {
		sub.Emb[i] = vecs[k]
	}
	return sub, nil
}

// firstWords returns s up to the end of its n-th white-space separated
// word (all of s if n is 0 or s is shorter).
func firstWords(s string, n int) string {
	if n <= 0 {
		return s
	}
	inWord := false
	for i, r := range s {
		space := unicode.IsSpace(r)
		if !space && !inWord {
			if n == 0 {
				return strings.TrimRightFunc(s[:i], unicode.IsSpace)
			}
			n--
		}
		inWord = !space
	}
	return s
}
