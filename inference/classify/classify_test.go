package classify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

func TestReviewRule(t *testing.T) {
	sure := topic.Uncertainty{Top: 0.95, Margin: 0.92, Entropy: 0.12}
	torn := topic.Uncertainty{Top: 0.48, Margin: 0.03, Entropy: 0.8}
	cases := []struct {
		strategy               string
		threshold              float64
		sureQueued, tornQueued bool
		tornPriority           float64
	}{
		{LeastConfidence, 0, false, true, 0.52},
		{Margin, 0, false, true, 0.97},
		{Entropy, 0, false, true, 0.8},
		{LeastConfidence, 0.99, true, true, 0.52},
		{Entropy, 0.9, false, false, 0.8},
		{Diversity, 0, false, true, 0.97}, // ranks by margin
	}
	for _, tc := range cases {
		r, err := NewReviewRule(tc.strategy, tc.threshold)
		if err != nil {
			t.Fatal(err)
		}
		if q, _ := r.Check(sure); q != tc.sureQueued {
			t.Errorf("%s@%v: sure prediction queued = %v", tc.strategy, tc.threshold, q)
		}
		q, p := r.Check(torn)
		if q != tc.tornQueued || math.Abs(p-tc.tornPriority) > 1e-9 {
			t.Errorf("%s@%v: torn prediction queued %v priority %v", tc.strategy, tc.threshold, q, p)
		}
	}
	if _, err := NewReviewRule("coin_flip", 0); err == nil {
		t.Error("unknown strategy accepted")
	}
	if _, err := NewReviewRule(Margin, 1.5); err == nil {
		t.Error("threshold above 1 accepted")
	}
}

// vecEncoder embeds "sport…" texts near e0 and everything else near e1.
type vecEncoder struct{ calls int }

func (v *vecEncoder) vec(text string) []float32 {
	out := make([]float32, inference.Dim)
	if strings.Contains(strings.ToLower(text), "sport") || strings.Contains(strings.ToLower(text), "match") {
		out[0] = 1
	} else {
		out[1] = 1
	}
	return out
}

func (v *vecEncoder) Encode(ctx context.Context, texts []string) ([]inference.Embedding, error) {
	v.calls++
	out := make([]inference.Embedding, len(texts))
	for i, t := range texts {
		out[i] = inference.Embedding{Vector: v.vec(t), Truncated: len(t) > 100}
	}
	return out, nil
}

func (v *vecEncoder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	embs, _ := v.Encode(ctx, texts)
	out := make([][]float32, len(embs))
	for i, e := range embs {
		out[i] = e.Vector
	}
	return out, nil
}

type taxonomies struct {
	version string
	lookups int
}

func (t *taxonomies) TaxonomyDefs(ctx context.Context, name string) ([]topic.TopicDef, string, error) {
	t.lookups++
	if name != "desk" {
		return nil, "", fmt.Errorf("taxonomy %s: %w", name, store.ErrNotFound)
	}
	return []topic.TopicDef{{Name: "Sport", Description: "sport and matches"}, {Name: "Other", Description: "everything else"}}, t.version, nil
}

func TestServiceTaxonomy(t *testing.T) {
	enc := &vecEncoder{}
	tax := &taxonomies{version: "1"}
	var heads int
	s := New(enc, nil, tax, func(time.Duration) { heads++ })
	docs := []Doc{{Title: "Cup", Body: "A great match"}, {Title: "Rates", Body: "The bank held rates " + strings.Repeat("x", 120)}}

	res, err := s.Classify(context.Background(), docs, "desk")
	if err != nil {
		t.Fatal(err)
	}
	if res.ModelVersion != "zeroshot:desk@1" || res.Predictions[0].Label != "Sport" || res.Predictions[1].Label != "Other" {
		t.Fatalf("result %+v", res)
	}
	if res.Truncated[0] || !res.Truncated[1] || heads != 1 {
		t.Fatalf("truncated %v, head timings %d", res.Truncated, heads)
	}
	callsAfterBuild := enc.calls
	if _, err := s.Classify(context.Background(), docs, "desk"); err != nil {
		t.Fatal(err)
	}
	if enc.calls != callsAfterBuild+1 {
		t.Fatalf("the unchanged taxonomy was rebuilt: %d encoder calls", enc.calls-callsAfterBuild)
	}
	tax.version = "2"
	res, _ = s.Classify(context.Background(), docs, "desk")
	if res.ModelVersion != "zeroshot:desk@2" || enc.calls != callsAfterBuild+3 {
		t.Fatalf("an edited taxonomy was not rebuilt: %s, %d calls", res.ModelVersion, enc.calls-callsAfterBuild)
	}
	if _, err := s.Classify(context.Background(), docs, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown taxonomy: %v", err)
	}
}

func TestServiceDefaultModel(t *testing.T) {
	m, err := topic.Default()
	if err != nil {
		t.Fatal(err)
	}
	s := New(&vecEncoder{}, m, &taxonomies{}, nil)
	res, err := s.Classify(context.Background(), []Doc{{Title: "t", Body: "b"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.ModelVersion != topic.DefaultVersion || len(res.Predictions[0].Scores) != 4 {
		t.Fatalf("result %+v", res)
	}
}

func TestDocText(t *testing.T) {
	if got := (Doc{Title: " Cup ", Body: "Won. "}).Text(); got != "Cup . Won." {
		t.Errorf("%q", got)
	}
	if got := (Doc{Body: "Only body"}).Text(); got != "Only body" {
		t.Errorf("%q", got)
	}
}
