// Package finetune trains a new topic model version from the base data
// and every usable human label, compares it with the active version on
// the same held-out data, and promotes it when it is not worse. One
// implementation serves `newsintel finetune` and POST /admin/finetune.
//
// A run holds the store's fine-tune lock (one running run across all
// processes), heartbeats while it works, and always ends recorded: as
// succeeded with its decision, or failed with the error, panics and
// cancellation included.
package finetune

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

// Store is what a fine-tune needs from the database; *store.DB is one.
type Store interface {
	StartTrainingRun(ctx context.Context, r store.NewTrainingRun, staleAfter time.Duration) (store.TrainingRun, error)
	HeartbeatTrainingRun(ctx context.Context, id int64) error
	FinishTrainingRun(ctx context.Context, id int64, r store.TrainingResult) error
	TrainingLabels(ctx context.Context) ([]store.TrainingLabel, error)
	ActiveModel(ctx context.Context) (store.ModelVersion, error)
	ModelVersion(ctx context.Context, version string) (store.ModelVersion, error)
	ModelVersions(ctx context.Context) ([]store.ModelVersion, error)
}

// Tracker records finished runs in an experiment tracker (MLflow). It is
// optional; its errors are logged and never fail a run.
type Tracker interface {
	TrackFinetune(ctx context.Context, r *Report) error
}

// FailureTracker is a Tracker that also records failed runs. A Tracker
// that implements it is told of every run that ends in an error, with
// what the run got to (the report may be partly filled) and the error;
// as with TrackFinetune, its error is only logged.
type FailureTracker interface {
	Tracker
	TrackFinetuneFailure(ctx context.Context, r *Report, runErr error) error
}

// Config is what every run of a Finetuner shares. Zero values of the
// numbers take the defaults noted.
type Config struct {
	Store    Store
	Embedder topic.Embedder // with an embedding cache, so base data is embedded once
	Models   Models
	// BaseData is an AG News folder or a CSV/JSONL file; TextCol and
	// LabelCol ("text", "label") name a file's columns.
	BaseData          string
	TextCol, LabelCol string
	// Tolerance is how much lower the candidate's macro-F1 may be on each
	// evaluation set; 0 is strict (FINETUNE_TOLERANCE defaults to 0.01).
	Tolerance float64
	// Seed fixes the frozen evaluation split and training: 1, as the
	// built-in model, whose dev split is then the frozen evaluation set.
	Seed uint64
	// EvalFraction of the base data is the frozen evaluation set: 0.1.
	EvalFraction float64
	// HoldoutFraction of the human labels, the newest, is held out for
	// evaluation: 0.2, and at least MinHoldout (3) when there are twice
	// as many.
	HoldoutFraction float64
	MinHoldout      int
	// Variants to train: lr+hash when empty (the agnews-v1 recipe; the
	// built-in agnews-v2 adds an mlp head to it).
	Variants []string
	// StaleAfter is how old a running run's heartbeat may be before it
	// counts as abandoned: 2m. Heartbeats go every StaleAfter/4.
	StaleAfter time.Duration
	Tracker    Tracker
	Log        *slog.Logger
}

// Options are one run's.
type Options struct {
	TriggeredBy string // store.TriggerCLI, TriggerAPI, TriggerConsole or TriggerAuto
	Force       bool   // promote even if the gate rejects
	DryRun      bool   // never promote
	Actor       string // who: recorded with the run and the promotion
	RequestID   string
	// Progress, when set, is told of each stage's advance.
	Progress func(stage string, done, total int)
}

// Report is what a run did.
type Report struct {
	RunID       int64          `json:"run_id"`
	BaseVersion string         `json:"base_version"`
	NewVersion  string         `json:"new_version"`
	ModelPath   string         `json:"model_path"` // relative to DATA_DIR
	Counts      DataCounts     `json:"data_counts"`
	Current     VersionMetrics `json:"current"`
	Candidate   VersionMetrics `json:"candidate"`
	Tolerance   float64        `json:"tolerance"`
	Seed        uint64         `json:"seed"`
	Promoted    bool           `json:"promoted"`
	Decision    string         `json:"decision"`
	Seconds     float64        `json:"seconds"`
	// Training is how the candidate was trained (variant chosen, its dev
	// scores).
	Training *topic.Report `json:"-"`
}

