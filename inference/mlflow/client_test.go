package mlflow

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixedNow is the fake clock: 2026-11-27 16:20:00 UTC.
func fixedNow() time.Time { return time.Date(2026, 11, 27, 16, 20, 0, 0, time.UTC) }

func newClient(f *fakeMLflow) *Client {
	return New(Config{TrackingURI: f.srv.URL + "/", Now: fixedNow})
}

func TestRunLifecycle(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	c := New(Config{TrackingURI: f.srv.URL, Now: fixedNow, Username: "ci", Password: "s3cret"})
	fixedMillis := fixedNow().UnixMilli()

	run, err := c.StartRun(ctx, "newsintel-topic", "agnews-v1", map[string]string{"git_commit": "efd12f8", "mlflow.source.name": "newsintel train"})
	if err != nil {
		t.Fatal(err)
	}
	if run.ID != "run01" || run.ExperimentID != "1" || run.ArtifactURI != "mlflow-artifacts:/1/run01/artifacts" {
		t.Errorf("run = %+v", run)
	}
	params := map[string]string{"seed": "1", "variants": "lr,hash"}
	for i := range 150 {
		params[fmt.Sprintf("p%03d", i)] = fmt.Sprint(i)
	}
	must(t, run.LogParams(ctx, params))
	must(t, run.LogMetric(ctx, "train_loss", 0.5, 1))
	must(t, run.LogMetric(ctx, "train_loss", 0.25, 2))
	must(t, run.LogMetrics(ctx, map[string]float64{"dev_accuracy": 0.9193, "dev_log_loss": math.Inf(1), "dev_ece": math.NaN()}, 0))
	must(t, run.SetTags(ctx, map[string]string{"model_id": "agnews-v1"}))
	must(t, run.LogArtifact(ctx, "model/card #1.md", strings.NewReader("# card\n")))
	must(t, run.End(ctx, StatusFinished))

	got := f.runs["run01"]
	if got.Experiment != "1" || got.Name != "agnews-v1" || got.StartTime != fixedMillis {
		t.Errorf("run created as %+v", got)
	}
	if got.Status != "FINISHED" || got.EndTime != fixedMillis {
		t.Errorf("run ended with status %q at %d", got.Status, got.EndTime)
	}
	if len(got.Params) != 152 || got.Params["seed"] != "1" || got.Params["p149"] != "149" {
		t.Errorf("%d params logged, seed %q", len(got.Params), got.Params["seed"])
	}
	if got.Tags["git_commit"] != "efd12f8" || got.Tags["model_id"] != "agnews-v1" || got.Tags["mlflow.source.name"] != "newsintel train" {
		t.Errorf("tags %v", got.Tags)
	}
	var metrics []string
	for _, m := range got.Metrics {
		if m.Timestamp != fixedMillis {
			t.Errorf("metric %s timestamp %d", m.Key, m.Timestamp)
		}
		metrics = append(metrics, fmt.Sprintf("%s=%s@%d", m.Key, m.Value, m.Step))
	}
	want := []string{"train_loss=0.5@1", "train_loss=0.25@2", `dev_accuracy=0.9193@0`, `dev_ece="NaN"@0`, `dev_log_loss="Infinity"@0`}
	if !slices.Equal(metrics, want) {
		t.Errorf("metrics\n got %v\nwant %v", metrics, want)
	}
	if body, ok := f.artifacts["1/run01/artifacts/model/card%20%231.md"]; !ok || body != "# card\n" {
		t.Errorf("artifacts %v", f.artifacts)
	}
	// 150+ params take two batches (MLflow accepts 100 per request).
	if n := f.count("POST", "/api/2.0/mlflow/runs/log-batch"); n != 2+2+1+1 {
		t.Errorf("%d log-batch requests, want 6", n)
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte("ci:s3cret"))
	for _, r := range f.requests {
		if r.Header.Get("Authorization") != wantAuth {
			t.Errorf("%s %s: Authorization %q", r.Method, r.Path, r.Header.Get("Authorization"))
		}
	}
	if r := f.requests[len(f.requests)-2]; r.Method != http.MethodPut || r.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("artifact upload: %s %s", r.Method, r.Header.Get("Content-Type"))
	}

	// A second run reuses the experiment.
	run2, err := c.StartRun(ctx, "newsintel-topic", "agnews-v2", nil)
	if err != nil {
		t.Fatal(err)
	}
	if run2.ExperimentID != "1" || len(f.experiments) != 1 {
		t.Errorf("second run in experiment %s; %d experiments", run2.ExperimentID, len(f.experiments))
	}
	if n := f.count("POST", "/api/2.0/mlflow/experiments/create"); n != 1 {
		t.Errorf("experiment created %d times, want once", n)
	}
}

