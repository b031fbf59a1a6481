package topic

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// mapEmbedder returns fixed vectors for known texts.
type mapEmbedder map[string][]float32

func (m mapEmbedder) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		v, ok := m[t]
		if !ok {
			return nil, fmt.Errorf("no vector for %q", t)
		}
		out[i] = v
	}
	return out, nil
}

func TestZeroShotToyVectors(t *testing.T) {
	r := float32(1 / math.Sqrt2)
	emb := mapEmbedder{
		"Alpha: the first":      {1, 0, 0},
		"Beta: the second":      {0, 1, 0},
		"a beta example":        {0, r, r},
		"Gamma":                 {0, 0, -1},
		"query near alpha":      {1, 0, 0},
		"query between":         {0, 0, 1},
		"query opposite of all": {-1, -1, 1},
	}
	topics := []TopicDef{
		{Name: "Alpha", Description: "the first"},
		{Name: "Beta", Description: "the second", Examples: []string{"a beta example", "  "}},
		{Name: "Gamma"},
	}
	m, err := NewZeroShot(context.Background(), emb, topics, ZeroShotOptions{EncoderID: "toy"})
	if err != nil {
		t.Fatal(err)
	}
	// Beta's prototype is the unit mean of (0,1,0) and (0,r,r).
	bn := math.Sqrt(math.Pow(1+1/math.Sqrt2, 2) + 0.5)
	cosBetaZ := (1 / math.Sqrt2) / bn
	tests := []struct {
		text   string
		label  string
		scores []float64 // Alpha, Beta, Gamma
	}{
		{"query near alpha", "Alpha", softmaxT([]float64{20, 0, 0}, 1)},
		{"query between", "Beta", softmaxT([]float64{0, 20 * cosBetaZ, -20}, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			preds, err := m.Predict(context.Background(), emb, []string{tt.text})
			if err != nil {
				t.Fatal(err)
			}
			p := preds[0]
			if p.Label != tt.label {
				t.Errorf("label %s, want %s (%v)", p.Label, tt.label, p.Scores)
			}
			for k, l := range []string{"Alpha", "Beta", "Gamma"} {
				if math.Abs(p.Scores[l]-tt.scores[k]) > 1e-6 {
					t.Errorf("score of %s = %.6f, want %.6f", l, p.Scores[l], tt.scores[k])
				}
			}
		})
	}
	// A zero-shot model saves and loads like any other.
	dir := filepath.Join(t.TempDir(), "zs")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := m.Predict(context.Background(), emb, []string{"query opposite of all"})
	b, err := loaded.Predict(context.Background(), emb, []string{"query opposite of all"})
	if err != nil || a[0].Label != b[0].Label || math.Abs(a[0].Confidence-b[0].Confidence) > 1e-6 {
		t.Errorf("loaded zero-shot model: %+v %v, want %+v", b, err, a)
	}
	if loaded.Descriptions["Beta"] != "the second" {
		t.Errorf("descriptions %v", loaded.Descriptions)
	}
}

func TestZeroShotErrors(t *testing.T) {
	emb := mapEmbedder{}
	tests := []struct {
		name   string
		topics []TopicDef
		want   string
	}{
		{"one topic", []TopicDef{{Name: "A"}}, "at least two"},
		{"repeated name", []TopicDef{{Name: "A"}, {Name: " A "}}, "repeated"},
		{"empty name", []TopicDef{{Name: "A"}, {Name: ""}}, "empty"},
		{"embedder fails", []TopicDef{{Name: "A"}, {Name: "B"}}, "no vector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewZeroShot(context.Background(), emb, tt.topics, ZeroShotOptions{}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFitTemperature(t *testing.T) {
	// Scores that are right 75% of the time with a margin of 1: the
	// calibrated temperature makes the top probability 0.75, i.e.
	// sigmoid(1/t) = 0.75, t = 1/ln 3.
	var z [][]float64
	var y []int
	for i := range 400 {
		z = append(z, []float64{1, 0})
		y = append(y, map[bool]int{true: 0, false: 1}[i%4 != 0])
	}
	if got, want := fitTemperature(z, y), 1/math.Log(3); math.Abs(got-want) > 1e-3 {
		t.Errorf("temperature %.4f, want %.4f", got, want)
	}
}
