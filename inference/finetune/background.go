package finetune

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/newsintel/newsintel/store"
)

// ErrClosed is returned by Background.Start once the server is stopping.
var ErrClosed = errors.New("finetune: the server is shutting down")

// Background runs fine-tunes in a server process, detached from the
// requests that start them: a run outlives its request, and ends (recorded
// as failed) when the server shuts down.
type Background struct {
	ft  *Finetuner
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelCauseFunc

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	// done, when set, is told of each finished run (tests).
	done func(*Report, error)
}

// NewBackground returns a Background running ft's fine-tunes.
func NewBackground(ft *Finetuner, log *slog.Logger) *Background {
	ctx, cancel := context.WithCancelCause(context.Background())
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Background{ft: ft, log: log, ctx: ctx, cancel: cancel}
}

// OnDone sets a function told of every finished run, for tests and logs.
// Call it before the first Start.
func (b *Background) OnDone(fn func(*Report, error)) { b.done = fn }

// Start takes the fine-tune lock with ctx (the request's) and runs the
// fine-tune in the background. It returns the started run, or the lock's
// *store.RunningError.
func (b *Background) Start(ctx context.Context, opts Options) (store.TrainingRun, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return store.TrainingRun{}, ErrClosed
	}
	run, err := b.ft.Start(ctx, opts)
	if err != nil {
		return run, err
	}
	b.log.Info("fine-tune started", slog.Int64("run", run.ID), slog.String("triggered_by", opts.TriggeredBy),
		slog.String("base_version", run.BaseVersion), slog.Bool("force", opts.Force), slog.Bool("dry_run", opts.DryRun))
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		rep, err := b.ft.Execute(b.ctx, run, opts)
		if b.done != nil {
			b.done(rep, err)
		}
	}()
	return run, nil
}

// Close cancels the running fine-tune, if any, and waits until it has
// recorded its end. Later Starts fail with ErrClosed.
func (b *Background) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.cancel(ErrClosed)
	b.wg.Wait()
}
