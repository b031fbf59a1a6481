package topic

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/internal/testenv"
)

// TestDefaultModelRealEncoder classifies obvious headlines with the
// committed default model through the real encoder.
func TestDefaultModelRealEncoder(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if m.EncoderID != inference.ModelID {
		t.Fatalf("the default model was trained on encoder %q; this build runs %q", m.EncoderID, inference.ModelID)
	}
	ctx := context.Background()
	dir, err := inference.EnsureModel(ctx, inference.FetchOptions{Dir: testenv.ModelsDir(), Progress: os.Stderr})
	if err != nil {
		t.Fatalf("cannot get the encoder: %v", err)
	}
	enc, err := inference.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	tests := []struct{ text, want string }{
		{"Manchester United beat Chelsea 2-1 to go top of the Premier League", "Sports"},
		{"Federer wins third Wimbledon title in straight sets", "Sports"},
		{"Stocks fall as oil prices hit record high; Dow drops 150 points", "Business"},
		{"Quarterly profit at Wal-Mart rises 10 percent, beating analysts' estimates", "Business"},
		{"Microsoft releases security update for Windows XP to fix Internet Explorer flaw", "Sci/Tech"},
		{"NASA probe sends back first images of Saturn's moon Titan", "Sci/Tech"},
		{"Iraqi prime minister meets UN envoy as insurgents attack Baghdad police", "World"},
		{"Israeli troops kill two Palestinian militants in Gaza raid", "World"},
		{"Peace talks on Sudan #39;s Darfur region resume in Nigeria", "World"},
	}
	texts := make([]string, len(tests))
	for i, tt := range tests {
		texts[i] = tt.text
	}
	preds, err := m.Predict(ctx, enc, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		p := preds[i]
		if p.Label != tt.want {
			t.Errorf("%q: %s (%.2f), want %s; scores %v", tt.text, p.Label, p.Confidence, tt.want, p.Scores)
		}
		if p.Confidence < 0.5 || !sumTo1(p.Scores) {
			t.Errorf("%q: confidence %.3f, scores %v", tt.text, p.Confidence, p.Scores)
		}
	}
}

// TestDefaultModelProvenance checks the committed model's record: its
// training data hash is that of the shared AG News subsets split as Train
// splits them, and its recorded dev metrics hold up.
func TestDefaultModelProvenance(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tr := m.Training
	if tr == nil || tr.Options == nil || tr.Command == "" || m.Metrics == nil || m.CreatedAt.IsZero() || len(m.Variants) == 0 {
		t.Fatalf("the default model does not describe its training: %+v", m.Meta)
	}
	if m.Metrics.Accuracy < 0.88 || m.Metrics.N != tr.Dev {
		t.Errorf("recorded dev accuracy %.4f over %d examples", m.Metrics.Accuracy, m.Metrics.N)
	}
	st, err := os.Stat(filepath.Join("models", DefaultModelDir, WeightsFile))
	if err != nil || st.Size() > 3<<20 {
		t.Errorf("the weights file is %v bytes (%v), want under 3 MiB", st.Size(), err)
	}
	dir := sharedData(t)
	exs, dedup, err := LoadAGNews(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := *tr.Options
	opts.Dedup = &dedup
	sp, err := SplitExamples(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := DataHash(sp.All); got != tr.DataHash {
		t.Errorf("the shared data hashes to %s; the model was trained on %s", got, tr.DataHash)
	}
	if got := DataHash(sp.Dev); got != tr.DevHash {
		t.Errorf("the dev split hashes to %s; the model's is %s", got, tr.DevHash)
	}
}

// TestDefaultModelOnSharedDev classifies part of the default model's dev
// split through the real encoder: the accuracy recorded in the artifact
// must hold on real inference.
func TestDefaultModelOnSharedDev(t *testing.T) {
	if testing.Short() {
		t.Skip("embeds 220 texts")
	}
	dir := sharedData(t)
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	exs, dedup, err := LoadAGNews(dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := *m.Training.Options
	opts.Dedup = &dedup
	sp, err := SplitExamples(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	encDir, err := inference.EnsureModel(ctx, inference.FetchOptions{Dir: testenv.ModelsDir(), Progress: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := inference.Open(ctx, encDir)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	emb := enc
	// Every 8th dev example: about 220 of them, all four labels.
	var sample []Example
	for i := 0; i < len(sp.Dev); i += 8 {
		sample = append(sample, sp.Dev[i])
	}
	met, _, err := EvaluateModel(ctx, m, emb, sample, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("accuracy %.4f on %d dev examples (recorded on all %d: %.4f)", met.Accuracy, met.N, m.Metrics.N, m.Metrics.Accuracy)
	// The recorded accuracy minus about three standard errors of a
	// 220-example sample.
	if met.Accuracy < m.Metrics.Accuracy-0.06 {
		t.Errorf("accuracy %.4f on a dev sample; the artifact records %.4f\n%s", met.Accuracy, m.Metrics.Accuracy, met.Table())
	}
}

// TestBuiltin loads every embedded model by its ID; the default is the
// newest, and an unknown ID is refused.
func TestBuiltin(t *testing.T) {
	for _, v := range BuiltinVersions {
		m, err := Builtin(v)
		if err != nil || m.ID() != v {
			t.Fatalf("Builtin(%q): %v, %v", v, m, err)
		}
	}
	if BuiltinVersions[len(BuiltinVersions)-1] != DefaultVersion {
		t.Errorf("the default %s is not the newest built-in model (%v)", DefaultVersion, BuiltinVersions)
	}
	m, err := Default()
	if err != nil || m.ID() != DefaultVersion {
		t.Fatalf("Default: %v, %v", m, err)
	}
	if _, err := Builtin("agnews-v9"); err == nil || !strings.Contains(err.Error(), DefaultVersion) {
		t.Errorf("Builtin of an unknown version: %v", err)
	}
}
