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
	// PerTopicF1 is the F1 of each label, so an admin comparing two
	// versions sees which topics a change helped or hurt.
	PerTopicF1 map[string]float64 `json:"per_topic_f1,omitempty"`
}

// SummaryOf keeps the headline numbers of m and its per-topic F1.
func SummaryOf(m topic.Metrics) Summary {
	s := Summary{N: m.N, Accuracy: m.Accuracy, MacroF1: m.MacroF1, LogLoss: m.LogLoss}
	if len(m.PerClass) > 0 {
		s.PerTopicF1 = make(map[string]float64, len(m.PerClass))
		for _, c := range m.PerClass {
			s.PerTopicF1[c.Label] = c.F1
		}
	}
	return s
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

// GateCheck is the gate's comparison on one evaluation set.
type GateCheck struct {
	Set       string  // "frozen" or "human"
	Current   float64 // macro-F1 of the current model
	Candidate float64 // macro-F1 of the candidate
	Delta     float64 // Candidate - Current
	N         int     // examples in the set
	// Worse is a drop beyond the tolerance: the set rejects the candidate.
	Worse bool
}

// Verdict is the gate's judgement of a candidate.
type Verdict struct {
	Passed bool
	Checks []GateCheck
	// Reason says it in a few words: "passes the gate", or "worse beyond
	// the tolerance on frozen and human".
	Reason string
}

// Judge is the promotion gate's rule: the candidate passes unless its
// macro-F1 is lower than the current model's by more than tolerance on
// either evaluation set (the human set counts when both models were
// scored on it). The console applies it to a run's stored metrics, so
// the rule lives here once.
func Judge(cur, cand VersionMetrics, tolerance float64) Verdict {
	var v Verdict
	var worse []string
	check := func(set string, c, n Summary) {
		g := GateCheck{Set: set, Current: c.MacroF1, Candidate: n.MacroF1, Delta: n.MacroF1 - c.MacroF1, N: n.N}
		g.Worse = g.Delta < -tolerance
		if g.Worse {
			worse = append(worse, set)
		}
		v.Checks = append(v.Checks, g)
	}
	check("frozen", cur.Frozen, cand.Frozen)
	if cur.Human != nil && cand.Human != nil {
		check("human", *cur.Human, *cand.Human)
	}
	v.Passed = len(worse) == 0
	v.Reason = "passes the gate"
	if !v.Passed {
		v.Reason = "worse beyond the tolerance on " + strings.Join(worse, " and ")
	}
	return v
}

// decide is the promotion gate: the candidate is promoted when Judge
// passes it. force promotes regardless; dryRun never does. The decision
// text says why, with the numbers.
func decide(cur, cand VersionMetrics, tolerance float64, force, dryRun bool) (promote bool, decision string) {
	v := Judge(cur, cand, tolerance)
	scores := make([]string, len(v.Checks))
	for i, g := range v.Checks {
		scores[i] = fmt.Sprintf("%s %.4f → %.4f (%+.4f, %d examples)", g.Set, g.Current, g.Candidate, g.Delta, g.N)
	}
	detail := fmt.Sprintf("macro-F1 of %s vs %s: %s; tolerance %.4f", cand.Version, cur.Version, strings.Join(scores, ", "), tolerance)
	verdict := v.Reason
	switch {
	case dryRun:
		return false, "dry run, not promoted (" + verdict + "): " + detail
	case v.Passed:
		return true, "promoted (" + verdict + "): " + detail
	case force:
		return true, "promoted by --force although " + verdict + ": " + detail
	default:
		return false, "rejected (" + verdict + "): " + detail
	}
}
