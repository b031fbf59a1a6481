package activelearn

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/topic"
)

// synthetic builds n rows of four labels in dim dimensions: each label
// has three modes, so a small seed set misses some of them and labels
// chosen well pay off. Embeddings are unit length, as the encoder's.
func synthetic(t *testing.T, n int) *Data {
	t.Helper()
	const dim, modes = 24, 3
	labels := []string{"a", "b", "c", "d"}
	rng := rand.New(rand.NewPCG(3, 4))
	centers := make([][]float64, len(labels)*modes)
	for i := range centers {
		centers[i] = make([]float64, dim)
		for j := range centers[i] {
			centers[i][j] = rng.NormFloat64()
		}
	}
	exs := make([]topic.Example, n)
	vecs := make([][]float32, n)
	for i := range n {
		c := rng.IntN(len(centers))
		v := make([]float32, dim)
		var norm float64
		for j := range v {
			x := centers[c][j] + 1.1*rng.NormFloat64()
			v[j] = float32(x)
			norm += x * x
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(norm))
		}
		exs[i] = topic.Example{Text: fmt.Sprintf("synthetic article number %d", i), Label: labels[c/modes]}
		vecs[i] = v
	}
	d, err := NewData(labels, exs, vecs)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func rowsUpTo(lo, hi int) []int {
	out := make([]int, 0, hi-lo)
	for i := lo; i < hi; i++ {
		out = append(out, i)
	}
	return out
}

// lrOnly keeps the unit tests fast: the embedding head alone.
var lrOnly = TopicTrainer{Variants: []string{topic.VariantLR}}

func TestRunLearnsAndIsDeterministic(t *testing.T) {
	d := synthetic(t, 900)
	cfg := Config{Pool: rowsUpTo(0, 600), Dev: rowsUpTo(600, 900), SeedSize: 8, Batch: 24, Rounds: 4, Strategy: Margin, Seed: 1}
	c, err := Run(context.Background(), d, lrOnly, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Points) != 5 {
		t.Fatalf("%d points, want 5: %+v", len(c.Points), c.Points)
	}
	for i, p := range c.Points {
		if want := 8 + 24*i; p.Labeled != want {
			t.Errorf("round %d: %d labeled, want %d", i, p.Labeled, want)
		}
	}
	t.Logf("curve: %+v", c.Points)
	first, last := c.Points[0].Accuracy, c.Points[4].Accuracy
	if last < first+0.05 {
		t.Errorf("accuracy %.3f → %.3f: labeling 96 more rows should help", first, last)
	}
	again, err := Run(context.Background(), d, lrOnly, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Points, again.Points) {
		t.Errorf("same seed, different curves:\n%+v\n%+v", c.Points, again.Points)
	}
}

