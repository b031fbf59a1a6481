package mlflow

import (
	"bytes"
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newFakeHandler serves h and returns its URL.
func newFakeHandler(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

// recorderFor returns a recorder over a client of uri, the counts its
// error callback received and its log.
func recorderFor(uri string, timeout time.Duration) (*Recorder, map[string]int, *bytes.Buffer) {
	counts := map[string]int{}
	var log bytes.Buffer
	c := New(Config{TrackingURI: uri, Timeout: timeout, Now: fixedNow})
	return NewRecorder(c, slog.New(slog.NewTextHandler(&log, nil)), func(op string) { counts[op]++ }), counts, &log
}

// train stands for a training run that tracks itself: whatever the
// tracking server does, it must return its own result.
func train(ctx context.Context, rec *Recorder) (float64, error) {
	run := rec.StartRun(ctx, "newsintel-topic", "agnews-v1", map[string]string{"git_commit": "efd12f8"})
	run.LogParams(ctx, map[string]string{"seed": "1"})
	acc := 0.0
	for epoch := range int64(3) {
		acc += 0.3
		run.LogMetric(ctx, "dev_accuracy", acc, epoch)
	}
	run.LogMetrics(ctx, map[string]float64{"dev_macro_f1": 0.88}, 0)
	run.SetTags(ctx, map[string]string{"model_id": "agnews-v1"})
	run.LogArtifact(ctx, "model/model.json", strings.NewReader("{}"))
	run.End(ctx, StatusFinished)
	return acc, nil
}

func TestRecorderRecordsRun(t *testing.T) {
	f := newFake(t)
	rec, counts, log := recorderFor(f.srv.URL, 0)
	acc, err := train(context.Background(), rec)
	if err != nil || acc < 0.89 {
		t.Fatalf("train = %v, %v", acc, err)
	}
	if len(counts) != 0 {
		t.Errorf("errors counted: %v", counts)
	}
	run := f.runs["run01"]
	if run == nil || run.Status != "FINISHED" || run.Params["seed"] != "1" || len(run.Metrics) != 4 || run.Tags["model_id"] != "agnews-v1" {
		t.Fatalf("run %+v", run)
	}
	if f.artifacts["1/run01/artifacts/model/model.json"] != "{}" {
		t.Errorf("artifacts %v", f.artifacts)
	}
	if !strings.Contains(log.String(), "run_id=run01") {
		t.Errorf("log lacks the run id:\n%s", log)
	}
}

func TestRecorderServerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	uri := srv.URL
	srv.Close()
	rec, counts, log := recorderFor(uri, 0)
	start := time.Now()
	acc, err := train(context.Background(), rec)
	if err != nil || acc < 0.89 {
		t.Fatalf("train = %v, %v; tracking must not affect it", acc, err)
	}
	// The run never started, so only its start is counted: every later
	// call is a no-op instead of another failed request.
	if want := map[string]int{OpStartRun: 1}; !maps.Equal(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	if !strings.Contains(log.String(), "level=WARN") || !strings.Contains(log.String(), "op=start_run") || !strings.Contains(log.String(), "connection refused") {
		t.Errorf("log:\n%s", log)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func TestRecorderServerErrorsMidRun(t *testing.T) {
	f := newFake(t)
	f.fail["runs/log-batch"] = 500
	f.fail["mlflow-artifacts"] = 500
	rec, counts, log := recorderFor(f.srv.URL, 0)
	if _, err := train(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{OpLogParams: 1, OpLogMetrics: 4, OpSetTags: 1, OpLogArtifact: 1}
	if !maps.Equal(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	// The run is still closed.
	if f.runs["run01"].Status != "FINISHED" {
		t.Errorf("status %q", f.runs["run01"].Status)
	}
	if !strings.Contains(log.String(), "HTTP 500 INTERNAL_ERROR") {
		t.Errorf("log lacks the server's error:\n%s", log)
	}
}

func TestRecorderTimeout(t *testing.T) {
	uri := newFakeHandler(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	rec, counts, log := recorderFor(uri, 50*time.Millisecond)
	start := time.Now()
	if _, err := train(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("a hung server held training for %v", time.Since(start))
	}
	if counts[OpStartRun] != 1 || !strings.Contains(log.String(), "deadline exceeded") {
		t.Errorf("counts %v, log:\n%s", counts, log)
	}
}

func TestRecorderDisabled(t *testing.T) {
	f := newFake(t)
	env := map[string]string{"MLFLOW_TRACKING_URI": f.srv.URL, "MLFLOW_ENABLED": "0"}
	cfg, enabled := ConfigFromEnv(func(k string) string { return env[k] })
	var c *Client
	if enabled {
		c = New(cfg)
	}
	counted := 0
	rec := NewRecorder(c, nil, func(string) { counted++ })
	if rec.Enabled() {
		t.Error("recorder enabled")
	}
	for _, r := range []*Recorder{rec, nil} {
		if _, err := train(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	var nilRun *SafeRun
	nilRun.LogMetric(context.Background(), "x", 1, 0)
	nilRun.End(context.Background(), StatusFailed)
	if nilRun.Active() || nilRun.ID() != "" {
		t.Error("nil run is active")
	}
	if n := len(f.paths()); n != 0 || counted != 0 {
		t.Errorf("%d requests, %d errors counted; want none", n, counted)
	}
}

// End gets the final status through even when the caller's context is
// already cancelled (an interrupted training run).
func TestSafeRunEndAfterCancel(t *testing.T) {
	f := newFake(t)
	rec, counts, _ := recorderFor(f.srv.URL, 0)
	ctx, cancel := context.WithCancel(context.Background())
	run := rec.StartRun(ctx, "e", "r", nil)
	if !run.Active() || run.ID() != "run01" {
		t.Fatalf("run not started")
	}
	cancel()
	run.LogMetric(ctx, "loss", 1, 0) // fails: the context is done
	run.End(ctx, StatusOf(ctx.Err()))
	if got := f.runs["run01"].Status; got != "KILLED" {
		t.Errorf("status %q, want KILLED", got)
	}
	if want := map[string]int{OpLogMetrics: 1}; !maps.Equal(counts, want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
}

func TestOps(t *testing.T) {
	ops := Ops()
	if len(ops) != 6 || ops[0] != OpStartRun {
		t.Errorf("Ops() = %v", ops)
	}
}
