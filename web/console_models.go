package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// The Models page (admins): the registry, training runs and activations,
// and the actions on them. Each action has a confirmation page (a GET of
// its path) whose form posts; success redirects (303) back to the page
// with the outcome in the query, failures an admin can act on (409, 404)
// re-render the confirmation with the reason and its status.

// How much history the Models page shows.
const (
	consoleRunsShown        = 50
	consoleActivationsShown = 20
)

// consoleTime formats an instant for console tables.
func consoleTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func consoleTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return consoleTime(*t)
}

func (s *Server) consoleModels(c echo.Context) error {
	return s.renderModels(c, http.StatusOK, c.QueryParam("done"))
}

// renderModels shows the page; done names the action that just succeeded
// (from the redirect's query), and its notice is built from values the
// page can check, never from text in the URL.
func (s *Server) renderModels(c echo.Context, status int, done string) error {
	ctx := c.Request().Context()
	versions, err := s.store.ModelVersions(ctx)
	if err != nil {
		return err
	}
	runs, err := s.store.TrainingRuns(ctx, consoleRunsShown)
	if err != nil {
		return err
	}
	hist, err := s.store.ModelActivations(ctx, consoleActivationsShown)
	if err != nil {
		return err
	}
	v := views.ModelsView{RollbackURL: s.echo.Reverse(RouteConsoleModelRollbackConfirm), ScriptURL: s.assets.URL("js/admin.js")}
	if rollbackTarget(activeOf(versions), hist) == "" {
		v.RollbackUnavailable = nothingToRollBack
	}
	if s.finetuner != nil {
		v.FinetuneURL = s.echo.Reverse(RouteConsoleFinetuneConfirm)
	}
	byID := map[int64]store.TrainingRun{}
	for _, r := range runs {
		byID[r.ID] = r
		v.Runs = append(v.Runs, runView(r))
	}
	known := map[string]bool{}
	for _, m := range versions {
		known[m.Version] = true
		if m.Active {
			v.Active = m.Version
		}
		mv := views.ModelVersionView{Version: m.Version, Active: m.Active, Source: m.Source, Parent: m.ParentVersion,
			Created: consoleTime(m.CreatedAt), Activated: consoleTimePtr(m.ActivatedAt), Labels: strings.Join(m.Labels, ", "),
			Metrics: metricSets(m.Metrics), RunID: m.TrainingRunID,
			PromoteURL: s.echo.Reverse(RouteConsoleModelPromoteConfirm, url.PathEscape(m.Version)),
			BundleURL:  s.echo.Reverse(RouteConsoleModelBundle, url.PathEscape(m.Version))}
		if r, ok := byID[m.TrainingRunID]; ok {
			mv.Metrics = append(mv.Metrics, candidateSets(r.Metrics)...)
			mv.Gate = gateOf(&r, m).state()
		}
		v.Versions = append(v.Versions, mv)
	}
	for _, a := range hist {
		v.History = append(v.History, views.ActivationView{At: consoleTime(a.At), Action: a.Action, Version: a.Version,
			Previous: a.PreviousVersion, Actor: a.Actor, RequestID: a.RequestID})
	}
	version := c.QueryParam("version")
	switch {
	case done == store.ActionPromote && known[version]:
		v.Flash.Notice = "Promoted " + version + ". Replicas switch to it on their next poll of the registry."
	case done == store.ActionRollback && known[version]:
		v.Flash.Notice = "Rolled back to " + version + ". Replicas switch to it on their next poll of the registry."
	case done == "finetune":
		if id, err := strconv.ParseInt(c.QueryParam("run"), 10, 64); err == nil && byID[id].ID == id {
			v.Flash.Notice = fmt.Sprintf("Started training run %d. It runs in the background; reload this page to follow it.", id)
		}
	}
	return s.render(c, status, "Models", views.ModelsPage(v))
}

// summaryJSON is a model's score on one evaluation set, as the registry
// and training runs store it (finetune.Summary).
type summaryJSON struct {
	N        int      `json:"n"`
	Accuracy *float64 `json:"accuracy"`
	MacroF1  *float64 `json:"macro_f1"`
}

func (m summaryJSON) view(set string) views.MetricView {
	f := func(p *float64) string {
		if p == nil {
			return "—"
		}
		return strconv.FormatFloat(*p, 'f', 3, 64)
	}
	return views.MetricView{Set: set, N: strconv.Itoa(m.N), Accuracy: f(m.Accuracy), MacroF1: f(m.MacroF1)}
}

