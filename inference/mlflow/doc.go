// Package mlflow records training runs in an MLflow tracking server
// through its REST API (the 2.0 endpoints): it finds or creates the
// experiment, creates the run, logs parameters, metrics and tags, uploads
// artifacts through the server's mlflow-artifacts proxy and ends the run.
//
// Client is the plain API: every call returns its error. Training should
// not depend on a tracking server, so callers normally go through a
// Recorder, whose runs log each failure to a *slog.Logger, report it to a
// counter callback (for mlflow_errors_total{op}) and carry on; a Recorder
// built without a Client, as when MLFLOW_ENABLED=0, sends nothing.
//
//	cfg, enabled := mlflow.ConfigFromEnv(os.Getenv)
//	var c *mlflow.Client
//	if enabled {
//		c = mlflow.New(cfg)
//	}
//	rec := mlflow.NewRecorder(c, logger, func(op string) { errorsTotal.WithLabelValues(op).Inc() })
//	run := rec.StartRun(ctx, "newsintel-topic", "agnews-v1", map[string]string{"git_commit": commit})
//	run.LogParams(ctx, map[string]string{"seed": "1"})
//	run.LogMetric(ctx, "dev_accuracy", 0.919, 0)
//	run.LogArtifact(ctx, "model/model.json", f)
//	run.End(ctx, mlflow.StatusOf(err))
//
// Only http and https tracking URIs are supported; local file stores
// (./mlruns) and hosted platforms with their own auth are not.
package mlflow
