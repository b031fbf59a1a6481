package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// fakeFinetuner records requests and answers with err, or a running run.
type fakeFinetuner struct {
	got []FinetuneRequest
	err error
}

func (f *fakeFinetuner) StartFinetune(ctx context.Context, r FinetuneRequest) (store.TrainingRun, error) {
	f.got = append(f.got, r)
	if f.err != nil {
		return store.TrainingRun{}, f.err
	}
	return store.TrainingRun{ID: 42, Status: store.RunRunning, BaseVersion: "agnews-v1"}, nil
}

func registerModels(t *testing.T, db *store.DB, versions ...string) {
	t.Helper()
	for i, v := range versions {
		nv := store.NewModelVersion{Version: v, Encoder: "use", Labels: []string{"World", "Sports"}, Source: store.ModelFinetune,
			Metrics: json.RawMessage(`{"macro_f1":0.9}`)}
		if i == 0 {
			nv.Source = store.ModelBuiltin
			if _, err := db.EnsureModel(context.Background(), nv, "system"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := db.RegisterModel(context.Background(), nv); err != nil {
			t.Fatal(err)
		}
	}
}

type step struct {
	name, method, path, body string
	status                   int
	check                    func(t *testing.T, body string)
}

func runSteps(t *testing.T, s *testServer, h http.Header, steps []step) {
	t.Helper()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			rec := s.do(t, st.method, st.path, strings.NewReader(st.body), h)
			if rec.Code != st.status {
				t.Fatalf("%s %s: %d, want %d: %s", st.method, st.path, rec.Code, st.status, rec.Body)
			}
			if st.check != nil {
				st.check(t, rec.Body.String())
			}
		})
	}
}

func contains(subs ...string) func(t *testing.T, body string) {
	return func(t *testing.T, body string) {
		t.Helper()
		for _, sub := range subs {
			if !strings.Contains(body, sub) {
				t.Fatalf("body lacks %s: %s", sub, body)
			}
		}
	}
}

func TestModelRoutes(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := newTestServerWith(t, testConfig(), db, &fakeEncoder{})
	h := keyHeader(newKey)
	h.Set("Content-Type", "application/json")

	runSteps(t, s, h, []step{{"empty registry", "GET", "/models", "", 200, contains(`"active":""`, `"models":[]`)}})
	if rec := s.do(t, "GET", "/models", nil, nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("GET /models without a key: %d", rec.Code)
	}
	registerModels(t, db, "agnews-v1", "agnews-v2", "agnews-v3")
	runSteps(t, s, h, []step{
		{"list", "GET", "/models", "", 200, contains(`"active":"agnews-v1"`, `"version":"agnews-v3"`, `"macro_f1":0.9`, `"source":"builtin"`)},
		{"promote unknown", "POST", "/models/nope/promote", "", 404, nil},
		{"promote", "POST", "/models/agnews-v3/promote", "", 200, contains(`"version":"agnews-v3"`, `"previous_version":"agnews-v1"`, `"actor":"new"`, `"action":"promote"`)},
		{"promote active", "POST", "/models/agnews-v3/promote", "", 409, nil},
		{"rollback bad body", "POST", "/models/rollback", `{"to":5}`, 422, contains(`"field":"to"`)},
		{"rollback unknown", "POST", "/models/rollback", `{"to":"nope"}`, 404, nil},
		{"rollback to previous", "POST", "/models/rollback", "", 200, contains(`"version":"agnews-v1"`, `"action":"rollback"`)},
		{"rollback to named", "POST", "/models/rollback", `{"to":"agnews-v2"}`, 200, contains(`"version":"agnews-v2"`, `"previous_version":"agnews-v1"`)},
		{"history", "GET", "/models", "", 200, contains(`"active":"agnews-v2"`, `"history":[{"id":4`)},
	})
}

func TestFinetuneRoutes(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s := newTestServerWith(t, testConfig(), db, &fakeEncoder{})
	h := keyHeader(newKey)
	h.Set("Content-Type", "application/json")

	s.finetuner = nil
	runSteps(t, s, h, []step{{"not configured", "POST", "/admin/finetune", "", 503, nil}})
	ft := &fakeFinetuner{}
	s.finetuner = ft
	runSteps(t, s, h, []step{
		{"start", "POST", "/admin/finetune", `{"force":true,"dry_run":true}`, 202, contains(`"run_id":42`, `"status":"running"`, `"url":"/admin/training-runs/42"`)},
		{"start without body", "POST", "/admin/finetune", "", 202, nil},
		{"bad body", "POST", "/admin/finetune", `{"force":"yes"}`, 422, contains(`"field":"force"`)},
	})
	if len(ft.got) != 2 || !ft.got[0].Force || !ft.got[0].DryRun || ft.got[0].Actor != "new" || ft.got[0].RequestID == "" || ft.got[1].Force {
		t.Fatalf("finetuner was asked %+v", ft.got)
	}
	ft.err = &store.RunningError{Run: store.TrainingRun{ID: 7, TriggeredBy: "cli", StartedAt: time.Now()}}
	runSteps(t, s, h, []step{{"running", "POST", "/admin/finetune", "", 409, contains(`"code":"finetune_running"`, `training run 7 is running`)}})

	_, err := db.StartTrainingRun(context.Background(), store.NewTrainingRun{TriggeredBy: store.TriggerAPI, BaseVersion: "agnews-v1"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	runSteps(t, s, h, []step{
		{"list runs", "GET", "/admin/training-runs", "", 200, contains(`"runs":[{"id":1,"status":"running","triggered_by":"api"`)},
		{"bad limit", "GET", "/admin/training-runs?limit=0", "", 422, contains(`"field":"limit"`)},
		{"one run", "GET", "/admin/training-runs/1", "", 200, contains(`"base_version":"agnews-v1"`, `"data_counts":{}`)},
		{"bad id", "GET", "/admin/training-runs/abc", "", 422, contains(`"field":"id"`)},
		{"unknown run", "GET", "/admin/training-runs/999", "", 404, nil},
	})
}

func TestLineageRoute(t *testing.T) {
	db, raw, _ := storetest.OpenRaw(t, store.SQLite)
	s := newTestServerWith(t, testConfig(), db, &fakeEncoder{})
	h := keyHeader(newKey)
	label := storetest.AddLabel(t, db, raw, storetest.HumanLabel{Title: "Derby", Body: "A late winner.", Label: "Sports", Source: "review", By: "rev@x"})
	pred := raw.Int(t, `SELECT p.id FROM predictions p JOIN labels l ON l.article_id = p.article_id WHERE l.id = ?`, label)
	runSteps(t, s, h, []step{
		{"lineage", "GET", "/predictions/" + strconv.FormatInt(pred, 10) + "/lineage", "", 200, contains(`"model_version":"agnews-v1"`,
			`"title":"Derby"`, `"state":"labeled"`, `"labeled_by":"rev@x"`, `"usable_for_training":true`, `"retracted":false`, `"feedback":[]`)},
		{"bad id", "GET", "/predictions/x/lineage", "", 422, contains(`"field":"id"`)},
		{"unknown", "GET", "/predictions/999/lineage", "", 404, nil},
	})
}
