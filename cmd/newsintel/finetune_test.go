package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// ftVersion is the version the n-th fine-tune of the built-in model gets
// on a fresh database: they are numbered on from it ("agnews-v3" after
// agnews-v2).
func ftVersion(n int) string {
	i := strings.LastIndex(topic.DefaultVersion, "-v")
	v, err := strconv.Atoi(topic.DefaultVersion[i+2:])
	if i < 0 || err != nil {
		panic("the built-in model's version is not numbered: " + topic.DefaultVersion)
	}
	return topic.DefaultVersion[:i+2] + strconv.Itoa(v+n)
}

// finetuneBase is the tiny base data set of the fine-tune tests.
const finetuneBase = "../../inference/finetune/testdata/base.csv"

var testLabels = []storetest.HumanLabel{
	{Title: "Parliament", Body: "Lawmakers vote to dissolve the coalition government", Label: "World", Source: "review"},
	{Title: "Derby", Body: "The visiting side scores a late winner in the derby", Label: "Sports", Source: "feedback"},
	{Title: "Earnings", Body: "The bank posts a record annual profit on trading gains", Label: "Business", Source: "review"},
	{Title: "Satellites", Body: "A rocket carries weather satellites into orbit", Label: "Sci/Tech", Source: "feedback"},
	{Title: "Summit", Body: "Leaders agree on a plan to end the regional conflict", Label: "World", Source: "review"},
}

// TestFinetuneCLI runs `newsintel finetune` on each database: it trains,
// records and promotes a version, and refuses to run beside another run.
func TestFinetuneCLI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, raw, url := storetest.OpenRaw(t, d)
			for _, l := range testLabels {
				storetest.AddLabel(t, db, raw, l)
			}
			env := map[string]string{"MODEL_DIR": sharedModelDir(), "DATA_DIR": t.TempDir(), "DB_URL": url,
				"FINETUNE_BASE_DATA": finetuneBase}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"finetune", "--force", "--json"}, envOf(env), nil, &stdout, &stderr)
			if err != nil {
				t.Fatalf("finetune: %v\n%s", err, stderr.String())
			}
			var rep finetune.Report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("report: %v\n%s", err, stdout.String())
			}
			if rep.NewVersion != ftVersion(1) || !rep.Promoted || rep.Counts.Human != 5 || rep.Counts.HumanTrain != 3 {
				t.Fatalf("report: %+v", rep)
			}
			if _, err := topic.Load(filepath.Join(env["DATA_DIR"], finetune.ModelsDir, ftVersion(1))); err != nil {
				t.Fatalf("version folder: %v", err)
			}
			runRec, err := db.TrainingRun(context.Background(), rep.RunID)
			if err != nil || runRec.TriggeredBy != store.TriggerCLI || !runRec.Forced || len(runRec.LabelIDs) != 3 {
				t.Fatalf("run record: %+v, %v", runRec, err)
			}
			if !strings.Contains(stderr.String(), "embed") {
				t.Errorf("no progress shown:\n%s", stderr.String())
			}

			// Another process holds the lock.
			other, err := db.StartTrainingRun(context.Background(), store.NewTrainingRun{TriggeredBy: store.TriggerAPI}, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			err = run(context.Background(), []string{"finetune"}, envOf(env), nil, io.Discard, io.Discard)
			if !errors.Is(err, store.ErrConflict) || !strings.Contains(err.Error(), fmt.Sprintf("training run %d is running", other.ID)) {
				t.Fatalf("finetune beside a running run: %v", err)
			}
			for _, args := range [][]string{{"finetune", "extra"}, {"finetune", "--force", "--dry-run"}, {"finetune", "--tolerance", "2"}} {
				if err := run(context.Background(), args, envOf(env), nil, io.Discard, io.Discard); !errors.Is(err, errUsage) {
					t.Errorf("%v: %v, want a usage error", args, err)
				}
			}
		})
	}
}

// decode reads a JSON body into v.
func decode(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
}

