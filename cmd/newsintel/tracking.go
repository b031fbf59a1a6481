package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/newsintel/newsintel/inference/artifacts"
	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/inference/mlflow"
	"github.com/newsintel/newsintel/inference/topic"
)

// metricMLflowErrors counts MLflow operations that failed, by operation
// (mlflow.Ops); training goes on regardless.
const metricMLflowErrors = "newsintel_mlflow_errors_total"

// mlflowErrorCounter registers metricMLflowErrors in reg, every operation
// at zero so dashboards see the series before the first failure, and
// returns the callback a Recorder reports failures to.
func mlflowErrorCounter(reg prometheus.Registerer) (func(op string), error) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: metricMLflowErrors, Help: "MLflow tracking operations that failed, by operation; fine-tunes go on regardless.",
	}, []string{"op"})
	for _, op := range mlflow.Ops() {
		c.WithLabelValues(op)
	}
	if err := reg.Register(c); err != nil {
		return nil, fmt.Errorf("metrics: register %s: %w", metricMLflowErrors, err)
	}
	return func(op string) { c.WithLabelValues(op).Inc() }, nil
}

// mlflowTracker logs every fine-tune, successful or not, as an MLflow run
// (a finetune.FailureTracker). Its Recorder never fails a fine-tune:
// errors are logged and passed to onError.
type mlflowTracker struct {
	rec        *mlflow.Recorder
	experiment string
	models     finetune.Models
	revision   string
	onError    func(op string)
	log        *slog.Logger
}

// newTracker returns the fine-tune tracker cfg asks for, or nil when
// MLflow is off (MLFLOW_ENABLED=0 or no MLFLOW_TRACKING_URI). log
// receives tracking's messages, onError (may be nil) its failures.
func newTracker(cfg config, log *slog.Logger, onError func(op string)) finetune.Tracker {
	if !cfg.MLflowEnabled {
		return nil
	}
	if onError == nil {
		onError = func(string) {}
	}
	if log == nil {
		log = discardLogger()
	}
	return &mlflowTracker{
		rec:        mlflow.NewRecorder(mlflow.New(cfg.MLflow), log, onError),
		experiment: cfg.MLflowExperiment,
		models:     finetune.Models{DataDir: cfg.DataDir},
		revision:   readBuild().Revision,
		onError:    onError,
		log:        log,
	}
}

// TrackFinetune logs a successful run, with the new version's archive.
func (t *mlflowTracker) TrackFinetune(ctx context.Context, rep *finetune.Report) error {
	run := t.start(ctx, rep, "succeeded")
	if !run.Active() {
		return nil // the Recorder has logged and counted why
	}
	t.logResults(ctx, run, rep)
	t.logModel(ctx, run, rep)
	run.End(ctx, mlflow.StatusFinished)
	return nil
}

// TrackFinetuneFailure logs a failed run with what it got to and the
// error; cancellation (a server shutting down) ends it KILLED.
func (t *mlflowTracker) TrackFinetuneFailure(ctx context.Context, rep *finetune.Report, runErr error) error {
	run := t.start(ctx, rep, "failed")
	if !run.Active() {
		return nil
	}
	t.logResults(ctx, run, rep)
	// MLflow caps tag values (5000 characters in older servers); a panic's
	// stack trace would exceed it.
	msg := []rune(runErr.Error())
	if len(msg) > 4000 {
		msg = append(msg[:4000], '…')
	}
	run.SetTags(ctx, map[string]string{"error": string(msg)})
	run.End(ctx, mlflow.StatusOf(runErr))
	return nil
}

// start creates the run with what is known when it starts.
func (t *mlflowTracker) start(ctx context.Context, rep *finetune.Report, outcome string) *mlflow.SafeRun {
	name := rep.NewVersion
	if name == "" {
		name = fmt.Sprintf("finetune-run-%d", rep.RunID)
	}
	tags := map[string]string{
		"mlflow.source.name": "newsintel finetune",
		"mlflow.source.type": "JOB",
		"newsintel.run_id":   strconv.FormatInt(rep.RunID, 10),
		"base_version":       rep.BaseVersion,
		"outcome":            outcome,
	}
	if t.revision != "" {
		// MLflow's own tag for the code version; its UI links it.
		tags["mlflow.source.git.commit"] = t.revision
		tags["git_revision"] = t.revision
	}
	if rep.Decision != "" {
		tags["decision"] = rep.Decision
		tags["promoted"] = strconv.FormatBool(rep.Promoted)
	}
	if rep.NewVersion != "" {
		tags["new_version"] = rep.NewVersion
	}
	if hash := t.dataHash(rep); hash != "" {
		tags["training_data_sha256"] = hash
	}
	return t.rec.StartRun(ctx, t.experiment, name, tags)
}

// dataHash reads the training-data hash from the new version's
// model.json; "" when the run saved no model.
func (t *mlflowTracker) dataHash(rep *finetune.Report) string {
	if rep.ModelPath == "" {
		return ""
	}
	raw, err := os.ReadFile(filepath.Join(t.models.Path(rep.ModelPath), topic.MetaFile))
	if err != nil {
		return ""
	}
	var meta struct {
		Training *struct {
			DataHash string `json:"data_hash"`
		} `json:"training"`
	}
	if json.Unmarshal(raw, &meta) != nil || meta.Training == nil {
		return ""
	}
	return meta.Training.DataHash
}