func TestRunStopsWhenThePoolIsLabeled(t *testing.T) {
	d := synthetic(t, 200)
	c, err := Run(context.Background(), d, lrOnly, Config{Pool: rowsUpTo(0, 60), Dev: rowsUpTo(100, 200),
		SeedSize: 20, Batch: 30, Rounds: 5, Strategy: Random, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, p := range c.Points {
		got = append(got, p.Labeled)
	}
	if !slices.Equal(got, []int{20, 50, 60}) {
		t.Errorf("labeled per round %v, want [20 50 60]", got)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	d := synthetic(t, 100)
	for _, cfg := range []Config{
		{Pool: rowsUpTo(0, 50), Dev: rowsUpTo(50, 100), SeedSize: 8, Batch: 4, Strategy: "oracle"},
		{Pool: rowsUpTo(0, 50), Dev: rowsUpTo(50, 100), SeedSize: 2, Batch: 4, Strategy: Random},
		{Pool: rowsUpTo(0, 50), SeedSize: 8, Batch: 4, Strategy: Random},
		{Pool: rowsUpTo(0, 5), Dev: rowsUpTo(50, 100), SeedSize: 40, Batch: 4, Strategy: Random},
	} {
		if _, err := Run(context.Background(), d, lrOnly, cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}

func TestSeedSetIsBalanced(t *testing.T) {
	d := synthetic(t, 400)
	s := seedSet(d, rowsUpTo(0, 400), 20, 5)
	count := make([]int, len(d.Labels))
	for _, r := range s {
		count[d.Gold[r]]++
	}
	if len(s) != 20 || !slices.Equal(count, []int{5, 5, 5, 5}) {
		t.Errorf("seed set of %d, per label %v", len(s), count)
	}
	if !slices.Equal(s, seedSet(d, rowsUpTo(0, 400), 20, 5)) || slices.Equal(s, seedSet(d, rowsUpTo(0, 400), 20, 6)) {
		t.Error("the seed set should follow the seed, and only the seed")
	}
}

// Uncertainty sampling takes the rows the model is least sure of.
func TestPickTakesTheMostUncertain(t *testing.T) {
	d := synthetic(t, 400)
	m, err := lrOnly.Train(context.Background(), d, rowsUpTo(0, 40))
	if err != nil {
		t.Fatal(err)
	}
	unl := rowsUpTo(40, 400)
	picked, err := Pick(LeastConfidence, m, d, Round{Unlabeled: unl}, 10, 0.5, nil)
	if err != nil {
		t.Fatal(err)
	}
	vecs, texts, _ := d.rows(unl)
	preds, err := m.PredictEmbedded(vecs, texts)
	if err != nil {
		t.Fatal(err)
	}
	top := map[int]float64{}
	for i, p := range preds {
		top[unl[i]] = p.Confidence
	}
	maxPicked := 0.0
	for _, r := range picked {
		maxPicked = max(maxPicked, top[r])
	}
	for r, c := range top {
		if !slices.Contains(picked, r) && c < maxPicked {
			t.Fatalf("row %d (confidence %.3f) left while a row of confidence %.3f was picked", r, c, maxPicked)
		}
	}
	if len(picked) != 10 {
		t.Errorf("picked %d, want 10", len(picked))
	}
}

// kCenter prefers a distinct article to a near-duplicate of one picked,
// unless mix is 0.
func TestKCenterSpreadsPicks(t *testing.T) {
	dup := func(x float32) []float32 { return []float32{1, x, 0} }
	cands := []candidate{
		{row: 0, priority: 0.9, embedding: dup(0)},
		{row: 1, priority: 0.89, embedding: dup(0.01)},
		{row: 2, priority: 0.88, embedding: dup(0.02)},
		{row: 3, priority: 0.6, embedding: []float32{0, 0, 1}},
		{row: 4, priority: 0.5, embedding: []float32{0, 1, 0}},
	}
	if got := kCenter(cands, 3, 0.5); !slices.Equal(got, []int{0, 3, 4}) {
		t.Errorf("diverse picks %v, want [0 3 4]", got)
	}
	if got := kCenter(cands, 3, 0); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("priority-only picks %v, want [0 1 2]", got)
	}
	if got := kCenter(cands, 9, 0.5); len(got) != 5 {
		t.Errorf("asked for more than there are: %v", got)
	}
	if ClaimPool(10) != 40 || ClaimPool(2) != 32 || ClaimPool(200) != 400 {
		t.Error("ClaimPool differs from store.claimCandidates' pool")
	}
}

func TestSummarizeCompareAndTables(t *testing.T) {
	pts := func(accs ...float64) []Point {
		out := make([]Point, len(accs))
		for i, a := range accs {
			out[i] = Point{Labeled: 10 + 10*i, Accuracy: a}
		}
		return out
	}
	curves := []Curve{
		{Strategy: Random, Seed: 1, Points: pts(0.5, 0.6, 0.7, 0.8, 0.9)},
		{Strategy: Random, Seed: 2, Points: pts(0.5, 0.6, 0.7, 0.8, 0.92)},
		{Strategy: Margin, Seed: 1, Points: pts(0.5, 0.9, 0.93, 0.94, 0.95)},
		{Strategy: Margin, Seed: 2, Points: pts(0.5, 0.8, 0.93, 0.94, 0.95)},
		{Strategy: Entropy, Seed: 1, Points: pts(0.5, 0.5, 0.5, 0.5, 0.5)},
		// Touches the target at 20 labels, dips, and holds it from 40.
		{Strategy: LeastConfidence, Seed: 1, Points: pts(0.5, 0.91, 0.89, 0.92, 0.93)},
	}
	sums, err := Summarize(curves)
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 4 || sums[0].Runs != 2 || math.Abs(sums[1].Accuracy[1]-0.85) > 1e-9 || sums[1].Min[1] != 0.8 || sums[1].Max[1] != 0.9 {
		t.Fatalf("summaries: %+v", sums)
	}
	c := Compare(sums, 0.95, 0.95) // target 0.9025
	want := []CompRow{
		{Strategy: Random, Labels: 50, Reached: true, Ratio: 1, Stay: 50, StayReached: true, StayRatio: 1, Final: 0.91, FinalLabels: 50},
		{Strategy: Margin, Labels: 30, Reached: true, Ratio: 0.6, Stay: 30, StayReached: true, StayRatio: 0.6, Final: 0.95, FinalLabels: 50},
		{Strategy: Entropy, Final: 0.5, FinalLabels: 50},
		{Strategy: LeastConfidence, Labels: 20, Reached: true, Ratio: 0.4, Stay: 40, StayReached: true, StayRatio: 0.8, Final: 0.93, FinalLabels: 50},
	}
	for i, r := range c.Rows {
		if r.Strategy != want[i].Strategy || r.Labels != want[i].Labels || r.Reached != want[i].Reached ||
			r.Stay != want[i].Stay || r.StayReached != want[i].StayReached || math.Abs(r.StayRatio-want[i].StayRatio) > 1e-9 ||
			math.Abs(r.Ratio-want[i].Ratio) > 1e-9 || math.Abs(r.Final-want[i].Final) > 1e-9 {
			t.Errorf("row %d: %+v, want %+v", i, r, want[i])
		}
	}
	var b bytes.Buffer
	if err := c.Markdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"| margin | 30 | 0.60 | 30 | 0.60 |", "| entropy | not reached | — | below at the end | — |",
		"| least_confidence | 20 | 0.40 | 40 | 0.80 |", "target 95% of it: 0.9025"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("comparison lacks %q:\n%s", s, b.String())
		}
	}
	b.Reset()
	if err := CurveMarkdown(&b, sums); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| 20 | 0.6000 | 0.8500 | 0.5000 | 0.9100 |") {
		t.Errorf("curve table:\n%s", b.String())
	}

	bad := append(slices.Clone(curves), Curve{Strategy: Random, Points: []Point{{Labeled: 11}}})
	if _, err := Summarize(bad); err == nil {
		t.Error("runs with different label counts were averaged")
	}
}

func TestDataEmbedsOnlyKnownTexts(t *testing.T) {
	d := synthetic(t, 10)
	v, err := d.Embed(context.Background(), []string{"  synthetic article number 3 "})
	if err != nil || !slices.Equal(v[0], d.Vecs[3]) {
		t.Fatalf("known text: %v", err)
	}
	if _, err := d.Embed(context.Background(), []string{"unknown"}); err == nil {
		t.Error("an unknown text was embedded")
	}
	if _, err := NewData([]string{"a"}, d.Examples[:1], d.Vecs[:1]); err == nil && d.Examples[0].Label != "a" {
		t.Error("an unknown label was accepted")
	}
}

// Diversity picks by coverage in the model's cold start and by the
// k-center mix after it, as the claim does.
func TestPickFollowsColdStart(t *testing.T) {
	d := synthetic(t, 400)
	m, err := lrOnly.Train(context.Background(), d, rowsUpTo(0, 12))
	if err != nil {
		t.Fatal(err)
	}
	unl := rowsUpTo(12, 400)
	cold, err := Pick(Diversity, m, d, Round{Unlabeled: unl, ColdStart: true}, 6, 0.5, nil)
	if err != nil {
		t.Fatal(err)
	}
	warm, err := Pick(Diversity, m, d, Round{Unlabeled: unl}, 6, 0.5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cold) != 6 || len(warm) != 6 || slices.Equal(cold, warm) {
		t.Fatalf("cold start %v and after it %v: want 6 picks each, made differently", cold, warm)
	}
	// After the cold start the picks come from the claim's candidate pool,
	// the most uncertain rows; coverage ranges over the whole queue.
	margin, err := Pick(Margin, m, d, Round{Unlabeled: unl}, ClaimPool(6), 0.5, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range warm {
		if !slices.Contains(margin, r) {
			t.Errorf("k-center pick %d is outside the top %d by margin", r, ClaimPool(6))
		}
	}
	outside := 0
	for _, r := range cold {
		if !slices.Contains(margin, r) {
			outside++
		}
	}
	if outside == 0 {
		t.Errorf("coverage picks %v all come from the top by margin", cold)
	}
}

// Config.ColdStartPerTopic sets where diversity stops picking by coverage.
func TestRunColdStartBound(t *testing.T) {
	d := synthetic(t, 600)
	cfg := Config{Pool: rowsUpTo(0, 400), Dev: rowsUpTo(400, 600), SeedSize: 8, Batch: 8, Rounds: 3, Strategy: Diversity, Seed: 1}
	var curves [][]Point
	for _, bound := range []int{1, 100} {
		cfg.ColdStartPerTopic = bound
		c, err := Run(context.Background(), d, lrOnly, cfg)
		if err != nil {
			t.Fatal(err)
		}
		curves = append(curves, c.Points)
	}
	if slices.Equal(curves[0], curves[1]) {
		t.Errorf("never and always in the cold start gave the same curve: %+v", curves[0])
	}
}
