// Package web is newsintel's HTTP layer: the JSON API and the operator
// console, served by one Echo instance from one route table (routes.go).
package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/static"
	"github.com/newsintel/newsintel/store"
)

// Store is what the web layer needs from storage.
type Store interface {
	Ping(ctx context.Context) error
	PutTaxonomy(ctx context.Context, t store.Taxonomy) (created bool, err error)
	Taxonomy(ctx context.Context, name string) (store.Taxonomy, error)
	Taxonomies(ctx context.Context) ([]store.Taxonomy, error)
	DeleteTaxonomy(ctx context.Context, name string) error
	RecordClassifications(ctx context.Context, items []store.Classification) ([]store.Recorded, error)
	reviewStore   // review.go
	modelStore    // models.go
	consoleStore  // console_auth.go
	progressStore // console_review.go
	trendsStore   // console_trends.go
	articleStore  // console_articles.go
	adminStore    // console_admin.go
	sourceStore   // sources.go
}

// Config is the web layer's share of the configuration, already validated.
type Config struct {
	// APIKeys are accepted on protected routes.
	APIKeys []APIKey
	// AuthDisabled opens protected routes to everyone.
	AuthDisabled bool
	// CORSAllowedOrigins may call the API from a browser; empty means none.
	CORSAllowedOrigins []string
	// MaxBodyBytes bounds request bodies; larger ones get 413.
	MaxBodyBytes int64
	// RequestTimeout bounds each request's context.
	RequestTimeout time.Duration
	// Review decides which predictions are queued for human review.
	Review classify.ReviewRule
	// Queue sets how reviewers work the queue.
	Queue QueueConfig
	// Console configures console logins.
	Console ConsoleConfig
}

// QueueConfig sets how reviewers work the review queue.
type QueueConfig struct {
	// Lease is how long a claimed item stays with its reviewer.
	Lease time.Duration
	// UndoWindow bounds how old an action a reviewer may undo.
	UndoWindow time.Duration
	// DoubleReview routes every new item to two reviewers.
	DoubleReview bool
}

// Deps is everything a Server is built from.
type Deps struct {
	Config     Config
	Store      Store
	Encoder    Encoder
	Classifier Classifier
	Summarizer Summarizer
	Metrics    *Metrics
	Assets     *static.Assets
	Logger     *slog.Logger
	// Finetuner runs POST /admin/finetune; nil answers it with 503.
	Finetuner Finetuner
	// ModelPath resolves a registered model version's artifact path
	// (relative ones are under DATA_DIR; finetune.Models.Path); nil
	// refuses downloads of versions other than the built-in one.
	ModelPath func(path string) string
	// Importer stages uploads for background ingest (POST /imports); nil
	// answers the import routes with 503.
	Importer Importer
	// ColdStart reports whether the served model is in its cold start
	// (classify.ColdStart), when diversity claims pick by coverage; nil:
	// never.
	ColdStart func() bool
}

// Server serves HTTP. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg        Config
	store      Store
	encoder    Encoder
	classifier Classifier
	summarizer Summarizer
	finetuner  Finetuner
	importer   Importer
	modelPath  func(string) string
	coldStart  func() bool
	keyUsage   keyUsage // when each API key was last used, on this replica
	metrics    *Metrics
	assets     *static.Assets
	log        *slog.Logger
	keys       consoleKeys
	echo       *echo.Echo
	patterns   map[string]bool // registered route patterns, for metric labels
	getPages   map[string]bool // console pages a GET opens: where a login may return to
	// promHandler serves the registry in the exposition format.
	promHandler http.Handler
}

// New wires the middleware and the route table.
func New(d Deps) (*Server, error) {
	if d.Store == nil || d.Encoder == nil || d.Classifier == nil || d.Summarizer == nil || d.Metrics == nil || d.Assets == nil || d.Logger == nil {
		return nil, fmt.Errorf("web: New needs a store, an encoder, a classifier, a summarizer, metrics, assets and a logger")
	}
	if d.Config.MaxBodyBytes <= 0 || d.Config.RequestTimeout <= 0 || d.Config.Queue.Lease <= 0 || d.Config.Queue.UndoWindow <= 0 {
		return nil, fmt.Errorf("web: MaxBodyBytes, RequestTimeout, Queue.Lease and Queue.UndoWindow must be positive")
	}
	if cc := d.Config.Console; len(cc.SessionKey) < 32 || cc.IdleTimeout <= 0 || cc.MaxAge <= 0 ||
		cc.LoginLimitPerAccount <= 0 || cc.LoginLimitPerIP <= 0 || cc.LoginWindow <= 0 {
		return nil, fmt.Errorf("web: the console needs a session key of 32 bytes or more, positive timeouts and login limits")
	}
	s := &Server{
		cfg: d.Config, store: d.Store, encoder: d.Encoder, classifier: d.Classifier, summarizer: d.Summarizer, metrics: d.Metrics, assets: d.Assets, log: d.Logger,
		finetuner: d.Finetuner, importer: d.Importer, modelPath: d.ModelPath, coldStart: d.ColdStart,
		echo: echo.New(), patterns: map[string]bool{}, getPages: map[string]bool{}, keys: newConsoleKeys(d.Config.Console),
		// The gzip middleware compresses every answer already; promhttp
		// compressing too would send scrapers gzip inside gzip.
		promHandler: promhttp.HandlerFor(d.Metrics.Registry(), promhttp.HandlerOpts{DisableCompression: true}),
	}
	if err := d.Metrics.watchReviewQueue(d.Store.OpenReviewCount, d.Logger); err != nil {
		return nil, fmt.Errorf("web: review queue metric: %w", err)
	}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	// Behind a proxy the operator knows which; until then the peer address
	// is the only client address that cannot be forged.
	e.IPExtractor = echo.ExtractIPDirect()

	// The order is deliberate, outermost first:
	//   - requestID first, so everything after it, panics included, logs
	//     with the id;
	//   - observe next, so the access log and metrics see every response,
	//     including those made by the middleware below it;
	//   - recover inside observe, so a panic becomes a logged, counted 500
	//     rather than a dropped connection;
	//   - CORS before the body limit and routes, so preflights are answered
	//     without a key or a body;
	//   - gzip, then the body limit, then the deadline, closest to handlers.
	e.Use(s.requestID, s.observe)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableErrorHandler: true, // observe hands errors to handleError once
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			return fmt.Errorf("panic: %w\n%s", err, stack)
		},
	}))
	if len(s.cfg.CORSAllowedOrigins) > 0 {
		e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins:  s.cfg.CORSAllowedOrigins,
			AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodDelete},
			AllowHeaders:  []string{"Content-Type", "Authorization", "X-API-Key", HeaderRequestID, "Idempotency-Key"},
			ExposeHeaders: []string{HeaderRequestID, "Retry-After"},
			MaxAge:        600,
		}))
	}
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{MinLength: 1024}))
	e.Use(limitBody(s.cfg.MaxBodyBytes))
	e.Use(deadline(s.cfg.RequestTimeout))

	for _, r := range s.routes() {
		var mw []echo.MiddlewareFunc
		if !r.public {
			mw = append(mw, s.requireKey)
		}
		e.Add(r.method, r.path, r.handler, mw...).Name = r.name
		s.patterns[r.path] = true
	}
	for _, p := range s.pages() {
		e.Add(p.method, p.path, p.handler, s.requireUser(p.roles)).Name = p.name
		s.patterns[p.path] = true
		if p.method == http.MethodGet {
			s.getPages[p.path] = true
		}
	}
	return s, nil
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }
