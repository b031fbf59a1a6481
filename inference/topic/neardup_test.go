package topic

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestNearDuplicateClusters(t *testing.T) {
	exs := []Example{
		{Text: "Tokyo's Nikkei fell 1.66 percent by midday on Monday, extending losses into a third day as oil prices surged"},
		{Text: "Striker scores twice as United win the cup final in extra time"},
		// The first story retold: most of its trigrams, another ending.
		{Text: "TOKYO (Reuters) - Tokyo's Nikkei fell 1.66 percent by midday on Monday, extending losses into a third day as exporters slid"},
		{Text: "New chip doubles the battery life of phones, the maker says"},
		{Text: "Short"},
		{Text: "short"},
	}
	clusters, pairs := NearDuplicateClusters(exs, 0.3)
	want := [][]int{{0, 2}, {1}, {3}, {4, 5}}
	if pairs != 2 || fmt.Sprint(clusters) != fmt.Sprint(want) {
		t.Fatalf("clusters %v (%d pairs), want %v (2 pairs)", clusters, pairs, want)
	}
	// A stricter threshold separates the retelling.
	if clusters, _ := NearDuplicateClusters(exs, 0.9); len(clusters) != 5 {
		t.Errorf("at 0.9: %d clusters %v, want 5", len(clusters), clusters)
	}
	if n := NearDupLeaks(exs[:2], exs[2:], 0.3); n != 1 {
		t.Errorf("NearDupLeaks = %d, want 1 (the retold Nikkei story)", n)
	}
}

// TestNearDupLeaksSkipsBoilerplateAsClustering checks that a pair which
// is near only through a shingle too common to count in the whole set is
// neither clustered nor counted as a leak, however the set is split.
func TestNearDupLeaksSkipsBoilerplateAsClustering(t *testing.T) {
	var exs []Example
	for i := range maxShinglePostings + 10 {
		exs = append(exs, Example{Text: fmt.Sprintf("alpha beta gamma f%d g%d", i, i)})
	}
	a := Example{Text: "alpha beta gamma delta x1"}
	b := Example{Text: "alpha beta gamma delta y1"}
	all := append(append(slices.Clone(exs), a), b)
	clusters, _ := NearDuplicateClusters(all, 0.3)
	if len(clusters) != len(all) {
		t.Fatalf("%d clusters of %d examples: the boilerplate shingle made a pair", len(clusters), len(all))
	}
	// Most of the boilerplate in held-out: in train alone it is not common.
	train := append(slices.Clone(exs[:50]), b)
	heldOut := append(slices.Clone(exs[50:]), a)
	if n := NearDupLeaks(train, heldOut, 0.3); n != 0 {
		t.Errorf("NearDupLeaks = %d, want 0 as the clusters say", n)
	}
}

// honestCorpus has two source files and four labels; every third article
// of a file is retold in the other file, so that a split by article
// would put one copy in train and the other in dev or test.
func honestCorpus() []Example {
	labels := []string{"World", "Sports", "Business", "Sci/Tech"}
	var exs []Example
	for i := range 400 {
		l := labels[i%4]
		story := fmt.Sprintf("story %d about %s with words w%d x%d y%d z%d and more words of its own q%d", i, l, i, i*7, i*13, i*17, i*19)
		exs = append(exs, Example{Text: story, Label: l, Source: fmt.Sprintf("a.csv:%d", i+2)})
		if i%3 == 0 {
			exs = append(exs, Example{Text: "UPDATE - " + story + " said officials", Label: l, Source: fmt.Sprintf("b.csv:%d", i+2)})
		} else {
			exs = append(exs, Example{Text: fmt.Sprintf("other %d on %s: v%d u%d t%d s%d r%d", i, l, i*3, i*5, i*11, i*23, i*29), Label: l, Source: fmt.Sprintf("b.csv:%d", i+2)})
		}
	}
	return exs
}

func TestSplitExamplesHonest(t *testing.T) {
	exs := honestCorpus()
	opts := Options{Seed: 3, DevFraction: 0.1, TestFraction: 0.1, NearDupJaccard: DefaultNearDupJaccard, StratifyBySource: true}
	sp, err := SplitExamples(exs, opts)
	if err != nil {
		t.Fatal(err)
	}
	nd := sp.NearDup
	if nd == nil || nd.Clusters != 134 || nd.Clustered != 268 || nd.Leaked != 0 {
		t.Fatalf("near-duplicates %+v, want 134 clusters of 268 examples and no leak", nd)
	}
	if got := len(sp.Train) + len(sp.Dev) + len(sp.Test); got != len(sp.All) {
		t.Fatalf("train+dev+test = %d, want %d", got, len(sp.All))
	}
	if NearDupLeaks(sp.Train, append(slices.Clone(sp.Dev), sp.Test...), DefaultNearDupJaccard) != 0 {
		t.Error("a held-out example has a near-duplicate in train")
	}
	// Stratified by label and source file, within a cluster's size.
	for _, part := range [][]Example{sp.Dev, sp.Test} {
		if len(part) < 76 || len(part) > 84 {
			t.Errorf("held-out part of %d examples, want about 80", len(part))
		}
		counts := map[string]int{}
		for _, ex := range part {
			counts[ex.Label+" "+sourceFile(ex.Source)]++
		}
		if len(counts) != 8 {
			t.Errorf("held-out strata %v, want all 4 labels × 2 files", counts)
		}
	}
	// The same seed gives the same split; another seed another one.
	again, _ := SplitExamples(exs, opts)
	if DataHash(again.Dev) != DataHash(sp.Dev) || DataHash(again.Test) != DataHash(sp.Test) {
		t.Error("the split is not reproducible")
	}
	opts.Seed = 4
	other, _ := SplitExamples(exs, opts)
	if DataHash(other.Dev) == DataHash(sp.Dev) {
		t.Error("seeds 3 and 4 give the same dev split")
	}
	// Without the near-duplicate grouping, a random split leaks.
	opts.NearDupJaccard = 0
	plain, _ := SplitExamples(exs, opts)
	if plain.NearDup != nil || NearDupLeaks(plain.Train, plain.Dev, DefaultNearDupJaccard) == 0 {
		t.Error("a split by article put no retold story on both sides: the test corpus does not exercise the grouping")
	}
}

