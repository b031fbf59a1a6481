package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// seedGate registers the built-in agnews-v1 (active) and two versions
// made by fine-tuning runs that compared them with it: agnews-v2, which
// the gate rejected (frozen macro-F1 −0.077, as in the run the issue
// reports), and agnews-v3, which it passed.
func seedGate(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	labels := []string{"World", "Sports"}
	if _, err := db.EnsureModel(ctx, store.NewModelVersion{Version: "agnews-v1", Encoder: "enc", Labels: labels,
		Source: store.ModelBuiltin, Metrics: json.RawMessage(`{"n": 1200, "accuracy": 0.83, "macro_f1": 0.812}`)}, "test"); err != nil {
		t.Fatal(err)
	}
	sum := func(acc, f1, sports float64) finetune.Summary {
		return finetune.Summary{N: 1200, Accuracy: acc, MacroF1: f1, PerTopicF1: map[string]float64{"World": 0.7, "Sports": sports}}
	}
	cur := finetune.VersionMetrics{Version: "agnews-v1", Frozen: sum(0.83, 0.812, 0.95)}
	for _, r := range []struct {
		version  string
		frozen   finetune.Summary
		decision string
	}{
		{"agnews-v2", sum(0.76, 0.735, 0.90), "rejected (worse beyond the tolerance on frozen): macro-F1 of agnews-v2 vs agnews-v1: frozen 0.8120 → 0.7350 (-0.0770, 1200 examples); tolerance 0.0100"},
		{"agnews-v3", sum(0.84, 0.820, 0.96), "dry run, not promoted (passes the gate): macro-F1 of agnews-v3 vs agnews-v1: frozen 0.8120 → 0.8200 (+0.0080, 1200 examples); tolerance 0.0100"},
	} {
		run, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerAPI, BaseVersion: "agnews-v1"}, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		err = db.FinishTrainingRun(ctx, run.ID, store.TrainingResult{Status: store.RunSucceeded, Decision: r.decision,
			Metrics: map[string]any{"tolerance": 0.01, "current": cur, "candidate": finetune.VersionMetrics{Version: r.version, Frozen: r.frozen}},
			Model: &store.NewModelVersion{Version: r.version, Encoder: "enc", Labels: labels, Source: store.ModelFinetune,
				ParentVersion: "agnews-v1", Path: "topic-models/" + r.version, Metrics: json.RawMessage(`{"n": 130, "accuracy": 0.91, "macro_f1": 0.9}`)}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestConsolePromoteGate: the confirmation shows the gate's verdict and
// the comparison, and a version the gate rejected is promoted only with
// the override ticked and a reason, which the audit log keeps.
func TestConsolePromoteGate(t *testing.T) {
	const reason = "the frozen set predates the new Sports guidelines"
	for _, c := range []struct {
		name    string
		version string
		form    url.Values
		status  int
		// flash is in the refusal's error; reasonError in the field's.
		flash, reasonError string
	}{
		{"rejected, no override", "agnews-v2", nil, http.StatusConflict, "The evaluation gate rejected agnews-v2 in training run 1", ""},
		{"rejected, reason but no override", "agnews-v2", url.Values{"override_reason": {reason}}, http.StatusConflict, "tick “Promote although", ""},
		{"rejected, override without reason", "agnews-v2", url.Values{"override": {"1"}, "override_reason": {"  "}}, http.StatusUnprocessableEntity,
			"Give the reason", "Give the reason for promoting a version the evaluation gate rejected."},
		{"rejected, override with reason", "agnews-v2", url.Values{"override": {"1"}, "override_reason": {reason}}, http.StatusSeeOther, "", ""},
		{"passed, no override", "agnews-v3", nil, http.StatusSeeOther, "", ""},
		{"passed, override ignored", "agnews-v3", url.Values{"override": {"1"}}, http.StatusSeeOther, "", ""},
		{"no run, no verdict", "agnews-v1", nil, http.StatusConflict, "active already", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newAdminConsole(t)
			seedGate(t, a.db)
			cl, csrf := a.as(t, store.RoleAdmin)
			res, body := a.post(t, cl, csrf, "/console/models/"+c.version+"/promote", c.form)
			if res.StatusCode != c.status {
				t.Fatalf("status %d, want %d", res.StatusCode, c.status)
			}
			if c.status == http.StatusSeeOther {
				if v := activeVersion(t, a.db); v != c.version {
					t.Fatalf("active %s after the promotion", v)
				}
				overridden := a.raw.Int(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'model.promote' AND target = ? AND actor = 'admin@example.com'
					AND details LIKE '%"gate_override":true%' AND details LIKE ?`, c.version, `%"override_reason":"`+reason+`"%`)
				if want := int64(0); c.version == "agnews-v2" && overridden != 1 || c.version != "agnews-v2" && overridden != want {
					t.Errorf("%d audit entries of an override", overridden)
				}
				return
			}
			if v := activeVersion(t, a.db); v != "agnews-v1" {
				t.Fatalf("a refused promotion made %s active", v)
			}
			doc := adminDoc(t, body)
			if got := findTestID(doc, "flash-error").Text(); !strings.Contains(got, c.flash) {
				t.Errorf("error %q, want %q", got, c.flash)
			}
			if got := strings.TrimSpace(findTestID(doc, "override-reason-error").Text()); got != c.reasonError {
				t.Errorf("reason error %q, want %q", got, c.reasonError)
			}
			if c.version == "agnews-v2" {
				// The refused form keeps what was sent.
				_, checked := findTestID(doc, "override-check").Attr("checked")
				if checked != (c.form.Get("override") != "") || findTestID(doc, "override-reason").Text() != c.form.Get("override_reason") {
					t.Errorf("the refused form lost its state: checked %v, reason %q", checked, findTestID(doc, "override-reason").Text())
				}
			}
		})
	}
}

func TestConsolePromoteConfirmShowsGate(t *testing.T) {
	a := newAdminConsole(t)
	seedGate(t, a.db)
	c, _ := a.as(t, store.RoleAdmin)
	for _, tc := range []struct {
		version, verdict, frozenDelta, trend string
		override                             bool
	}{
		{"agnews-v2", "rejected", "−0.077", "down", true},
		{"agnews-v3", "passed", "+0.008", "up", false},
	} {
		res, doc := a.get(t, c, "/console/models/"+tc.version+"/promote")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", tc.version, res.StatusCode)
		}
		if got, _ := findTestID(doc, "gate-verdict").Attr("data-verdict"); got != tc.verdict {
			t.Errorf("%s: verdict %q, want %q", tc.version, got, tc.verdict)
		}
		if got := findTestID(doc, "gate-reason").First().Text(); !strings.Contains(got, "frozen eval macro-F1 0.8120 →") {
			t.Errorf("%s: gate reason %q", tc.version, got)
		}
		if findTestID(doc, "override").Length() == 0 == tc.override {
			t.Errorf("%s: override offered %v, want %v", tc.version, !tc.override, tc.override)
		}
		row := findTestID(doc, "compare-frozen-macro_f1")
		delta := row.Find(`[data-testid="delta"]`)
		if trend, _ := delta.Attr("data-trend"); !strings.Contains(delta.Text(), tc.frozenDelta) || trend != tc.trend ||
			!delta.HasClass(tc.trend) || row.Find(`[data-testid="compare-active"]`).Text() != "0.812" {
			t.Errorf("%s: frozen macro-F1 row %q (trend %q)", tc.version, row.Text(), trend)
		}
		if findTestID(doc, "compare-frozen-f1-Sports").Find(`[data-testid="delta"]`).Length() != 1 ||
			findTestID(doc, "compare-own-dev-accuracy").Find(`[data-testid="delta"]`).Length() != 0 {
			t.Errorf("%s: per-topic row without a change, or the own dev split with one", tc.version)
		}
	}
	// The built-in version was made by no run: no verdict, no override.
	_, doc := a.get(t, c, "/console/models/agnews-v1/promote")
	if got, _ := findTestID(doc, "gate-verdict").Attr("data-verdict"); got != "none" || findTestID(doc, "override").Length() != 0 {
		t.Errorf("built-in version: verdict %q, override offered %v", got, findTestID(doc, "override").Length() != 0)
	}
}

// TestModelsPageRollbackAndGate: with nothing to roll back to, Roll back
// is a disabled button that says why (the POST still answers 409); after
// a promotion it is a link again. Each version shows its gate verdict.
func TestModelsPageRollbackAndGate(t *testing.T) {
	a := newAdminConsole(t)
	seedGate(t, a.db)
	c, csrf := a.as(t, store.RoleAdmin)
	_, doc := a.get(t, c, "/console/models")
	rb := findTestID(doc, "rollback-link")
	if _, disabled := rb.Attr("disabled"); !disabled || !rb.Is("button") || !strings.Contains(rb.AttrOr("title", ""), "no earlier active version") ||
		!strings.Contains(findTestID(doc, "rollback-unavailable").Text(), "no earlier active version") {
		t.Errorf("Roll back with nothing to roll back to: %s", goquerySnippet(rb))
	}
	if res, _ := a.post(t, c, csrf, "/console/models/rollback", nil); res.StatusCode != http.StatusConflict {
		t.Errorf("direct rollback: %d, want 409", res.StatusCode)
	}
	if findTestID(doc, "model-agnews-v2").Find(`[data-testid="gate-badge"]`).Text() != "gate rejected" ||
		findTestID(doc, "model-agnews-v3").Find(`[data-testid="gate-badge"]`).Text() != "gate passed" ||
		findTestID(doc, "model-agnews-v1").Find(`[data-testid="gate-badge"]`).Length() != 0 {
		t.Error("gate badges missing or misplaced")
	}
	if res, _ := a.post(t, c, csrf, "/console/models/agnews-v3/promote", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("promote: %d", res.StatusCode)
	}
	_, doc = a.get(t, c, "/console/models")
	if rb := findTestID(doc, "rollback-link"); !rb.Is("a") || rb.AttrOr("href", "") != "/console/models/rollback" || findTestID(doc, "rollback-unavailable").Length() != 0 {
		t.Errorf("Roll back after a promotion: %s", goquerySnippet(rb))
	}
}

// TestPromoteRouteGate is the JSON API's side of the rule.
func TestPromoteRouteGate(t *testing.T) {
	const reason = "hotfix: the frozen set is stale"
	for _, c := range []struct {
		name, version, body string
		status              int
		check               func(t *testing.T, body string)
	}{
		{"rejected, no body", "agnews-v2", "", 409, contains(`"code":"gate_rejected"`, `the evaluation gate rejected agnews-v2 in training run 1`, `frozen eval macro-F1 0.8120 → 0.7350 (−0.0770`, `\"override\": true`)},
		{"rejected, override false", "agnews-v2", `{"override":false,"reason":"x"}`, 409, contains(`"code":"gate_rejected"`)},
		{"rejected, override without reason", "agnews-v2", `{"override":true}`, 422, contains(`"field":"reason"`)},
		{"rejected, override of the wrong type", "agnews-v2", `{"override":"yes"}`, 422, contains(`"field":"override"`)},
		{"rejected, override with reason", "agnews-v2", `{"override":true,"reason":"` + reason + `"}`, 200, contains(`"version":"agnews-v2"`, `"actor":"new"`)},
		{"passed", "agnews-v3", "", 200, contains(`"version":"agnews-v3"`)},
		{"unknown", "nope", "", 404, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, raw, _ := storetest.OpenRaw(t, store.SQLite)
			s := newTestServerWith(t, testConfig(), db, &fakeEncoder{})
			seedGate(t, db)
			h := keyHeader(newKey)
			h.Set("Content-Type", "application/json")
			runSteps(t, s, h, []step{{c.name, "POST", "/models/" + c.version + "/promote", c.body, c.status, c.check}})
			want := int64(0)
			if c.status == 200 && c.version == "agnews-v2" {
				want = 1
			}
			if n := raw.Int(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'model.promote' AND actor = 'new' AND details LIKE ?`,
				`%"override_reason":"`+reason+`"%`); n != want {
				t.Errorf("%d audit entries of the override, want %d", n, want)
			}
		})
	}
}

func goquerySnippet(s *goquery.Selection) string {
	h, _ := goquery.OuterHtml(s)
	return h
}
