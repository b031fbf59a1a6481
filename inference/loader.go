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
