package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/inference/summarize"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// articleStore is what the Articles pages and GET /articles/:id read.
type articleStore interface {
	ArticleSearch(ctx context.Context, q store.ArticleQuery) (store.ArticlePage, error)
	ArticleHistory(ctx context.Context, id int64) (store.ArticleHistory, error)
	Article(ctx context.Context, id int64) (store.Article, error)
	Predictions(ctx context.Context, articleID int64) ([]store.Prediction, error)
}

// articlesPageSize is how many articles a page of results lists.
const articlesPageSize = 50

// articleFilters reads the query the Trends page links with:
// ?topic=…&from=YYYY-MM-DD&to=YYYY-MM-DD&source=…&q=…
func articleFilters(c echo.Context) views.ArticleFilters {
	return views.ArticleFilters{
		Q:      strings.TrimSpace(c.QueryParam("q")),
		Topic:  strings.TrimSpace(c.QueryParam("topic")),
		Source: strings.TrimSpace(c.QueryParam("source")),
		From:   strings.TrimSpace(c.QueryParam("from")),
		To:     strings.TrimSpace(c.QueryParam("to")),
	}
}

// articleQuery turns the filters into a store query; both dates are UTC
// days and both are included.
func articleQuery(f views.ArticleFilters, page int) (store.ArticleQuery, error) {
	q := store.ArticleQuery{Q: f.Q, Topic: f.Topic, Source: f.Source, Limit: articlesPageSize, Offset: (page - 1) * articlesPageSize}
	var invalid store.ValidationError
	if f.From != "" {
		d, err := time.Parse(time.DateOnly, f.From)
		if err != nil {
			invalid = append(invalid, store.FieldIssue{Field: "from", Message: fmt.Sprintf("%q is not a date (YYYY-MM-DD)", f.From)})
		}
		q.From = d
	}
	if f.To != "" {
		d, err := time.Parse(time.DateOnly, f.To)
		if err != nil {
			invalid = append(invalid, store.FieldIssue{Field: "to", Message: fmt.Sprintf("%q is not a date (YYYY-MM-DD)", f.To)})
		}
		q.To = d.Add(24 * time.Hour)
	}
	if len(invalid) > 0 {
		return q, invalid
	}
	return q, q.Validate()
}

