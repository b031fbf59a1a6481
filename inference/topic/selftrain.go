package topic

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// LoadUnlabeledNews reads unlabeled articles from a JSON Lines file for
// self-training: each text is a headline (the "title" field, else
// "summary") and a lead (the first paragraph of "article", else "text",
// cut to leadWords words), joined as AG News joins a title and a
// description.
func LoadUnlabeledNews(path string, leadWords int) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("topic: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	var out []Example
	for line := 1; sc.Scan(); line++ {
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		src := fmt.Sprintf("%s:%d", filepath.Base(path), line)
		var rec map[string]any
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			return nil, fmt.Errorf("topic: %s: %w", src, err)
		}
		field := func(names ...string) string {
			for _, n := range names {
				if s, ok := rec[n].(string); ok && strings.TrimSpace(s) != "" {
					return s
				}
			}
			return ""
		}
		lead, _, _ := strings.Cut(strings.TrimSpace(field("article", "text")), "\n")
		if ws := strings.Fields(lead); len(ws) > leadWords {
			lead = strings.Join(ws[:leadWords], " ")
		}
		if text := ArticleText(field("title", "summary"), lead); text != "" {
			out = append(out, Example{Text: text, Source: src})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("topic: %s: %w", path, err)
	}
	return out, nil
}

// SelfTrainExamples labels unlabeled articles with m and returns those it
// predicts with at least minConfidence, labeled so, to be added to the
// training split of the next run (Options.ExtraTrain). Confident
// predictions are mostly right and move the decision boundary towards
// the unlabeled articles' style.
func SelfTrainExamples(ctx context.Context, m *Model, emb Embedder, unlabeled []Example, minConfidence float64) ([]Example, error) {
	texts := make([]string, len(unlabeled))
	for i, ex := range unlabeled {
		texts[i] = ex.Text
	}
	preds, err := m.Predict(ctx, emb, texts)
	if err != nil {
		return nil, fmt.Errorf("topic: self-training: %w", err)
	}
	var out []Example
	for i, p := range preds {
		if p.Confidence >= minConfidence {
			ex := unlabeled[i]
			ex.Label = p.Label
			out = append(out, ex)
		}
	}
	return out, nil
}
