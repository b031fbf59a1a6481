package views

import (
	"strings"
	"testing"
)

func promoteView(state string) ModelPromoteView {
	return ModelPromoteView{Title: "Promote agnews-v2", Question: "Make agnews-v2 the active model?",
		Verdict: GateVerdictView{State: state, Headline: "The gate rejected agnews-v2 in training run 4.",
			Reasons:  []string{"frozen eval macro-F1 0.8120 → 0.7350 (−0.0770 on 1200 examples), beyond the tolerance of 0.0100"},
			Decision: "rejected (worse beyond the tolerance on frozen): …", RunURL: "/console/models#run-4"},
		Compare: ModelCompareView{Active: "agnews-v1", Candidate: "agnews-v2", Rows: []CompareRow{
			{Key: "frozen-accuracy", Metric: "Accuracy", Set: "frozen eval (1200 examples)", Active: "0.830", Candidate: "0.840", Delta: "+0.010", Trend: "up"},
			{Key: "frozen-macro_f1", Metric: "Macro-F1", Set: "frozen eval (1200 examples)", Active: "0.812", Candidate: "0.735", Delta: "−0.077", Trend: "down"},
			{Key: "frozen-f1-World", Metric: "F1: World", Set: "frozen eval (1200 examples)", Active: "0.700", Candidate: "0.700", Delta: "+0.000", Trend: "same"},
			{Key: "own-dev-accuracy", Metric: "Accuracy", Set: "own dev split", Active: "0.830", Candidate: "0.910", Note: "not the same examples"},
		}},
		ActionURL: "/console/models/agnews-v2/promote", CSRF: "tok", Submit: "Promote agnews-v2", CancelURL: "/console/models"}
}

func TestModelPromotePageRejected(t *testing.T) {
	v := promoteView(GateRejected)
	v.Override, v.Reason, v.ReasonError = true, "  ", "Give the reason."
	doc := adminRender(t, ModelPromotePage(v))
	verdict := adminTID(doc, "gate-verdict")
	if got, _ := verdict.Attr("data-verdict"); got != GateRejected || !verdict.HasClass("gate-rejected") || !strings.Contains(verdict.Find(".badge.bad").Text(), "rejected") {
		t.Errorf("verdict %q: %q", got, verdict.Text())
	}
	if got := adminTID(doc, "gate-reason").Text(); !strings.Contains(got, "0.8120 → 0.7350") {
		t.Errorf("reason %q", got)
	}
	if !strings.Contains(adminTID(doc, "gate-decision").Text(), "rejected (worse") {
		t.Error("the run's recorded decision is missing")
	}
	if got := adminTID(doc, "compare-active-head").Text(); !strings.Contains(got, "agnews-v1") {
		t.Errorf("active column %q", got)
	}
	for key, want := range map[string]string{"frozen-accuracy": "up", "frozen-macro_f1": "down", "frozen-f1-World": "same"} {
		d := adminTID(doc, "compare-"+key).Find(`[data-testid="delta"]`)
		if trend, _ := d.Attr("data-trend"); trend != want || !d.HasClass("delta") || !d.HasClass(want) {
			t.Errorf("%s: trend %q, classes %q", key, trend, d.AttrOr("class", ""))
		}
	}
	if got := adminTID(doc, "compare-frozen-macro_f1").Find(`[data-testid="delta"]`).Text(); !strings.Contains(got, "▼") || !strings.Contains(got, "−0.077") {
		t.Errorf("a drop reads %q: it needs its arrow as well as its colour", got)
	}
	own := adminTID(doc, "compare-own-dev-accuracy")
	if own.Find(`[data-testid="delta"]`).Length() != 0 || !strings.Contains(own.Text(), "not the same examples") {
		t.Errorf("own dev row %q", own.Text())
	}
	override := adminTID(doc, "override")
	if _, checked := override.Find(`[data-testid="override-check"]`).Attr("checked"); !checked || override.Find(`input[name="override"]`).Length() != 1 {
		t.Error("the override checkbox is missing or lost its state")
	}
	reason := override.Find(`textarea[name="override_reason"]`)
	if inv, _ := reason.Attr("aria-invalid"); inv != "true" || adminTID(doc, "override-reason-error").Text() != "Give the reason." {
		t.Errorf("reason field: aria-invalid %q, error %q", inv, adminTID(doc, "override-reason-error").Text())
	}
	if !adminTID(doc, "confirm-submit").HasClass("danger") {
		t.Error("promoting a rejected version is not styled as dangerous")
	}
}

func TestModelPromotePagePassedAndNone(t *testing.T) {
	for _, state := range []string{GatePassed, GateNone} {
		doc := adminRender(t, ModelPromotePage(promoteView(state)))
		if got, _ := adminTID(doc, "gate-verdict").Attr("data-verdict"); got != state {
			t.Errorf("verdict %q, want %q", got, state)
		}
		if adminTID(doc, "override").Length() != 0 || adminTID(doc, "confirm-submit").HasClass("danger") {
			t.Errorf("%s: an override is asked for", state)
		}
		if adminTID(doc, "model-compare").Length() != 1 {
			t.Errorf("%s: no comparison", state)
		}
	}
	v := promoteView(GateNone)
	v.Compare.Rows = nil
	if doc := adminRender(t, ModelPromotePage(v)); adminTID(doc, "compare-empty").Length() != 1 || adminTID(doc, "model-compare").Length() != 0 {
		t.Error("no rows to compare, but no message saying so")
	}
}

func TestModelsPageRollbackDisabled(t *testing.T) {
	v := ModelsView{Active: "agnews-v1", RollbackURL: "/rb", RollbackUnavailable: "There is no earlier active version to roll back to.",
		Versions: []ModelVersionView{{Version: "agnews-v2", Gate: GateRejected}, {Version: "agnews-v3", Gate: GatePassed}, {Version: "agnews-v1", Active: true}}}
	doc := adminRender(t, ModelsPage(v))
	rb := adminTID(doc, "rollback-link")
	if _, disabled := rb.Attr("disabled"); !disabled || !rb.Is("button") || rb.AttrOr("title", "") != v.RollbackUnavailable || rb.AttrOr("href", "") != "" {
		t.Errorf("Roll back with nothing to roll back to is not a disabled button with the reason: %q", rb.AttrOr("class", ""))
	}
	if adminTID(doc, "rollback-unavailable").Text() != v.RollbackUnavailable {
		t.Error("the reason is not shown as text")
	}
	if adminTID(doc, "model-agnews-v2").Find(`[data-testid="gate-badge"]`).Text() != "gate rejected" ||
		adminTID(doc, "model-agnews-v3").Find(`[data-testid="gate-badge"]`).Text() != "gate passed" ||
		adminTID(doc, "model-agnews-v1").Find(`[data-testid="gate-badge"]`).Length() != 0 {
		t.Error("gate badges missing or misplaced")
	}
	v.RollbackUnavailable = ""
	doc = adminRender(t, ModelsPage(v))
	if rb := adminTID(doc, "rollback-link"); !rb.Is("a") || rb.AttrOr("href", "") != "/rb" || adminTID(doc, "rollback-unavailable").Length() != 0 {
		t.Error("Roll back is not a link when there is a version to go back to")
	}
}
