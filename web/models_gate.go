package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// The evaluation gate's verdict on a registered version, and the rule
// that a version it rejected is promoted only on an explicit override
// with a reason. The console and the JSON API both apply it here.

// gateMetrics is what a training run stores of the gate's evaluation
// (finetune's runMetrics).
type gateMetrics struct {
	Tolerance float64                  `json:"tolerance"`
	Current   *finetune.VersionMetrics `json:"current"`
	Candidate *finetune.VersionMetrics `json:"candidate"`
}

func runGateMetrics(raw json.RawMessage) (gateMetrics, bool) {
	var g gateMetrics
	if json.Unmarshal(raw, &g) != nil || g.Current == nil || g.Candidate == nil {
		return g, false
	}
	return g, true
}

// gateVerdict is the gate's judgement of a version. Run is nil when no
// fine-tuning run evaluated it (the built-in model, `newsintel train`, a
// pulled artifact): the gate has no verdict then.
type gateVerdict struct {
	Run     *store.TrainingRun
	Metrics gateMetrics
	finetune.Verdict
}

// rejected reports whether the gate rejected the version: its macro-F1
// fell beyond the tolerance on an evaluation set. A forced or dry run
// does not change that.
func (g gateVerdict) rejected() bool { return g.Run != nil && !g.Passed }

// state is the verdict as the views name it, "" for none.
func (g gateVerdict) state() string {
	switch {
	case g.Run == nil:
		return ""
	case g.Passed:
		return views.GatePassed
	default:
		return views.GateRejected
	}
}

// gateOf judges m from the stored evaluation of the run that made it.
// The verdict is recomputed by the gate's own rule from the numbers the
// run stored, not parsed from its decision text.
func gateOf(run *store.TrainingRun, m store.ModelVersion) gateVerdict {
	if run == nil || run.ID != m.TrainingRunID {
		return gateVerdict{}
	}
	g, ok := runGateMetrics(run.Metrics)
	if !ok || g.Candidate.Version != m.Version {
		return gateVerdict{}
	}
	return gateVerdict{Run: run, Metrics: g, Verdict: finetune.Judge(*g.Current, *g.Candidate, g.Tolerance)}
}

// versionGate reads the run that made m and judges m.
func (s *Server) versionGate(ctx context.Context, m store.ModelVersion) (gateVerdict, error) {
	if m.TrainingRunID == 0 {
		return gateVerdict{}, nil
	}
	run, err := s.store.TrainingRun(ctx, m.TrainingRunID)
	if errors.Is(err, store.ErrNotFound) {
		return gateVerdict{}, nil
	}
	if err != nil {
		return gateVerdict{}, err
	}
	return gateOf(&run, m), nil
}

// summary says the rejection and its reasons on one line.
func (g gateVerdict) summary(version string) string {
	return fmt.Sprintf("the evaluation gate rejected %s in training run %d (%s: %s)", version, g.Run.ID, g.Reason, strings.Join(g.checkTexts(), "; "))
}

// checkTexts are the gate's reasons: each evaluation set it compared,
// with the numbers and whether the set rejects the candidate.
func (g gateVerdict) checkTexts() []string {
	out := make([]string, len(g.Checks))
	for i, c := range g.Checks {
		outcome := "within"
		if c.Worse {
			outcome = "beyond"
		}
		out[i] = fmt.Sprintf("%s eval macro-F1 %.4f → %.4f (%s on %d examples), %s the tolerance of %.4f",
			c.Set, c.Current, c.Candidate, signed(c.Delta, 4), c.N, outcome, g.Metrics.Tolerance)
	}
	return out
}

// signed formats a delta with its sign, a true minus for a drop.
func signed(d float64, prec int) string {
	s := fmt.Sprintf("%+.*f", prec, d)
	return strings.Replace(s, "-", "−", 1)
}

// gateRefusal is the answer to promoting a rejected version without an
// override; how says how to override on the caller's surface.
func gateRefusal(version string, g gateVerdict, how string) error {
	return &Error{Status: http.StatusConflict, Code: "gate_rejected", Message: g.summary(version) + "; " + how}
}

// gateOverride applies the rule: a version the gate did not reject needs
// nothing (nil); a rejected one needs override and a reason (field names
// the reason's form field), and gets the override to record.
func gateOverride(version string, g gateVerdict, override bool, reason, field, how string) (*store.GateOverride, error) {
	if !g.rejected() {
		return nil, nil
	}
	if !override {
		return nil, gateRefusal(version, g, how)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, errValidation(FieldError{Field: field, Message: "give the reason for promoting a version the evaluation gate rejected"})
	}
	return &store.GateOverride{Reason: reason, Decision: g.Run.Decision, TrainingRunID: g.Run.ID}, nil
}

// promote activates m, recording an override of the gate when there is
// one.
func (s *Server) promote(ctx context.Context, m store.ModelVersion, o *store.GateOverride, actor string) (store.Activation, error) {
	if o != nil {
		return s.store.PromoteOverridingGate(ctx, m.Version, actor, RequestID(ctx), *o)
	}
	return s.store.ActivateModel(ctx, m.Version, store.ActionPromote, actor, RequestID(ctx))
}
