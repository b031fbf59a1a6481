package inference

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/newsintel/newsintel/inference/internal/testenv"
)

// BenchmarkEmbedBatch32 embeds the 32 texts (mean 48 tokens) that
// testdata/reference/bench.js times with the JS reference, and reports
// docs/s.
func BenchmarkEmbedBatch32(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(testenv.Root(), "testdata", "bench_inputs.json"))
	if err != nil {
		b.Fatal(err)
	}
	var texts []string
	if err := json.Unmarshal(raw, &texts); err != nil {
		b.Fatal(err)
	}
	e, err := Open(context.Background(), buildFolder(b, nil))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	if _, err := e.Embed(ctx, texts); err != nil { // compile for this shape
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "docs/s")
}