// articlesPageURL is the Articles page with filters f at page.
func (s *Server) articlesPageURL(f views.ArticleFilters, page int) string {
	q := url.Values{}
	for _, kv := range [][2]string{{"q", f.Q}, {"topic", f.Topic}, {"source", f.Source}, {"from", f.From}, {"to", f.To}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	base := s.echo.Reverse(RouteConsoleArticles)
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// consoleArticles is GET /console/articles: search and browse. Bad
// filters are shown on the page with 422, beside the form to fix them.
func (s *Server) consoleArticles(c echo.Context) error {
	ctx := c.Request().Context()
	f := articleFilters(c)
	page := 1
	if p := c.QueryParam("page"); p != "" {
		if n, err := strconv.Atoi(p); err == nil && n >= 1 {
			page = n
		}
	}
	choices, err := s.store.TrendFilters(ctx)
	if err != nil {
		return err
	}
	v := views.ArticlesView{ActionURL: s.echo.Reverse(RouteConsoleArticles), Filters: f, Topics: choices.Topics,
		Sources: choices.Sources, Page: page, ScriptURL: s.assets.URL("js/admin.js")}
	status := http.StatusOK
	q, err := articleQuery(f, page)
	var res store.ArticlePage
	if err == nil {
		res, err = s.store.ArticleSearch(ctx, q)
	}
	if err != nil {
		e := classifyError(err)
		if e.Status != http.StatusUnprocessableEntity {
			return err
		}
		status, v.Error = e.Status, errorText(e)
	}
	for _, r := range res.Rows {
		row := views.ArticleRowView{ID: r.ID, URL: s.echo.Reverse(RouteConsoleArticle, r.ID), Title: r.Title, Source: r.Source,
			Topic: r.Topic, Model: r.ModelVersion, Classified: consoleTime(r.IngestedAt)}
		if r.Topic != "" {
			row.Confidence = percent(r.Confidence)
		}
		if r.ClassifiedAt != nil {
			row.Classified = consoleTime(*r.ClassifiedAt)
		}
		v.Rows = append(v.Rows, row)
	}
	if page > 1 {
		v.PrevURL = s.articlesPageURL(f, page-1)
	}
	if res.More && page*articlesPageSize <= store.MaxArticleOffset {
		v.NextURL = s.articlesPageURL(f, page+1)
	}
	return s.render(c, status, "Articles", views.ArticlesPage(v))
}

// consoleArticle is GET /console/articles/:id: the article and its
// lineage.
func (s *Server) consoleArticle(c echo.Context) error {
	id, err := positiveIDParam(c, "id")
	if err != nil {
		return err
	}
	h, err := s.store.ArticleHistory(c.Request().Context(), id)
	if err != nil {
		return err
	}
	a := h.Article
	v := views.ArticleView{ID: a.ID, Title: a.Title, Body: a.Body, Source: a.Source, ExternalID: a.ExternalID,
		Published: consoleTimePtr(a.PublishedAt), Ingested: consoleTime(a.IngestedAt), BackURL: s.echo.Reverse(RouteConsoleArticles)}
	if u, err := url.Parse(a.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		v.Link = a.URL // other schemes (javascript:) are not links
	}
	if consoleUser(c).Can(admins...) {
		v.ModelsURL = s.echo.Reverse(RouteConsoleModels)
	}
	s.articleSummary(c.Request().Context(), a, &v)
	for _, p := range h.Predictions {
		v.Predictions = append(v.Predictions, views.ArticlePredictionView{ID: p.ID, Model: p.ModelVersion, Taxonomy: p.Taxonomy,
			Label: p.Label, Confidence: percent(p.Confidence), Scores: scoreLine(p.Scores), RequestID: p.RequestID, At: consoleTime(p.CreatedAt)})
	}
	labels := map[int64]string{}
	for _, l := range h.Labels {
		labels[l.ID] = l.Label
	}
	for _, it := range h.ReviewItems {
		iv := views.ArticleItemView{ID: it.ID, PredictionID: idText(it.PredictionID), State: it.State,
			Reason: strings.ReplaceAll(it.Reason, "_", " "), Created: consoleTime(it.CreatedAt)}
		if it.FinalLabelID != 0 {
			iv.FinalLabel = labels[it.FinalLabelID]
		}
		v.ReviewItems = append(v.ReviewItems, iv)
	}
	for _, l := range h.Labels {
		runs := make([]string, len(l.TrainingRunIDs))
		for i, r := range l.TrainingRunIDs {
			runs[i] = strconv.FormatInt(r, 10)
		}
		v.Labels = append(v.Labels, views.ArticleLabelView{ID: l.ID, Item: idText(l.ReviewItemID), Label: l.Label, By: l.LabeledBy,
			Source: l.Source, At: consoleTime(l.CreatedAt), Retracted: consoleTimePtr(l.RetractedAt), Final: l.Final, Runs: strings.Join(runs, ", ")})
	}
	for _, f := range h.Feedback {
		verdict := "—"
		if f.IsCorrect != nil {
			verdict = map[bool]string{true: "correct", false: "incorrect"}[*f.IsCorrect]
		}
		v.Feedback = append(v.Feedback, views.ArticleFeedbackView{ID: f.ID, PredictionID: idText(f.PredictionID), Verdict: verdict,
			CorrectLabel: f.CorrectLabel, Comment: f.Comment, Key: f.KeyName, LabelID: idText(f.LabelID), At: consoleTime(f.CreatedAt)})
	}
	for _, r := range h.TrainingRuns {
		v.Runs = append(v.Runs, runView(r))
	}
	for _, m := range h.Models {
		v.Models = append(v.Models, views.ArticleModelView{Version: m.Version, Source: m.Source, Parent: m.ParentVersion,
			Active: m.Active, Created: consoleTime(m.CreatedAt), RunID: idText(m.TrainingRunID)})
	}
	title := a.Title
	if title == "" {
		title = "Article " + strconv.FormatInt(a.ID, 10)
	}
	return s.render(c, http.StatusOK, title, views.ArticlePage(v))
}

// articleSummary shows the summary stored with a, or for an article
// without one (posted to /classify_news, or stored before summaries
// were) one made now by the summarizer of POST /summarize, labelled as
// not stored: its default scorer is lexical and takes about a
// millisecond. A text the summarizer refuses shows why instead.
func (s *Server) articleSummary(ctx context.Context, a store.Article, v *views.ArticleView) {
	if a.Summary != "" {
		v.Summary, v.SummaryVersion = a.Summary, a.SummaryVersion
		return
	}
	sum, err := s.summarizer.Summarize(ctx, summarize.Request{Title: a.Title, Text: a.Body})
	var invalid *summarize.ValidationError
	switch {
	case errors.As(err, &invalid):
		v.SummaryMissing = ": its text " + invalid.Message
	case err != nil:
		s.log.Warn("console: summarize on view", slog.Int64("article", a.ID), slog.Any("error", err))
		v.SummaryMissing = ", and none could be made now"
	case sum.Text == "":
		// nothing to show: "No summary stored."
	default:
		v.Summary, v.SummaryVersion, v.SummaryComputed = sum.Text, sum.Version, true
	}
}

func idText(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// scoreLine lists scores highest first: "Sports 90.0%, World 10.0%".
func scoreLine(scores map[string]float64) string {
	labels := make([]string, 0, len(scores))
	for l := range scores {
		labels = append(labels, l)
	}
	sort.Slice(labels, func(i, j int) bool {
		if scores[labels[i]] != scores[labels[j]] {
			return scores[labels[i]] > scores[labels[j]]
		}
		return labels[i] < labels[j]
	})
	parts := make([]string, len(labels))
	for i, l := range labels {
		parts[i] = l + " " + percent(scores[l])
	}
	return strings.Join(parts, ", ")
}
