// Package summarize builds extractive summaries of news articles: it
// splits an article into sentences, scores them from sentence embeddings
// (centrality, position, title similarity, length) with a small scorer
// learned from BBC News Summary, and picks the best with MMR redundancy
// control. It also has the Lead-3 and TextRank baselines and ROUGE.
package summarize

import (
	"context"
)

// Embedder turns texts into unit-length sentence embeddings, one per
// text, in order. *inference.Encoder is one.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}