// Finetuner runs fine-tunes. It is safe for concurrent use; the store's
// lock lets one run at a time.
type Finetuner struct {
	cfg Config
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Finetuner, error) {
	if cfg.Store == nil || cfg.Embedder == nil || cfg.BaseData == "" || cfg.Models.DataDir == "" {
		return nil, errors.New("finetune: New needs a store, an embedder, base data and a data directory")
	}
	if cfg.Tolerance < 0 {
		return nil, fmt.Errorf("finetune: negative tolerance %g", cfg.Tolerance)
	}
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&cfg.EvalFraction, 0.1)
	def(&cfg.HoldoutFraction, 0.2)
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	if cfg.MinHoldout == 0 {
		cfg.MinHoldout = 3
	}
	if len(cfg.Variants) == 0 {
		cfg.Variants = []string{topic.VariantLRHash}
	}
	if cfg.StaleAfter == 0 {
		cfg.StaleAfter = 2 * time.Minute
	}
	if cfg.TextCol == "" {
		cfg.TextCol = "text"
	}
	if cfg.LabelCol == "" {
		cfg.LabelCol = "label"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Finetuner{cfg: cfg}, nil
}

// SetColumns names the text and label columns of a base data file, when
// they are not "text" and "label". Call it before the first run.
func (f *Finetuner) SetColumns(text, label string) {
	if text != "" {
		f.cfg.TextCol = text
	}
	if label != "" {
		f.cfg.LabelCol = label
	}
}

// Tolerance is the gate's tolerance in effect.
func (f *Finetuner) Tolerance() float64 { return f.cfg.Tolerance }

// Start takes the fine-tune lock for a run based on the active version.
// A run already running is a *store.RunningError (store.ErrConflict).
func (f *Finetuner) Start(ctx context.Context, opts Options) (store.TrainingRun, error) {
	cur, err := f.cfg.Store.ActiveModel(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return store.TrainingRun{}, errNoActive
	} else if err != nil {
		return store.TrainingRun{}, err
	}
	return f.cfg.Store.StartTrainingRun(ctx, store.NewTrainingRun{
		TriggeredBy: opts.TriggeredBy, StartedBy: opts.Actor, Forced: opts.Force, BaseVersion: cur.Version}, f.cfg.StaleAfter)
}

// Run is Start then Execute: a whole run, as the CLI does it.
func (f *Finetuner) Run(ctx context.Context, opts Options) (*Report, error) {
	run, err := f.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	return f.Execute(ctx, run, opts)
}

// Execute does started run: it trains, evaluates, decides, writes and
// registers the new version, and records the run. On any error, a panic
// or cancellation of ctx, the run is recorded as failed before Execute
// returns the error.
func (f *Finetuner) Execute(ctx context.Context, run store.TrainingRun, opts Options) (rep *Report, err error) {
	start := time.Now()
	rep = &Report{RunID: run.ID, BaseVersion: run.BaseVersion, Tolerance: f.cfg.Tolerance, Seed: f.cfg.Seed}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stopBeat := f.heartbeat(ctx, run.ID, cancel)
	defer func() {
		stopBeat()
		if p := recover(); p != nil {
			err = fmt.Errorf("finetune: panic: %v\n%s", p, debug.Stack())
		}
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, context.Cause(ctx))
		}
		// The caller's context may be gone; the failure must still be
		// recorded, or the lock would wait for staleness.
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer fcancel()
		rep.Seconds = time.Since(start).Seconds()
		ferr := f.cfg.Store.FinishTrainingRun(fctx, run.ID, store.TrainingResult{
			Status: store.RunFailed, Error: err.Error(), DataCounts: rep.Counts, Metrics: runMetrics(rep)})
		if ferr != nil {
			err = errors.Join(err, ferr)
		}
		f.cfg.Log.Error("fine-tune failed", slog.Int64("run", run.ID), slog.Any("error", err))
		// Not fctx: the tracker bounds its own requests, and a slow one
		// must not be cut short by the store's budget.
		if ft, ok := f.cfg.Tracker.(FailureTracker); ok {
			if terr := ft.TrackFinetuneFailure(context.WithoutCancel(ctx), rep, err); terr != nil {
				f.cfg.Log.Warn("fine-tune: tracker", slog.Int64("run", run.ID), slog.Any("error", terr))
			}
		}
	}()
	if err := f.execute(ctx, run, opts, rep, start); err != nil {
		return rep, err
	}
	f.cfg.Log.Info("fine-tune finished", slog.Int64("run", run.ID), slog.String("version", rep.NewVersion),
		slog.Bool("promoted", rep.Promoted), slog.String("decision", rep.Decision))
	if f.cfg.Tracker != nil {
		if terr := f.cfg.Tracker.TrackFinetune(context.WithoutCancel(ctx), rep); terr != nil {
			f.cfg.Log.Warn("fine-tune: tracker", slog.Int64("run", run.ID), slog.Any("error", terr))
		}
	}
	return rep, nil
}

