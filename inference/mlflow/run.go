package mlflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Status is a run's final state.
type Status string

// Final run states.
const (
	StatusFinished Status = "FINISHED"
	StatusFailed   Status = "FAILED"
	StatusKilled   Status = "KILLED"
)

// StatusOf is StatusFinished for a nil error, StatusKilled for a
// cancelled context and StatusFailed otherwise.
func StatusOf(err error) Status {
	switch {
	case err == nil:
		return StatusFinished
	case errors.Is(err, context.Canceled):
		return StatusKilled
	}
	return StatusFailed
}

// MLflow's per-request limits for runs/log-batch.
const (
	maxBatchParams  = 100
	maxBatchTags    = 100
	maxBatchMetrics = 1000
)

// Run is a run on the server.
type Run struct {
	c            *Client
	ID           string
	ExperimentID string
	// ArtifactURI is where the server keeps the run's artifacts, as
	// "mlflow-artifacts:/1/<run id>/artifacts".
	ArtifactURI string
}

type keyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// sortedKV turns a map into MLflow's list form, sorted so that requests
// are reproducible.
func sortedKV(m map[string]string) []keyValue {
	out := make([]keyValue, 0, len(m))
	for k, v := range m {
		out = append(out, keyValue{k, v})
	}
	slices.SortFunc(out, func(a, b keyValue) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// ExperimentID returns the id of the experiment called name, creating it
// if it does not exist.
func (c *Client) ExperimentID(ctx context.Context, name string) (string, error) {
	id, err := c.experimentByName(ctx, name)
	if !hasCode(err, "RESOURCE_DOES_NOT_EXIST") {
		return id, err
	}
	var created struct {
		ID string `json:"experiment_id"`
	}
	err = c.call(ctx, "experiments/create", nil, map[string]string{"name": name}, &created)
	if hasCode(err, "RESOURCE_ALREADY_EXISTS") {
		// Another run created it since we looked.
		return c.experimentByName(ctx, name)
	}
	if err != nil {
		return "", err
	}
	return created.ID, nil
}

func (c *Client) experimentByName(ctx context.Context, name string) (string, error) {
	var got struct {
		Experiment struct {
			ID             string `json:"experiment_id"`
			LifecycleStage string `json:"lifecycle_stage"`
		} `json:"experiment"`
	}
	err := c.call(ctx, "experiments/get-by-name", url.Values{"experiment_name": {name}}, nil, &got)
	if err != nil {
		return "", err
	}
	if got.Experiment.LifecycleStage == "deleted" {
		// MLflow keeps deleted experiments' names; creating one anew fails.
		return "", fmt.Errorf("mlflow: experiment %q (id %s) is deleted: restore it or pick another name", name, got.Experiment.ID)
	}
	if got.Experiment.ID == "" {
		return "", fmt.Errorf("mlflow: experiments/get-by-name %q: answer has no experiment id", name)
	}
	return got.Experiment.ID, nil
}

// StartRun creates a run called runName in the experiment called
// experiment (created if needed), with tags.
func (c *Client) StartRun(ctx context.Context, experiment, runName string, tags map[string]string) (*Run, error) {
	expID, err := c.ExperimentID(ctx, experiment)
	if err != nil {
		return nil, err
	}
	req := struct {
		ExperimentID string     `json:"experiment_id"`
		RunName      string     `json:"run_name,omitempty"`
		StartTime    int64      `json:"start_time"`
		Tags         []keyValue `json:"tags,omitempty"`
	}{expID, runName, millis(c.cfg.Now()), sortedKV(tags)}
	var resp struct {
		Run struct {
			Info struct {
				RunID        string `json:"run_id"`
				ExperimentID string `json:"experiment_id"`
				ArtifactURI  string `json:"artifact_uri"`
			} `json:"info"`
		} `json:"run"`
	}
	if err := c.call(ctx, "runs/create", nil, req, &resp); err != nil {
		return nil, err
	}
	info := resp.Run.Info
	if info.RunID == "" {
		return nil, errors.New("mlflow: runs/create: answer has no run id")
	}
	if info.ExperimentID == "" {
		info.ExperimentID = expID
	}
	return &Run{c: c, ID: info.RunID, ExperimentID: info.ExperimentID, ArtifactURI: info.ArtifactURI}, nil
}

// metric is one runs/log-batch metric.
type metric struct {
	Key       string      `json:"key"`
	Value     metricValue `json:"value"`
	Timestamp int64       `json:"timestamp"`
	Step      int64       `json:"step"`
}

// metricValue encodes NaN and infinities as the strings MLflow's protobuf
// JSON parser accepts; encoding/json refuses them, and a diverged loss is
// worth recording.
type metricValue float64

func (v metricValue) MarshalJSON() ([]byte, error) {
	f := float64(v)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Infinity"`), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

type batch struct {
	RunID   string     `json:"run_id"`
	Metrics []metric   `json:"metrics,omitempty"`
	Params  []keyValue `json:"params,omitempty"`
	Tags    []keyValue `json:"tags,omitempty"`
}

// LogParams records params. MLflow params are write-once: logging a key
// again with another value is an error. Values are limited to 6000
// characters by the server.
func (r *Run) LogParams(ctx context.Context, params map[string]string) error {
	kv := sortedKV(params)
	for len(kv) > 0 {
		n := min(len(kv), maxBatchParams)
		if err := r.c.call(ctx, "runs/log-batch", nil, batch{RunID: r.ID, Params: kv[:n]}, nil); err != nil {
			return err
		}
		kv = kv[n:]
	}
	return nil
}

// SetTags sets tags on the run, replacing earlier values.
func (r *Run) SetTags(ctx context.Context, tags map[string]string) error {
	kv := sortedKV(tags)
	for len(kv) > 0 {
		n := min(len(kv), maxBatchTags)
		if err := r.c.call(ctx, "runs/log-batch", nil, batch{RunID: r.ID, Tags: kv[:n]}, nil); err != nil {
			return err
		}
		kv = kv[n:]
	}
	return nil
}

// LogMetric records one value of a metric at step (an epoch, an
// iteration; 0 for a final score).
func (r *Run) LogMetric(ctx context.Context, key string, value float64, step int64) error {
	return r.LogMetrics(ctx, map[string]float64{key: value}, step)
}

// LogMetrics records several metrics at the same step and time.
func (r *Run) LogMetrics(ctx context.Context, metrics map[string]float64, step int64) error {
	now := millis(r.c.cfg.Now())
	ms := make([]metric, 0, len(metrics))
	for k, v := range metrics {
		ms = append(ms, metric{k, metricValue(v), now, step})
	}
	slices.SortFunc(ms, func(a, b metric) int { return strings.Compare(a.Key, b.Key) })
	for len(ms) > 0 {
		n := min(len(ms), maxBatchMetrics)
		if err := r.c.call(ctx, "runs/log-batch", nil, batch{RunID: r.ID, Metrics: ms[:n]}, nil); err != nil {
			return err
		}
		ms = ms[n:]
	}
	return nil
}

// LogArtifact uploads body as the run artifact name, a slash-separated
// path such as "model/model.json", through the server's artifact proxy
// (mlflow server --serve-artifacts, the default since MLflow 2.0).
func (r *Run) LogArtifact(ctx context.Context, name string, body io.Reader) error {
	root, err := r.artifactRoot()
	if err != nil {
		return err
	}
	rel, err := artifactPath(name)
	if err != nil {
		return err
	}
	return r.c.send(ctx, "mlflow-artifacts/artifacts", http.MethodPut,
		"/api/2.0/mlflow-artifacts/artifacts/"+root+"/"+rel, body, "application/octet-stream", nil)
}

// artifactRoot is the run's artifact folder as the proxy names it: the
// path of its mlflow-artifacts URI, or <experiment>/<run>/artifacts, the
// server's default layout, when the server did not say.
func (r *Run) artifactRoot() (string, error) {
	if r.ArtifactURI == "" {
		return url.PathEscape(r.ExperimentID) + "/" + url.PathEscape(r.ID) + "/artifacts", nil
	}
	u, err := url.Parse(r.ArtifactURI)
	if err != nil || u.Scheme != "mlflow-artifacts" {
		return "", fmt.Errorf("mlflow: run %s stores artifacts at %q, which the mlflow-artifacts proxy does not serve (start the server with --serve-artifacts)", r.ID, r.ArtifactURI)
	}
	return strings.Trim(u.EscapedPath(), "/"), nil
}

// artifactPath checks and escapes an artifact name.
func artifactPath(name string) (string, error) {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", fmt.Errorf("mlflow: artifact name %q: want a relative slash-separated path", name)
		}
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/"), nil
}

// End sets the run's final status and end time.
func (r *Run) End(ctx context.Context, status Status) error {
	req := struct {
		RunID   string `json:"run_id"`
		Status  Status `json:"status"`
		EndTime int64  `json:"end_time"`
	}{r.ID, status, millis(r.c.cfg.Now())}
	return r.c.call(ctx, "runs/update", nil, req, nil)
}
