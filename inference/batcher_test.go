package inference

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingEncoder embeds a text as [len(text)] and records batch sizes. A
// text containing "poison" fails its whole call.
type countingEncoder struct {
	mu      sync.Mutex
	batches []int
	delay   time.Duration
}

func (c *countingEncoder) encode(ctx context.Context, texts []string) ([]Embedding, error) {
	c.mu.Lock()
	c.batches = append(c.batches, len(texts))
	c.mu.Unlock()
	time.Sleep(c.delay)
	out := make([]Embedding, len(texts))
	for i, t := range texts {
		if strings.Contains(t, "poison") {
			return nil, errors.New("cannot encode poison")
		}
		out[i] = Embedding{Vector: []float32{float32(len(t))}}
	}
	return out, nil
}

func TestBatcherCoalescesConcurrentRequests(t *testing.T) {
	enc := &countingEncoder{delay: 5 * time.Millisecond}
	var sizes []int
	var mu sync.Mutex
	b := NewBatcher(enc.encode, BatcherOptions{MaxBatch: 16, MaxWait: 20 * time.Millisecond, QueueSize: 1000,
		OnBatch: func(size, _ int) { mu.Lock(); sizes = append(sizes, size); mu.Unlock() }})
	defer b.Close()

	const clients = 40
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := strings.Repeat("x", i+1)
			got, err := b.Encode(context.Background(), []string{text})
			if err != nil {
				t.Error(err)
				return
			}
			if len(got) != 1 || got[0].Vector[0] != float32(i+1) {
				t.Errorf("client %d got %v", i, got)
			}
		}()
	}
	wg.Wait()
	total, largest := 0, 0
	for _, s := range enc.batches {
		total += s
		largest = max(largest, s)
	}
	if total != clients {
		t.Fatalf("encoded %d texts for %d requests", total, clients)
	}
	if largest > 16 {
		t.Fatalf("a batch of %d exceeds MaxBatch", largest)
	}
	if len(enc.batches) > clients/4 {
		t.Fatalf("%d batches for %d concurrent requests: not coalescing (%v)", len(enc.batches), clients, enc.batches)
	}
	if len(sizes) != len(enc.batches) {
		t.Fatalf("OnBatch saw %d batches, encoder %d", len(sizes), len(enc.batches))
	}
}

func TestBatcherKeepsOrderWithinARequest(t *testing.T) {
	enc := &countingEncoder{}
	b := NewBatcher(enc.encode, BatcherOptions{MaxBatch: 4, MaxWait: time.Millisecond})
	defer b.Close()
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee", "ffffff"} // larger than MaxBatch: goes alone
	got, err := b.Encode(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if got[i].Vector[0] != float32(len(texts[i])) {
			t.Fatalf("row %d = %v", i, got[i].Vector)
		}
	}
}

// One request's failure must not fail the requests batched with it.
func TestBatcherIsolatesFailures(t *testing.T) {
	enc := &countingEncoder{}
	b := NewBatcher(enc.encode, BatcherOptions{MaxBatch: 64, MaxWait: 30 * time.Millisecond})
	defer b.Close()
	var wg sync.WaitGroup
	var failed, ok atomic.Int32
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := "fine"
			if i == 3 {
				text = "poison"
			}
			_, err := b.Encode(context.Background(), []string{text})
			if err != nil {
				failed.Add(1)
			} else {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 1 || ok.Load() != 9 {
		t.Fatalf("%d failed, %d succeeded; want exactly the poisoned one to fail", failed.Load(), ok.Load())
	}
}

func TestBatcherBackpressure(t *testing.T) {
	release := make(chan struct{})
	enc := func(ctx context.Context, texts []string) ([]Embedding, error) {
		<-release
		return make([]Embedding, len(texts)), nil
	}
	b := NewBatcher(enc, BatcherOptions{MaxBatch: 2, MaxWait: 0, QueueSize: 4})
	defer b.Close()
	defer close(release)

	// The first batch is taken into flight; then fill the queue.
	go b.Encode(context.Background(), []string{"in", "flight"})
	time.Sleep(20 * time.Millisecond)
	for range 2 {
		go b.Encode(context.Background(), []string{"queued", "queued"})
	}
	time.Sleep(20 * time.Millisecond)
	if _, err := b.Encode(context.Background(), []string{"one too many"}); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("full queue: err = %v, want ErrOverloaded", err)
	}
}

func TestBatcherHonoursCallerDeadline(t *testing.T) {
	enc := &countingEncoder{delay: 200 * time.Millisecond}
	b := NewBatcher(enc.encode, BatcherOptions{MaxBatch: 8, MaxWait: time.Millisecond})
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := b.Encode(ctx, []string{"slow"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 150*time.Millisecond {
		t.Fatal("the caller waited past its deadline")
	}
}
