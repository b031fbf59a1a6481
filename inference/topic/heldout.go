package topic

import (
	"fmt"
	"slices"
	"strings"
)

// CheckSet is a labeled set that Train measures every variant on without
// choosing or tuning anything by it (see Options.Checks).
type CheckSet struct {
	Name     string
	Examples []Example
}

// HeldScore is a variant's result on a set it was not chosen on: the test
// split or a check set.
type HeldScore struct {
	Set      string  `json:"set"`
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
}

// HeldMetrics are the stored model's full metrics on one such set.
type HeldMetrics struct {
	Set string `json:"set"`
	Metrics
}

// TestSet names the test split among the held-out scores.
const TestSet = "test"

// heldSet is one held-out set of a training run, embedded and
// featurised.
type heldSet struct {
	name  string
	exs   []Example
	texts []string
	gold  []string
	x     [][]float32
	s     []sparseVec
}

// heldSets lists the test split (if any) and the check sets, with their
// texts normalised.
func heldSets(test []Example, checks []CheckSet) []*heldSet {
	var out []*heldSet
	add := func(name string, exs []Example) {
		hs := &heldSet{name: name, exs: exs}
		for _, ex := range exs {
			hs.texts = append(hs.texts, Normalize(ex.Text))
			hs.gold = append(hs.gold, strings.TrimSpace(ex.Label))
		}
		out = append(out, hs)
	}
	if len(test) > 0 {
		add(TestSet, test)
	}
	for _, c := range checks {
		if len(c.Examples) > 0 {
			add(c.Name, c.Examples)
		}
	}
	return out
}

// heldScores scores per-set logits z (one per set of sets) at
// temperature t.
func heldScores(labels []string, sets []*heldSet, z [][][]float64, t float64) []HeldScore {
	out := make([]HeldScore, len(sets))
	for i, hs := range sets {
		m := Evaluate(labels, hs.gold, predictionsOf(labels, z[i], t))
		out[i] = HeldScore{Set: hs.name, N: m.N, Accuracy: m.Accuracy, MacroF1: m.MacroF1}
	}
	return out
}

// predictionsOf turns logits into predictions at temperature t.
func predictionsOf(labels []string, z [][]float64, t float64) []Prediction {
	preds := make([]Prediction, len(z))
	for i, zi := range z {
		p := softmaxT(zi, t)
		b := argmax(p)
		preds[i] = Prediction{Label: labels[b], Confidence: p[b], Scores: make(map[string]float64, len(labels))}
		for k, l := range labels {
			preds[i].Scores[l] = p[k]
		}
	}
	return preds
}

// HeldScore returns the variant's score on the named set, if measured.
func (v Variant) HeldScore(set string) (HeldScore, bool) {
	i := slices.IndexFunc(v.Held, func(h HeldScore) bool { return h.Set == set })
	if i < 0 {
		return HeldScore{}, false
	}
	return v.Held[i], true
}

// heldSummary is a short "test 0.9012, bbc 0.8810" for logs.
func heldSummary(hs []HeldScore) string {
	var parts []string
	for _, h := range hs {
		parts = append(parts, fmt.Sprintf("%s %.4f", h.Set, h.Accuracy))
	}
	return strings.Join(parts, ", ")
}
