package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/inference/summarize"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// progressStore is what the review page needs beyond the review API's
// store.
type progressStore interface {
	ReviewProgress(ctx context.Context, q store.ProgressQuery) (store.ReviewProgress, error)
	ReviewItemLabels(ctx context.Context, ids []int64) (map[int64][]store.GivenLabel, error)
	OpenReviewCounts(ctx context.Context) (store.OpenCounts, error)
	ReviewersProgress(ctx context.Context, since time.Time) ([]store.ReviewerProgress, error)
}

// reviewClaimSize is how many items a reviewer holds at once: enough to
// move between with j/k, few enough that abandoned claims do not starve
// the queue.
const reviewClaimSize = 5

// isFragment reports an HTMX request that swaps part of a page (render
// sends it the body alone).
func isFragment(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") != "true"
}

// reviewFilters reads the filters from the query or a posted form.
func reviewFilters(c echo.Context) views.ReviewFilters {
	return views.ReviewFilters{
		Topic:  strings.TrimSpace(c.FormValue("topic")),
		Reason: strings.TrimSpace(c.FormValue("reason")),
		Source: strings.TrimSpace(c.FormValue("source")),
		Q:      strings.TrimSpace(c.FormValue("q")),
	}
}

// withFilters appends the filters (and extra pairs) to a console path.
func withFilters(path string, f views.ReviewFilters, extra ...string) string {
	q := url.Values{}
	for _, kv := range [][2]string{{"topic", f.Topic}, {"reason", f.Reason}, {"source", f.Source}, {"q", f.Q}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

func (s *Server) reviewNav(u *ConsoleUser, current string) views.ReviewNav {
	n := views.ReviewNav{SingleURL: s.echo.Reverse(RouteConsoleReview), BulkURL: s.echo.Reverse(RouteConsoleReviewBulk), Current: current}
	if u.Can(admins...) {
		n.AdjudicationURL = s.echo.Reverse(RouteConsoleReviewAdjudication)
	}
	return n
}

// startOfDay is the reviewer's "today": the UTC day, as the runbook's
// daily figures count.
func startOfDay(now time.Time) time.Time { return now.UTC().Truncate(24 * time.Hour) }

// consoleReview is GET /console/review: it claims items for the reviewer
// (renewing the leases of those they hold) and shows one, the ?item= one
// if they hold it.
func (s *Server) consoleReview(c echo.Context) error {
	want, _ := strconv.ParseInt(c.QueryParam("item"), 10, 64)
	return s.renderReview(c, http.StatusOK, reviewFilters(c), want, c.QueryParam("mode") == reviewModeStart, "", "")
}

// reviewModeStart is ?mode= of the "Start reviewing" link: the viewer
// asks to claim.
const reviewModeStart = "review"

// renderReview builds the workspace and renders it: the whole page, or
// the workspace alone for an HTMX swap. reviewing says the user acts as
// a reviewer now (they asked to start, or are acting on an item); see
// reviewWorkspace.
func (s *Server) renderReview(c echo.Context, status int, f views.ReviewFilters, want int64, reviewing bool, errText, notice string) error {
	u := consoleUser(c)
	ws, progress, err := s.reviewWorkspace(c, u, f, want, reviewing)
	if err != nil {
		return err
	}
	ws.Error, ws.Notice = errText, notice
	if want != 0 && (ws.Item == nil || ws.Item.ID != want) && errText == "" {
		ws.Notice = fmt.Sprintf("Item %d is no longer yours; here is the next one.", want)
	}
	if isFragment(c) {
		return s.render(c, status, "Review", views.ReviewWorkspace(ws))
	}
	return s.render(c, status, "Review", views.ReviewPage(views.ReviewPageView{
		Nav: s.reviewNav(u, "single"), Filters: f, ScriptURL: s.assets.URL("js/review.js"), Workspace: ws,
		Choices: views.ReviewChoices{Topics: progress.Topics, Reasons: progress.Reasons, Sources: progress.Sources},
	}))
}

// reviewWorkspace claims for the reviewer and builds what the page shows.
// Only someone reviewing claims: a reviewer always; anyone else (an
// admin who came to look) when they asked to (reviewing) or still hold
// claims from doing so. The others see the queue read-only, so a look
// does not hold items away from reviewers for a whole lease.
func (s *Server) reviewWorkspace(c echo.Context, u *ConsoleUser, f views.ReviewFilters, want int64, reviewing bool) (views.ReviewWorkspaceView, store.ReviewProgress, error) {
	ctx := c.Request().Context()
	ws := views.ReviewWorkspaceView{CSRF: u.CSRF, Filters: f}
	progress, err := s.store.ReviewProgress(ctx, store.ProgressQuery{Reviewer: u.Email, Since: startOfDay(time.Now()),
		Topic: f.Topic, Reason: f.Reason, Source: f.Source, Query: f.Q})
	if err != nil {
		return ws, progress, err
	}
	ws.LabeledToday, ws.Open = progress.LabeledSince, progress.Open
	if last := progress.LastAction; last != nil && time.Since(last.At) < s.cfg.Queue.UndoWindow {
		ws.Undo = &views.UndoView{URL: s.echo.Reverse(RouteConsoleReviewUndo, last.ItemID), Description: describeAction(*last)}
	}
	if !reviewing && u.Role != store.RoleReviewer && progress.Held == 0 {
		browse, err := s.reviewBrowse(ctx, f)
		ws.Browse = &browse
		return ws, progress, err
	}
	items, err := s.store.ClaimReviewItems(ctx, store.ClaimRequest{Reviewer: u.Email, N: reviewClaimSize, Lease: s.cfg.Queue.Lease,
		Diversity: s.cfg.Review.Diverse(), Coverage: s.cfg.Review.Diverse() && s.inColdStart(),
		Topic: f.Topic, Reason: f.Reason, Source: f.Source, Query: f.Q})
	if err != nil {
		return ws, store.ReviewProgress{}, err
	}
	if want != 0 && !slices.ContainsFunc(items, func(it store.QueueItem) bool { return it.ID == want }) {
		// An item just undone is the reviewer's again but may rank below
		// the claim's N, or outside the filters: show it all the same.
		it, err := s.store.ReviewItem(ctx, want)
		if err == nil && it.State == store.StateClaimed && it.ClaimedBy == u.Email && it.LeaseExpiresAt != nil && it.LeaseExpiresAt.After(time.Now()) {
			items = append(items, it)
		}
	}
	if len(items) == 0 {
		return ws, progress, nil
	}
	cur := max(slices.IndexFunc(items, func(it store.QueueItem) bool { return it.ID == want }), 0)
	page := s.echo.Reverse(RouteConsoleReview)
	for i, it := range items {
		ws.Claimed = append(ws.Claimed, views.ClaimedItemView{ID: it.ID, Title: it.Title, Current: i == cur,
			URL: withFilters(page, f, "item", strconv.FormatInt(it.ID, 10))})
	}
	if cur > 0 {
		ws.PrevURL = ws.Claimed[cur-1].URL
	}
	if cur+1 < len(items) {
		ws.NextURL = ws.Claimed[cur+1].URL
	}
	item := s.reviewItemView(ctx, items[cur])
	// Claiming again is reviewing, whoever's lease ran out.
	item.ReclaimURL = withFilters(page, f, "item", strconv.FormatInt(items[cur].ID, 10), "mode", reviewModeStart)
	ws.Item = &item
	return ws, progress, nil
}

// reviewBrowseSize is how many open items the read-only queue lists.
const reviewBrowseSize = 20

// reviewBrowse lists the top of the open queue without claiming any.
func (s *Server) reviewBrowse(ctx context.Context, f views.ReviewFilters) (views.ReviewBrowseView, error) {
	b := views.ReviewBrowseView{StartURL: withFilters(s.echo.Reverse(RouteConsoleReview), f, "mode", reviewModeStart)}
	page, err := s.store.ReviewQueue(ctx, store.QueueFilter{Stage: store.StageReview, Topic: f.Topic, Reason: f.Reason,
		Source: f.Source, Query: f.Q, Limit: reviewBrowseSize})
	if err != nil {
		return b, err
	}
	b.More = page.NextCursor != ""
	reviewers, err := s.store.ReviewersProgress(ctx, startOfDay(time.Now()))
	if err != nil {
		return b, err
	}
	for _, r := range reviewers {
		row := views.ReviewerRowView{Reviewer: r.Reviewer, Labeled: r.Labeled, Skipped: r.Skipped, NoneOfThese: r.NoneOfThese, Held: r.Held}
		if !r.LastAt.IsZero() {
			row.Last = r.LastAt.UTC().Format("15:04") + " UTC"
		}
		b.Reviewers = append(b.Reviewers, row)
	}
	for _, it := range page.Items {
		b.Rows = append(b.Rows, views.QueueRowView{ID: it.ID, Title: it.Title, Predicted: it.Topic,
			Confidence: percent(it.Confidence), Reason: strings.ReplaceAll(it.Reason, "_", " "), Source: it.Source})
	}
	return b, nil
}

func describeAction(a store.LastAction) string {
	switch {
	case a.Action == "skip" && a.NoneOfThese:
		return fmt.Sprintf("you said no label fits “%s”", a.Title)
	case a.Action == "skip":
		return fmt.Sprintf("you skipped “%s”", a.Title)
	default:
		return fmt.Sprintf("you labeled “%s” %s", a.Title, a.Label)
	}
}

// reviewItemView shapes an item for the page, summarising its article.
func (s *Server) reviewItemView(ctx context.Context, it store.QueueItem) views.ReviewItemView {
	v := views.ReviewItemView{ID: it.ID, Title: it.Title, Text: it.Body, Source: it.Source, Reason: strings.ReplaceAll(it.Reason, "_", " "),
		Predicted: it.Topic, Confidence: percent(it.Confidence), ModelVersion: it.ModelVersion,
		LabelURL: s.echo.Reverse(RouteConsoleReviewLabel, it.ID), SkipURL: s.echo.Reverse(RouteConsoleReviewSkip, it.ID),
		RejectURL: s.echo.Reverse(RouteConsoleReviewReject, it.ID)}
	if it.PublishedAt != nil {
		v.Published = it.PublishedAt.UTC().Format(time.DateOnly)
	}
	if it.LeaseExpiresAt != nil {
		v.LeaseExpires = it.LeaseExpiresAt.UTC().Format(time.RFC3339)
		v.LeaseText = it.LeaseExpiresAt.UTC().Format("15:04:05") + " UTC"
		v.LeaseSeconds = max(int(time.Until(*it.LeaseExpiresAt).Seconds()), 0)
	}
	sum, err := s.summarizer.Summarize(ctx, summarize.Request{Text: it.Body, Title: it.Title})
	switch {
	case err != nil:
		// The reviewer can still read the article: say why, and go on.
		logger(ctx).Warn("review page: summary", "item", it.ID, "error", err)
		v.SummaryError = "the summarizer failed (" + classifyError(err).Message + ")"
	case strings.TrimSpace(sum.Text) == "":
		v.SummaryError = "the article is too short to summarise"
	default:
		v.Summary = sum.Text
	}
	v.Scores = scoreViews(it.Scores, it.Topic)
	v.Labels = labelButtons(it.Scores, it.Topic, s.topicGuide(ctx, it.Taxonomy, labelsOf(it.Scores, it.Topic)))
	return v
}

func percent(p float64) string { return strconv.FormatFloat(p*100, 'f', 1, 64) + "%" }

// scoreViews lists every topic's score, highest first.
func scoreViews(scores map[string]float64, predicted string) []views.ScoreView {
	out := make([]views.ScoreView, 0, len(scores))
	for l, p := range scores {
		out = append(out, views.ScoreView{Label: l, Percent: p * 100, Text: percent(p), Predicted: l == predicted})
	}
	slices.SortFunc(out, func(a, b views.ScoreView) int {
		if a.Percent != b.Percent {
			if a.Percent > b.Percent {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Label, b.Label)
	})
	return out
}
