package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// The promotion's confirmation: what the evaluation gate said of the
// version, the version beside the active one metric by metric, and, for
// a version the gate rejected, the override (a checkbox and a reason)
// without which the promotion is refused.

// overrideHow tells a console user how to override the gate.
const overrideHow = "to promote it anyway, tick “Promote although the evaluation gate rejected it” and give the reason"

// promoteData is what the confirmation is built from.
type promoteData struct {
	m      store.ModelVersion
	active *store.ModelVersion
	gate   gateVerdict
	runs   []store.TrainingRun
}

func (s *Server) loadPromote(c echo.Context) (promoteData, error) {
	m, all, err := s.findVersion(c)
	if err != nil {
		return promoteData{}, err
	}
	p := promoteData{m: m}
	for i := range all {
		if all[i].Active {
			p.active = &all[i]
		}
	}
	ctx := c.Request().Context()
	if p.gate, err = s.versionGate(ctx, m); err != nil {
		return p, err
	}
	if p.runs, err = s.store.TrainingRuns(ctx, consoleRunsShown); err != nil {
		return p, err
	}
	return p, nil
}

func (s *Server) promoteView(c echo.Context, p promoteData) views.ModelPromoteView {
	m, active := p.m, ""
	if p.active != nil {
		active = p.active.Version
	}
	v := views.ModelPromoteView{Title: "Promote " + m.Version,
		Question: "Make " + m.Version + " the active model? Every replica switches to it on its next poll of the registry.",
		Facts: []views.AdminFact{{Label: "Version", Value: m.Version}, {Label: "Source", Value: m.Source},
			{Label: "Created", Value: consoleTime(m.CreatedAt)}, {Label: "Now serving", Value: dashIfEmpty(active)}},
		Verdict:   s.verdictView(p),
		Compare:   compareVersions(p.active, m, p.gate, p.runs),
		ActionURL: s.echo.Reverse(RouteConsoleModelPromote, url.PathEscape(m.Version)), CSRF: consoleUser(c).CSRF,
		Submit: "Promote " + m.Version, CancelURL: s.echo.Reverse(RouteConsoleModels), ScriptURL: s.assets.URL("js/admin.js")}
	if p.gate.rejected() {
		v.Submit = "Promote " + m.Version + " despite the gate"
		v.Override, v.Reason = c.FormValue("override") != "", c.FormValue("override_reason")
	}
	return v
}

func (s *Server) verdictView(p promoteData) views.GateVerdictView {
	g, version := p.gate, p.m.Version
	if g.Run == nil {
		return views.GateVerdictView{State: views.GateNone,
			Headline: fmt.Sprintf("No fine-tuning run evaluated %s (source: %s), so the gate has no verdict on it.", version, p.m.Source)}
	}
	v := views.GateVerdictView{State: g.state(), Reasons: g.checkTexts(), Decision: g.Run.Decision,
		RunURL: s.echo.Reverse(RouteConsoleModels) + "#run-" + strconv.FormatInt(g.Run.ID, 10)}
	if g.Passed {
		v.Headline = fmt.Sprintf("%s passed the gate in training run %d: %s.", version, g.Run.ID, g.Reason)
	} else {
		v.Headline = fmt.Sprintf("The gate rejected %s in training run %d: %s. Promoting it needs an explicit override with a reason.",
			version, g.Run.ID, g.Reason)
	}
	if p.active != nil && g.Metrics.Current.Version != p.active.Version {
		v.Reasons = append(v.Reasons, fmt.Sprintf("The gate compared it with %s, active then; %s is active now.",
			g.Metrics.Current.Version, p.active.Version))
	}
	return v
}

func (s *Server) consolePromoteConfirm(c echo.Context) error {
	p, err := s.loadPromote(c)
	if err != nil {
		return err
	}
	v := s.promoteView(c, p)
	if p.m.Active {
		v.Error = "The version " + p.m.Version + " is active already."
	}
	return s.render(c, http.StatusOK, v.Title, views.ModelPromotePage(v))
}

// consolePromote promotes the version; a version the gate rejected needs
// the override ticked (409 without it) and a reason (422 without one).
func (s *Server) consolePromote(c echo.Context) error {
	p, err := s.loadPromote(c)
	if err != nil {
		return err
	}
	if p.m.Active {
		return s.promoteFailure(c, p, &Error{Status: http.StatusConflict, Code: "conflict",
			Message: "the version " + p.m.Version + " is active already"})
	}
	o, err := gateOverride(p.m.Version, p.gate, c.FormValue("override") != "", c.FormValue("override_reason"), "override_reason", overrideHow)
	if err != nil {
		return s.promoteFailure(c, p, err)
	}
	if _, err := s.promote(c.Request().Context(), p.m, o, consoleUser(c).Email); err != nil {
		return s.promoteFailure(c, p, err)
	}
	return s.modelsDone(c, "done", store.ActionPromote, "version", p.m.Version)
}

// promoteFailure re-renders the confirmation with why the promotion was
// refused, the reason field's error beside it, and the form as sent.
func (s *Server) promoteFailure(c echo.Context, p promoteData, err error) error {
	e := classifyError(err)
	if !inlineStatus(e.Status) {
		return err
	}
	v := s.promoteView(c, p)
	v.Error = errorText(e)
	for _, d := range e.Details {
		// The store names the field "reason"; this form "override_reason".
		if d.Field == "override_reason" || d.Field == "reason" {
			v.ReasonError = upperFirst(d.Message) + "."
		}
	}
	return s.render(c, e.Status, v.Title, views.ModelPromotePage(v))
}
