package web

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// bulkPageSize is how many pending items the bulk table lists.
const bulkPageSize = 50

// consoleReviewBulk is GET /console/review/bulk: pending items in a
// table, to label many at once.
func (s *Server) consoleReviewBulk(c echo.Context) error {
	v := bulkOutcome{}
	if n, _ := strconv.Atoi(c.QueryParam("labeled")); n > 0 {
		v.notice = fmt.Sprintf("Labeled %d items %s.", n, c.QueryParam("label"))
		v.undo, _ = parseIDs(strings.Split(c.QueryParam("undo"), ","))
		v.undoLabel = c.QueryParam("label")
	}
	return s.renderBulk(c, http.StatusOK, reviewFilters(c), c.QueryParam("cursor"), v)
}

// bulkOutcome is what the last bulk submit left to show.
type bulkOutcome struct {
	notice, errText string
	selected        []int64
	failed          int64 // the row that stopped the batch
	failedWhy       string
	// undo lists the items just labeled undoLabel, to offer to take back.
	undo      []int64
	undoLabel string
}

// bulkPreview is how much of an article's text a bulk row shows.
const bulkPreview = 240

// parseIDs reads item ids, returning the ones that are not.
func parseIDs(values []string) (ids []int64, bad []string) {
	for _, v := range values {
		if v == "" {
			continue
		}
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			bad = append(bad, v)
			continue
		}
		ids = append(ids, id)
	}
	return ids, bad
}

func (s *Server) renderBulk(c echo.Context, status int, f views.ReviewFilters, cursor string, o bulkOutcome) error {
	u := consoleUser(c)
	ctx := c.Request().Context()
	page, err := s.store.ReviewQueue(ctx, store.QueueFilter{Stage: store.StageReview, Topic: f.Topic, Reason: f.Reason,
		Source: f.Source, Query: f.Q, HeldBy: u.Email, Cursor: cursor, Limit: bulkPageSize})
	if err != nil {
		if e := classifyError(err); e.Status == http.StatusUnprocessableEntity && cursor != "" {
			// A stale cursor (the filters changed under it): start over.
			return s.renderBulk(c, status, f, "", o)
		}
		return err
	}
	items := page.Items
	if o.failed != 0 && !slices.ContainsFunc(items, func(it store.QueueItem) bool { return it.ID == o.failed }) {
		// The row that failed may have left the pending list (someone
		// labeled it): show it anyway, or the reason has no row to sit on.
		if it, err := s.store.ReviewItem(ctx, o.failed); err == nil {
			items = append([]store.QueueItem{it}, items...)
		}
	}
	v := views.ReviewBulkView{CSRF: u.CSRF, Filters: f, ActionURL: s.echo.Reverse(RouteConsoleReviewBulkLabel),
		Error: o.errText, Notice: o.notice, SeenAt: time.Now().UTC().Format(time.RFC3339Nano)}
	if len(o.undo) > 0 {
		v.Undo = &views.BulkUndoView{URL: s.echo.Reverse(RouteConsoleReviewBulkUndo), Items: o.undo, Label: o.undoLabel}
	}
	scores := map[string]float64{}
	taxonomies := map[string]bool{}
	for _, it := range items {
		taxonomies[it.Taxonomy] = true
		row := views.BulkRowView{ID: it.ID, Title: it.Title, Source: it.Source, Predicted: it.Topic,
			Confidence: percent(it.Confidence), Reason: strings.ReplaceAll(it.Reason, "_", " "),
			Preview: excerpt(strings.Join(strings.Fields(it.Body), " "), bulkPreview), Checked: slices.Contains(o.selected, it.ID)}
		if it.ID == o.failed {
			row.Error = o.failedWhy
		}
		v.Rows = append(v.Rows, row)
		for l := range it.Scores {
			scores[l] = 0
		}
	}
	var guide []store.Topic
	if len(taxonomies) == 1 { // rows of one taxonomy: its order and guidelines
		for name := range taxonomies {
			guide = s.topicGuide(ctx, name, labelsOf(scores, ""))
		}
	}
	v.Labels = labelButtons(scores, "", guide)
	if page.NextCursor != "" {
		v.NextURL = withFilters(s.echo.Reverse(RouteConsoleReviewBulk), f, "cursor", page.NextCursor)
	}
	progress, err := s.store.ReviewProgress(ctx, store.ProgressQuery{Reviewer: u.Email, Since: startOfDay(time.Now()),
		Topic: f.Topic, Reason: f.Reason, Source: f.Source, Query: f.Q})
	if err != nil {
		return err
	}
	v.Open = progress.Open
	if isFragment(c) {
		return s.render(c, status, "Bulk review", views.ReviewBulk(v))
	}
	return s.render(c, status, "Bulk review", views.ReviewBulkPage(views.ReviewBulkPageView{
		Nav: s.reviewNav(u, "bulk"), Filters: f, ScriptURL: s.assets.URL("js/review.js"), Bulk: v,
		Choices: views.ReviewChoices{Topics: progress.Topics, Reasons: progress.Reasons, Sources: progress.Sources},
	}))
}

