package topic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// trainToy trains a small model on the toy corpus with the fake embedder.
func trainToy(t *testing.T, variants ...string) (*Model, *Report, *fakeEmbedder) {
	t.Helper()
	return trainToyWith(t, func(*Options) {}, variants...)
}

// trainToyWith is trainToy with edited options.
func trainToyWith(t *testing.T, edit func(*Options), variants ...string) (*Model, *Report, *fakeEmbedder) {
	t.Helper()
	emb := &fakeEmbedder{dim: 24}
	var stages []string
	opts := Options{Seed: 3, Variants: variants, HashBits: 10, MLPHidden: 16, MLPEpochs: 15,
		ZeroShot: []TopicDef{
			{Name: "Sports", Description: "match goal team coach league"},
			{Name: "Business", Description: "shares profit market bank stocks"},
			{Name: "World", Description: "minister election troops president talks"},
		},
		Progress: func(stage string, done, total int) {
			if done > total {
				t.Errorf("progress %s: %d of %d", stage, done, total)
			}
			if len(stages) == 0 || stages[len(stages)-1] != stage {
				stages = append(stages, stage)
			}
		}}
	edit(&opts)
	m, rep, err := Train(context.Background(), emb, toyCorpus(60, 1), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(stages, "embed") || !slices.Contains(stages, "calibrate") {
		t.Errorf("progress stages %q lack embed or calibrate", stages)
	}
	return m, rep, emb
}

func TestTrainToy(t *testing.T) {
	m, rep, emb := trainToy(t)
	if rep.Train+rep.Dev != 180 || rep.Dev != 18 {
		t.Errorf("train %d dev %d, want 162 and 18", rep.Train, rep.Dev)
	}
	if emb.texts != 180+3 {
		t.Errorf("embedded %d texts, want each example and each topic definition once (183)", emb.texts)
	}
	if rep.DevMetrics.Accuracy < 0.9 {
		t.Errorf("dev accuracy %.3f on the toy corpus", rep.DevMetrics.Accuracy)
	}
	names := map[string]bool{}
	for _, v := range rep.Variants {
		names[v.Name] = true
		if v.Accuracy < 0 || v.Accuracy > 1 {
			t.Errorf("variant %+v", v)
		}
	}
	for _, want := range DefaultVariants {
		if !names[want] {
			t.Errorf("no result for variant %s in %v", want, names)
		}
	}
	if !names[rep.Chosen] {
		t.Errorf("chosen %q is not among the variants", rep.Chosen)
	}
	if rep.ZeroShot == nil || rep.ZeroShot.Accuracy < 0.6 {
		t.Errorf("zero-shot result %+v", rep.ZeroShot)
	}
	if m.Training == nil || len(m.Training.DataHash) != 64 || m.Training.Seed != 3 || m.EncoderID != "fake-24" || m.Metrics == nil {
		t.Errorf("provenance missing: %+v", m.Meta)
	}
	if !slices.Equal(m.Labels, []string{"Business", "Sports", "World"}) {
		t.Errorf("labels %q", m.Labels)
	}
	preds, err := m.Predict(context.Background(), emb, []string{"the striker scored a goal for the team", "bank shares and stocks fell on the market"})
	if err != nil {
		t.Fatal(err)
	}
	if preds[0].Label != "Sports" || preds[1].Label != "Business" {
		t.Errorf("predictions %+v", preds)
	}
	for _, p := range preds {
		if !sumTo1(p.Scores) || len(p.Scores) != 3 || p.Scores[p.Label] != p.Confidence || math.Abs(p.Uncertainty.Top-p.Confidence) > 1e-12 {
			t.Errorf("prediction %+v is inconsistent", p)
		}
	}
}

func TestTrainDeterministic(t *testing.T) {
	m1, r1, _ := trainToy(t, VariantLR, VariantHash, VariantLRHash)
	m2, r2, _ := trainToy(t, VariantLR, VariantHash, VariantLRHash)
	if r1.Chosen != r2.Chosen || r1.DevMetrics.Accuracy != r2.DevMetrics.Accuracy || m1.Temperature != m2.Temperature {
		t.Errorf("two runs with one seed differ: %s %.4f %.4f vs %s %.4f %.4f", r1.Chosen, r1.DevMetrics.Accuracy, m1.Temperature, r2.Chosen, r2.DevMetrics.Accuracy, m2.Temperature)
	}
	b1, _ := m1.encode()
	b2, _ := m2.encode()
	if !bytes.Equal(b1, b2) {
		t.Error("two runs with one seed wrote different weights")
	}
}

func TestTrainErrors(t *testing.T) {
	emb := &fakeEmbedder{dim: 8}
	tests := []struct {
		name    string
		exs     []Example
		opts    Options
		fail    error
		wantErr string
	}{
		{"one label", []Example{{Text: "a", Label: "x"}, {Text: "b", Label: "x"}}, Options{}, nil, "two labels"},
		{"empty text", []Example{{Text: " ", Label: "x"}}, Options{}, nil, "empty text"},
		{"unknown variant", toyCorpus(5, 1), Options{Variants: []string{"svm"}}, nil, "unknown variant"},
		{"label outside Labels", toyCorpus(5, 1), Options{Labels: []string{"Sports", "World"}}, nil, "not one of"},
		{"embedder fails", toyCorpus(5, 1), Options{}, errFake, errFake.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emb.fail = tt.fail
			_, _, err := Train(context.Background(), emb, tt.exs, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		variant string
		idf     bool
	}{{VariantMLPHash, false}, {VariantJoint, true}, {VariantLRHash, true}, {VariantLR, false}} {
		t.Run(fmt.Sprintf("%s idf=%v", tt.variant, tt.idf), func(t *testing.T) {
			m, _, emb := trainToyWith(t, func(o *Options) { o.HashNoIDF = !tt.idf }, tt.variant)
			dir := filepath.Join(t.TempDir(), "model")
			if err := m.Save(dir); err != nil {
				t.Fatal(err)
			}
			loaded, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			if hasIDF := strings.Contains(fmt.Sprint(loaded.Tensors), ".idf"); hasIDF != tt.idf {
				t.Errorf("idf tensor present: %v, want %v (%v)", hasIDF, tt.idf, loaded.Tensors)
			}
			texts := []string{"the coach said the league match", "oil prices and earnings", "troops at the border #39;s", ""}
			want, err := m.Predict(context.Background(), emb, texts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := loaded.Predict(context.Background(), emb, texts)
			if err != nil {
				t.Fatal(err)
			}
			// Train measured the model with its stored precision, so the
			// reloaded model predicts exactly the same.
			for i := range want {
				if got[i].Label != want[i].Label || math.Abs(got[i].Confidence-want[i].Confidence) > 1e-9 {
					t.Errorf("text %d: loaded model says %+v, trained one %+v", i, got[i], want[i])
				}
			}
			if loaded.Training.DataHash != m.Training.DataHash || !loaded.CreatedAt.Equal(m.CreatedAt) || loaded.Temperature != m.Temperature {
				t.Error("metadata changed in the round trip")
			}
			// The same folder through an fs.FS.
			fsys := fstest.MapFS{}
			for _, name := range []string{MetaFile, WeightsFile} {
				raw, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				fsys["models/x/"+name] = &fstest.MapFile{Data: raw}
			}
			if _, err := LoadFS(fsys, "models/x"); err != nil {
				t.Fatal(err)
			}
			// PredictEmbedded with the caller's embeddings agrees.
			norm := make([]string, len(texts))
			for i, s := range texts {
				norm[i] = Normalize(s)
			}
			vecs, _ := emb.Embed(context.Background(), norm)
			again, err := loaded.PredictEmbedded(vecs, texts)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if again[i].Label != got[i].Label || again[i].Confidence != got[i].Confidence {
					t.Errorf("PredictEmbedded %+v, Predict %+v", again[i], got[i])
				}
			}
		})
	}
}

func TestLoadRejectsDamage(t *testing.T) {
	m, _, _ := trainToy(t, VariantLR)
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	meta, _ := os.ReadFile(filepath.Join(dir, MetaFile))
	weights, _ := os.ReadFile(filepath.Join(dir, WeightsFile))
	edit := func(f func(map[string]any)) []byte {
		var v map[string]any
		if err := json.Unmarshal(meta, &v); err != nil {
			t.Fatal(err)
		}
		f(v)
		raw, _ := json.Marshal(v)
		return raw
	}
	flipped := slices.Clone(weights)
	flipped[10] ^= 1
	tests := []struct {
		name          string
		meta, weights []byte
		wantErr       string
	}{
		{"flipped weight bit", meta, flipped, "checksum"},
		{"truncated weights", meta, weights[:len(weights)-4], "checksum"},
		{"other format", edit(func(v map[string]any) { v["format"] = "newsintel-topic/0" }), weights, "format"},
		{"other normaliser", edit(func(v map[string]any) { v["normalizer"] = "none" }), weights, "normaliser"},
		{"bad json", []byte("{"), weights, MetaFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{MetaFile: {Data: tt.meta}, WeightsFile: {Data: tt.weights}}
			if _, err := LoadFS(fsys, "."); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestPredictEmbeddedChecksWidth(t *testing.T) {
	m, _, _ := trainToy(t, VariantLR)
	if _, err := m.PredictEmbedded([][]float32{make([]float32, 5)}, []string{"x"}); err == nil {
		t.Error("accepted an embedding of the wrong width")
	}
	if _, err := m.PredictEmbedded(nil, []string{"x"}); err == nil {
		t.Error("accepted missing embeddings")
	}
}

func TestFloat16(t *testing.T) {
	tests := []struct {
		in   float32
		want float32
	}{
		{0, 0}, {1, 1}, {-2.5, -2.5}, {65504, 65504}, {1e6, float32(math.Inf(1))},
		{0.1, 0.0999755859375}, {1.0 / 3, 0.333251953125}, {6e-8, 5.960464477539063e-08}, {1e-9, 0},
		{1.00048828125, 1}, // halfway between 1 and the next half: rounds to even
	}
	for _, tt := range tests {
		if got := f16ToF32(f32ToF16(tt.in)); got != tt.want {
			t.Errorf("f16(%g) = %g, want %g", tt.in, got, tt.want)
		}
	}
	if !math.IsNaN(float64(f16ToF32(f32ToF16(float32(math.NaN()))))) {
		t.Error("NaN is lost")
	}
}

func TestSaveWritesCard(t *testing.T) {
	m, _, _ := trainToyWith(t, func(o *Options) { o.Command = "topic-train -seed 3" }, VariantLR, VariantHash, VariantLRHash)
	dir := t.TempDir()
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, ReadmeFile))
	if err != nil {
		t.Fatal(err)
	}
	card := string(raw)
	for _, want := range []string{"topic-train -seed 3", "| lr+hash |", "| lr l2=", "macro-F1", m.Training.DataHash, "zero-shot"} {
		if !strings.Contains(card, want) {
			t.Errorf("the model card lacks %q:\n%s", want, card)
		}
	}
}

func TestChoose(t *testing.T) {
	c := func(name string, heads int, acc, loss float64) candidate {
		return candidate{name: name, heads: make([]*Head, heads), v: Variant{Accuracy: acc, LogLoss: loss}}
	}
	tests := []struct {
		name         string
		cands        []candidate
		minGain      float64
		chosen, best string
	}{
		{"best wins by a margin", []candidate{c("a", 1, 0.90, 0.3), c("a+b", 2, 0.92, 0.3)}, 0.005, "a+b", "a+b"},
		{"fewer heads within the margin", []candidate{c("a", 1, 0.917, 0.3), c("a+b", 2, 0.92, 0.3)}, 0.005, "a", "a+b"},
		{"no margin", []candidate{c("a", 1, 0.917, 0.3), c("a+b", 2, 0.92, 0.3)}, 0, "a+b", "a+b"},
		{"the better of equal sizes", []candidate{c("a+b+c", 3, 0.921, 0.3), c("a+b", 2, 0.917, 0.3), c("b+c", 2, 0.919, 0.3), c("a", 1, 0.90, 0.3)}, 0.005, "b+c", "a+b+c"},
		{"ties go to the lower loss", []candidate{c("a", 1, 0.9, 0.4), c("b", 1, 0.9, 0.3)}, 0, "b", "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ci, bi := choose(tt.cands, tt.minGain)
			if tt.cands[ci].name != tt.chosen || tt.cands[bi].name != tt.best {
				t.Errorf("chose %s (best %s), want %s (best %s)", tt.cands[ci].name, tt.cands[bi].name, tt.chosen, tt.best)
			}
		})
	}
}

func TestEvaluateModel(t *testing.T) {
	m, _, emb := trainToy(t, VariantLR)
	exs := toyCorpus(300, 99)[:700] // more than one batch; held-out draws
	var done []int
	met, preds, err := EvaluateModel(context.Background(), m, emb, exs, func(d, total int) {
		if total != len(exs) {
			t.Errorf("progress total %d", total)
		}
		done = append(done, d)
	})
	if err != nil {
		t.Fatal(err)
	}
	if met.N != len(exs) || len(preds) != len(exs) || !slices.Equal(done, []int{512, 700}) {
		t.Fatalf("n %d, %d predictions, progress %v", met.N, len(preds), done)
	}
	right := 0
	for i, p := range preds {
		if p.Label == exs[i].Label {
			right++
		}
	}
	if want := float64(right) / float64(len(exs)); met.Accuracy != want || met.Accuracy < 0.8 {
		t.Errorf("accuracy %.4f, predictions say %.4f", met.Accuracy, want)
	}
	emb.fail = errFake
	if _, _, err := EvaluateModel(context.Background(), m, emb, exs, nil); err == nil {
		t.Error("no error from a failing embedder")
	}
}
