package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
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

	for _, args := range [][]string{{"train"}, {"train", "--data", "x"}, {"train", "--data", "x", "--agnews", "y", "--out", "z"}, {"eval"}, {"eval", "--model", "m"}, {"eval", "--model", "m", "--data", "x", "--bbc", "y"}} {
		if err := run(context.Background(), args, envOf(env), nil, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

// writeAGNews writes a small AG News folder (the three subsets, in their
// three formats) and a BBC News Summary file beside it.
func writeAGNews(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "ag_news")
	if err := os.MkdirAll(filepath.Join(root, "bbc_news_summary"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	words := [][]string{
		{"minister", "election", "troops", "president", "rebels", "embassy"},
		{"striker", "coach", "league", "cup", "match", "season"},
		{"shares", "profit", "bank", "stocks", "earnings", "investors"},
		{"software", "internet", "chip", "space", "computer", "researchers"},
	}
	text := func(label, i int, file string) string {
		w := words[label]
		return fmt.Sprintf("%s %s %s in %s report number %d", w[i%6], w[(i+1)%6], w[(i+3)%6], file, i)
	}
	var noisy, first, joint strings.Builder
	noisy.WriteString("label,gt,text,group\n")
	joint.WriteString("label,content\n")
	for label := range 4 {
		for i := range 12 {
			fmt.Fprintf(&noisy, "%d,%d,\"Title %d . %s\",0\n", label, label, i, text(label, i, "noisy"))
			fmt.Fprintf(&first, "%d,\"Headline %d\",\"%s\"\n", label+1, i, text(label, i, "first"))
			fmt.Fprintf(&joint, "%d,\"%s\"\n", label+1, text(label, i, "joint"))
		}
	}
	var bbc strings.Builder
	for i, cat := range []string{"politics", "sport", "business", "tech", "entertainment"} {
		w := words[min(i, 3)]
		fmt.Fprintf(&bbc, `{"id": "%s/001", "category": "%s", "title": "%s news", "article": "The %s and the %s.\n\nMore."}`+"\n", cat, cat, w[0], w[1], w[2])
	}
	for name, body := range map[string]string{
		filepath.Join(dir, topic.AGNoisyFile): noisy.String(), filepath.Join(dir, topic.AGFirstFile): first.String(),
		filepath.Join(dir, topic.AGJointFile): joint.String(), filepath.Join(root, "bbc_news_summary", "bbc_news_summary.jsonl"): bbc.String(),
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestTrainAGNewsHonestSplit runs the --agnews recipe on a small AG News
// folder: a test split and the BBC check are measured and recorded, and
// --split random gives agnews-v1's split without them.
func TestTrainAGNewsHonestSplit(t *testing.T) {
	dir := writeAGNews(t)
	env := map[string]string{"MODEL_DIR": sharedModelDir(), "DATA_DIR": t.TempDir()}
	out := filepath.Join(t.TempDir(), "model")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"train", "--agnews", dir, "--out", out, "--seed", "2", "--variants", "lr", "--l2", "1e-4"},
		envOf(env), nil, &stdout, &stderr)
	if err != nil {
		t.Fatalf("train: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"test acc", "bbc acc", "test metrics of lr", "bbc metrics of lr"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "BBC check: 4 articles") || !strings.Contains(stderr.String(), "near-duplicates (word-trigram Jaccard >= 0.3)") {
		t.Errorf("train log lacks the BBC check or the near-duplicate count:\n%s", stderr.String())
	}
	m, err := topic.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	tr := m.Training
	if tr.Test == 0 || tr.Train+tr.Dev+tr.Test != 144 || tr.NearDup == nil || tr.NearDup.Leaked != 0 || len(m.HeldOut) != 2 ||
		m.HeldOut[1].Set != topic.BBCCheckName || m.HeldOut[1].N != 4 || len(tr.Options.L2) != 1 {
		t.Fatalf("training record %+v, held-out metrics %+v", tr, m.HeldOut)
	}

	stdout.Reset()
	stderr.Reset()
	if err := run(context.Background(), []string{"train", "--agnews", dir, "--split", "random", "--bbc", "off", "--out", out, "--variants", "lr"},
		envOf(env), nil, &stdout, &stderr); err != nil {
		t.Fatalf("train --split random: %v\n%s", err, stderr.String())
	}
	if m, err = topic.Load(out); err != nil || m.Training.Test != 0 || m.Training.NearDup != nil || len(m.HeldOut) != 0 || m.Training.Dev != 16 {
		t.Fatalf("--split random: err %v, training %+v, held-out %+v", err, m.Training, m.HeldOut)
	}
	for _, bad := range [][]string{{"--split", "sideways"}, {"--l2", "0"}, {"--hash-l2", "x"}} {
		args := append([]string{"train", "--agnews", dir, "--out", out}, bad...)
		if err := run(context.Background(), args, envOf(env), nil, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
}

func TestMinGain(t *testing.T) {
	for _, tt := range []struct {
		margin, want float64
		ok           bool
	}{{0.005, 0.005, true}, {0, -1, true}, {0.02, 0.02, true}, {-0.01, 0, false}, {1, 0, false}, {math.NaN(), 0, false}} {
		got, err := minGain(tt.margin)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("minGain(%g) = %g, %v; want %g (ok %v)", tt.margin, got, err, tt.want, tt.ok)
		}
	}
}