// metricSets reads a version's metrics: one summary (its own dev split),
// or an object of summaries by set name.
func metricSets(raw json.RawMessage) []views.MetricView {
	var one summaryJSON
	if json.Unmarshal(raw, &one) == nil && one.Accuracy != nil {
		return []views.MetricView{one.view("dev")}
	}
	var sets map[string]summaryJSON
	if json.Unmarshal(raw, &sets) != nil {
		return nil
	}
	names := make([]string, 0, len(sets))
	for name, m := range sets {
		if m.Accuracy != nil {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make([]views.MetricView, 0, len(names))
	for _, name := range names {
		out = append(out, sets[name].view(name))
	}
	return out
}

// candidateSets reads the gate's evaluation of the version a run made:
// the frozen evaluation set and the held-out human labels.
func candidateSets(raw json.RawMessage) []views.MetricView {
	var m struct {
		Candidate *struct {
			Frozen summaryJSON  `json:"frozen"`
			Human  *summaryJSON `json:"human"`
		} `json:"candidate"`
	}
	if json.Unmarshal(raw, &m) != nil || m.Candidate == nil {
		return nil
	}
	out := []views.MetricView{m.Candidate.Frozen.view("frozen eval")}
	if m.Candidate.Human != nil {
		out = append(out, m.Candidate.Human.view("human eval"))
	}
	return out
}

func runView(r store.TrainingRun) views.TrainingRunView {
	v := views.TrainingRunView{ID: r.ID, Status: r.Status, TriggeredBy: runStarter(r), Forced: r.Forced, Base: r.BaseVersion,
		New: r.NewVersion, Decision: r.Decision, Error: r.Error, Started: consoleTime(r.StartedAt), Counts: countFacts(r.DataCounts)}
	if r.FinishedAt != nil {
		v.Duration = r.FinishedAt.Sub(r.StartedAt).Round(time.Second).String()
	} else {
		v.Duration = "running for " + time.Since(r.StartedAt).Round(time.Second).String()
	}
	return v
}

// countFacts lists a run's data counts, whatever keys the fine-tuner
// wrote: a nested object (counts by source) on one line.
func countFacts(raw json.RawMessage) []views.AdminFact {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]views.AdminFact, 0, len(keys))
	for _, k := range keys {
		val := fmt.Sprint(m[k])
		if sub, ok := m[k].(map[string]any); ok {
			var parts []string
			for sk, sv := range sub {
				parts = append(parts, fmt.Sprintf("%s %v", sk, sv))
			}
			slices.Sort(parts)
			val = strings.Join(parts, ", ")
		}
		out = append(out, views.AdminFact{Label: strings.ReplaceAll(k, "_", " "), Value: val})
	}
	return out
}

// modelsDone is where a successful action leads: the page, with the
// outcome in the query.
func (s *Server) modelsDone(c echo.Context, pairs ...string) error {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		q.Set(pairs[i], pairs[i+1])
	}
	return c.Redirect(http.StatusSeeOther, s.echo.Reverse(RouteConsoleModels)+"?"+q.Encode())
}

