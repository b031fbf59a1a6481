// Package classify serves topic predictions: it embeds articles through
// the shared encoder service (so they are batched with every other
// request), applies the served topic model or, for a custom taxonomy, a
// zero-shot model built from its definitions, and decides which
// predictions need a human review.
package classify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/topic"
)

// Encoder embeds texts, reporting truncation; *inference.Service is one.
type Encoder interface {
	Encode(ctx context.Context, texts []string) ([]inference.Embedding, error)
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Taxonomies looks up custom taxonomies by name. Version changes whenever
// the taxonomy's definitions do.
type Taxonomies interface {
	TaxonomyDefs(ctx context.Context, name string) (defs []topic.TopicDef, version string, err error)
}

// Doc is one article to classify.
type Doc struct {
	Title string
	Body  string
}

// Text is how a Doc is shown to the model: the AG News training format,
// title then body.
func (d Doc) Text() string {
	title, body := strings.TrimSpace(d.Title), strings.TrimSpace(d.Body)
	if title == "" {
		return body
	}
	return title + " . " + body
}

// Result is the classification of a batch of docs.
type Result struct {
	// ModelVersion names the model that produced the predictions: the
	// topic model's ID, or "zeroshot:<taxonomy>@<version>".
	ModelVersion string
	Predictions  []topic.Prediction
	// Truncated flags docs longer than the encoder reads.
	Truncated []bool
	// Vectors are the docs' embeddings; the review queue keeps them for
	// diversity sampling.
	Vectors [][]float32
}

// Service classifies docs. It is safe for concurrent use.
type Service struct {
	enc Encoder
	// model is swapped whole by SetModel while requests read it: each
	// Classify call loads it once and uses that model throughout.
	model      atomic.Pointer[topic.Model]
	taxonomies Taxonomies
	onHead     func(d time.Duration)

	mu        sync.Mutex
	zeroShots map[string]zeroShot // by taxonomy name
}

type zeroShot struct {
	version string
	model   *topic.Model
}

// New returns a Service serving model, with custom taxonomies from tax.
// onHead, if set, is told how long each batch's head (the part after the
// encoder) took.
func New(enc Encoder, model *topic.Model, tax Taxonomies, onHead func(time.Duration)) *Service {
	s := &Service{enc: enc, taxonomies: tax, onHead: onHead, zeroShots: map[string]zeroShot{}}
	s.model.Store(model)
	return s
}

// Model returns the served topic model.
func (s *Service) Model() *topic.Model { return s.model.Load() }

// SetModel replaces the served topic model. Requests in flight finish with
// the model they started with; later ones get m.
func (s *Service) SetModel(m *topic.Model) { s.model.Store(m) }

// ColdStart reports whether the served model is in its cold start
// (see ColdStart): trained on fewer than ColdStartPerTopic examples per
// topic. A model without a training record is not.
func (s *Service) ColdStart() bool {
	m := s.model.Load()
	if m == nil || m.Training == nil {
		return false
	}
	return ColdStart(m.Training.Train+m.Training.Dev, len(m.Labels))
}

// ModelVersion names the served topic model, for readiness reports.
func (s *Service) ModelVersion() string { return s.model.Load().ID() }

// Classify predicts the topic of each doc with the served model or, when
// taxonomy is not empty, against that custom taxonomy.
func (s *Service) Classify(ctx context.Context, docs []Doc, taxonomy string) (Result, error) {
	var (
		model   *topic.Model
		version string
		err     error
	)
	if taxonomy == "" {
		model = s.model.Load()
		version = model.ID()
	} else if model, version, err = s.zeroShot(ctx, taxonomy); err != nil {
		return Result{}, err
	}
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = topic.Normalize(d.Text())
	}
	embs, err := s.enc.Encode(ctx, texts)
	if err != nil {
		return Result{}, err
	}
	start := time.Now()
	vecs := make([][]float32, len(embs))
	res := Result{ModelVersion: version, Truncated: make([]bool, len(embs)), Vectors: vecs}
	for i, e := range embs {
		vecs[i], res.Truncated[i] = e.Vector, e.Truncated
	}
	if res.Predictions, err = model.PredictEmbedded(vecs, texts); err != nil {
		return Result{}, fmt.Errorf("classify: %w", err)
	}
	if s.onHead != nil {
		s.onHead(time.Since(start))
	}
	return res, nil
}

// zeroShot returns the zero-shot model of a taxonomy, building it when
// the taxonomy is new or has changed since it was last built.
func (s *Service) zeroShot(ctx context.Context, name string) (*topic.Model, string, error) {
	defs, version, err := s.taxonomies.TaxonomyDefs(ctx, name)
	if err != nil {
		return nil, "", err
	}
	id := "zeroshot:" + name + "@" + version
	s.mu.Lock()
	zs, ok := s.zeroShots[name]
	s.mu.Unlock()
	if ok && zs.version == version {
		return zs.model, id, nil
	}
	m, err := topic.NewZeroShot(ctx, s.enc, defs, topic.ZeroShotOptions{
		Name: name, Version: id, EncoderID: inference.ModelID})
	if err != nil {
		return nil, "", fmt.Errorf("classify: taxonomy %s: %w", name, err)
	}
	s.mu.Lock()
	s.zeroShots[name] = zeroShot{version: version, model: m}
	s.mu.Unlock()
	return m, id, nil
}