// consoleReviewBulkLabel is POST /console/review/bulk: the checked rows
// (item) get the pressed button's label, all or none.
func (s *Server) consoleReviewBulkLabel(c echo.Context) error {
	u := consoleUser(c)
	f := reviewFilters(c)
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	label := strings.TrimSpace(form.Get("label"))
	ids, bad := parseIDs(form["item"])
	o := bulkOutcome{selected: ids}
	switch {
	case len(bad) > 0:
		o.errText = fmt.Sprintf("Nothing was labeled: %s is not a review item id.", strings.Join(bad, ", "))
		return s.renderBulk(c, http.StatusUnprocessableEntity, f, "", o)
	case len(ids) == 0:
		o.errText = "Nothing was labeled: select at least one row first (x, or the checkboxes)."
		return s.renderBulk(c, http.StatusUnprocessableEntity, f, "", o)
	case label == "":
		o.errText = "Nothing was labeled: press one of the label buttons."
		return s.renderBulk(c, http.StatusUnprocessableEntity, f, "", o)
	}
	in := make([]store.LabelInput, len(ids))
	for i, id := range ids {
		in[i] = store.LabelInput{ItemID: id, Label: label}
	}
	// The table's time: a lease of the reviewer's that ran out before it
	// was shown does not make these labels stale.
	seen, _ := time.Parse(time.RFC3339Nano, form.Get("seen_at"))
	if _, err := s.labelSeen(c, u.Email, in, seen); err != nil {
		e := classifyError(err)
		if !inlineStatus(e.Status) {
			return err
		}
		o.failed, o.failedWhy = failedItem(err, e, ids)
		o.errText = "Nothing was labeled: " + strings.TrimSuffix(errorText(e), ".") + "."
		if o.failed != 0 {
			o.errText = fmt.Sprintf("Nothing was labeled: item %d stopped the batch (%s).", o.failed, o.failedWhy)
		}
		return s.renderBulk(c, e.Status, f, "", o)
	}
	if !isFragment(c) {
		undo := make([]string, len(ids))
		for i, id := range ids {
			undo[i] = strconv.FormatInt(id, 10)
		}
		return c.Redirect(http.StatusSeeOther, withFilters(s.echo.Reverse(RouteConsoleReviewBulk), f,
			"labeled", strconv.Itoa(len(ids)), "label", label, "undo", strings.Join(undo, ",")))
	}
	o = bulkOutcome{notice: fmt.Sprintf("Labeled %d items %s.", len(ids), label), undo: ids, undoLabel: label}
	return s.renderBulk(c, http.StatusOK, f, "", o)
}

// consoleReviewBulkUndo is POST /console/review/bulk/undo: it takes back
// the batch just labeled, all or none. The items come back held by the
// reviewer, and listed in the table, to label again.
func (s *Server) consoleReviewBulkUndo(c echo.Context) error {
	u := consoleUser(c)
	f := reviewFilters(c)
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	ids, bad := parseIDs(form["item"])
	if len(bad) > 0 || len(ids) == 0 {
		return s.renderBulk(c, http.StatusUnprocessableEntity, f, "", bulkOutcome{errText: "Nothing was undone: the request named no items to undo."})
	}
	ctx := c.Request().Context()
	reqs := make([]store.ActionRequest, len(ids))
	for i, id := range ids {
		reqs[i] = store.ActionRequest{ItemID: id, Reviewer: u.Email, RequestID: RequestID(ctx), Lease: s.cfg.Queue.Lease, Window: s.cfg.Queue.UndoWindow}
	}
	if _, err := s.store.UndoReviewActions(ctx, reqs); err != nil {
		e := classifyError(err)
		if !inlineStatus(e.Status) {
			return err
		}
		return s.renderBulk(c, e.Status, f, "", bulkOutcome{errText: "Nothing was undone: " + strings.TrimSuffix(errorText(e), ".") + "."})
	}
	o := bulkOutcome{notice: fmt.Sprintf("Undid %d labels; the items are yours again, still selected.", len(ids)), selected: ids}
	if !isFragment(c) {
		return c.Redirect(http.StatusSeeOther, withFilters(s.echo.Reverse(RouteConsoleReviewBulk), f))
	}
	return s.renderBulk(c, http.StatusOK, f, "", o)
}

var (
	// itemField is a bulk validation error's field: items[3].label.
	itemField = regexp.MustCompile(`^items\[(\d+)\]\.`)
	// itemPrefix is how the store names the item an action failed on.
	itemPrefix = regexp.MustCompile(`review item (\d+):`)
)

// failedItem finds which row stopped an all-or-nothing batch, and why.
func failedItem(err error, e *Error, ids []int64) (int64, string) {
	for _, d := range e.Details {
		if m := itemField.FindStringSubmatch(d.Field); m != nil {
			if i, _ := strconv.Atoi(m[1]); i < len(ids) {
				return ids[i], d.Message
			}
		}
	}
	var conflict *store.Conflict
	if errors.As(err, &conflict) || errors.Is(err, store.ErrNotFound) {
		if m := itemPrefix.FindStringSubmatch(err.Error()); m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			return id, e.Message
		}
	}
	return 0, ""
}
