// Package jobs runs newsintel's background work on River, a job queue that
// keeps its jobs in the application's own database, Postgres or SQLite:
// retries with backoff, unique jobs, periodic jobs and cancellation come
// from River, and a job can be enqueued in the same transaction as the
// rows it will work on (store.Enqueue).
//
// Postgres goes through River's database/sql driver over the store's pgx
// pool, polling for new jobs; SQLite through its SQLite driver over the
// store's mattn/go-sqlite3 pool, whose immediate transactions and busy
// timeout serialise River's writes with ours.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/newsintel/newsintel/store"
)

// Client is the River client every package enqueues and works jobs with.
type Client = river.Client[*sql.Tx]

func driver(db *store.DB) riverdriver.Driver[*sql.Tx] {
	if db.Dialect() == store.Postgres {
		return riverdatabasesql.New(db.SQL())
	}
	return riversqlite.New(db.SQL())
}

// Migration is one of River's schema versions.
type Migration struct {
	Version int
	Name    string
	Applied bool
}

// Migrate applies River's pending migrations under the store's migration
// lock and returns those it applied.
func Migrate(ctx context.Context, db *store.DB) ([]Migration, error) {
	m, err := rivermigrate.New(driver(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("jobs: migrator: %w", err)
	}
	// One version per transaction: Postgres cannot use an enum value in
	// the transaction that added it, and a later River version does.
	var out []Migration
	for {
		var step []rivermigrate.MigrateVersion
		err = db.WithMigrationLock(ctx, func(tx *sql.Tx) error {
			res, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, &rivermigrate.MigrateOpts{MaxSteps: 1})
			if err != nil {
				return err
			}
			step = res.Versions
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("jobs: migrate the queue's schema: %w", err)
		}
		if len(step) == 0 {
			return out, nil
		}
		for _, v := range step {
			out = append(out, Migration{Version: v.Version, Name: v.Name, Applied: true})
		}
	}
}

// Status lists River's migrations and whether each is applied.
func Status(ctx context.Context, db *store.DB) ([]Migration, error) {
	m, err := rivermigrate.New(driver(db), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, fmt.Errorf("jobs: migrator: %w", err)
	}
	applied := map[int]bool{}
	existing, err := m.ExistingVersions(ctx)
	if err != nil {
		// Before the first migration River's version table is missing;
		// every version is then pending.
		existing = nil
	}
	for _, e := range existing {
		applied[e.Version] = true
	}
	var out []Migration
	for _, v := range m.AllVersions() {
		out = append(out, Migration{Version: v.Version, Name: v.Name, Applied: applied[v.Version]})
	}
	return out, nil
}

// Config is what a Client is built from.
type Config struct {
	// Workers are the job kinds this process can run.
	Workers *river.Workers
	// Queues to work and how many jobs of each at once; nil makes an
	// insert-only client.
	Queues map[string]river.QueueConfig
	// PeriodicJobs are enqueued by whichever replica is River's leader.
	PeriodicJobs []*river.PeriodicJob
	// Middleware wraps every job (metrics).
	Middleware []rivertype.Middleware
	Logger     *slog.Logger
	// FetchPollInterval is how often an idle queue looks for new jobs;
	// zero: one second.
	FetchPollInterval time.Duration
}

// New builds a River client on db's database.
func New(db *store.DB, cfg Config) (*Client, error) {
	poll := cfg.FetchPollInterval
	if poll <= 0 {
		poll = time.Second
	}
	rc := &river.Config{
		Logger:       cfg.Logger,
		Workers:      cfg.Workers,
		Queues:       cfg.Queues,
		PeriodicJobs: cfg.PeriodicJobs,
		Middleware:   cfg.Middleware,
		// Neither driver listens for notifications here (SQLite cannot,
		// database/sql on Postgres does not): idle queues poll.
		PollOnly:          true,
		FetchPollInterval: poll,
		FetchCooldown:     min(poll, 100*time.Millisecond),
		// An ingest job that fails this many times is discarded; its
		// items stay pending until serve's periodic sweep (ingest.Sweep)
		// enqueues them again.
		MaxAttempts: 10,
		// A process killed mid-job leaves it running; River's rescuer
		// retries it after this long. A job is a batch of 64 articles
		// (seconds) or one feed poll (FEED_TIMEOUT), far below both.
		RescueStuckJobsAfter: 3 * time.Minute,
		JobTimeout:           2 * time.Minute,
	}
	if rc.Logger == nil {
		rc.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := river.NewClient(driver(db), rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: new client: %w", err)
	}
	return c, nil
}
