package finetune

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestDecide(t *testing.T) {
	s := func(f1 float64) Summary { return Summary{N: 10, MacroF1: f1} }
	h := func(f1 float64) *Summary { x := s(f1); return &x }
	cur := VersionMetrics{Version: "a-v1", Frozen: s(0.90), Human: h(0.50)}
	for _, c := range []struct {
		name          string
		cand          VersionMetrics
		force, dry    bool
		promote       bool
		decisionStart string
	}{
		{"equal", VersionMetrics{Version: "a-v2", Frozen: s(0.90), Human: h(0.50)}, false, false, true, "promoted (passes"},
		{"within tolerance", VersionMetrics{Version: "a-v2", Frozen: s(0.895), Human: h(0.6)}, false, false, true, "promoted (passes"},
		{"worse on frozen", VersionMetrics{Version: "a-v2", Frozen: s(0.85), Human: h(0.9)}, false, false, false, "rejected (worse beyond the tolerance on frozen)"},
		{"worse on human", VersionMetrics{Version: "a-v2", Frozen: s(0.95), Human: h(0.3)}, false, false, false, "rejected (worse beyond the tolerance on human)"},
		{"forced", VersionMetrics{Version: "a-v2", Frozen: s(0.5), Human: h(0.3)}, true, false, true, "promoted by --force although worse beyond the tolerance on frozen and human"},
		{"dry run", VersionMetrics{Version: "a-v2", Frozen: s(0.95), Human: h(0.9)}, true, true, false, "dry run, not promoted (passes"},
		{"no human set", VersionMetrics{Version: "a-v2", Frozen: s(0.90)}, false, false, true, "promoted (passes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			promote, decision := decide(cur, c.cand, 0.01, c.force, c.dry)
			if promote != c.promote || !strings.HasPrefix(decision, c.decisionStart) || !strings.Contains(decision, "tolerance 0.0100") {
				t.Fatalf("decide: %v %q", promote, decision)
			}
		})
	}
}

