package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/topic"
)

// TestTrainAndEval trains a model on a small labeled file through the CLI,
// then evaluates it, both with the real encoder.
func TestTrainAndEval(t *testing.T) {
	env := map[string]string{"MODEL_DIR": sharedModelDir(), "DATA_DIR": t.TempDir()}
	out := filepath.Join(t.TempDir(), "model")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"train", "--data", "testdata/topics.csv", "--text-col", "headline",
		"--label-col", "topic", "--out", out, "--seed", "3", "--variants", "lr"}, envOf(env), nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("train: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"accuracy", "macro-F1", "wrote " + out} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout.String())
		}
	}
	m, err := topic.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Labels) != 4 || m.Training == nil || !strings.Contains(m.Training.Command, "--seed 3") {
		t.Fatalf("artifact: labels %v, training %+v", m.Labels, m.Training)
	}
	if _, err := os.Stat(filepath.Join(env["DATA_DIR"], "cache", "embeddings")); err != nil {
		t.Errorf("no embedding cache: %v", err)
	}

	stdout.Reset()
	err = run(context.Background(), []string{"eval", "--model", out, "--data", "testdata/topics.csv", "--text-col", "headline",
		"--label-col", "topic", "--json"}, envOf(env), nil, &stdout, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var metrics topic.Metrics
	if err := json.Unmarshal(stdout.Bytes(), &metrics); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, stdout.String())
	}
	// Mostly training data: a model that learned anything scores well.
	if metrics.Accuracy < 0.8 || len(metrics.Confusion) != 4 {
		t.Fatalf("eval metrics: accuracy %v, confusion %v", metrics.Accuracy, metrics.Confusion)
	}

	for _, args := range [][]string{{"train"}, {"train", "--data", "x"}, {"train", "--data", "x", "--agnews", "y", "--out", "z"}, {"eval"}, {"eval", "--model", "m"}} {
		if err := run(context.Background(), args, envOf(env), nil, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
