package mlflow

import (
	"context"
	"io"
	"log/slog"
)

// Operation names a Recorder passes to its error callback, suitable as
// the op label of mlflow_errors_total.
const (
	OpStartRun    = "start_run"
	OpLogParams   = "log_params"
	OpLogMetrics  = "log_metrics"
	OpSetTags     = "set_tags"
	OpLogArtifact = "log_artifact"
	OpEndRun      = "end_run"
)

// Ops lists every operation name, so that a metrics layer can create its
// label values up front and show zeros rather than nothing.
func Ops() []string {
	return []string{OpStartRun, OpLogParams, OpLogMetrics, OpSetTags, OpLogArtifact, OpEndRun}
}

// Recorder records runs without ever failing its caller: errors are
// logged and counted, then dropped. A Recorder without a client, and a nil
// *Recorder, are disabled and send nothing.
type Recorder struct {
	client  *Client
	log     *slog.Logger
	onError func(op string)
}

// NewRecorder returns a Recorder over c; c nil means tracking is off.
// logger (nil: discard) receives one warning per failed operation and
// onError (nil: ignored) is called with its name (see Ops).
func NewRecorder(c *Client, logger *slog.Logger, onError func(op string)) *Recorder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Recorder{client: c, log: logger, onError: onError}
}

// Enabled reports whether the recorder sends anything.
func (rec *Recorder) Enabled() bool { return rec != nil && rec.client != nil }

func (rec *Recorder) fail(op string, err error, attrs ...any) {
	rec.log.Warn("mlflow: tracking failed; training goes on", append([]any{"op", op, "err", err}, attrs...)...)
	if rec.onError != nil {
		rec.onError(op)
	}
}

// SafeRun is a run as a Recorder sees it. Its methods return nothing and
// do nothing when the recorder is disabled or the run could not be
// started; a nil *SafeRun is such a run too.
type SafeRun struct {
	rec *Recorder
	run *Run
}

// StartRun starts a run (see Client.StartRun). On failure it logs and
// counts the error once and returns an inactive run, so that a tracking
// server that is down costs one timeout rather than one per call.
func (rec *Recorder) StartRun(ctx context.Context, experiment, runName string, tags map[string]string) *SafeRun {
	if !rec.Enabled() {
		return &SafeRun{rec: rec}
	}
	run, err := rec.client.StartRun(ctx, experiment, runName, tags)
	if err != nil {
		rec.fail(OpStartRun, err, "experiment", experiment, "run", runName)
		return &SafeRun{rec: rec}
	}
	rec.log.Info("mlflow: run started", "experiment", experiment, "run", runName, "run_id", run.ID)
	return &SafeRun{rec: rec, run: run}
}

// Active reports whether the run exists on the server.
func (s *SafeRun) Active() bool { return s != nil && s.run != nil }

// ID is the server's run id, or "" for an inactive run.
func (s *SafeRun) ID() string {
	if !s.Active() {
		return ""
	}
	return s.run.ID
}

// do runs one operation of an active run, logging and counting its error.
func (s *SafeRun) do(op string, f func(*Run) error) {
	if !s.Active() {
		return
	}
	if err := f(s.run); err != nil {
		s.rec.fail(op, err, "run_id", s.run.ID)
	}
}

// LogParams is Run.LogParams.
func (s *SafeRun) LogParams(ctx context.Context, params map[string]string) {
	s.do(OpLogParams, func(r *Run) error { return r.LogParams(ctx, params) })
}

// SetTags is Run.SetTags.
func (s *SafeRun) SetTags(ctx context.Context, tags map[string]string) {
	s.do(OpSetTags, func(r *Run) error { return r.SetTags(ctx, tags) })
}

// LogMetric is Run.LogMetric.
func (s *SafeRun) LogMetric(ctx context.Context, key string, value float64, step int64) {
	s.do(OpLogMetrics, func(r *Run) error { return r.LogMetric(ctx, key, value, step) })
}

// LogMetrics is Run.LogMetrics.
func (s *SafeRun) LogMetrics(ctx context.Context, metrics map[string]float64, step int64) {
	s.do(OpLogMetrics, func(r *Run) error { return r.LogMetrics(ctx, metrics, step) })
}

// LogArtifact is Run.LogArtifact.
func (s *SafeRun) LogArtifact(ctx context.Context, name string, body io.Reader) {
	s.do(OpLogArtifact, func(r *Run) error { return r.LogArtifact(ctx, name, body) })
}

// End is Run.End. It ignores ctx's cancellation (keeping its values), so
// that a run interrupted by Ctrl-C still gets its final status; the
// client's timeout still bounds it.
func (s *SafeRun) End(ctx context.Context, status Status) {
	ctx = context.WithoutCancel(ctx)
	s.do(OpEndRun, func(r *Run) error { return r.End(ctx, status) })
}
