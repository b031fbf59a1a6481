package finetune

import (
	"context"
	"fmt"
	"strings"

	"github.com/newsintel/newsintel/inference/topic"
)

// Summary is a model's score on one evaluation set.
type Summary struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
	LogLoss  float64 `json:"log_loss"`
}

// SummaryOf keeps the headline numbers of m.
func SummaryOf(m topic.Metrics) Summary {
	return Summary{N: m.N, Accuracy: m.Accuracy, MacroF1: m.MacroF1, LogLoss: m.LogLoss}
}

// VersionMetrics are one model's scores on the run's evaluation sets:
// Frozen, the seeded dev split of the base data, and Human, the newest
// human labels (nil when there were none to hold out).
type VersionMetrics struct {
	Version string   `json:"version"`
	Frozen  Summary  `json:"frozen"`
	Human   *Summary `json:"human,omitempty"`
}

// evaluate scores m on both sets with the same embedder, so the current
// and the candidate model see identical inputs.
func evaluate(ctx context.Context, m *topic.Model, emb topic.Embedder, d *dataset, progress func(string, int, int)) (VersionMetrics, error) {
	out := VersionMetrics{Version: m.ID()}
	stage := "eval " + m.ID()
	mets, _, err := topic.EvaluateModel(ctx, m, emb, d.frozenEval, func(done, total int) { progress(stage, done, total) })
	if err != nil {
		return out, fmt.Errorf("finetune: evaluate %s: %w", m.ID(), err)
	}
	out.Frozen = SummaryOf(mets)
	if len(d.humanEval) > 0 {
		mets, _, err := topic.EvaluateModel(ctx, m, emb, d.humanEval, nil)
		if err != nil {
			return out, fmt.Errorf("finetune: evaluate %s on human labels: %w", m.ID(), err)
		}
		s := SummaryOf(mets)
		out.Human = &s
	}
	return out, nil
}

// decide is the promotion gate: the candidate is promoted unless its
// macro-F1 is lower than the current model's by more than tolerance on
// either evaluation set. force promotes regardless; dryRun never does.
// The decision text says why, with the numbers.
func decide(cur, cand VersionMetrics, tolerance float64, force, dryRun bool) (promote bool, decision string) {
	var worse, scores []string
	check := func(set string, c, n Summary) {
		delta := n.MacroF1 - c.MacroF1
		scores = append(scores, fmt.Sprintf("%s %.4f → %.4f (%+.4f, %d examples)", set, c.MacroF1, n.MacroF1, delta, n.N))
		if delta < -tolerance {
			worse = append(worse, set)
		}
	}
	check("frozen", cur.Frozen, cand.Frozen)
	if cur.Human != nil && cand.Human != nil {
		check("human", *cur.Human, *cand.Human)
	}
	detail := fmt.Sprintf("macro-F1 of %s vs %s: %s; tolerance %.4f", cand.Version, cur.Version, strings.Join(scores, ", "), tolerance)
	passed := len(worse) == 0
	verdict := "passes the gate"
	if !passed {
		verdict = "worse beyond the tolerance on " + strings.Join(worse, " and ")
	}
	switch {
	case dryRun:
		return false, "dry run, not promoted (" + verdict + "): " + detail
	case passed:
		return true, "promoted (" + verdict + "): " + detail
	case force:
		return true, "promoted by --force although " + verdict + ": " + detail
	default:
		return false, "rejected (" + verdict + "): " + detail
	}
}
