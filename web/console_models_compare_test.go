package web

import (
	"encoding/json"
	"testing"

	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// gateRun is a finished run's stored evaluation of cand against cur.
func gateRun(t *testing.T, id int64, cur, cand finetune.VersionMetrics) store.TrainingRun {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"tolerance": 0.01, "current": cur, "candidate": cand})
	if err != nil {
		t.Fatal(err)
	}
	return store.TrainingRun{ID: id, Status: store.RunSucceeded, Metrics: raw}
}

func rowByKey(v views.ModelCompareView, key string) (views.CompareRow, bool) {
	for _, r := range v.Rows {
		if r.Key == key {
			return r, true
		}
	}
	return views.CompareRow{}, false
}

// TestCompareVersions: changes are shown only between scores on the same
// examples; the human set only from one run that scored both versions.
func TestCompareVersions(t *testing.T) {
	s := func(n int, f1 float64) finetune.Summary { return finetune.Summary{N: n, Accuracy: f1, MacroF1: f1} }
	h := func(n int, f1 float64) *finetune.Summary { x := s(n, f1); return &x }
	v1 := store.ModelVersion{NewModelVersion: store.NewModelVersion{Version: "v1", Labels: []string{"World"}}}
	v2 := store.ModelVersion{NewModelVersion: store.NewModelVersion{Version: "v2", Labels: []string{"World"}, TrainingRunID: 2}}
	v3 := store.ModelVersion{NewModelVersion: store.NewModelVersion{Version: "v3", Labels: []string{"World"}, TrainingRunID: 3}}
	run2 := gateRun(t, 2, finetune.VersionMetrics{Version: "v1", Frozen: s(100, 0.80), Human: h(20, 0.60)},
		finetune.VersionMetrics{Version: "v2", Frozen: s(100, 0.82), Human: h(20, 0.55)})
	// v3 was compared with v1 on a smaller frozen set (other base data).
	run3 := gateRun(t, 3, finetune.VersionMetrics{Version: "v1", Frozen: s(90, 0.79), Human: h(10, 0.7)},
		finetune.VersionMetrics{Version: "v3", Frozen: s(90, 0.81), Human: h(10, 0.9)})
	runs := []store.TrainingRun{run3, run2}

	// v2 beside v1, from the run that compared them: both sets, changes.
	c := compareVersions(&v1, v2, gateOf(&run2, v2), runs)
	if r, ok := rowByKey(c, "frozen-macro_f1"); !ok || r.Delta != "+0.020" || r.Trend != "up" {
		t.Errorf("frozen macro-F1 %+v", r)
	}
	if r, ok := rowByKey(c, "human-macro_f1"); !ok || r.Delta != "−0.050" || r.Trend != "down" {
		t.Errorf("human macro-F1 %+v", r)
	}
	// v3 beside v2 (active): no run compared them. Frozen scores come from
	// different runs on sets of different sizes: no change; no human rows.
	c = compareVersions(&v2, v3, gateOf(&run3, v3), runs)
	r, ok := rowByKey(c, "frozen-macro_f1")
	if !ok || r.Delta != "" || r.Active != "0.820" || r.Candidate != "0.810" || r.Note != "not the same examples" {
		t.Errorf("frozen macro-F1 across runs %+v", r)
	}
	if _, ok := rowByKey(c, "human-macro_f1"); ok {
		t.Error("human sets of different runs compared")
	}
	// Promoting v1 back over v2: the run that made v2 scored both.
	c = compareVersions(&v2, v1, gateOf(nil, v1), runs)
	if r, ok := rowByKey(c, "frozen-macro_f1"); !ok || r.Active != "0.820" || r.Candidate != "0.800" || r.Delta != "−0.020" {
		t.Errorf("v1 over v2 %+v", r)
	}
	// Nothing active: the candidate's scores alone.
	c = compareVersions(nil, v2, gateOf(&run2, v2), runs)
	if r, ok := rowByKey(c, "frozen-macro_f1"); !ok || r.Active != "—" || r.Delta != "" {
		t.Errorf("no active version %+v", r)
	}
}
