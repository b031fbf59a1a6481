package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/internal/testenv"
	"github.com/newsintel/newsintel/inference/topic"
)

// BenchmarkClassify measures what a user waits for per article: encoder
// and topic model together (Service.Classify), on the 64 "news" texts of
// inference/testdata/bench_sets.json (a title and a lead each), one
// request per article and in batches of 32. It runs the built-in model
// and, to compare candidates in the same run, every artifact folder listed
// in $TOPIC_BENCH_MODELS (comma-separated); "encoder" is the encoder alone,
// the floor under every model:
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
	perArticle := func(b *testing.B, batch int, run func([]Doc) error) {
		n := 0
		for b.Loop() {
			for lo := 0; lo < len(docs); lo += batch {
				part := docs[lo:min(lo+batch, len(docs))]
				if err := run(part); err != nil {
					b.Fatal(err)
				}
				n += len(part)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()*1000/float64(n), "ms/article")
	}
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprintf("encoder/batch=%d", batch), func(b *testing.B) {
			perArticle(b, batch, func(part []Doc) error {
				texts := make([]string, len(part))
				for i, d := range part {
					texts[i] = topic.Normalize(d.Text())
				}
				_, err := enc.Encode(ctx, texts)
				return err
			})
		})
		for i, m := range models {
			svc := New(enc, m, nil, nil)
			b.Run(fmt.Sprintf("%s/batch=%d", names[i], batch), func(b *testing.B) {
				perArticle(b, batch, func(part []Doc) error {
					_, err := svc.Classify(ctx, part, "")
					return err
				})
			})
		}
	}
}