// waitFor polls cond until it holds; the deadline only bounds a broken
// test, it measures nothing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFinetuneAPI starts fine-tunes through POST /admin/finetune and
// through FINETUNE_AUTO_LABELS, in the server process.
func TestFinetuneAPI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			db, raw, url := storetest.OpenRaw(t, d)
			ctx := context.Background()
			s := startServer(t, map[string]string{"DB_URL": url, "API_KEYS": testKey, "DATA_DIR": t.TempDir(),
				"FINETUNE_BASE_DATA": finetuneBase, "FINETUNE_AUTO_LABELS": "3", "MODEL_POLL_INTERVAL": "50ms"})
			auth := http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}}
			for _, l := range testLabels[:2] {
				storetest.AddLabel(t, db, raw, l)
			}

			// Another process is fine-tuning: 409 naming its run.
			other, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerCLI, BaseVersion: topic.DefaultVersion}, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			res, body := post(t, s.URL+"/admin/finetune", `{"force":true}`, auth)
			if res.StatusCode != http.StatusConflict || !strings.Contains(string(body), fmt.Sprintf("training run %d is running", other.ID)) {
				t.Fatalf("finetune while another runs: %d %s", res.StatusCode, body)
			}
			if err := db.FinishTrainingRun(ctx, other.ID, store.TrainingResult{Status: store.RunFailed, Error: "test"}); err != nil {
				t.Fatal(err)
			}
			res, body = post(t, s.URL+"/admin/finetune", `{"dry_run":1}`, auth)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("bad body: %d %s", res.StatusCode, body)
			}

			res, body = post(t, s.URL+"/admin/finetune", `{"force":true}`, auth)
			if res.StatusCode != http.StatusAccepted {
				t.Fatalf("finetune: %d %s", res.StatusCode, body)
			}
			var started struct {
				RunID int64  `json:"run_id"`
				URL   string `json:"url"`
			}
			decode(t, body, &started)
			var runJSON struct {
				Status      string `json:"status"`
				TriggeredBy string `json:"triggered_by"`
				NewVersion  string `json:"new_version"`
				Decision    string `json:"decision"`
				Error       string `json:"error"`
			}
			waitFor(t, "the API run to finish", func() bool {
				_, body := get(t, s.URL+started.URL, auth)
				decode(t, body, &runJSON)
				return runJSON.Status != store.RunRunning
			})
			if runJSON.Status != store.RunSucceeded || runJSON.TriggeredBy != store.TriggerAPI || runJSON.NewVersion != ftVersion(1) {
				t.Fatalf("API run: %+v", runJSON)
			}
			// The server follows its own promotion.
			waitFor(t, "the server to serve "+ftVersion(1), func() bool {
				_, body := get(t, s.URL+"/ready", nil)
				return strings.Contains(string(body), `"model_version":"`+ftVersion(1)+`"`)
			})

			// Three new labels start a run by themselves.
			for _, l := range testLabels[2:] {
				storetest.AddLabel(t, db, raw, l)
			}
			var runs []store.TrainingRun
			waitFor(t, "an automatic run to finish", func() bool {
				runs, err = db.TrainingRuns(ctx, 1)
				return err == nil && len(runs) == 1 && runs[0].TriggeredBy == store.TriggerAuto && runs[0].Status != store.RunRunning
			})
			if runs[0].Status != store.RunSucceeded || runs[0].NewVersion != ftVersion(2) {
				t.Fatalf("automatic run: %+v", runs[0])
			}
		})
	}
}

// TestFinetuneReplicasFollow runs two servers on one database: a version
// promoted through one is served by the other after its next poll, and a
// rollback through the other is followed back. A third server pins a
// registered version with CLASSIFIER_VERSION.
func TestFinetuneReplicasFollow(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			url, dataDir := storetest.URL(t, d), t.TempDir()
			db, err := store.Open(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			// A second version: the default model under another name.
			m, err := topic.Default()
			if err != nil {
				t.Fatal(err)
			}
			m.Version = "7"
			models := finetune.Models{DataDir: dataDir}
			path, err := models.Save(m)
			if err != nil {
				t.Fatal(err)
			}
			reg, err := finetune.Registration(m, store.ModelTrained, path)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.RegisterModel(context.Background(), reg); err != nil {
				t.Fatal(err)
			}

			env := func(extra ...string) map[string]string {
				e := map[string]string{"DB_URL": url, "API_KEYS": testKey, "DATA_DIR": dataDir, "MODEL_POLL_INTERVAL": "50ms"}
				for i := 0; i < len(extra); i += 2 {
					e[extra[i]] = extra[i+1]
				}
				return e
			}
			a, b := startServer(t, env()), startServer(t, env())
			pinned := startServer(t, env("CLASSIFIER_VERSION", "agnews-v7"))
			auth := http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}}
			servedBy := func(s *server) string {
				var r struct {
					ModelVersion string `json:"model_version"`
				}
				_, body := get(t, s.URL+"/ready", nil)
				decode(t, body, &r)
				return r.ModelVersion
			}
			if got := servedBy(b); got != topic.DefaultVersion {
				t.Fatalf("before the promotion b serves %q", got)
			}
			if got := servedBy(pinned); got != "agnews-v7" {
				t.Fatalf("CLASSIFIER_VERSION=agnews-v7 serves %q", got)
			}

			res, body := post(t, a.URL+"/models/agnews-v7/promote", "", auth)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("promote through a: %d %s", res.StatusCode, body)
			}
			waitFor(t, "b to serve agnews-v7", func() bool { return servedBy(b) == "agnews-v7" })
			waitReady(t, b.URL)
			res, body = post(t, b.URL+"/classify_news", `{"title":"Cup final","text":"The home side won the match."}`, auth)
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"model_version":"agnews-v7"`) {
				t.Fatalf("classify on b: %d %s", res.StatusCode, body)
			}
			if !strings.Contains(b.Logs.String(), "topic model changed") {
				t.Errorf("b did not log the change:\n%s", b.Logs)
			}

			res, body = post(t, b.URL+"/models/rollback", "", auth)
			if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"version":"`+topic.DefaultVersion+`"`) {
				t.Fatalf("rollback through b: %d %s", res.StatusCode, body)
			}
			waitFor(t, "a to serve "+topic.DefaultVersion+" again", func() bool { return servedBy(a) == topic.DefaultVersion })

			// A version whose artifact is missing is logged, not served.
			if err := os.RemoveAll(models.Path(path)); err != nil {
				t.Fatal(err)
			}
			if _, err := db.ActivateModel(context.Background(), "agnews-v7", store.ActionPromote, "test", ""); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "a to report the missing artifact", func() bool {
				return strings.Contains(a.Logs.String(), "cannot load the new active version")
			})
			if got := servedBy(a); got != topic.DefaultVersion {
				t.Fatalf("with the artifact gone a serves %q", got)
			}
		})
	}
}
