package inference

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Loader holds the encoder of a running server. The encoder loads in the
// background, so the server answers liveness (and readiness, with 503)
// while the model is fetched, converted and warmed up.
type Loader struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu  sync.RWMutex
	enc *Encoder
	err error // the load's failure, once done
}

// Load starts load in the background and returns at once.
func Load(ctx context.Context, load func(ctx context.Context) (*Encoder, error)) *Loader {
	ctx, cancel := context.WithCancel(ctx)
	l := &Loader{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		enc, err := load(ctx)
		l.mu.Lock()
		l.enc, l.err = enc, err
		l.mu.Unlock()
	}()
	return l
}

// Ready returns nil once the encoder is loaded and warm, ErrNotReady while
// it is loading, and the load's error if it failed.
func (l *Loader) Ready() error {
	select {
	case <-l.done:
	default:
		return ErrNotReady
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.err != nil {
		return fmt.Errorf("inference: the model failed to load: %w", l.err)
	}
	return nil
}

// Wait blocks until loading ends or ctx is done, and returns Ready's answer.
func (l *Loader) Wait(ctx context.Context) error {
	select {
	case <-l.done:
		return l.Ready()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Encode embeds texts with the loaded encoder; see Encoder.Encode.
func (l *Loader) Encode(ctx context.Context, texts []string) ([]Embedding, error) {
	if err := l.Ready(); err != nil {
		return nil, err
	}
	return l.enc.Encode(ctx, texts)
}

// ModelID names the model.
func (l *Loader) ModelID() string { return ModelID }

// Close stops a load in progress and releases the encoder.
func (l *Loader) Close() error {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.enc == nil {
		return nil
	}
	err := l.enc.Close()
	l.enc, l.err = nil, errors.New("inference: closed")
	return err
}

// Service is the encoder as the server uses it: loaded in the background
// by a Loader, with concurrent requests coalesced into batches by a
// Batcher. It is safe for concurrent use.
type Service struct {
	loader  *Loader
	batcher *Batcher
}

// NewService puts a Batcher with opts in front of loader.
func NewService(loader *Loader, opts BatcherOptions) *Service {
	return &Service{loader: loader, batcher: NewBatcher(loader.Encode, opts)}
}

// Ready reports whether the model is loaded and warm; see Loader.Ready.
func (s *Service) Ready() error { return s.loader.Ready() }

// ModelID names the model.
func (s *Service) ModelID() string { return s.loader.ModelID() }

// Encode embeds texts as part of a batch. It fails fast with ErrNotReady
// while the model loads and with ErrOverloaded when the queue is full.
func (s *Service) Encode(ctx context.Context, texts []string) ([]Embedding, error) {
	if err := s.loader.Ready(); err != nil {
		return nil, err
	}
	return s.batcher.Encode(ctx, texts)
}

// Close stops the batcher, then releases the model.
func (s *Service) Close() error {
	s.batcher.Close()
	return s.loader.Close()
}

// Embed returns the texts' embedding vectors; see Encode.
func (s *Service) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	embs, err := s.Encode(ctx, texts)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(embs))
	for i, e := range embs {
		out[i] = e.Vector
	}
	return out, nil
}
