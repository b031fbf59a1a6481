package summarize

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
)

// MinEmbedWords is the fewest words a sentence needs to be embedded and
// be a candidate: shorter fragments ("Why?", bylines, "- Oil") are almost
// never in a reference summary and skipping them saves encoder time.
// Time stamps and publishing lines are not candidates either (isStamp).
const MinEmbedWords = 4

// stampRE matches the time stamps and publishing lines that web copy
// carries into article text ("12:03 EST, 5 May 2013", "PUBLISHED: …",
// "Last updated at …").
var stampRE = regexp.MustCompile(`(?i)\b\d{1,2}:\d{2}\s*(?:[ap]\.?m\.?\s*)?(?:EST|EDT|GMT|BST|UTC|CET|PST|PDT)\b|\b(?:PUBLISHED|UPDATED|Last updated)\b\s*(?::|at\b)`)

// isStamp reports whether a sentence is a dateline or publishing stamp
// rather than prose: short, with a time stamp or a publishing label. A
// real sentence that mentions a time ("the blast at 10:30 EST killed
// four people, police said") is longer than that.
func isStamp(text string, words int) bool { return words < 10 && stampRE.MatchString(text) }

// MaxCandidates bounds how many sentences of a long text are candidates
// (the first ones): it bounds the encoder cost of one request.
const MaxCandidates = 120

// Document is an article prepared for extraction: its sentences, their
// tokens and, once Embed has run, their embeddings. Methods share it, so
// an article is split and embedded once however many methods run on it.
type Document struct {
	Title     string
	Sentences []Sentence
	// Words holds each sentence's ROUGE tokens (lower-case [a-z0-9] runs).
	Words [][]string
	// Candidate marks sentences that may be selected and are embedded.
	Candidate []bool

	// Emb holds the embeddings of candidate sentences (nil for others)
	// and TitleEmb the title's, after Embed.
	Emb      [][]float32
	TitleEmb []float32
	embedded bool
}

// NewDocument splits text and marks its candidate sentences.
func NewDocument(title, text string) *Document {
	d := &Document{Title: strings.TrimSpace(title), Sentences: Split(text)}
	d.Words = make([][]string, len(d.Sentences))
	d.Candidate = make([]bool, len(d.Sentences))
	nc := 0
	for i, s := range d.Sentences {
		d.Words[i] = Tokens(s.Text, RougeOptions{})
		if len(d.Words[i]) >= MinEmbedWords && nc < MaxCandidates && !isStamp(s.Text, len(d.Words[i])) {
			d.Candidate[i] = true
			nc++
		}
	}
	if nc == 0 {
		// Only short fragments: they are all candidates.
		for i := range d.Candidate {
			if i < MaxCandidates {
				d.Candidate[i] = true
			}
		}
	}
	return d
}

// embedTexts lists what Embed sends to the encoder: the title, if any,
// then the candidate sentences.
func (d *Document) embedTexts() []string {
	var texts []string
	if d.Title != "" {
		texts = append(texts, d.Title)
	}
	for i, s := range d.Sentences {
		if d.Candidate[i] {
			texts = append(texts, s.Text)
		}
	}
	return texts
}

// Embed embeds the title and the candidate sentences in one call to emb,
// once.
func (d *Document) Embed(ctx context.Context, emb Embedder) error {
	if d.embedded {
		return nil
	}
	texts := d.embedTexts()
	if len(texts) == 0 {
		d.embedded = true
		return nil
	}
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		return err
	}
	if len(vecs) != len(texts) {
		return fmt.Errorf("summarize: encoder returned %d embeddings for %d texts", len(vecs), len(texts))
	}
	if d.Title != "" {
		d.TitleEmb, vecs = vecs[0], vecs[1:]
	}
	d.Emb = make([][]float32, len(d.Sentences))
	k := 0
	for i := range d.Sentences {
		if d.Candidate[i] {
			d.Emb[i] = vecs[k]
			k++
		}
	}
	d.embedded = true
	return nil
}

// WordCount is the number of ROUGE tokens of sentence i.
func (d *Document) WordCount(i int) int { return len(d.Words[i]) }

func dot(a, b []float32) float64 {
	if a == nil || b == nil {
		return 0
	}
	var s float32
	for i := range a {
		s += a[i] * b[i]
	}
	return float64(s)
}

// simMatrix returns the cosine similarities between candidate
// sentences (0 for non-candidates); embeddings are unit length.
func (d *Document) simMatrix() [][]float64 {
	n := len(d.Sentences)
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			s := dot(d.Emb[i], d.Emb[j])
			m[i][j], m[j][i] = s, s
		}
	}
	return m
}

// pageRank runs PageRank with damping 0.85 on a weighted undirected graph
// (negative weights are dropped), as TextRank does.
func pageRank(w [][]float64, damping float64) []float64 {
	n := len(w)
	if n == 0 {
		return nil
	}
	out := make([]float64, n)
	for i := range n {
		for j := range n {
			if i != j && w[i][j] > 0 {
				out[i] += w[i][j]
			}
		}
	}
	pr := make([]float64, n)
	next := make([]float64, n)
	for i := range pr {
		pr[i] = 1 / float64(n)
	}
	for range 100 {
		delta := 0.0
		for i := range n {
			s := 0.0
			for j := range n {
				if j != i && w[j][i] > 0 && out[j] > 0 {
					s += w[j][i] / out[j] * pr[j]
				}
			}
			next[i] = (1-damping)/float64(n) + damping*s
		}
		// Dangling nodes (no edges) keep the teleport mass only; the
		// ranking, not the normalisation, is what is used.
		for i := range n {
			delta += math.Abs(next[i] - pr[i])
		}
		pr, next = next, pr
		if delta < 1e-8 {
			break
		}
	}
	return pr
}

// zscores standardises x over the entries where ok is true (0 elsewhere).
func zscores(x []float64, ok []bool) []float64 {
	var sum, sq float64
	n := 0
	for i, v := range x {
		if ok[i] {
			sum += v
			n++
		}
	}
	out := make([]float64, len(x))
	if n == 0 {
		return out
	}
	mean := sum / float64(n)
	for i, v := range x {
		if ok[i] {
			sq += (v - mean) * (v - mean)
		}
	}
	sd := math.Sqrt(sq / float64(n))
	if sd < 1e-9 {
		return out
	}
	for i, v := range x {
		if ok[i] {
			out[i] = (v - mean) / sd
		}
	}
	return out
}

// ranks returns each candidate's rank by x, descending, divided by the
// number of candidates (0 = best); non-candidates get 1.
func ranks(x []float64, ok []bool) []float64 {
	var idx []int
	for i := range x {
		if ok[i] {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return x[idx[a]] > x[idx[b]] })
	out := make([]float64, len(x))
	for i := range out {
		out[i] = 1
	}
	for r, i := range idx {
		out[i] = float64(r) / float64(len(idx))
	}
	return out
}
