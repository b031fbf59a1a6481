package topic

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadUnlabeledNews(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cnn.jsonl")
	raw := `{"id": "a", "article": "(CNN)The striker scored twice in the final.\nSecond paragraph.", "summary": "Striker wins the cup ."}
{"id": "b", "title": "Bank shares fall", "text": "one two three four five six seven"}
{"id": "c"}
`
	if err := os.WriteFile(path, []byte(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	exs, err := LoadUnlabeledNews(path, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(exs) != 2 || exs[0].Text != "Striker wins the cup . . (CNN)The striker scored twice in" ||
		exs[1].Text != "Bank shares fall . one two three four five" || exs[0].Label != "" {
		t.Errorf("unlabeled texts %+v", exs)
	}
}

// TestSelfTraining labels unlabeled articles with a trained model and
// trains again with the confident ones added to train only.
func TestSelfTraining(t *testing.T) {
	m, rep, emb := trainToy(t, VariantLR)
	unlabeled := []Example{{Text: "team coach striker match goal league", Source: "u:1"},
		{Text: "shares profit market bank stocks earnings", Source: "u:2"},
		{Text: "xyzzy plugh", Source: "u:3"}}
	texts := []string{unlabeled[0].Text, unlabeled[1].Text, unlabeled[2].Text}
	preds, err := m.Predict(context.Background(), emb, texts)
	if err != nil {
		t.Fatal(err)
	}
	if preds[0].Label != "Sports" || preds[1].Label != "Business" {
		t.Fatalf("predictions %+v", preds)
	}
	// The threshold sits between the clearest and the least clear article.
	minConf := (max(preds[0].Confidence, preds[1].Confidence) + preds[2].Confidence) / 2
	extra, err := SelfTrainExamples(context.Background(), m, emb, unlabeled, minConf)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range extra {
		i := int(ex.Source[2] - '1')
		if preds[i].Confidence < minConf || ex.Label != preds[i].Label {
			t.Errorf("pseudo-labeled %+v (prediction %+v, threshold %.3f)", ex, preds[i], minConf)
		}
	}
	if len(extra) == 0 || len(extra) == 3 {
		t.Fatalf("%d of 3 pseudo-labeled at %.3f (confidences %.3f %.3f %.3f)", len(extra), minConf, preds[0].Confidence, preds[1].Confidence, preds[2].Confidence)
	}
	m2, rep2, _ := trainToyWith(t, func(o *Options) { o.ExtraTrain = extra }, VariantLR)
	if rep2.Train != rep.Train+len(extra) || rep2.Dev != rep.Dev || m2.Training.DevHash != m.Training.DevHash {
		t.Errorf("train %d→%d, dev %d→%d: the extra examples must go to train only", rep.Train, rep2.Train, rep.Dev, rep2.Dev)
	}
	_, _, err = Train(context.Background(), emb, toyCorpus(60, 1), Options{Seed: 3, Variants: []string{VariantLR},
		ExtraTrain: []Example{{Text: "film premiere", Label: "Entertainment", Source: "u:9"}}})
	if err == nil || !strings.Contains(err.Error(), `unknown label "Entertainment"`) {
		t.Errorf("extra example with an unknown label: err = %v", err)
	}
}
