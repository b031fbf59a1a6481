package finetune

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/embcache"
	"github.com/newsintel/newsintel/inference/internal/testenv"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

var (
	encoderOnce sync.Once
	encoder     *inference.Encoder
	encoderErr  error
)

// realEmbedder is the real encoder (from var/models, fetched once for
// all packages' tests) behind an embedding cache in dir.
func realEmbedder(t *testing.T, dir string) *embcache.Cache {
	t.Helper()
	encoderOnce.Do(func() {
		var modelDir string
		modelDir, encoderErr = inference.EnsureModel(context.Background(), inference.FetchOptions{Dir: testenv.ModelsDir()})
		if encoderErr == nil {
			encoder, encoderErr = inference.Open(context.Background(), modelDir)
		}
	})
	if encoderErr != nil {
		t.Fatalf("encoder: %v", encoderErr)
	}
	c, err := embcache.Open(encoder, inference.ModelID, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// seedRegistry registers and activates the built-in model, as serve does.
func seedRegistry(t *testing.T, db *store.DB) {
	t.Helper()
	v, err := BuiltinVersion()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureModel(context.Background(), v, "system"); err != nil {
		t.Fatal(err)
	}
}

func newFinetuner(t *testing.T, db *store.DB, emb *embcache.Cache, dataDir string) *Finetuner {
	t.Helper()
	ft, err := New(Config{Store: db, Embedder: emb, Models: Models{DataDir: dataDir}, BaseData: "testdata/base.csv", Tolerance: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	return ft
}

// goodLabels are correct labels of new articles; they alternate sources.
var goodLabels = []storetest.HumanLabel{
	{Title: "Parliament", Body: "Lawmakers vote to dissolve the coalition government", Label: "World"},
	{Title: "Derby", Body: "The visiting side scores a late winner in the derby", Label: "Sports"},
	{Title: "Earnings", Body: "The bank posts a record annual profit on trading gains", Label: "Business"},
	{Title: "Satellites", Body: "A rocket carries weather satellites into orbit", Label: "Sci/Tech"},
	{Title: "Summit", Body: "Leaders agree on a plan to end the regional conflict", Label: "World"},
	{Title: "Final", Body: "The champions lift the trophy after a penalty shootout", Label: "Sports"},
	{Title: "Markets", Body: "Stock markets slide as oil prices surge", Label: "Business"},
	{Title: "Chips", Body: "The chipmaker unveils a faster graphics processor", Label: "Sci/Tech"},
	{Title: "Ceasefire", Body: "Militants and the army agree to a truce", Label: "World"},
	{Title: "Marathon", Body: "The runner wins the marathon in record time", Label: "Sports"},
}

// TestFinetuneGate runs whole fine-tunes with the real encoder: forced,
// accepted by the gate, rejected after deliberately wrong labels, and
// forced over the rejection.
func TestFinetuneGate(t *testing.T) {
	db, raw, _ := storetest.OpenRaw(t, store.SQLite)
	ctx := context.Background()
	dataDir := t.TempDir()
	emb := realEmbedder(t, filepath.Join(dataDir, "cache"))
	seedRegistry(t, db)
	ft := newFinetuner(t, db, emb, dataDir)

	start := time.Now().Add(-time.Hour)
	var good []int64
	for i, l := range goodLabels {
		l.Source, l.At = []string{"review", "feedback"}[i%2], start.Add(time.Duration(i)*time.Minute)
		good = append(good, storetest.AddLabel(t, db, raw, l))
	}
	retracted := storetest.AddLabel(t, db, raw, storetest.HumanLabel{Title: "Wrong", Body: "The striker scores a hat-trick",
		Label: "Business", Source: "review", At: start.Add(20 * time.Minute)})
	raw.Exec(t, `UPDATE labels SET retracted_at = ? WHERE id = ?`, time.Now().UTC(), retracted)

	// A: forced, so that the active model is one trained on this data.
	a, err := ft.Run(ctx, Options{TriggeredBy: store.TriggerCLI, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	// Fine-tunes of the built-in model are numbered on from it.
	first := "agnews-v" + strconv.Itoa(mustAtoi(t, strings.TrimPrefix(topic.DefaultVersion, "agnews-v"))+1)
	if a.NewVersion != first || !a.Promoted || a.BaseVersion != topic.DefaultVersion {
		t.Fatalf("run A: %+v", a)
	}
	c := a.Counts
	if c.Human != 10 || c.HumanEval != 3 || c.HumanTrain != 7 || c.HumanBySource["review"] != 5 || c.BaseTrain == 0 || c.FrozenEval != 8 {
		t.Fatalf("run A counts: %+v", c)
	}
	runA, err := db.TrainingRun(ctx, a.RunID)
	if err != nil {
		t.Fatal(err)
	}
	// The oldest seven labels trained; the newest three were held out.
	if runA.Status != store.RunSucceeded || !slices.Equal(runA.LabelIDs, good[:7]) || slices.Contains(runA.LabelIDs, retracted) {
		t.Fatalf("run A record: %+v", runA)
	}
	if !strings.Contains(string(runA.Metrics), `"candidate"`) || !strings.Contains(string(runA.DataCounts), `"human_by_source"`) {
		t.Fatalf("run A metrics %s counts %s", runA.Metrics, runA.DataCounts)
	}
	v2, err := db.ModelVersion(ctx, first)
	if err != nil || !v2.Active || v2.Source != store.ModelFinetune || v2.ParentVersion != topic.DefaultVersion || v2.TrainingRunID != a.RunID {
		t.Fatalf("%s: %+v, %v", first, v2, err)
	}
	if m, err := (Models{DataDir: dataDir}).Load(v2); err != nil || m.ID() != first {
		t.Fatalf("load %s: %v", first, err)
	}

	// B: the same data trains the same model, which the gate accepts.
	b, err := ft.Run(ctx, Options{TriggeredBy: store.TriggerCLI})
	if err != nil {
		t.Fatal(err)
	}
	if !b.Promoted || !strings.HasPrefix(b.Decision, "promoted (passes") || b.Candidate.Frozen.MacroF1 != b.Current.Frozen.MacroF1 {
		t.Fatalf("run B: promoted %v: %s", b.Promoted, b.Decision)
	}

	// C: sports stories labeled Business. The newest are held out and
	// agree with the candidate, but the frozen set catches it.
	// Wrong labels on near-copies of the frozen evaluation stories, so the
	// damage shows on the frozen set (the copies differ, so none counts as
	// the same article).
	base, err := loadBase("testdata/base.csv", "text", "label")
	if err != nil {
		t.Fatal(err)
	}
	sp, err := topic.SplitExamples(base, topic.Options{Labels: topic.AGNewsLabels, Seed: 1, DevFraction: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ex := range sp.Dev {
		wrong := topic.AGNewsLabels[(slices.Index(topic.AGNewsLabels, ex.Label)+1)%4]
		for k := range 4 {
			storetest.AddLabel(t, db, raw, storetest.HumanLabel{Title: "Update", Body: fmt.Sprintf("%s (report %d)", ex.Text, k),
				Label: wrong, Source: "feedback", At: start.Add(time.Duration(30+n) * time.Minute)})
			n++
		}
	}
	rej, err := ft.Run(ctx, Options{TriggeredBy: store.TriggerAPI})
	if err != nil {
		t.Fatal(err)
	}
	if rej.Promoted || !strings.HasPrefix(rej.Decision, "rejected (worse beyond the tolerance on frozen") {
		t.Fatalf("run C: promoted %v: %s\ncurrent %+v\ncandidate %+v", rej.Promoted, rej.Decision, rej.Current, rej.Candidate)
	}
	if active, _ := db.ActiveModel(ctx); active.Version != b.NewVersion {
		t.Fatalf("after a rejection the active model is %s, want %s", active.Version, b.NewVersion)
	}
	if v, err := db.ModelVersion(ctx, rej.NewVersion); err != nil || v.Active {
		t.Fatalf("the rejected version is registered inactive: %+v, %v", v, err)
	}

	// D: --force promotes what the gate rejects.
	forced, err := ft.Run(ctx, Options{TriggeredBy: store.TriggerCLI, Force: true, Actor: "ops@x"})
	if err != nil {
		t.Fatal(err)
	}
	if !forced.Promoted || !strings.HasPrefix(forced.Decision, "promoted by --force although worse") {
		t.Fatalf("run D: %s", forced.Decision)
	}
	hist, err := db.ModelActivations(ctx, 1)
	if err != nil || hist[0].Version != forced.NewVersion || hist[0].Actor != "ops@x" {
		t.Fatalf("activation of the forced run: %+v, %v", hist, err)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