// confirmFailure re-renders a confirmation with why its action failed,
// when the admin can act on the reason; other errors take the error page.
func (s *Server) confirmFailure(c echo.Context, v views.AdminConfirmView, err error) error {
	e := classifyError(err)
	if !inlineStatus(e.Status) {
		return err
	}
	v.Error = errorText(e)
	return s.render(c, e.Status, v.Title, views.AdminConfirmPage(v))
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// activeVersion names the active version, or "".
func activeOf(all []store.ModelVersion) string {
	for _, m := range all {
		if m.Active {
			return m.Version
		}
	}
	return ""
}

// findVersion returns the registered version named by the :version
// parameter, and every version.
func (s *Server) findVersion(c echo.Context) (store.ModelVersion, []store.ModelVersion, error) {
	all, err := s.store.ModelVersions(c.Request().Context())
	if err != nil {
		return store.ModelVersion{}, nil, err
	}
	name := c.Param("version")
	if u, err := url.PathUnescape(name); err == nil {
		name = u
	}
	i := slices.IndexFunc(all, func(m store.ModelVersion) bool { return m.Version == name })
	if i < 0 {
		return store.ModelVersion{}, nil, &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no model version " + name}
	}
	return all[i], all, nil
}

// rollbackView asks to go back to the version active before the current
// one, found as RollbackModel finds it: the latest activation of the
// current version names it.
func (s *Server) rollbackView(c echo.Context) (views.AdminConfirmView, string, error) {
	ctx := c.Request().Context()
	all, err := s.store.ModelVersions(ctx)
	if err != nil {
		return views.AdminConfirmView{}, "", err
	}
	hist, err := s.store.ModelActivations(ctx, 100)
	if err != nil {
		return views.AdminConfirmView{}, "", err
	}
	active := activeOf(all)
	previous := rollbackTarget(active, hist)
	v := views.AdminConfirmView{Title: "Roll back the model",
		Question:  "Go back to the version that was active before " + dashIfEmpty(active) + "? To activate any other version, promote it instead.",
		Facts:     []views.AdminFact{{Label: "Now serving", Value: dashIfEmpty(active)}, {Label: "Roll back to", Value: dashIfEmpty(previous)}},
		ActionURL: s.echo.Reverse(RouteConsoleModelRollback), CSRF: consoleUser(c).CSRF, Submit: "Roll back", Danger: true,
		CancelURL: s.echo.Reverse(RouteConsoleModels), ScriptURL: s.assets.URL("js/admin.js")}
	if previous == "" {
		v.Error = nothingToRollBack
	}
	return v, previous, nil
}

const nothingToRollBack = "There is no earlier active version to roll back to."

// rollbackTarget is the version RollbackModel would return to: the one
// the latest activation of the active version replaced, "" for none.
// That activation is the newest of all, so a short history suffices.
func rollbackTarget(active string, hist []store.Activation) string {
	if active == "" {
		return ""
	}
	if i := slices.IndexFunc(hist, func(a store.Activation) bool { return a.Version == active }); i >= 0 {
		return hist[i].PreviousVersion
	}
	return ""
}

func (s *Server) consoleRollbackConfirm(c echo.Context) error {
	v, _, err := s.rollbackView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, v.Title, views.AdminConfirmPage(v))
}

func (s *Server) consoleRollback(c echo.Context) error {
	v, previous, err := s.rollbackView(c)
	if err != nil {
		return err
	}
	if previous == "" {
		return s.render(c, http.StatusConflict, v.Title, views.AdminConfirmPage(v))
	}
	ctx := c.Request().Context()
	a, err := s.store.RollbackModel(ctx, "", consoleUser(c).Email, RequestID(ctx))
	if err != nil {
		return s.confirmFailure(c, v, err)
	}
	return s.modelsDone(c, "done", store.ActionRollback, "version", a.Version)
}

func (s *Server) finetuneView(c echo.Context) views.AdminConfirmView {
	return views.AdminConfirmView{Title: "Fine-tune the model",
		Question: "Train a new version from the active one with every usable human label? The run takes the fine-tune lock; " +
			"the gate promotes the result only if it scores at least as well as the active version.",
		Checks: []views.AdminCheck{
			{Name: "force", Label: "Force: promote even if the gate refuses", Checked: c.FormValue("force") != ""},
			{Name: "dry_run", Label: "Dry run: train and evaluate, never promote", Checked: c.FormValue("dry_run") != ""},
		},
		ActionURL: s.echo.Reverse(RouteConsoleFinetune), CSRF: consoleUser(c).CSRF, Submit: "Start fine-tuning",
		CancelURL: s.echo.Reverse(RouteConsoleModels), ScriptURL: s.assets.URL("js/admin.js")}
}

func (s *Server) consoleFinetuneConfirm(c echo.Context) error {
	v := s.finetuneView(c)
	if s.finetuner == nil {
		v.Error = "This server does not run fine-tunes."
	}
	return s.render(c, http.StatusOK, v.Title, views.AdminConfirmPage(v))
}

func (s *Server) consoleFinetune(c echo.Context) error {
	v := s.finetuneView(c)
	if s.finetuner == nil {
		return s.confirmFailure(c, v, &Error{Status: http.StatusConflict, Code: "finetune_unavailable", Message: "this server does not run fine-tunes"})
	}
	ctx := c.Request().Context()
	run, err := s.finetuner.StartFinetune(ctx, FinetuneRequest{Force: c.FormValue("force") != "", DryRun: c.FormValue("dry_run") != "",
		Trigger: store.TriggerConsole, Actor: consoleUser(c).Email, RequestID: RequestID(ctx)})
	var running *store.RunningError
	if errors.As(err, &running) {
		err = &Error{Status: http.StatusConflict, Code: "finetune_running", Message: running.Error() + "; wait for it to finish", Err: err}
	}
	if err != nil {
		return s.confirmFailure(c, v, err)
	}
	return s.modelsDone(c, "done", "finetune", "run", strconv.FormatInt(run.ID, 10))
}
