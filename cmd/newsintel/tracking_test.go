package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/artifacts"
	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// TestFinetuneMLflow runs `newsintel finetune` with MLflow on, against a
// fake tracking server that checks requests as MLflow would: one run in
// the named experiment, with the data counts as params, the variants as
// steps, both versions' final scores on both evaluation sets, the
// decision and data hash as tags, the new version's archive as an
// artifact, and status FINISHED. One database is enough: tracking reads
// only the report, and TestFinetuneCLI runs the command on both.
func TestFinetuneMLflow(t *testing.T) {
	for _, d := range storetest.Dialects()[:1] {
		t.Run(string(d), func(t *testing.T) {
			fake := newFakeMLflow(t)
			db, raw, url := storetest.OpenRaw(t, d)
			for _, l := range testLabels {
				storetest.AddLabel(t, db, raw, l)
			}
			env := map[string]string{"MODEL_DIR": sharedModelDir(), "DATA_DIR": t.TempDir(), "DB_URL": url,
				"FINETUNE_BASE_DATA": finetuneBase, "MLFLOW_TRACKING_URI": fake.srv.URL, "MLFLOW_ENABLED": "1",
				"MLFLOW_EXPERIMENT_NAME": "newsintel-test"}
			var stdout, stderr bytes.Buffer
			if err := run(context.Background(), []string{"finetune", "--force", "--json"}, envOf(env), nil, &stdout, &stderr); err != nil {
				t.Fatalf("finetune: %v\n%s", err, stderr.String())
			}
			var rep finetune.Report
			decode(t, stdout.Bytes(), &rep)

			r := fake.onlyRun(t)
			if id, _ := fake.experiment("newsintel-test"); id != r.Experiment || r.Name != ftVersion(1) || r.Status != "FINISHED" {
				t.Fatalf("run %+v, experiment newsintel-test %q", r, id)
			}
			for k, want := range map[string]string{"base_version": topic.DefaultVersion, "new_version": ftVersion(1), "tolerance": "0.01",
				"seed": "1", "data.human": "5", "data.human_review": "3", "data.human_feedback": "2", "data.human_train": "3",
				"data.human_eval": "2", "data.base_train": fmt.Sprint(rep.Counts.BaseTrain)} {
				if r.Params[k] != want {
					t.Errorf("param %s = %q, want %q", k, r.Params[k], want)
				}
			}
			// The report's JSON leaves the training details out; the new
			// version's model.json has them.
			meta := readMeta(t, filepath.Join(env["DATA_DIR"], rep.ModelPath))
			if r.Params["chosen_variant"] == "" || r.Params["variant.0"] != meta.Variants[0].Name {
				t.Errorf("variant params %v, model variants %v", r.Params, meta.Variants)
			}
			for k, want := range map[string]string{"decision": rep.Decision, "promoted": "true", "new_version": ftVersion(1),
				"training_data_sha256": meta.Training.DataHash, "mlflow.source.git.commit": readBuild().Revision} {
				if r.Tags[k] != want {
					t.Errorf("tag %s = %q, want %q", k, r.Tags[k], want)
				}
			}
			if meta.Training.DataHash == "" || !strings.HasPrefix(rep.Decision, "promoted") {
				t.Fatalf("data hash %q, decision %q", meta.Training.DataHash, rep.Decision)
			}
			steps := r.metric("variant_dev_macro_f1")
			if len(steps) != len(meta.Variants) || steps[0] != meta.Variants[0].MacroF1 {
				t.Errorf("per-variant steps %v for variants %v", steps, meta.Variants)
			}
			for key, want := range map[string]float64{
				"current_frozen_macro_f1": rep.Current.Frozen.MacroF1, "candidate_frozen_macro_f1": rep.Candidate.Frozen.MacroF1,
				"current_human_macro_f1": rep.Current.Human.MacroF1, "candidate_human_macro_f1": rep.Candidate.Human.MacroF1,
				"current_frozen_n": float64(rep.Current.Frozen.N), "promoted": 1,
				"delta_frozen_macro_f1": rep.Candidate.Frozen.MacroF1 - rep.Current.Frozen.MacroF1,
			} {
				if got, ok := r.metric(key)[0]; !ok || got != want {
					t.Errorf("metric %s = %v (logged %v), want %v", key, got, ok, want)
				}
			}

			// The archive is the one bundle-artifacts makes of the version.
			man, err := artifacts.Verify(bytes.NewReader(fake.artifact(r, "model/"+ftVersion(1)+".tar.gz")))
			if err != nil || man.ModelID != ftVersion(1) || man.DataHash != meta.Training.DataHash {
				t.Fatalf("uploaded archive: %+v, %v", man, err)
			}
			if !strings.Contains(stderr.String(), "mlflow: run started") {
				t.Errorf("the CLI did not say where the run went:\n%s", stderr.String())
			}
		})
	}
}

