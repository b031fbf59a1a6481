package summarize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// MaxTextBytes is the longest article Summarize accepts.
const MaxTextBytes = 200_000

// Request asks for the summary of one article. At most one of
// MaxSentences, Ratio and MaxWords may be set; with none, the summary has
// up to DefaultSentences sentences within DefaultMaxWords words
// (DefaultLength).
type Request struct {
	Text  string `json:"text"`
	Title string `json:"title,omitempty"`
	// MaxSentences is the number of sentences (fewer if the article is
	// shorter).
	MaxSentences int `json:"max_sentences,omitempty"`
	// Ratio is the share of the article's sentences to keep, in (0, 1].
	Ratio float64 `json:"ratio,omitempty"`
	// MaxWords bounds the summary's words (ROUGE tokens); whole sentences
	// only, so the best sentence comes alone if none fits.
	MaxWords int `json:"max_words,omitempty"`
}

// Length returns the request's length controls, DefaultLength if it has
// none.
func (r Request) Length() Length {
	l := Length{MaxSentences: r.MaxSentences, Ratio: r.Ratio, MaxWords: r.MaxWords}
	if l == (Length{}) {
		return DefaultLength
	}
	return l
}

// Selected is one sentence of a summary.
type Selected struct {
	// Index is the sentence's position among the article's sentences as
	// Split returns them.
	Index int    `json:"index"`
	Text  string `json:"text"`
	// Start and End are byte offsets into Request.Text.
	Start int `json:"start"`
	End   int `json:"end"`
	// Score is the scorer's probability that the sentence belongs in a
	// summary.
	Score float64 `json:"score"`
}

// Summary is an extractive summary.
type Summary struct {
	// Text is the selected sentences in document order, joined by spaces.
	Text string `json:"text"`
	// Sentences are the selected sentences in document order.
	Sentences []Selected `json:"sentences"`
	// ArticleSentences is how many sentences the article was split into.
	ArticleSentences int `json:"article_sentences"`
	// WholeText reports that the summary is the whole article: it has
	// one sentence worth summarising, or the request asked for all of
	// them (ratio 1).
	WholeText bool `json:"whole_text"`
	// Version names the method, scorer and encoder that made the summary.
	Version string `json:"version"`
}

// ValidationError reports an invalid Request field; the HTTP layer
// answers it with 422. Field is the JSON name of the field.
type ValidationError struct {
	Field   string
	Message string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("summarize: invalid %s: %s", e.Field, e.Message)
}

// IsValidation reports whether err is (or wraps) a *ValidationError.
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

// Validate checks a request.
func (r Request) Validate() error {
	switch {
	case strings.TrimSpace(r.Text) == "":
		return &ValidationError{"text", "is empty"}
	case len(r.Text) > MaxTextBytes:
		return &ValidationError{"text", fmt.Sprintf("is %d bytes, more than %d", len(r.Text), MaxTextBytes)}
	case !utf8.ValidString(r.Text):
		return &ValidationError{"text", "is not valid UTF-8"}
	case !utf8.ValidString(r.Title):
		return &ValidationError{"title", "is not valid UTF-8"}
	case len(r.Title) > 2000:
		return &ValidationError{"title", "is longer than 2000 bytes"}
	case r.MaxSentences < 0:
		return &ValidationError{"max_sentences", "is negative"}
	case r.MaxSentences > MaxCandidates:
		return &ValidationError{"max_sentences", fmt.Sprintf("is more than %d", MaxCandidates)}
	case math.IsNaN(r.Ratio) || r.Ratio < 0 || r.Ratio > 1:
		return &ValidationError{"ratio", "must be in (0, 1]"}
	case r.MaxWords < 0:
		return &ValidationError{"max_words", "is negative"}
	}
	var set []string
	if r.MaxSentences > 0 {
		set = append(set, "max_sentences")
	}
	if r.Ratio > 0 {
		set = append(set, "ratio")
	}
	if r.MaxWords > 0 {
		set = append(set, "max_words")
	}
	if len(set) > 1 {
		return &ValidationError{set[1], "set together with " + set[0] + "; give at most one length control"}
	}
	return nil
}