// logResults logs the run's parameters and metrics: the variants tried,
// one step each, then both versions' final scores on both evaluation
// sets. A failed run logs what it reached.
func (t *mlflowTracker) logResults(ctx context.Context, run *mlflow.SafeRun, rep *finetune.Report) {
	c := rep.Counts
	params := map[string]string{
		"base_version": rep.BaseVersion,
		"tolerance":    strconv.FormatFloat(rep.Tolerance, 'g', -1, 64),
		"seed":         strconv.FormatUint(rep.Seed, 10),
	}
	if c.BaseData != "" {
		for k, v := range map[string]int{
			"data.base_train": c.BaseTrain, "data.frozen_eval": c.FrozenEval, "data.base_replaced_by_human": c.BaseReplaced,
			"data.human": c.Human, "data.human_train": c.HumanTrain, "data.human_eval": c.HumanEval,
			"data.skipped_unknown_label": c.SkippedUnknownLabel, "data.skipped_superseded": c.SkippedSuperseded,
			"data.skipped_eval_overlap": c.SkippedEvalOverlap,
		} {
			params[k] = strconv.Itoa(v)
		}
		params["data.base_data"] = c.BaseData
		// Every source is logged, those without labels too, so runs
		// compare column by column in the MLflow UI.
		for _, src := range []string{"review", "feedback"} {
			params["data.human_"+src] = strconv.Itoa(c.HumanBySource[src])
		}
		for src, n := range c.HumanBySource {
			params["data.human_"+src] = strconv.Itoa(n)
		}
	}
	if rep.NewVersion != "" {
		params["new_version"] = rep.NewVersion
	}
	if tr := rep.Training; tr != nil {
		params["chosen_variant"] = tr.Chosen
		for i, v := range tr.Variants {
			params["variant."+strconv.Itoa(i)] = v.Name
		}
	}
	run.LogParams(ctx, params)

	if tr := rep.Training; tr != nil {
		for i, v := range tr.Variants {
			run.LogMetrics(ctx, map[string]float64{"variant_dev_accuracy": v.Accuracy, "variant_dev_macro_f1": v.MacroF1,
				"variant_dev_log_loss": v.LogLoss, "variant_dev_ece": v.ECE}, int64(i))
		}
	}
	final := map[string]float64{"seconds": rep.Seconds}
	if tr := rep.Training; tr != nil {
		final["candidate_dev_accuracy"] = tr.DevMetrics.Accuracy
		final["candidate_dev_macro_f1"] = tr.DevMetrics.MacroF1
		final["candidate_dev_log_loss"] = tr.DevMetrics.LogLoss
		final["candidate_dev_ece"] = tr.DevMetrics.ECE
	}
	for _, v := range []struct {
		role string
		m    finetune.VersionMetrics
	}{{"current", rep.Current}, {"candidate", rep.Candidate}} {
		if v.m.Version == "" {
			continue // a failed run may not have got this far
		}
		addSummary(final, v.role+"_frozen", v.m.Frozen)
		if v.m.Human != nil {
			addSummary(final, v.role+"_human", *v.m.Human)
		}
	}
	if rep.Current.Version != "" && rep.Candidate.Version != "" {
		final["delta_frozen_macro_f1"] = rep.Candidate.Frozen.MacroF1 - rep.Current.Frozen.MacroF1
		if rep.Current.Human != nil && rep.Candidate.Human != nil {
			final["delta_human_macro_f1"] = rep.Candidate.Human.MacroF1 - rep.Current.Human.MacroF1
		}
	}
	if rep.Decision != "" {
		final["promoted"] = 0
		if rep.Promoted {
			final["promoted"] = 1
		}
	}
	run.LogMetrics(ctx, final, 0)
}

func addSummary(m map[string]float64, prefix string, s finetune.Summary) {
	m[prefix+"_accuracy"] = s.Accuracy
	m[prefix+"_macro_f1"] = s.MacroF1
	m[prefix+"_log_loss"] = s.LogLoss
	m[prefix+"_n"] = float64(s.N)
}

// logModel uploads the new version's archive (as bundle-artifacts makes
// it, labelled with the version, so pull-artifacts --file takes it as
// is), its manifest and the run's report.
func (t *mlflowTracker) logModel(ctx context.Context, run *mlflow.SafeRun, rep *finetune.Report) {
	if raw, err := json.MarshalIndent(rep, "", "  "); err == nil {
		run.LogArtifact(ctx, "finetune_report.json", bytes.NewReader(raw))
	}
	if rep.ModelPath == "" {
		return
	}
	var archive bytes.Buffer
	man, err := artifacts.Bundle(t.models.Path(rep.ModelPath), rep.NewVersion, &archive)
	if err != nil {
		// Counted as a failed upload: the run lacks its artifact either way.
		t.onError(mlflow.OpLogArtifact)
		t.log.Warn("mlflow: cannot bundle the new version; the run has no model artifact",
			"version", rep.NewVersion, "err", err)
		return
	}
	run.LogArtifact(ctx, "model/"+artifacts.ArchiveName(rep.NewVersion), &archive)
	if raw, err := json.MarshalIndent(man, "", "  "); err == nil {
		run.LogArtifact(ctx, "model/"+artifacts.ManifestFile, bytes.NewReader(raw))
	}
}
