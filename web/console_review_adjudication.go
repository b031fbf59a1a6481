package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// adjudicationPageSize is how many disputed items the page lists.
const adjudicationPageSize = 50

// agreementDays is the window of ReviewStats the page asks for; its
// agreement pairs cover all time whatever the window.
const agreementDays = 1

// consoleAdjudication is GET /console/review/adjudication (admins): the
// items whose two reviewers disagreed, and how often reviewers agree.
func (s *Server) consoleAdjudication(c echo.Context) error {
	notice := ""
	if id := c.QueryParam("settled"); id != "" {
		notice = fmt.Sprintf("Settled item %s as %s.", id, c.QueryParam("label"))
	}
	return s.renderAdjudication(c, http.StatusOK, adjudicationOutcome{notice: notice})
}

type adjudicationOutcome struct {
	notice, errText string
	failed          int64
}

func (s *Server) renderAdjudication(c echo.Context, status int, o adjudicationOutcome) error {
	u := consoleUser(c)
	ctx := c.Request().Context()
	page, err := s.store.ReviewQueue(ctx, store.QueueFilter{Stage: store.StageAdjudication, Sort: store.SortAge, Limit: adjudicationPageSize})
	if err != nil {
		return err
	}
	ids := make([]int64, len(page.Items))
	for i, it := range page.Items {
		ids[i] = it.ID
	}
	given, err := s.store.ReviewItemLabels(ctx, ids)
	if err != nil {
		return err
	}
	stats, err := s.store.ReviewStats(ctx, agreementDays)
	if err != nil {
		return err
	}
	v := views.AdjudicationView{CSRF: u.CSRF, Agreement: agreementView(store.Kappa(stats.Pairs)), Error: o.errText, Notice: o.notice}
	for _, it := range page.Items {
		iv := views.AdjudicationItemView{ID: it.ID, Title: it.Title, Excerpt: excerpt(it.Body, 400), Predicted: it.Topic,
			SettleURL: s.echo.Reverse(RouteConsoleReviewSettle, it.ID)}
		if it.ID == o.failed {
			iv.Error = o.errText
		}
		by := map[string][]string{}
		for _, g := range given[it.ID] {
			iv.Given = append(iv.Given, views.GivenLabelView{Reviewer: g.Reviewer, Label: g.Label, At: g.At.UTC().Format("2006-01-02 15:04 UTC")})
			by[g.Label] = append(by[g.Label], g.Reviewer)
		}
		for _, b := range labelButtons(it.Scores, it.Topic, s.topicGuide(ctx, it.Taxonomy, labelsOf(it.Scores, it.Topic))) {
			iv.Options = append(iv.Options, views.AdjudicationOption{Label: b.Label, GivenBy: strings.Join(by[b.Label], ", ")})
		}
		for l := range by { // a label outside the scores still gets a button
			if !slices.ContainsFunc(iv.Options, func(op views.AdjudicationOption) bool { return op.Label == l }) {
				iv.Options = append(iv.Options, views.AdjudicationOption{Label: l, GivenBy: strings.Join(by[l], ", ")})
			}
		}
		v.Items = append(v.Items, iv)
	}
	if isFragment(c) {
		return s.render(c, status, "Adjudication", views.Adjudication(v))
	}
	return s.render(c, status, "Adjudication", views.AdjudicationPage(views.AdjudicationPageView{Nav: s.reviewNav(u, "adjudication"),
		ScriptURL: s.assets.URL("js/review.js"), Body: v}))
}

func agreementView(a store.Agreement) views.AgreementView {
	v := views.AgreementView{Pairs: a.Pairs, Kappa: kappaText(a.Kappa), Observed: "n/a"}
	if a.Pairs > 0 {
		v.Observed = percent(a.Observed)
	}
	for l, k := range a.PerLabel {
		v.PerLabel = append(v.PerLabel, views.LabelKappa{Label: l, Kappa: kappaText(k)})
	}
	slices.SortFunc(v.PerLabel, func(x, y views.LabelKappa) int { return strings.Compare(x.Label, y.Label) })
	return v
}

// kappaText shows an undefined kappa (no pairs, or one label only) as
// n/a rather than a made-up number.
func kappaText(k *float64) string {
	if k == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*k, 'f', 2, 64)
}

// excerpt cuts text to about n bytes at a word boundary.
func excerpt(text string, n int) string {
	if len(text) <= n {
		return text
	}
	cut := strings.LastIndexByte(text[:n], ' ')
	if cut <= 0 {
		cut = n
	}
	return strings.ToValidUTF8(text[:cut], "") + "…"
}

// consoleAdjudicationSettle is POST /console/review/adjudication/:id: the
// admin's label settles the item.
func (s *Server) consoleAdjudicationSettle(c echo.Context) error {
	u := consoleUser(c)
	id, err := itemID(c)
	if err == nil {
		label := strings.TrimSpace(c.FormValue("label"))
		if _, err = s.label(c, u.Email, []store.LabelInput{{ItemID: id, Label: label}}); err == nil {
			if !isFragment(c) {
				return c.Redirect(http.StatusSeeOther, s.echo.Reverse(RouteConsoleReviewAdjudication)+
					"?settled="+strconv.FormatInt(id, 10)+"&label="+url.QueryEscape(label))
			}
			return s.renderAdjudication(c, http.StatusOK, adjudicationOutcome{notice: fmt.Sprintf("Settled item %d as %s.", id, label)})
		}
	}
	e := classifyError(err)
	if !inlineStatus(e.Status) {
		return err
	}
	return s.renderAdjudication(c, e.Status, adjudicationOutcome{errText: errorText(e), failed: id})
}
