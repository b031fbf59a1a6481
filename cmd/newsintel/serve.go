package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/inference/summarize"
	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/jobs"
	"github.com/newsintel/newsintel/static"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/web"
)

// serve runs the HTTP server until ctx is cancelled (SIGINT or SIGTERM in
// production), then drains in-flight requests and closes the database.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("%w: serve takes no arguments; configure it with environment variables", errUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	build := readBuild()
	log.Info("starting newsintel", slog.String("version", build.Version),
		slog.String("go", build.GoVersion), slog.String("goexperiment", build.GOEXPERIMENT))
	if !build.SIMD() {
		log.Warn("!!! built WITHOUT GOEXPERIMENT=simd: inference will run about 40x slower. " +
			"Run with GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd.")
	}

	authDisabled, err := effectiveAuth(cfg, log)
	if err != nil {
		return err
	}
	// Bind first: a busy port fails at once, before the database, the
	// migrations and the model. Connections that arrive while those start
	// wait in the listen queue.
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR: %w", err)
	}
	defer ln.Close()
	// Whatever ends serve ends what it started: the deferred waits below
	// (the model follower) would otherwise wait for a signal that, after
	// a failure, never comes.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	db, err := store.Open(ctx, cfg.DBURL)
	if err != nil {
		return err
	}
	defer db.Close()
	log.Info("database open", slog.String("db", db.String()))
	if err := migrateAtStart(ctx, cfg, db, log); err != nil {
		return err
	}

	console, err := consoleConfig(ctx, cfg, db)
	if err != nil {
		return err
	}
	metrics := web.NewMetrics()
	// The model loads in the background: liveness answers at once, and
	// readiness once the model is fetched (first run only), loaded and warm.
	loader := inference.Load(ctx, func(ctx context.Context) (*inference.Encoder, error) {
		enc, err := loadEncoder(ctx, cfg.ModelDir, log)
		if err == nil {
			enc.OnStage(metrics.ObserveStage)
		}
		return enc, err
	})
	encoder := inference.NewService(loader, inference.BatcherOptions{
		MaxBatch: cfg.BatchMaxSize, MaxWait: cfg.BatchMaxWait, QueueSize: cfg.QueueSize,
		OnBatch: metrics.ObserveBatch,
	})
	defer encoder.Close()

	// The registry decides the topic model: the active version, followed
	// as it changes, unless CLASSIFIER_VERSION pins one.
	if err := ensureBuiltin(ctx, db, log); err != nil {
		return err
	}
	models := finetune.Models{DataDir: cfg.DataDir}
	model, pinned, err := startModel(ctx, cfg, db, models, log)
	if err != nil {
		return err
	}
	log.Info("topic model", slog.String("version", model.ID()), slog.Any("labels", model.Labels), slog.Bool("pinned", pinned))
	classifier := classify.New(encoder, model, storeTaxonomies{db},
		func(d time.Duration) { metrics.ObserveStage("head", d) })
	// Fine-tunes run in this process when asked (POST /admin/finetune or
	// FINETUNE_AUTO_LABELS); shutdown stops them, recorded as failed.
	ftEmbedder := newLazyCache(encoder, cfg.DataDir, loader.Wait)
	defer ftEmbedder.Close()
	onMLflowError, err := mlflowErrorCounter(metrics.Registry())
	if err != nil {
		return err
	}
	ft, err := newFinetuner(cfg, db, ftEmbedder, log, newTracker(cfg, log, onMLflowError))
	if err != nil {
		return err
	}
	background := finetune.NewBackground(ft, log)
	defer background.Close()
	follower := &modelFollower{db: db, models: models, classifier: classifier, log: log, interval: cfg.ModelPollInterval,
		follow: !pinned, autoLabels: cfg.FinetuneAutoLabels, background: background}
	followerDone := make(chan struct{})
	go func() { follower.run(ctx); close(followerDone) }()
	defer func() {
		cancel()
		<-followerDone
	}()
	// The summarizer of POST /summarize; its default scorer is lexical
	// and never calls the encoder.
	summarizer, err := summarize.New(encoder, inference.ModelID)
	if err != nil {
		return err
	}
	// Background ingest (imports, feeds) on the job queue, sharing the
	// classifier and the summarizer with the API. Shutdown lets running
	// jobs finish first.
	jobClient, err := newJobClient(cfg, db, classifier, summarizer, metrics, log, cfg.IngestWorkers, true, nil)
	if err != nil {
		return err
	}
	// Not ctx: its end would cancel running jobs at once; stopJobs drains.
	if err := jobClient.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("job queue: %w", err)
	}
	defer stopJobs(jobClient, cfg.ShutdownTimeout, log)
	if err := metrics.WatchJobQueue(jobQueueDepth(db), log); err != nil {
		return err
	}

	assets, err := static.New()
	if err != nil {
		return err
	}
	srv, err := web.New(web.Deps{
		Config: web.Config{
			APIKeys:            cfg.APIKeys,
			AuthDisabled:       authDisabled,
			CORSAllowedOrigins: cfg.CORSAllowedOrigins,
			MaxBodyBytes:       cfg.MaxBodyBytes,
			RequestTimeout:     cfg.RequestTimeout,
			Review:             cfg.Review,
			Queue:              cfg.Queue,
			Console:            console,
		},
		Store:      db,
		Encoder:    encoder,
		Classifier: classifier,
		Summarizer: summarizer,
		Finetuner:  finetuneStarter{background},
		Importer:   &ingest.Service{Store: db, Enqueue: ingest.Enqueue(jobClient), Jobs: jobClient},
		ModelPath:  models.Path,
		ColdStart:  classifier.ColdStart,
		Metrics:    metrics,
		Assets:     assets,
		Logger:     log,
	})
	if err != nil {
		return err
	}

	log.Info("listening", slog.String("addr", ln.Addr().String()),
		slog.String("url", "http://"+ln.Addr().String()), slog.Int("api_keys", len(cfg.APIKeys)))
	if err := serveHTTP(ctx, ln, srv, cfg.ShutdownTimeout, log); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// serveHTTP serves h on ln until ctx is done, then stops accepting and