func TestExperimentID(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		setup   func(f *fakeMLflow)
		wantID  string
		creates int
		wantErr string
	}{
		{"created when missing", nil, "1", 1, ""},
		{"reused when it exists", func(f *fakeMLflow) { f.experiments["exp"] = &fakeExperiment{ID: "7"} }, "7", 0, ""},
		{"created meanwhile by someone else", func(f *fakeMLflow) {
			f.experiments["exp"] = &fakeExperiment{ID: "9"}
			f.hideOnce = "exp"
		}, "9", 1, ""},
		{"deleted", func(f *fakeMLflow) { f.experiments["exp"] = &fakeExperiment{ID: "3", Deleted: true} }, "", 0,
			`mlflow: experiment "exp" (id 3) is deleted`},
		{"server error", func(f *fakeMLflow) { f.fail["experiments/get-by-name"] = 503 }, "", 0,
			"mlflow: experiments/get-by-name: HTTP 503 INTERNAL_ERROR: the database is on fire"},
		{"create fails", func(f *fakeMLflow) { f.fail["experiments/create"] = 403 }, "", 1,
			"mlflow: experiments/create: HTTP 403 INTERNAL_ERROR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			id, err := newClient(f).ExperimentID(ctx, "exp")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil || id != tt.wantID {
				t.Fatalf("ExperimentID = %q, %v; want %q", id, err, tt.wantID)
			}
			if n := f.count("POST", "/api/2.0/mlflow/experiments/create"); n != tt.creates {
				t.Errorf("%d creates, want %d", n, tt.creates)
			}
		})
	}
}

func TestAPIError(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	run, err := newClient(f).StartRun(ctx, "e", "r", nil)
	must(t, err)
	must(t, run.LogParams(ctx, map[string]string{"seed": "1"}))
	err = run.LogParams(ctx, map[string]string{"seed": "2"})
	var ae *APIError
	if !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != "INVALID_PARAMETER_VALUE" || ae.Op != "runs/log-batch" {
		t.Errorf("err = %#v", err)
	}

	// A proxy's HTML error page, not MLflow's JSON.
	proxy := newFakeHandler(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html><body>502 Bad\n  Gateway</body></html>", http.StatusBadGateway)
	})
	_, err = New(Config{TrackingURI: proxy}).StartRun(ctx, "e", "r", nil)
	if !errors.As(err, &ae) || ae.Code != "" || ae.Message != "<html><body>502 Bad Gateway</body></html>" {
		t.Errorf("err = %v", err)
	}
}

func TestArtifactRoot(t *testing.T) {
	tests := []struct {
		uri, want, wantErr string
	}{
		{"mlflow-artifacts:/1/run01/artifacts", "1/run01/artifacts", ""},
		{"mlflow-artifacts://mlflow:5000/4/abc/artifacts/", "4/abc/artifacts", ""},
		{"", "2/run01/artifacts", ""},
		{"s3://bucket/mlflow/2/run01/artifacts", "", "does not serve"},
		{"/var/mlruns/2/run01/artifacts", "", "does not serve"},
	}
	for _, tt := range tests {
		r := &Run{ID: "run01", ExperimentID: "2", ArtifactURI: tt.uri}
		got, err := r.artifactRoot()
		if got != tt.want || (err == nil) != (tt.wantErr == "") || err != nil && !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("artifactRoot(%q) = %q, %v; want %q, %q", tt.uri, got, err, tt.want, tt.wantErr)
		}
	}
	for _, bad := range []string{"", "/etc/passwd", "a/../b", "a//b", "./x"} {
		if _, err := artifactPath(bad); err == nil {
			t.Errorf("artifactPath(%q) accepted", bad)
		}
	}
}