func TestLoadBBCMapped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bbc.jsonl")
	lines := []string{
		`{"id": "business/001", "category": "business", "title": "Ad sales boost Time Warner profit", "article": "Quarterly profits at US media giant TimeWarner jumped 76%.\n\nThe firm benefited from sales."}`,
		`{"id": "entertainment/001", "category": "entertainment", "title": "Gallery unveils interactive tree", "article": "A Christmas tree."}`,
		`{"id": "politics/001", "category": "politics", "title": "Labour plans maternity pay rise", "article": "Maternity pay for new mothers is to rise."}`,
		``,
		`{"id": "sport/001", "category": "sport", "title": "Claxton hunting first major medal", "article": "British hurdler Sarah Claxton is confident."}`,
		`{"id": "tech/001", "category": "tech", "title": "Ink helps drive democracy in Asia", "article": "The Kyrgyz Republic is using invisible ink.\nMore."}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	exs, err := LoadBBCMapped(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ex := range exs {
		got = append(got, ex.Label+": "+ex.Text)
	}
	want := []string{
		"Business: Ad sales boost Time Warner profit . Quarterly profits at US media giant TimeWarner jumped 76%.",
		"World: Labour plans maternity pay rise . Maternity pay for new mothers is to rise.",
		"Sports: Claxton hunting first major medal . British hurdler Sarah Claxton is confident.",
		"Sci/Tech: Ink helps drive democracy in Asia . The Kyrgyz Republic is using invisible ink.",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if err := os.WriteFile(path, []byte(lines[1]), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBBCMapped(path); err == nil || !strings.Contains(err.Error(), "no article with a mapped category") {
		t.Errorf("only entertainment: err = %v", err)
	}
}

// TestTrainHeldOut trains with a test split and a check set: every
// variant is scored on both, the chosen model reports their metrics, and
// the test examples are neither train nor dev.
func TestTrainHeldOut(t *testing.T) {
	check := []Example{{Text: "the coach praised the team after the match", Label: "Sports"},
		{Text: "bank stocks and shares rose on the market", Label: "Business"},
		{Text: "an unmapped article about a film premiere", Label: "Entertainment"}}
	m, rep, _ := trainToyWith(t, func(o *Options) {
		o.TestFraction, o.NearDupJaccard, o.StratifyBySource = 0.1, DefaultNearDupJaccard, true
		o.Checks = []CheckSet{{Name: "news", Examples: check}}
	}, VariantLR, VariantHash, VariantLRHash)
	if rep.Test < 15 || rep.Train+rep.Dev+rep.Test != 180 || rep.NearDup == nil || rep.NearDup.Leaked != 0 {
		t.Fatalf("train %d dev %d test %d, near-duplicates %+v", rep.Train, rep.Dev, rep.Test, rep.NearDup)
	}
	for _, v := range rep.Variants {
		ts, ok1 := v.HeldScore(TestSet)
		cs, ok2 := v.HeldScore("news")
		if !ok1 || !ok2 || ts.N != rep.Test || cs.N != 3 || cs.Accuracy > 2.0/3+1e-9 {
			t.Errorf("variant %s held-out scores %+v", v.Name, v.Held)
		}
	}
	if len(m.HeldOut) != 2 || m.HeldOut[0].Set != TestSet || m.HeldOut[1].Set != "news" || m.HeldOut[1].Unknown != 1 {
		t.Fatalf("model held-out metrics %+v", m.HeldOut)
	}
	if m.Training.Test != rep.Test || len(m.Training.TestHash) != 64 || m.Training.NearDup == nil {
		t.Errorf("training record %+v", m.Training)
	}
	card := m.Card()
	for _, want := range []string{"## test metrics", "## news metrics", "| test acc | news acc |", "- near-duplicates (word-trigram Jaccard ≥ 0.3)", "dev chooses the variant"} {
		if !strings.Contains(card, want) {
			t.Errorf("model card lacks %q:\n%s", want, card)
		}
	}
	if m.HeldOut[0].Accuracy < 0.8 {
		t.Errorf("test accuracy %.3f on the toy corpus", m.HeldOut[0].Accuracy)
	}
}