// waits up to drain for in-flight requests before cutting them off.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, drain time.Duration, log *slog.Logger) error {
	httpServer := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- httpServer.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", slog.Duration("timeout", drain))
	drainCtx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	if err := httpServer.Shutdown(drainCtx); err != nil {
		log.Warn("drain timed out; closing remaining connections", slog.Any("error", err))
		httpServer.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

// effectiveAuth decides whether protected routes are open. Without keys the
// server is a developer's: it may listen on loopback only.
func effectiveAuth(cfg config, log *slog.Logger) (disabled bool, err error) {
	switch {
	case cfg.AuthDisabled:
		log.Warn("!!! AUTH_DISABLED=1: every route is open to anyone who can reach " + cfg.ListenAddr)
		return true, nil
	case len(cfg.APIKeys) > 0:
		return false, nil
	case listensOnLoopback(cfg.ListenAddr):
		log.Warn("no API key configured: protected routes are open, on loopback only; set API_KEYS before exposing the server")
		return true, nil
	default:
		return false, fmt.Errorf("refusing to listen on %s without an API key: "+
			"set API_KEYS=\"name:secret\" (semicolon-separated, secrets of 16+ characters, e.g. from `openssl rand -hex 32`), "+
			"listen on 127.0.0.1, or set AUTH_DISABLED=1 if a proxy in front authenticates", cfg.ListenAddr)
	}
}

// openMigrated opens cfg's database and migrates it as migrateAtStart
// does: what every command that uses the database does first.
func openMigrated(ctx context.Context, cfg config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DBURL)
	if err != nil {
		return nil, err
	}
	if err := migrateAtStart(ctx, cfg, db, log); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// migrateAtStart applies pending migrations, or with AUTO_MIGRATE=0 refuses
// to run against a schema older than the code.
func migrateAtStart(ctx context.Context, cfg config, db *store.DB, log *slog.Logger) error {
	if cfg.AutoMigrate {
		applied, err := db.Migrate(ctx)
		for _, m := range applied {
			log.Info("applied migration", slog.Int("version", m.Version), slog.String("name", m.Name))
		}
		if err != nil {
			return err
		}
		queue, err := jobs.Migrate(ctx, db)
		for _, m := range queue {
			log.Info("applied job queue migration", slog.Int("version", m.Version), slog.String("name", m.Name))
		}
		return err
	}
	status, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	pending := 0
	for _, m := range status {
		if m.Pending() {
			pending++
		}
	}
	queue, err := jobs.Status(ctx, db)
	if err != nil {
		return err
	}
	for _, m := range queue {
		if !m.Applied {
			pending++
		}
	}
	if pending > 0 {
		return fmt.Errorf("%d database migration(s) pending and AUTO_MIGRATE=0: run `newsintel migrate up` first", pending)
	}
	return nil
}

// discardLogger is for commands whose progress is not worth logging.
func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