// An artifact root the proxy does not serve fails before any upload.
func TestLogArtifactNonProxyRoot(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	f.artifactURI = "s3://bucket/mlruns/1/x/artifacts"
	run, err := newClient(f).StartRun(ctx, "e", "r", nil)
	must(t, err)
	if err := run.LogArtifact(ctx, "m.json", strings.NewReader("{}")); err == nil || !strings.Contains(err.Error(), "--serve-artifacts") {
		t.Errorf("err = %v", err)
	}
	if len(f.artifacts) != 0 {
		t.Errorf("uploaded %v", f.artifacts)
	}
}

func TestBadTrackingURI(t *testing.T) {
	for _, uri := range []string{"", "file:./mlruns", "databricks", "http://"} {
		_, err := New(Config{TrackingURI: uri}).StartRun(context.Background(), "e", "r", nil)
		if err == nil || !strings.Contains(err.Error(), "tracking URI") {
			t.Errorf("%q: err = %v", uri, err)
		}
	}
}

func TestBearerToken(t *testing.T) {
	f := newFake(t)
	_, err := New(Config{TrackingURI: f.srv.URL, Token: "tok", Username: "ignored"}).ExperimentID(context.Background(), "e")
	must(t, err)
	if got := f.requests[0].Header.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("Authorization %q", got)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want Status
	}{
		{nil, StatusFinished},
		{errors.New("diverged"), StatusFailed},
		{fmt.Errorf("train: %w", context.Canceled), StatusKilled},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		env     map[string]string
		enabled bool
		timeout time.Duration
	}{
		{map[string]string{}, false, 0},
		{map[string]string{"MLFLOW_TRACKING_URI": "http://mlflow:5000"}, true, 0},
		{map[string]string{"MLFLOW_TRACKING_URI": "http://mlflow:5000", "MLFLOW_ENABLED": "0"}, false, 0},
		{map[string]string{"MLFLOW_TRACKING_URI": "http://mlflow:5000", "MLFLOW_ENABLED": " False "}, false, 0},
		{map[string]string{"MLFLOW_TRACKING_URI": "http://mlflow:5000", "MLFLOW_ENABLED": "1"}, true, 0},
		{map[string]string{"MLFLOW_ENABLED": "1"}, false, 0},
		{map[string]string{"MLFLOW_TRACKING_URI": "http://m", "MLFLOW_HTTP_REQUEST_TIMEOUT": "2.5"}, true, 2500 * time.Millisecond},
		{map[string]string{"MLFLOW_TRACKING_URI": "http://m", "MLFLOW_HTTP_REQUEST_TIMEOUT": "soon"}, true, 0},
	}
	for _, tt := range tests {
		cfg, enabled := ConfigFromEnv(func(k string) string { return tt.env[k] })
		if enabled != tt.enabled || cfg.Timeout != tt.timeout || cfg.TrackingURI != tt.env["MLFLOW_TRACKING_URI"] {
			t.Errorf("%v: enabled %v timeout %v uri %q", tt.env, enabled, cfg.Timeout, cfg.TrackingURI)
		}
	}
	cfg, _ := ConfigFromEnv(func(k string) string {
		return map[string]string{"MLFLOW_TRACKING_USERNAME": "u", "MLFLOW_TRACKING_PASSWORD": "p", "MLFLOW_TRACKING_TOKEN": "t"}[k]
	})
	if cfg.Username != "u" || cfg.Password != "p" || cfg.Token != "t" {
		t.Errorf("credentials %+v", cfg)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
