package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/embcache"
	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/web"
)

// ensureBuiltin registers the embedded model and, when no version is
// active yet, activates it: a fresh database serves the default.
func ensureBuiltin(ctx context.Context, db *store.DB, log *slog.Logger) error {
	v, err := finetune.BuiltinVersion()
	if err != nil {
		return err
	}
	created, err := db.EnsureModel(ctx, v, "system")
	if err != nil {
		return err
	}
	if created {
		log.Info("registered the built-in topic model", slog.String("version", v.Version))
	}
	// A registry that fine-tuned agnews-v1 may hold an agnews-v2 of its
	// own, made before agnews-v2 was built in: that one stays, and the
	// built-in model is not registered there.
	reg, err := db.ModelVersion(ctx, v.Version)
	if err != nil {
		return err
	}
	if reg.Source != store.ModelBuiltin {
		log.Warn("the built-in topic model's version is taken in this registry by another model, which stays; the built-in one is not registered",
			slog.String("version", v.Version), slog.String("source", reg.Source))
	} else if active, err := db.ActiveModel(ctx); err == nil && active.Version != v.Version && active.Source == store.ModelBuiltin {
		log.Info("an older built-in topic model is active; promote the new one to serve it",
			slog.String("active", active.Version), slog.String("builtin", v.Version))
	}
	return nil
}

// startModel returns the topic model to serve first and whether it is
// pinned: CLASSIFIER_VERSION names any registered version and pins it;
// otherwise the registry's active version is served and followed. An
// active version that cannot be loaded is logged and the built-in model
// served until it can: a replica without the artifact still answers.
func startModel(ctx context.Context, cfg config, db *store.DB, models finetune.Models, log *slog.Logger) (*topic.Model, bool, error) {
	if cfg.ClassifierVersion != "" {
		v, err := db.ModelVersion(ctx, cfg.ClassifierVersion)
		if errors.Is(err, store.ErrNotFound) {
			return nil, false, fmt.Errorf("CLASSIFIER_VERSION: no registered topic model %q; available: %s",
				cfg.ClassifierVersion, registeredVersions(ctx, db))
		} else if err != nil {
			return nil, false, err
		}
		m, err := models.Load(v)
		if err != nil {
			return nil, false, fmt.Errorf("CLASSIFIER_VERSION: %w", err)
		}
		return m, true, nil
	}
	v, err := db.ActiveModel(ctx)
	if err != nil {
		return nil, false, err
	}
	m, err := models.Load(v)
	if err != nil {
		log.Error("cannot load the active topic model; serving the built-in one until it loads",
			slog.String("version", v.Version), slog.Any("error", err))
		m, err = topic.Default()
	}
	return m, false, err
}

func registeredVersions(ctx context.Context, db *store.DB) string {
	all, err := db.ModelVersions(ctx)
	if err != nil {
		return "(cannot list: " + err.Error() + ")"
	}
	names := make([]string, len(all))
	for i, v := range all {
		names[i] = v.Version
	}
	return strings.Join(names, ", ")
}

// modelFollower keeps a replica on the registry's active version, without
// a restart, and starts fine-tunes when enough new labels have come in.
type modelFollower struct {
	db         *store.DB
	models     finetune.Models
	classifier *classify.Service
	log        *slog.Logger
	interval   time.Duration
	// follow is false when CLASSIFIER_VERSION pins the model.
	follow bool
	// autoLabels > 0 starts a fine-tune after that many new labels.
	autoLabels int
	background *finetune.Background

	failed string // the version that last failed to load, logged once
}

// run polls until ctx ends.
func (f *modelFollower) run(ctx context.Context) {
	t := time.NewTicker(f.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if f.follow {
				f.sync(ctx)
			}
			if f.autoLabels > 0 {
				f.autoFinetune(ctx)
			}
		}
	}
}

