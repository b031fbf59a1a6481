package inference

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrOverloaded is returned when the inference queue is full: the caller
// should retry later rather than wait without limit.
var ErrOverloaded = errors.New("inference: the queue is full")

// encodeFunc is what the Batcher coalesces calls to.
type encodeFunc func(ctx context.Context, texts []string) ([]Embedding, error)

// BatcherOptions tunes a Batcher.
type BatcherOptions struct {
	// MaxBatch is the most texts sent to the encoder in one call.
	MaxBatch int
	// MaxWait is how long the first request of a batch waits for others to
	// join it.
	MaxWait time.Duration
	// QueueSize bounds the texts waiting to be encoded; past it, Encode
	// fails at once with ErrOverloaded.
	QueueSize int
	// OnBatch, if set, is told the size of each batch run and how many
	// texts were still queued.
	OnBatch func(size, queued int)
}

// Batcher coalesces concurrent Encode calls into encoder batches: the
// encoder's cost per text falls steeply with batch size, so many
// single-article requests served together finish sooner than one by one.
// It is safe for concurrent use.
type Batcher struct {
	encode encodeFunc
	opts   BatcherOptions

	mu     sync.Mutex
	queue  []*job
	queued int // texts in queue
	wake   chan struct{}
	closed bool
	done   chan struct{}
}

type job struct {
	at    time.Time // when it was queued
	ctx   context.Context
	texts []string
	out   chan jobResult
}

type jobResult struct {
	embs []Embedding
	err  error
}

// NewBatcher starts a Batcher in front of encode. Close stops it.
func NewBatcher(encode func(ctx context.Context, texts []string) ([]Embedding, error), opts BatcherOptions) *Batcher {
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 64
	}
	if opts.QueueSize < opts.MaxBatch {
		opts.QueueSize = opts.MaxBatch
	}
	b := &Batcher{encode: encode, opts: opts, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go b.loop()
	return b
}

// Encode embeds texts, in order, as part of whatever batch is being
// gathered. It fails with ErrOverloaded when the queue is full.
func (b *Batcher) Encode(ctx context.Context, texts []string) ([]Embedding, error) {
	if len(texts) == 0 {
		return nil, nil
	}
	j := &job{at: time.Now(), ctx: ctx, texts: texts, out: make(chan jobResult, 1)}
	b.mu.Lock()
	switch {
	case b.closed:
		b.mu.Unlock()
		return nil, errors.New("inference: batcher closed")
	case b.queued > 0 && b.queued+len(texts) > b.opts.QueueSize:
		// An empty queue takes any request, so one larger than the queue
		// is not refused forever.
		b.mu.Unlock()
		return nil, ErrOverloaded
	}
	b.queue = append(b.queue, j)
	b.queued += len(texts)
	select { // under mu: Close closes wake under mu too
	case b.wake <- struct{}{}:
	default:
	}
	b.mu.Unlock()
	select {
	case r := <-j.out:
		return r.embs, r.err
	case <-ctx.Done():
		return nil, ctx.Err() // the loop skips or discards the job
	}
}

// Close stops the batcher after the batch in flight; queued requests fail.
func (b *Batcher) Close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.closed = true
	close(b.wake)
	b.mu.Unlock()
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, j := range b.queue {
		j.out <- jobResult{err: errors.New("inference: batcher closed")}
	}
	b.queue, b.queued = nil, 0
}

func (b *Batcher) loop() {
	defer close(b.done)
	for range b.wake {
		for {
			batch := b.gather()
			if batch == nil {
				break
			}
			b.run(batch)
		}
	}
}

// gather takes up to MaxBatch texts' worth of queued jobs once there are
// that many or the oldest has waited MaxWait. A job larger than MaxBatch
// goes alone; the encoder splits it.
func (b *Batcher) gather() []*job {
	for {
		b.mu.Lock()
		if len(b.queue) == 0 || b.closed {
			b.mu.Unlock()
			return nil
		}
		wait := time.Until(b.queue[0].at.Add(b.opts.MaxWait))
		if b.queued >= b.opts.MaxBatch || wait <= 0 {
			n, size := 0, 0
			for n < len(b.queue) && (n == 0 || size+len(b.queue[n].texts) <= b.opts.MaxBatch) {
				size += len(b.queue[n].texts)
				n++
			}
			batch := b.queue[:n:n]
			b.queue = b.queue[n:]
			b.queued -= size
			if b.opts.OnBatch != nil {
				b.opts.OnBatch(size, b.queued)
			}
			b.mu.Unlock()
			return batch
		}
		b.mu.Unlock()
		select {
		case <-b.wake: // a request arrived, or Close: look again
		case <-time.After(wait):
		}
	}
}

// run encodes a batch. If the batch fails, each job is retried alone, so
// one request's failure is not its neighbours'.
func (b *Batcher) run(batch []*job) {
	live := batch[:0:0]
	var texts []string
	for _, j := range batch {
		if j.ctx.Err() != nil {
			j.out <- jobResult{err: j.ctx.Err()}
			continue
		}
		live = append(live, j)
		texts = append(texts, j.texts...)
	}
	if len(live) == 0 {
		return
	}
	// The batch serves several requests, so no one request's deadline may
	// cut it short; each caller still stops waiting at its own deadline.
	embs, err := b.encode(context.Background(), texts)
	if err != nil && len(live) > 1 {
		for _, j := range live {
			e, err := b.encode(j.ctx, j.texts)
			j.out <- jobResult{embs: e, err: err}
		}
		return
	}
	if err != nil {
		live[0].out <- jobResult{err: err}
		return
	}
	for _, j := range live {
		j.out <- jobResult{embs: embs[:len(j.texts):len(j.texts)]}
		embs = embs[len(j.texts):]
	}
}
