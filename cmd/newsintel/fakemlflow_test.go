package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// fakeMLflow is a tracking server for the commands' tests, after the one
// in inference/mlflow's tests: it keeps experiments, runs and artifacts,
// and refuses requests the way MLflow's REST API documentation
// (https://mlflow.org/docs/latest/rest-api.html) says a real server
// would: unknown fields, missing required fields, bad statuses, oversized
// batches, changed params, writes to ended runs and artifact uploads
// outside the run's artifact root. Every refusal is also recorded in
// bad, so a test sees it even when the client only logs it.
type fakeMLflow struct {
	srv *httptest.Server

	mu          sync.Mutex
	requests    []string // "METHOD path"
	bad         []string
	experiments map[string]string // name → id
	runs        map[string]*fakeRun
	artifacts   map[string][]byte // proxy path → body
}

type fakeRun struct {
	ID, Experiment, Name string
	Status               string
	Tags, Params         map[string]string
	Metrics              []fakeMetric
}

type fakeMetric struct {
	Key       string  `json:"key"`
	Value     float64 `json:"value"`
	Timestamp int64   `json:"timestamp"`
	Step      int64   `json:"step"`
}

type fakeKV = []struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func newFakeMLflow(t *testing.T) *fakeMLflow {
	f := &fakeMLflow{experiments: map[string]string{}, runs: map[string]*fakeRun{}, artifacts: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// onlyRun returns the one run the server holds.
func (f *fakeMLflow) onlyRun(t *testing.T) *fakeRun {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.bad) > 0 {
		t.Fatalf("the client sent requests MLflow would refuse:\n%s", strings.Join(f.bad, "\n"))
	}
	if len(f.runs) != 1 {
		t.Fatalf("%d runs, want 1; requests:\n%s", len(f.runs), strings.Join(f.requests, "\n"))
	}
	for _, r := range f.runs {
		return r
	}
	return nil
}

// nRequests is how many requests the server has had.
func (f *fakeMLflow) nRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// experiment returns the id of the experiment called name, if any.
func (f *fakeMLflow) experiment(name string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, ok := f.experiments[name]
	return id, ok
}

// artifact returns the body uploaded as a run's artifact name.
func (f *fakeMLflow) artifact(r *fakeRun, name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.artifacts[r.Experiment+"/"+r.ID+"/artifacts/"+name]
}

// metric returns the values logged for key, by step.
func (r *fakeRun) metric(key string) map[int64]float64 {
	out := map[int64]float64{}
	for _, m := range r.Metrics {
		if m.Key == key {
			out[m.Step] = m.Value
		}
	}
	return out
}

func (f *fakeMLflow) refuse(w http.ResponseWriter, status int, code, msg string) {
	f.bad = append(f.bad, code+": "+msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error_code": code, "message": msg})
}

// MLflow's documented limits.
var (
	metricKey = regexp.MustCompile(`^[A-Za-z0-9_\-. /]{1,250}$`)
	statuses  = map[string]bool{"RUNNING": true, "SCHEDULED": true, "FINISHED": true, "FAILED": true, "KILLED": true}
)

func (f *fakeMLflow) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)

	if art, ok := strings.CutPrefix(r.URL.Path, "/api/2.0/mlflow-artifacts/artifacts/"); ok {
		if r.Method != http.MethodPut {
			f.refuse(w, 405, "BAD_REQUEST", "artifact upload wants PUT")
			return
		}
		for _, run := range f.runs {
			if strings.HasPrefix(art, run.Experiment+"/"+run.ID+"/artifacts/") {
				f.artifacts[art] = body
				w.Write([]byte("{}"))
				return
			}
		}
		f.refuse(w, 400, "INVALID_PARAMETER_VALUE", "artifact path outside every run's root: "+art)
		return
	}
	op, ok := strings.CutPrefix(r.URL.Path, "/api/2.0/mlflow/")
	if !ok {
		f.refuse(w, 404, "ENDPOINT_NOT_FOUND", r.URL.Path)
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("Content-Type") != "application/json" {
		f.refuse(w, 400, "BAD_REQUEST", "POST without Content-Type: application/json")
		return
	}
	decode := func(v any) bool {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			f.refuse(w, 400, "MALFORMED_REQUEST", op+": "+err.Error())
			return false
		}
		return true
	}
	reply := func(v any) { json.NewEncoder(w).Encode(v) }
	activeRun := func(id string) *fakeRun {
		run := f.runs[id]
		if run == nil || run.Status != "RUNNING" {
			f.refuse(w, 400, "INVALID_PARAMETER_VALUE", "run "+id+" is not active")
			return nil
		}
		return run
	}

	switch {
	case op == "experiments/get-by-name" && r.Method == http.MethodGet:
		name := r.URL.Query().Get("experiment_name")
		id, ok := f.experiments[name]
		if !ok {
			// Not a misuse: the client asks before it creates.
			w.WriteHeader(404)
			reply(map[string]string{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no experiment " + name})
			return
		}
		reply(map[string]any{"experiment": map[string]string{"experiment_id": id, "name": name, "lifecycle_stage": "active"}})
	case op == "experiments/create" && r.Method == http.MethodPost:
		var req struct {
			Name string `json:"name"`
		}
		if !decode(&req) {
			return
		}
		if req.Name == "" {
			f.refuse(w, 400, "INVALID_PARAMETER_VALUE", "experiments/create: name is required")
			return
		}
		id := fmt.Sprint(len(f.experiments) + 1)
		f.experiments[req.Name] = id
		reply(map[string]string{"experiment_id": id})
	case op == "runs/create" && r.Method == http.MethodPost:
		var req struct {
			ExperimentID string `json:"experiment_id"`
			RunName      string `json:"run_name"`
			StartTime    int64  `json:"start_time"`
			Tags         fakeKV `json:"tags"`
		}
		if !decode(&req) {
			return
		}
		if req.ExperimentID == "" || req.StartTime <= 0 {
			f.refuse(w, 400, "INVALID_PARAMETER_VALUE", "runs/create: experiment_id and start_time are required")
			return
		}
		id := fmt.Sprintf("run%02d", len(f.runs)+1)
		run := &fakeRun{ID: id, Experiment: req.ExperimentID, Name: req.RunName, Status: "RUNNING",
			Tags: map[string]string{}, Params: map[string]string{}}
		for _, kv := range req.Tags {
			run.Tags[kv.Key] = kv.Value
		}
		f.runs[id] = run
		reply(map[string]any{"run": map[string]any{"info": map[string]string{"run_id": id, "experiment_id": req.ExperimentID,
			"artifact_uri": "mlflow-artifacts:/" + req.ExperimentID + "/" + id + "/artifacts", "status": "RUNNING"}}})
	case op == "runs/log-batch" && r.Method == http.MethodPost:
		var req struct {
			RunID   string       `json:"run_id"`
			Metrics []fakeMetric `json:"metrics"`
			Params  fakeKV       `json:"params"`
			Tags    fakeKV       `json:"tags"`
		}
		if !decode(&req) {
			return
		}
		run := activeRun(req.RunID)
		if run == nil {
			return
		}
		if len(req.Params) > 100 || len(req.Tags) > 100 || len(req.Metrics)+len(req.Params)+len(req.Tags) > 1000 {
			f.refuse(w, 400, "INVALID_PARAMETER_VALUE", "runs/log-batch: batch too large")
			return
		}
		for _, kv := range req.Params {
			if old, ok := run.Params[kv.Key]; (ok && old != kv.Value) || len(kv.Value) > 6000 || !metricKey.MatchString(kv.Key) {
				f.refuse(w, 400, "INVALID_PARAMETER_VALUE", fmt.Sprintf("param %q=%q (was %q)", kv.Key, kv.Value, old))
				return
			}
			run.Params[kv.Key] = kv.Value
		}
		for _, kv := range req.Tags {
			if len(kv.Value) > 5000 || kv.Key == "" {
				f.refuse(w, 400, "INVALID_PARAMETER_VALUE", "tag "+kv.Key+" too long or unnamed")
				return
			}
			run.Tags[kv.Key] = kv.Value
		}
		for _, m := range req.Metrics {
			if !metricKey.MatchString(m.Key) || m.Timestamp <= 0 || m.Step < 0 {
				f.refuse(w, 400, "INVALID_PARAMETER_VALUE", fmt.Sprintf("metric %+v", m))
				return
			}
		}
		run.Metrics = append(run.Metrics, req.Metrics...)
		reply(map[string]any{})
	case op == "runs/update" && r.Method == http.MethodPost:
		var req struct {
			RunID   string `json:"run_id"`
			Status  string `json:"status"`
			EndTime int64  `json:"end_time"`
		}
		if !decode(&req) {
			return
		}
		run := activeRun(req.RunID)
		if run == nil {
			return
		}
		if !statuses[req.Status] || req.EndTime <= 0 {
			f.refuse(w, 400, "INVALID_PARAMETER_VALUE", fmt.Sprintf("runs/update: status %q, end_time %d", req.Status, req.EndTime))
			return
		}
		run.Status = req.Status
		reply(map[string]any{"run_info": map[string]string{"run_id": req.RunID, "status": req.Status}})
	default:
		f.refuse(w, 404, "ENDPOINT_NOT_FOUND", r.Method+" "+op)
	}
}
