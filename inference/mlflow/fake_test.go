package mlflow

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeMLflow is a tracking server that keeps just enough state for the
// client's calls, checks their bodies the way MLflow would, and records
// every request.
type fakeMLflow struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	requests    []fakeRequest
	experiments map[string]*fakeExperiment // by name
	runs        map[string]*fakeRun        // by id
	artifacts   map[string]string          // by proxy path
	// fail makes an endpoint ("runs/log-batch", "mlflow-artifacts") answer
	// with this HTTP status.
	fail map[string]int
	// hideOnce makes get-by-name miss an existing experiment once, as when
	// another process creates it between our look and our create.
	hideOnce string
	// artifactURI overrides the runs' artifact_uri.
	artifactURI string
}

type fakeRequest struct {
	Method, Path, Query string
	Header              http.Header
	Body                []byte
}

type fakeExperiment struct {
	ID      string
	Deleted bool
}

type fakeRun struct {
	Experiment, Name string
	StartTime        int64
	Status           string
	EndTime          int64
	Tags             map[string]string
	Params           map[string]string
	Metrics          []fakeMetric
}

type fakeMetric struct {
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	Timestamp int64           `json:"timestamp"`
	Step      int64           `json:"step"`
}

type kvJSON = []struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

func newFake(t *testing.T) *fakeMLflow {
	f := &fakeMLflow{
		t:           t,
		experiments: map[string]*fakeExperiment{},
		runs:        map[string]*fakeRun{},
		artifacts:   map[string]string{},
		fail:        map[string]int{},
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// paths lists the requests as "METHOD path", in order.
func (f *fakeMLflow) paths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range f.requests {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

func (f *fakeMLflow) count(method, path string) int {
	n := 0
	for _, p := range f.paths() {
		if p == method+" "+path {
			n++
		}
	}
	return n
}

func apiErr(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error_code": code, "message": msg})
}

func (f *fakeMLflow) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, fakeRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), body})

	// The escaped path shows how the client encoded the name.
	if art, ok := strings.CutPrefix(r.URL.EscapedPath(), "/api/2.0/mlflow-artifacts/artifacts/"); ok {
		if st := f.fail["mlflow-artifacts"]; st != 0 {
			apiErr(w, st, "INTERNAL_ERROR", "artifact store unavailable")
			return
		}
		if r.Method != http.MethodPut {
			apiErr(w, 405, "BAD_REQUEST", "want PUT")
			return
		}
		f.artifacts[art] = string(body)
		w.Write([]byte("{}"))
		return
	}
	op, ok := strings.CutPrefix(r.URL.Path, "/api/2.0/mlflow/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if st := f.fail[op]; st != 0 {
		apiErr(w, st, "INTERNAL_ERROR", "the database is on fire")
		return
	}
	if r.Method == http.MethodPost && r.Header.Get("Content-Type") != "application/json" {
		apiErr(w, 400, "BAD_REQUEST", "content type "+r.Header.Get("Content-Type"))
		return
	}
	decode := func(v any) bool {
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			apiErr(w, 400, "MALFORMED_REQUEST", err.Error())
			return false
		}
		return true
	}
	reply := func(v any) { json.NewEncoder(w).Encode(v) }

	switch op {
	case "experiments/get-by-name":
		name := r.URL.Query().Get("experiment_name")
		e := f.experiments[name]
		if e == nil || f.hideOnce == name {
			f.hideOnce = ""
			apiErr(w, 404, "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name '"+name+"'")
			return
		}
		stage := "active"
		if e.Deleted {
			stage = "deleted"
		}
		reply(map[string]any{"experiment": map[string]string{"experiment_id": e.ID, "name": name, "lifecycle_stage": stage}})
	case "experiments/create":
		var req struct{ Name string }
		if !decode(&req) {
			return
		}
		if f.experiments[req.Name] != nil {
			apiErr(w, 400, "RESOURCE_ALREADY_EXISTS", "Experiment '"+req.Name+"' already exists.")
			return
		}
		id := fmt.Sprint(len(f.experiments) + 1)
		f.experiments[req.Name] = &fakeExperiment{ID: id}
		reply(map[string]string{"experiment_id": id})
	case "runs/create":
		var req struct {
			ExperimentID string `json:"experiment_id"`
			RunName      string `json:"run_name"`
			StartTime    int64  `json:"start_time"`
			Tags         kvJSON `json:"tags"`
		}
		if !decode(&req) {
			return
		}
		id := fmt.Sprintf("run%02d", len(f.runs)+1)
		run := &fakeRun{Experiment: req.ExperimentID, Name: req.RunName, StartTime: req.StartTime, Status: "RUNNING",
			Tags: map[string]string{}, Params: map[string]string{}}
		for _, kv := range req.Tags {
			run.Tags[kv.Key] = kv.Value
		}
		f.runs[id] = run
		uri := "mlflow-artifacts:/" + req.ExperimentID + "/" + id + "/artifacts"
		if f.artifactURI != "" {
			uri = f.artifactURI
		}
		reply(map[string]any{"run": map[string]any{"info": map[string]string{
			"run_id": id, "run_uuid": id, "experiment_id": req.ExperimentID, "artifact_uri": uri, "status": "RUNNING"}}})
	case "runs/log-batch":
		var req struct {
			RunID   string       `json:"run_id"`
			Metrics []fakeMetric `json:"metrics"`
			Params  kvJSON       `json:"params"`
			Tags    kvJSON       `json:"tags"`
		}
		if !decode(&req) {
			return
		}
		run := f.runs[req.RunID]
		if run == nil || run.Status != "RUNNING" {
			apiErr(w, 400, "INVALID_PARAMETER_VALUE", "run "+req.RunID+" is not active")
			return
		}
		if len(req.Params) > 100 || len(req.Tags) > 100 || len(req.Metrics) > 1000 {
			apiErr(w, 400, "INVALID_PARAMETER_VALUE", "batch too large")
			return
		}
		for _, kv := range req.Params {
			if old, ok := run.Params[kv.Key]; ok && old != kv.Value {
				apiErr(w, 400, "INVALID_PARAMETER_VALUE", "Changing param values is not allowed")
				return
			}
			run.Params[kv.Key] = kv.Value
		}
		for _, kv := range req.Tags {
			run.Tags[kv.Key] = kv.Value
		}
		run.Metrics = append(run.Metrics, req.Metrics...)
		reply(map[string]any{})
	case "runs/update":
		var req struct {
			RunID   string `json:"run_id"`
			Status  string `json:"status"`
			EndTime int64  `json:"end_time"`
		}
		if !decode(&req) {
			return
		}
		run := f.runs[req.RunID]
		if run == nil {
			apiErr(w, 404, "RESOURCE_DOES_NOT_EXIST", "no run "+req.RunID)
			return
		}
		run.Status, run.EndTime = req.Status, req.EndTime
		reply(map[string]any{"run_info": map[string]string{"run_id": req.RunID, "status": req.Status}})
	default:
		apiErr(w, 404, "ENDPOINT_NOT_FOUND", op)
	}
}
