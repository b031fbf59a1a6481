package summarize

import (
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
)

// Length says how long a summary may be. Requests set at most one field;
// DefaultLength sets two. The zero Length means DefaultSentences
// sentences.
type Length struct {
	// MaxSentences is the number of sentences.
	MaxSentences int `json:"max_sentences,omitempty"`
	// Ratio is a share of the article's sentences, rounded, at least one.
	Ratio float64 `json:"ratio,omitempty"`
	// MaxWords bounds the summary's words; sentences are never cut, and
	// the best-ranked sentence is returned alone if no sentence fits.
	// With MaxSentences it bounds a summary of at most that many
	// sentences.
	MaxWords int `json:"max_words,omitempty"`
}

// DefaultSentences is the summary length when no length is given.
const DefaultSentences = 3

// DefaultMaxWords is the word budget of a summary when no length is
// given: newsroom summaries are short (CNN's highlights average 51
// words, Lead-3 of CNN articles 72), and three sentences of long-sentence
// copy would otherwise run past 120 words.
const DefaultMaxWords = 75

// DefaultLength is what a request without a length control gets: up to
// DefaultSentences sentences within DefaultMaxWords words.
var DefaultLength = Length{MaxSentences: DefaultSentences, MaxWords: DefaultMaxWords}

// sentenceBudget returns how many sentences of n to pick (0 with only
// MaxWords: the word budget decides).
func (l Length) sentenceBudget(n int) int {
	switch {
	case l.MaxSentences > 0:
		return min(n, l.MaxSentences)
	case l.MaxWords > 0:
		return 0
	case l.Ratio > 0:
		return max(1, min(n, int(math.Round(l.Ratio*float64(n)))))
	}
	return min(n, DefaultSentences)
}

// Method is an extractive summarizer that Evaluate can compare.
type Method interface {
	// Name identifies the method and its length in reports.
	Name() string
	// Extract returns the indices of the sentences of d it selects, in
	// document order, with a score for each.
	Extract(ctx context.Context, d *Document, emb Embedder) ([]int, []float64, error)
}

// greedyByScore picks sentences by descending score within the length,
// then returns them in document order.
func greedyByScore(d *Document, score []float64, l Length) []int {
	order := make([]int, 0, len(score))
	for i := range score {
		if d.Candidate[i] {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return score[order[a]] > score[order[b]] })
	return takeWithin(d, order, l)
}

// takeWithin takes sentences from a ranked list within the length.
func takeWithin(d *Document, ranked []int, l Length) []int {
	var out []int
	if l.MaxWords > 0 {
		words := 0
		k := l.sentenceBudget(len(ranked))
		for _, i := range ranked {
			if k > 0 && len(out) == k {
				break
			}
			if w := d.WordCount(i); words+w <= l.MaxWords {
				out = append(out, i)
				words += w
			}
		}
		if len(out) == 0 && len(ranked) > 0 {
			out = []int{ranked[0]}
		}
	} else {
		k := l.sentenceBudget(len(ranked))
		out = append(out, ranked[:min(k, len(ranked))]...)
	}
	slices.Sort(out)
	return out
}

// Lead takes the first sentences: Lead-3 with the default length.
type Lead struct{ Length Length }

// Name implements Method.
func (m Lead) Name() string { return "lead" + lengthSuffix(m.Length) }

// Extract implements Method. Scores fall with position.
func (m Lead) Extract(_ context.Context, d *Document, _ Embedder) ([]int, []float64, error) {
	var ranked []int
	for i := range d.Sentences {
		if d.Candidate[i] {
			ranked = append(ranked, i)
		}
	}
	sel := takeWithin(d, ranked, m.Length)
	scores := make([]float64, len(sel))
	for k, i := range sel {
		scores[k] = 1 / float64(i+1)
	}
	return sel, scores, nil
}

// TextRank is Mihalcea & Tarau's (2004) extractive TextRank: sentences
// are nodes, edges are weighted by word overlap normalised by the log
// lengths, |Si ∩ Sj| / (log|Si| + log|Sj|), ranked by PageRank with
// damping 0.85; the top sentences are returned in document order.
type TextRank struct{ Length Length }

// Name implements Method.
func (m TextRank) Name() string { return "textrank" + lengthSuffix(m.Length) }

// Extract implements Method.
func (m TextRank) Extract(_ context.Context, d *Document, _ Embedder) ([]int, []float64, error) {
	pr := textRankScores(d)
	sel := greedyByScore(d, pr, m.Length)
	return sel, pick(pr, sel), nil
}

// textRankScores returns each sentence's lexical TextRank score times the
// number of sentences (1 on average).
func textRankScores(d *Document) []float64 {
	n := len(d.Sentences)
	sets := make([]map[string]bool, n)
	for i, ws := range d.Words {
		sets[i] = map[string]bool{}
		for _, w := range ws {
			if !stopwords[w] {
				sets[i][w] = true
			}
		}
	}
	w := make([][]float64, n)
	for i := range w {
		w[i] = make([]float64, n)
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			if !d.Candidate[i] || !d.Candidate[j] || len(sets[i]) < 2 || len(sets[j]) < 2 {
				continue
			}
			common := 0
			for t := range sets[i] {
				if sets[j][t] {
					common++
				}
			}
			if common == 0 {
				continue
			}
			s := float64(common) / (math.Log(float64(len(sets[i]))) + math.Log(float64(len(sets[j]))))
			w[i][j], w[j][i] = s, s
		}
	}
	pr := pageRank(w, 0.85)
	for i := range pr {
		pr[i] *= float64(n)
	}
	return pr
}

func pick(x []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = x[i]
	}
	return out
}

func lengthSuffix(l Length) string {
	switch {
	case l.MaxWords > 0 && l.MaxSentences > 0:
		return "-" + strconv.Itoa(l.MaxSentences) + "s" + strconv.Itoa(l.MaxWords) + "w"
	case l.MaxWords > 0:
		return "-" + strconv.Itoa(l.MaxWords) + "w"
	case l.Ratio > 0:
		return "-" + strconv.Itoa(int(math.Round(100*l.Ratio))) + "%"
	case l.MaxSentences > 0:
		return "-" + strconv.Itoa(l.MaxSentences)
	}
	return "-" + strconv.Itoa(DefaultSentences)
}

// stopwords are left out of TextRank's overlap and title overlap.
var stopwords = setOf("a", "an", "the", "and", "or", "but", "if", "of", "at", "by", "for", "with", "about",
	"against", "between", "into", "through", "during", "before", "after", "above", "below", "to", "from",
	"up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then", "once", "here",
	"there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more", "most", "other",
	"some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too", "very", "s", "t", "can",
	"will", "just", "don", "should", "now", "i", "me", "my", "we", "our", "you", "your", "he", "him", "his",
	"she", "her", "it", "its", "they", "them", "their", "what", "which", "who", "whom", "this", "that",
	"these", "those", "am", "is", "are", "was", "were", "be", "been", "being", "have", "has", "had", "having",
	"do", "does", "did", "doing", "would", "could", "said", "says", "say", "also", "as", "mr", "mrs", "ms",
	"year", "new", "one", "two", "m", "bn", "would", "may", "might", "must", "shall")