// sync swaps in the active version if it is not the one served. Failures
// leave the served model in place.
func (f *modelFollower) sync(ctx context.Context) {
	v, err := f.db.ActiveModel(ctx)
	if err != nil {
		if ctx.Err() == nil {
			f.log.Warn("model poll: cannot read the active version", slog.Any("error", err))
		}
		return
	}
	served := f.classifier.Model().ID()
	if v.Version == served {
		f.failed = ""
		return
	}
	m, err := f.models.Load(v)
	if err != nil {
		if f.failed != v.Version {
			f.log.Error("model poll: cannot load the new active version; still serving the old one",
				slog.String("version", v.Version), slog.String("serving", served), slog.Any("error", err))
			f.failed = v.Version
		}
		return
	}
	f.classifier.SetModel(m)
	f.failed = ""
	f.log.Info("topic model changed", slog.String("from", served), slog.String("to", v.Version))
}

// autoFinetune starts a run when FINETUNE_AUTO_LABELS labels arrived
// since the last run started. Every replica checks; the store's lock lets
// one start.
func (f *modelFollower) autoFinetune(ctx context.Context) {
	var since time.Time
	runs, err := f.db.TrainingRuns(ctx, 1)
	if err == nil && len(runs) > 0 {
		if runs[0].Status == store.RunRunning {
			return
		}
		since = runs[0].StartedAt
	}
	n := 0
	if err == nil {
		n, err = f.db.LabelsSince(ctx, since)
	}
	if err != nil {
		if ctx.Err() == nil {
			f.log.Warn("auto fine-tune: cannot count new labels", slog.Any("error", err))
		}
		return
	}
	if n < f.autoLabels {
		return
	}
	_, err = f.background.Start(ctx, finetune.Options{TriggeredBy: store.TriggerAuto, Actor: "auto"})
	if err != nil && !errors.Is(err, store.ErrConflict) && !errors.Is(err, finetune.ErrClosed) {
		f.log.Warn("auto fine-tune: cannot start", slog.Int("new_labels", n), slog.Any("error", err))
	}
}

// newFinetuner is the one fine-tune setup of the CLI and the server.
// tracker is MLflow tracking (newTracker; nil when it is off).
func newFinetuner(cfg config, db *store.DB, emb topic.Embedder, log *slog.Logger, tracker finetune.Tracker) (*finetune.Finetuner, error) {
	return finetune.New(finetune.Config{
		Store: db, Embedder: emb, Models: finetune.Models{DataDir: cfg.DataDir},
		BaseData: cfg.FinetuneBaseData, Tolerance: cfg.FinetuneTolerance, Log: log, Tracker: tracker,
	})
}

// finetuneStarter is the server's web.Finetuner.
type finetuneStarter struct{ bg *finetune.Background }

func (f finetuneStarter) StartFinetune(ctx context.Context, r web.FinetuneRequest) (store.TrainingRun, error) {
	trigger := r.Trigger
	if trigger == "" {
		trigger = store.TriggerAPI
	}
	run, err := f.bg.Start(ctx, finetune.Options{TriggeredBy: trigger, Force: r.Force, DryRun: r.DryRun,
		Actor: r.Actor, RequestID: r.RequestID})
	if errors.Is(err, finetune.ErrClosed) {
		return run, &web.Error{Status: http.StatusServiceUnavailable, Code: "shutting_down",
			Message: "the server is shutting down; retry on another replica", Err: err}
	}
	return run, err
}

// lazyCache is the server's fine-tune embedder: the shared encoder behind
// the on-disk embedding cache, opened at the first fine-tune so a server
// that never fine-tunes never holds the cache in memory. A fine-tune
// started while the encoder still loads waits for it (wait).
type lazyCache struct {
	enc  embcache.Embedder
	dir  string
	wait func(context.Context) error

	mu    sync.Mutex
	cache *embcache.Cache
}

func newLazyCache(enc embcache.Embedder, dataDir string, wait func(context.Context) error) *lazyCache {
	return &lazyCache{enc: enc, dir: filepath.Join(dataDir, "cache", "embeddings"), wait: wait}
}

func (l *lazyCache) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := l.wait(ctx); err != nil {
		return nil, err
	}
	l.mu.Lock()
	if l.cache == nil {
		c, err := embcache.Open(l.enc, inference.ModelID, l.dir)
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		l.cache = c
	}
	c := l.cache
	l.mu.Unlock()
	return c.Embed(ctx, texts)
}

// Close closes the cache if it was opened.
func (l *lazyCache) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cache == nil {
		return nil
	}
	return l.cache.Close()
}
