package classify

import (
	"context"
	"sync"
	"testing"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/topic"
)

// lockedEncoder is vecEncoder made safe for concurrent calls, as the real
// encoder service is.
type lockedEncoder struct {
	mu  sync.Mutex
	enc vecEncoder
}

func (l *lockedEncoder) Encode(ctx context.Context, texts []string) ([]inference.Embedding, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.enc.Encode(ctx, texts)
}

func (l *lockedEncoder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.enc.Embed(ctx, texts)
}

// TestSetModel swaps the served model while requests run: each request
// sees one model or the other, and requests after the swap see the new one.
func TestSetModel(t *testing.T) {
	old, err := topic.Default()
	if err != nil {
		t.Fatal(err)
	}
	next, err := topic.Default()
	if err != nil {
		t.Fatal(err)
	}
	next.Version = "swapped"
	s := New(&lockedEncoder{}, old, &taxonomies{}, nil)
	docs := []Doc{{Title: "t", Body: "b"}}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				res, err := s.Classify(context.Background(), docs, "")
				if err != nil || (res.ModelVersion != topic.DefaultVersion && res.ModelVersion != "agnews-vswapped") {
					t.Errorf("during the swap: %v %q", err, res.ModelVersion)
					return
				}
			}
		}()
	}
	s.SetModel(next)
	wg.Wait()
	res, err := s.Classify(context.Background(), docs, "")
	if err != nil || res.ModelVersion != "agnews-vswapped" || s.ModelVersion() != "agnews-vswapped" || s.Model() != next {
		t.Fatalf("after the swap: %v %q", err, res.ModelVersion)
	}
}