func (f *Finetuner) execute(ctx context.Context, run store.TrainingRun, opts Options, rep *Report, start time.Time) error {
	progress := func(stage string, done, total int) {
		if opts.Progress != nil {
			opts.Progress(stage, done, total)
		}
	}
	curVersion, err := f.cfg.Store.ModelVersion(ctx, run.BaseVersion)
	if err != nil {
		return err
	}
	cur, err := f.cfg.Models.Load(curVersion)
	if err != nil {
		return err
	}
	base, err := loadBase(f.cfg.BaseData, f.cfg.TextCol, f.cfg.LabelCol)
	if err != nil {
		return err
	}
	human, err := f.cfg.Store.TrainingLabels(ctx)
	if err != nil {
		return err
	}
	d, err := buildDataset(base, f.cfg.BaseData, cur.Labels, human, &f.cfg)
	if err != nil {
		return err
	}
	rep.Counts = d.counts

	existing, err := f.cfg.Store.ModelVersions(ctx)
	if err != nil {
		return err
	}
	topts := topic.Options{
		Name: cur.Name, Version: nextVersion(cur.Name, existing), Labels: cur.Labels, Seed: f.cfg.Seed,
		Variants: slices.Clone(f.cfg.Variants), EncoderID: cur.EncoderID, Progress: progress,
		Command: fmt.Sprintf("newsintel finetune (run %d)", run.ID),
		Sources: []string{filepath.Base(f.cfg.BaseData) + fmt.Sprintf(" (%d)", d.counts.BaseTrain),
			fmt.Sprintf("human labels (%d: %s)", d.counts.HumanTrain, bySource(d.counts.HumanBySource))},
	}
	cand, trep, err := topic.Train(ctx, f.cfg.Embedder, d.train, topts)
	if err != nil {
		return err
	}
	rep.Training, rep.NewVersion = trep, cand.ID()

	if rep.Current, err = evaluate(ctx, cur, f.cfg.Embedder, d, progress); err != nil {
		return err
	}
	if rep.Candidate, err = evaluate(ctx, cand, f.cfg.Embedder, d, progress); err != nil {
		return err
	}
	rep.Promoted, rep.Decision = decide(rep.Current, rep.Candidate, f.cfg.Tolerance, opts.Force, opts.DryRun)

	if rep.ModelPath, err = f.cfg.Models.Save(cand); err != nil {
		return err
	}
	reg, err := Registration(cand, store.ModelFinetune, rep.ModelPath)
	if err != nil {
		return err
	}
	reg.ParentVersion = cur.ID()
	actor := opts.Actor
	if actor == "" {
		actor = "finetune:" + opts.TriggeredBy
	}
	rep.Seconds = time.Since(start).Seconds()
	err = f.cfg.Store.FinishTrainingRun(ctx, run.ID, store.TrainingResult{
		Status: store.RunSucceeded, DataCounts: rep.Counts, Metrics: runMetrics(rep), Decision: rep.Decision,
		LabelIDs: d.labelIDs, Model: &reg, Promote: rep.Promoted, Actor: actor, RequestID: opts.RequestID,
	})
	if err != nil {
		// Unregistered, the folder would only block the version's name.
		os.RemoveAll(f.cfg.Models.Path(rep.ModelPath))
		return err
	}
	return nil
}

// runMetrics is what training_runs.metrics holds.
func runMetrics(rep *Report) map[string]any {
	m := map[string]any{"tolerance": rep.Tolerance, "seconds": rep.Seconds}
	if rep.Current.Version != "" {
		m["current"] = rep.Current
	}
	if rep.Candidate.Version != "" {
		m["candidate"] = rep.Candidate
	}
	if rep.Training != nil {
		m["chosen_variant"] = rep.Training.Chosen
		m["training_dev"] = SummaryOf(rep.Training.DevMetrics)
	}
	return m
}

func bySource(m map[string]int) string {
	var parts []string
	for _, s := range []string{"review", "feedback"} {
		parts = append(parts, fmt.Sprintf("%s %d", s, m[s]))
	}
	return strings.Join(parts, ", ")
}

// heartbeat refreshes the run's heartbeat until stopped. If the store says
// the run is no longer running (another process found it stale and took
// over), the work is cancelled: its result could no longer be recorded.
func (f *Finetuner) heartbeat(ctx context.Context, id int64, cancel context.CancelCauseFunc) (stop func()) {
	every := f.cfg.StaleAfter / 4
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				err := f.cfg.Store.HeartbeatTrainingRun(ctx, id)
				if errors.Is(err, store.ErrConflict) {
					cancel(fmt.Errorf("run %d was taken over as abandoned", id))
					return
				}
				if err != nil && ctx.Err() == nil {
					f.cfg.Log.Warn("fine-tune heartbeat", slog.Int64("run", id), slog.Any("error", err))
				}
			}
		}
	}()
	return func() { close(done); <-stopped }
}