// Summarizer makes summaries with an Embedder and a learned Scorer. It is
// safe for concurrent use if its Embedder is.
type Summarizer struct {
	emb     Embedder
	scorer  *Scorer
	modelID string
	cascade Learned // Shortlist, Stage1 and EmbedWords
}

// New returns a Summarizer with the default scorer. The default scorer
// is lexical and never calls emb; an embedding scorer (NewWithScorer)
// does, and modelID names its encoder in Summary.Version.
func New(emb Embedder, modelID string) (*Summarizer, error) {
	s, err := DefaultScorer()
	if err != nil {
		return nil, err
	}
	return NewWithScorer(emb, modelID, s), nil
}

// NewWithScorer is New with a given scorer and no shortlist: every
// candidate sentence is embedded.
func NewWithScorer(emb Embedder, modelID string, s *Scorer) *Summarizer {
	return &Summarizer{emb: emb, scorer: s, modelID: modelID}
}

// WithShortlist returns a copy of s that embeds only the k sentences that
// the lexical scorer stage1 ranks highest (see Learned.Shortlist); k = 0
// embeds every candidate.
func (s *Summarizer) WithShortlist(k int, stage1 *Scorer) *Summarizer {
	c := *s
	c.cascade = Learned{}
	if k > 0 {
		c.cascade = Cascade(nil, stage1, Length{})
		c.cascade.Shortlist = k
	}
	return &c
}

// Version names the method, scorer and encoder.
func (s *Summarizer) Version() string {
	if c := s.cascade; c.Shortlist > 0 && !s.scorer.Lexical {
		return fmt.Sprintf("learned-mmr/2 shortlist=%d embed_words=%d stage1=%s scorer=%s encoder=%s",
			c.Shortlist, c.EmbedWords, c.Stage1.Version, s.scorer.Version, s.modelID)
	}
	if s.scorer.Lexical {
		return "learned/3 scorer=" + s.scorer.Version
	}
	return "learned-mmr/1 scorer=" + s.scorer.Version + " encoder=" + s.modelID
}

// Summarize returns an extractive summary of req.Text. The title and the
// article's shortlisted sentences (or, without a shortlist, all of them
// up to MaxCandidates, without fragments under MinEmbedWords words) go
// through the Embedder in one call.
func (s *Summarizer) Summarize(ctx context.Context, req Request) (Summary, error) {
	if err := req.Validate(); err != nil {
		return Summary{}, err
	}
	d := NewDocument(req.Title, req.Text)
	m := s.cascade
	m.Scorer, m.Length = s.scorer, req.Length()
	sum := Summary{ArticleSentences: len(d.Sentences), Version: s.Version(), Sentences: []Selected{}}
	if len(d.Sentences) == 0 {
		return Summary{}, &ValidationError{"text", "has no sentences"}
	}
	sel, scores, err := m.Extract(ctx, d, s.emb)
	if err != nil {
		return Summary{}, fmt.Errorf("summarize: %w", err)
	}
	sel, scores, sum.WholeText = notWholeText(d, sel, scores, req.Ratio == 1)
	texts := make([]string, len(sel))
	for k, i := range sel {
		st := d.Sentences[i]
		sum.Sentences = append(sum.Sentences, Selected{Index: i, Text: st.Text, Start: st.Start, End: st.End, Score: scores[k]})
		texts[k] = st.Text
	}
	sum.Text = strings.Join(texts, " ")
	return sum, nil
}

// notWholeText keeps a short article from coming back word for word as
// its own summary: when the selection is every candidate sentence of an
// article that has more than one, only the best-scored sentence is kept
// (in news, usually the lead), unless all were asked for (ratio 1). It
// reports whether the summary is still the whole article.
func notWholeText(d *Document, sel []int, scores []float64, all bool) ([]int, []float64, bool) {
	n := 0
	for _, c := range d.Candidate {
		if c {
			n++
		}
	}
	if len(sel) < n || len(sel) == 0 {
		return sel, scores, false
	}
	if all || len(sel) == 1 {
		return sel, scores, true
	}
	best := 0
	for k := range scores {
		if scores[k] > scores[best] {
			best = k
		}
	}
	return sel[best : best+1], scores[best : best+1], false
}
