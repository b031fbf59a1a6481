package topic

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// TopicDef defines a topic of a custom taxonomy by its name, a short
// description and, optionally, a few example texts.
type TopicDef struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Examples    []string `json:"examples,omitempty"`
}

// DefaultZeroShotScale multiplies cosine similarities before the softmax
// when ZeroShotOptions.Scale is 0: a temperature of 0.05. Sentence
// embeddings of related texts differ by a few hundredths of cosine, so a
// temperature of 1 would give near-uniform probabilities.
const DefaultZeroShotScale = 20

// ZeroShotOptions configures NewZeroShot.
type ZeroShotOptions struct {
	Name    string
	Version string
	// EncoderID names the encoder emb runs (inference.ModelID).
	EncoderID string
	// Scale is 1/temperature; DefaultZeroShotScale if 0.
	Scale float64
}

// defText is the text that stands for a topic's definition.
func (d TopicDef) defText() string {
	if d.Description == "" {
		return Normalize(d.Name)
	}
	return Normalize(d.Name + ": " + d.Description)
}

// NewZeroShot builds a model that classifies by embedding similarity to
// topic definitions: each topic's prototype is the normalised mean of the
// unit embeddings of "name: description" and of its examples, and a
// text's score for a topic is its cosine similarity to the prototype
// times the scale, soft-maxed over topics.
func NewZeroShot(ctx context.Context, emb Embedder, topics []TopicDef, opts ZeroShotOptions) (*Model, error) {
	if len(topics) < 2 {
		return nil, errors.New("topic: a taxonomy needs at least two topics")
	}
	seen := map[string]bool{}
	var texts []string
	var owner []int
	for k, t := range topics {
		name := strings.TrimSpace(t.Name)
		if name == "" || seen[name] {
			return nil, fmt.Errorf("topic: topic %d: empty or repeated name %q", k, t.Name)
		}
		seen[name] = true
		texts = append(texts, t.defText())
		owner = append(owner, k)
		for _, ex := range t.Examples {
			if ex = Normalize(ex); ex != "" {
				texts = append(texts, ex)
				owner = append(owner, k)
			}
		}
	}
	vecs, err := emb.Embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(texts) || len(vecs[0]) == 0 {
		return nil, fmt.Errorf("topic: got %d embeddings for %d texts", len(vecs), len(texts))
	}
	protos := prototypes(vecs, owner, len(topics))
	scale := opts.Scale
	if scale == 0 {
		scale = DefaultZeroShotScale
	}
	m := &Model{Meta: Meta{
		Format: Format, Name: opts.Name, Version: opts.Version,
		EncoderID: opts.EncoderID, EncoderDim: len(vecs[0]), Normalizer: NormalizerVersion,
		CreatedAt: time.Now().UTC(), Temperature: 1, Descriptions: map[string]string{},
		Heads: []*Head{{Name: "prototype", Kind: HeadPrototype, Embedding: true, Scale: scale, Weight: 1, proto: protos}},
	}}
	if m.Name == "" {
		m.Name = "zero-shot"
	}
	for _, t := range topics {
		m.Labels = append(m.Labels, strings.TrimSpace(t.Name))
		m.Descriptions[strings.TrimSpace(t.Name)] = t.Description
	}
	return m, nil
}

// prototypes averages the unit-normalised vectors of each owner and
// normalises the means.
func prototypes(vecs [][]float32, owner []int, k int) [][]float32 {
	d := len(vecs[0])
	sums := make([][]float64, k)
	for i := range sums {
		sums[i] = make([]float64, d)
	}
	for i, v := range vecs {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		n = math.Sqrt(n)
		if n == 0 {
			continue
		}
		for j, x := range v {
			sums[owner[i]][j] += float64(x) / n
		}
	}
	out := make([][]float32, k)
	for i, s := range sums {
		n := l2(s)
		out[i] = make([]float32, d)
		for j, x := range s {
			if n > 0 {
				out[i][j] = float32(x / n)
			}
		}
	}
	return out
}

// fitTemperature returns the temperature t in [0.05, 20] minimising the
// mean cross-entropy of softmax(z/t) against y (golden-section search on
// log t).
func fitTemperature(z [][]float64, y []int) float64 {
	if len(z) == 0 {
		return 1
	}
	nll := func(logT float64) float64 {
		t := math.Exp(logT)
		var s float64
		for i, zi := range z {
			p := softmaxT(zi, t)
			s -= math.Log(math.Max(p[y[i]], 1e-15))
		}
		return s / float64(len(z))
	}
	a, b := math.Log(0.05), math.Log(20)
	phi := (math.Sqrt(5) - 1) / 2
	c, d := b-phi*(b-a), a+phi*(b-a)
	fc, fd := nll(c), nll(d)
	for range 60 {
		if fc < fd {
			b, d, fd = d, c, fc
			c = b - phi*(b-a)
			fc = nll(c)
		} else {
			a, c, fc = c, d, fd
			d = a + phi*(b-a)
			fd = nll(d)
		}
	}
	return math.Exp((a + b) / 2)
}

// AGNewsTopics define the AG News classes for zero-shot classification:
// their names with a one-line description each.
var AGNewsTopics = []TopicDef{
	{Name: "World", Description: "international news about politics, governments, elections, wars, conflicts and diplomacy around the world"},
	{Name: "Sports", Description: "sports news about games, matches, teams, players, coaches, leagues, tournaments and championships"},
	{Name: "Business", Description: "business and economy news about companies, markets, stocks, earnings, deals, oil prices, jobs and trade"},
	{Name: "Sci/Tech", Description: "science and technology news about computers, software, the internet, phones, space, research and health science"},
}
