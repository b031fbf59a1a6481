package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/internal/testenv"
	"github.com/newsintel/newsintel/inference/topic"
)

// BenchmarkClassify measures what a user waits for per article: encoder
// and topic model together (Service.Classify), on the 64 "news" texts of
// inference/testdata/bench_sets.json (a title and a lead each), one
// request per article and in batches of 32, reporting one ms/article
// metric per model. It runs the built-in model and, to compare candidates
// in the same run, every artifact folder listed in $TOPIC_BENCH_MODELS
// (comma-separated); "encoder" is the encoder alone, the floor under every
// model, and head/<model> the model alone on precomputed embeddings:
//
//	TOPIC_BENCH_MODELS=/tmp/a,/tmp/b GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd \
//	  go test -run '^$' -bench Classify -benchtime 3x ./inference/classify
func BenchmarkClassify(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(testenv.Root(), "testdata", "bench_sets.json"))
	if err != nil {
		b.Fatal(err)
	}
	var sets map[string][]string
	if err := json.Unmarshal(raw, &sets); err != nil {
		b.Fatal(err)
	}
	docs := make([]Doc, len(sets["news"]))
	for i, t := range sets["news"] {
		docs[i] = Doc{Body: t}
	}
	ctx := context.Background()
	dir, err := inference.EnsureModel(ctx, inference.FetchOptions{Dir: testenv.ModelsDir()})
	if err != nil {
		b.Fatal(err)
	}
	enc, err := inference.Open(ctx, dir)
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	if err := enc.Warm(ctx); err != nil {
		b.Fatal(err)
	}
	def, err := topic.Default()
	if err != nil {
		b.Fatal(err)
	}
	models := []*topic.Model{def}
	names := []string{"builtin-" + def.ID()}
	for _, d := range strings.Split(os.Getenv("TOPIC_BENCH_MODELS"), ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		m, err := topic.Load(d)
		if err != nil {
			b.Fatal(err)
		}
		models, names = append(models, m), append(names, filepath.Base(d))
	}
	// Every model classifies each batch in turn, so that all of them see
	// the same machine state: the shared machines' load drifts by tens of
	// percent within a minute, far more than the models differ.
	encodeOnly := func(part []Doc) error {
		texts := make([]string, len(part))
		for i, d := range part {
			texts[i] = topic.Normalize(d.Text())
		}
		_, err := enc.Encode(ctx, texts)
		return err
	}
	runs := []func([]Doc) error{encodeOnly}
	for _, m := range models {
		svc := New(enc, m, nil, nil)
		runs = append(runs, func(part []Doc) error {
			_, err := svc.Classify(ctx, part, "")
			return err
		})
	}
	names = append([]string{"encoder"}, names...)
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			spent := make([]time.Duration, len(runs))
			n := 0
			for b.Loop() {
				for lo := 0; lo < len(docs); lo += batch {
					part := docs[lo:min(lo+batch, len(docs))]
					for i, run := range runs {
						t0 := time.Now()
						if err := run(part); err != nil {
							b.Fatal(err)
						}
						spent[i] += time.Since(t0)
					}
					n += len(part)
				}
			}
			for i, name := range names {
				b.ReportMetric(spent[i].Seconds()*1000/float64(n), name+"-ms/article")
			}
		})
	}
	// The model alone, on embeddings computed once: what a model adds to
	// the encoder, measured without the encoder's noise.
	texts := make([]string, len(docs))
	for i, d := range docs {
		texts[i] = topic.Normalize(d.Text())
	}
	vecs, err := enc.Embed(ctx, texts)
	if err != nil {
		b.Fatal(err)
	}
	for i, m := range models {
		// Warm up: the first pass over a model's weights faults them in.
		if _, err := m.PredictEmbedded(vecs, texts); err != nil {
			b.Fatal(err)
		}
		b.Run("head/"+names[i+1], func(b *testing.B) {
			n := 0
			for b.Loop() {
				for j := range texts {
					if _, err := m.PredictEmbedded(vecs[j:j+1], texts[j:j+1]); err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(n), "ms/article")
		})
	}
}