// TestFinetuneMLflowFailedRun: a fine-tune that fails is logged too, as
// FAILED with the error; with MLFLOW_ENABLED=0 nothing is sent.
func TestFinetuneMLflowFailedRun(t *testing.T) {
	fake := newFakeMLflow(t)
	url := storetest.URL(t, storetest.Dialects()[0])
	env := map[string]string{"MODEL_DIR": sharedModelDir(), "DATA_DIR": t.TempDir(), "DB_URL": url,
		"FINETUNE_BASE_DATA": filepath.Join(t.TempDir(), "missing.csv"), "MLFLOW_TRACKING_URI": fake.srv.URL}
	err := run(context.Background(), []string{"finetune", "--cache-dir", "off"}, envOf(env), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Fatalf("finetune without base data: %v", err)
	}
	r := fake.onlyRun(t)
	if r.Status != "FAILED" || !strings.Contains(r.Tags["error"], "missing.csv") || r.Tags["outcome"] != "failed" ||
		r.Params["base_version"] != topic.DefaultVersion || r.Name != "finetune-run-1" {
		t.Fatalf("failed run: %+v", r)
	}
	if _, ok := fake.experiment(defaultMLflowExperiment); !ok {
		t.Errorf("no experiment %s, the default", defaultMLflowExperiment)
	}

	env["MLFLOW_ENABLED"] = "0"
	before := fake.nRequests()
	if err := run(context.Background(), []string{"finetune", "--cache-dir", "off"}, envOf(env), nil, io.Discard, io.Discard); err == nil {
		t.Fatal("the second run succeeded")
	}
	if n := fake.nRequests() - before; n != 0 {
		t.Fatalf("MLFLOW_ENABLED=0 still sent %d requests", n)
	}
}

// TestFinetuneMLflowDown: with the tracking server unreachable, a
// fine-tune started through the API succeeds, and
// newsintel_mlflow_errors_total counts the failure. One database is
// enough: tracking never touches it, and TestFinetuneAPI runs the server
// path on both.
func TestFinetuneMLflowDown(t *testing.T) {
	for _, d := range storetest.Dialects()[:1] {
		t.Run(string(d), func(t *testing.T) {
			gone := httptest.NewServer(http.NotFoundHandler())
			gone.Close() // nothing listens there any more
			db, raw, url := storetest.OpenRaw(t, d)
			s := startServer(t, map[string]string{"DB_URL": url, "API_KEYS": testKey, "DATA_DIR": t.TempDir(),
				"FINETUNE_BASE_DATA": finetuneBase, "MLFLOW_TRACKING_URI": gone.URL, "MLFLOW_HTTP_REQUEST_TIMEOUT": "2"})
			for _, l := range testLabels {
				storetest.AddLabel(t, db, raw, l)
			}
			auth := http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}}
			errorsLine := `newsintel_mlflow_errors_total{op="start_run"} `
			_, body := get(t, s.URL+"/metrics/prometheus", auth)
			if !strings.Contains(string(body), errorsLine+"0") {
				t.Fatalf("before any run, /metrics/prometheus lacks %s0:\n%s", errorsLine, body)
			}
			res, body := post(t, s.URL+"/admin/finetune", `{"force":true}`, auth)
			if res.StatusCode != http.StatusAccepted {
				t.Fatalf("finetune: %d %s", res.StatusCode, body)
			}
			var runs []store.TrainingRun
			waitFor(t, "the run to finish", func() bool {
				var err error
				runs, err = db.TrainingRuns(context.Background(), 1)
				return err == nil && len(runs) == 1 && runs[0].Status != store.RunRunning
			})
			if runs[0].Status != store.RunSucceeded || runs[0].NewVersion != ftVersion(1) {
				t.Fatalf("run with MLflow down: %+v", runs[0])
			}
			waitFor(t, "the error to be counted", func() bool {
				_, body := get(t, s.URL+"/metrics/prometheus", auth)
				return strings.Contains(string(body), errorsLine+"1")
			})
			if !strings.Contains(s.Logs.String(), "mlflow: tracking failed") {
				t.Errorf("the failure was not logged:\n%s", s.Logs)
			}
		})
	}
}

// readMeta reads a model folder's model.json.
func readMeta(t *testing.T, dir string) topic.Meta {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, topic.MetaFile))
	if err != nil {
		t.Fatal(err)
	}
	var m topic.Meta
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if m.Training == nil {
		t.Fatalf("%s records no training", dir)
	}
	return m
}