func TestBuildDataset(t *testing.T) {
	base, err := loadBase("testdata/base.csv", "text", "label")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Seed: 1, EvalFraction: 0.1, HoldoutFraction: 0.2, MinHoldout: 3}
	sp, err := topic.SplitExamples(base, topic.Options{Labels: topic.AGNewsLabels, Seed: 1, DevFraction: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	lbl := func(id int64, body, label, source string) store.TrainingLabel {
		return store.TrainingLabel{LabelID: id, Title: "T", Body: body, Label: label, Source: source, CreatedAt: at}
	}
	human := []store.TrainingLabel{
		lbl(1, "first take on a story", "World", "review"),
		lbl(2, "a story with a label the model lacks", "Weather", "feedback"),
		lbl(3, sp.Dev[0].Text, "World", "review"),    // an article of the frozen set
		lbl(4, sp.Train[0].Text, "Sports", "review"), // relabels a base example
		lbl(5, "first take on a story", "Business", "review"),
		lbl(6, "newest one", "Sports", "feedback"),
		lbl(7, "newer one", "World", "feedback"),
		lbl(8, "newest two", "Sci/Tech", "feedback"),
	}
	d, err := buildDataset(base, "testdata/base.csv", topic.AGNewsLabels, human, &cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := d.counts
	// 6 usable (2 unknown label, 1 superseded by 5): 3 held out, 1 overlaps
	// the frozen set, 2 train.
	if c.Human != 8 || c.SkippedUnknownLabel != 1 || c.SkippedSuperseded != 1 || c.HumanEval != 3 || c.SkippedEvalOverlap != 1 ||
		c.HumanTrain != 2 || c.BaseReplaced != 1 || c.FrozenEval != len(sp.Dev) || c.BaseTrain != len(sp.Train)-1 ||
		c.HumanBySource["feedback"] != 4 || c.BaseData != "base.csv" {
		t.Fatalf("counts: %+v", c)
	}
	if len(d.labelIDs) != 2 || d.labelIDs[0] != 4 || d.labelIDs[1] != 5 {
		t.Fatalf("trained label ids %v, want [4 5]", d.labelIDs)
	}
	if len(d.humanEval) != 3 || d.humanEval[2].Label != "Sci/Tech" {
		t.Fatalf("human eval: %+v", d.humanEval)
	}
	for _, ex := range d.train {
		if ex.Label == "Business" && strings.Contains(ex.Text, "first take") {
			return
		}
	}
	t.Fatal("the later label of an article did not win")
}

func TestNextVersionAndSave(t *testing.T) {
	got := nextVersion("agnews", []store.ModelVersion{{NewModelVersion: store.NewModelVersion{Version: "agnews-v1"}},
		{NewModelVersion: store.NewModelVersion{Version: "agnews-v12"}}, {NewModelVersion: store.NewModelVersion{Version: "other-v40"}}})
	if got != "13" {
		t.Fatalf("nextVersion = %s, want 13", got)
	}
	m, err := topic.Default()
	if err != nil {
		t.Fatal(err)
	}
	m.Version = "9"
	ms := Models{DataDir: t.TempDir()}
	rel, err := ms.Save(m)
	if err != nil || rel != filepath.Join(ModelsDir, "agnews-v9") {
		t.Fatalf("Save: %q, %v", rel, err)
	}
	if _, err := ms.Save(m); err == nil {
		t.Fatal("Save over an existing version succeeded")
	}
	entries, _ := os.ReadDir(filepath.Join(ms.DataDir, ModelsDir))
	if len(entries) != 1 {
		t.Fatalf("leftovers beside the version folder: %v", entries)
	}
	v := store.ModelVersion{NewModelVersion: store.NewModelVersion{Version: "agnews-v9", Source: store.ModelFinetune, Path: rel}}
	if got, err := ms.Load(v); err != nil || got.ID() != "agnews-v9" {
		t.Fatalf("Load: %v", err)
	}
	v.Version = "agnews-v10"
	if _, err := ms.Load(v); err == nil {
		t.Fatal("an artifact under another version's name loaded")
	}
}

// blockingEmbedder waits for cancellation, or panics when told to.
type blockingEmbedder struct {
	started chan struct{}
	panics  bool
}

func (e *blockingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if e.panics {
		panic("encoder exploded")
	}
	close(e.started)
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestRunFailures: a run that errs, panics or is stopped by shutdown ends
// recorded as failed, and the lock is free again; a second start while one
// runs is refused naming the running run.
func TestRunFailures(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seedRegistry(t, db)
		newFT := func(emb topic.Embedder, baseData string) *Finetuner {
			ft, err := New(Config{Store: db, Embedder: emb, Models: Models{DataDir: t.TempDir()}, BaseData: baseData})
			if err != nil {
				t.Fatal(err)
			}
			return ft
		}
		lastRun := func() store.TrainingRun {
			runs, err := db.TrainingRuns(ctx, 1)
			if err != nil || len(runs) != 1 {
				t.Fatalf("runs: %v, %v", runs, err)
			}
			return runs[0]
		}

		if _, err := newFT(&blockingEmbedder{}, "testdata/missing.csv").Run(ctx, Options{TriggeredBy: store.TriggerCLI}); err == nil {
			t.Fatal("a run without base data succeeded")
		}
		if r := lastRun(); r.Status != store.RunFailed || !strings.Contains(r.Error, "missing.csv") || r.FinishedAt == nil {
			t.Fatalf("failed run: %+v", r)
		}

		if _, err := newFT(&blockingEmbedder{panics: true}, "testdata/base.csv").Run(ctx, Options{TriggeredBy: store.TriggerCLI}); err == nil ||
			!strings.Contains(err.Error(), "encoder exploded") {
			t.Fatalf("panicking run: %v", err)
		}
		if r := lastRun(); r.Status != store.RunFailed || !strings.Contains(r.Error, "panic: encoder exploded") {
			t.Fatalf("panicked run: %+v", r)
		}

		emb := &blockingEmbedder{started: make(chan struct{})}
		bg := NewBackground(newFT(emb, "testdata/base.csv"), nil)
		run, err := bg.Start(ctx, Options{TriggeredBy: store.TriggerAPI})
		if err != nil {
			t.Fatal(err)
		}
		<-emb.started
		_, err = bg.Start(ctx, Options{TriggeredBy: store.TriggerAPI})
		var running *store.RunningError
		if !errors.As(err, &running) || running.Run.ID != run.ID {
			t.Fatalf("second start: %v", err)
		}
		bg.Close()
		if r := lastRun(); r.ID != run.ID || r.Status != store.RunFailed || !strings.Contains(r.Error, "shutting down") {
			t.Fatalf("run stopped by shutdown: %+v", r)
		}
		if _, err := bg.Start(ctx, Options{TriggeredBy: store.TriggerAPI}); !errors.Is(err, ErrClosed) {
			t.Fatalf("start after Close: %v", err)
		}
	})
}

// TestSummaryOfKeepsPerTopicF1: the console compares versions topic by
// topic, so the stored summary must carry each label's F1.
func TestSummaryOfKeepsPerTopicF1(t *testing.T) {
	m := topic.Evaluate([]string{"World", "Sports"}, []string{"World", "Sports", "Sports"},
		[]topic.Prediction{{Label: "World"}, {Label: "World"}, {Label: "Sports"}})
	s := SummaryOf(m)
	if len(s.PerTopicF1) != 2 || s.PerTopicF1["World"] != m.PerClass[0].F1 || s.PerTopicF1["Sports"] != m.PerClass[1].F1 {
		t.Fatalf("per-topic F1 %v, per class %+v", s.PerTopicF1, m.PerClass)
	}
}
