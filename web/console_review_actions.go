package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// The review page's actions post a form. HTMX posts get the next
// workspace to swap in; plain posts are redirected back to the page (303),
// so a reload never repeats them. Failures a reviewer can act on (409, 422,
// 404) are rendered inline with their status, never as a blank swap.

func (s *Server) consoleReviewLabel(c echo.Context) error { return s.consoleReviewAct(c, "label") }
func (s *Server) consoleReviewSkip(c echo.Context) error  { return s.consoleReviewAct(c, "skip") }

// consoleReviewReject is "None of these": a skip that records that no
// label fits, and the reviewer's reason.
func (s *Server) consoleReviewReject(c echo.Context) error { return s.consoleReviewAct(c, "reject") }
func (s *Server) consoleReviewUndo(c echo.Context) error   { return s.consoleReviewAct(c, "undo") }

func (s *Server) consoleReviewAct(c echo.Context, action string) error {
	u := consoleUser(c)
	f := reviewFilters(c)
	id, err := itemID(c)
	if err != nil {
		return s.reviewFailure(c, f, 0, err)
	}
	ctx := c.Request().Context()
	var (
		notice string
		show   int64 // the item to show next; 0 for the first claimed
	)
	switch action {
	case "label":
		label := strings.TrimSpace(c.FormValue("label"))
		note := strings.TrimSpace(c.FormValue("note"))
		if _, err = s.label(c, u.Email, []store.LabelInput{{ItemID: id, Label: label, Note: note}}); err == nil {
			notice = fmt.Sprintf("Labeled item %d %s.", id, label)
		}
	case "skip":
		if _, err = s.store.SkipReviewItem(ctx, store.ActionRequest{ItemID: id, Reviewer: u.Email, RequestID: RequestID(ctx)}); err == nil {
			notice = fmt.Sprintf("Skipped item %d.", id)
		}
	case "reject":
		// "why", not "reason": reason is the queue-reason filter every
		// review form carries.
		reason := strings.TrimSpace(c.FormValue("why"))
		if _, err = s.store.SkipReviewItem(ctx, store.ActionRequest{ItemID: id, Reviewer: u.Email, RequestID: RequestID(ctx),
			NoneOfThese: true, Note: reason}); err == nil {
			notice = fmt.Sprintf("Marked item %d: none of the labels fits. It goes to another reviewer.", id)
		}
	case "undo":
		var o store.ActionOutcome
		o, err = s.store.UndoReviewAction(ctx, store.ActionRequest{ItemID: id, Reviewer: u.Email, RequestID: RequestID(ctx),
			Lease: s.cfg.Queue.Lease, Window: s.cfg.Queue.UndoWindow})
		// The undone item is the reviewer's again: decide it anew.
		show, notice = id, fmt.Sprintf("Undid your %s of item %d; it is yours again.", o.Undone, id)
	}
	if err != nil {
		// Stay on the item the reviewer was acting on, if still theirs.
		return s.reviewFailure(c, f, id, err)
	}
	if !isFragment(c) {
		var extra []string
		if show != 0 {
			extra = []string{"item", strconv.FormatInt(show, 10)}
		}
		return c.Redirect(http.StatusSeeOther, withFilters(s.echo.Reverse(RouteConsoleReview), f, extra...))
	}
	return s.renderReview(c, http.StatusOK, f, show, true, "", notice)
}

// reviewFailure shows a failed action inline, with its status. Errors the
// reviewer cannot act on in place (a 5xx, an ended session) take the
// ordinary error path.
func (s *Server) reviewFailure(c echo.Context, f views.ReviewFilters, show int64, err error) error {
	e := classifyError(err)
	if !inlineStatus(e.Status) {
		return err
	}
	text := errorText(e)
	var lapsed *store.LeaseExpired
	switch {
	case e.Status == http.StatusNotFound && show != 0:
		text = fmt.Sprintf("There is no review item %d.", show)
	case errors.As(err, &lapsed):
		// The page claims again as it renders: say so, so the reviewer
		// knows why the item may come back (or may not).
		text = fmt.Sprintf("Your lease on item %d ran out at %s and the item went back to the queue, so your label was not saved. "+
			"If it is still open it is claimed for you again below; label it again.", lapsed.ItemID, lapsed.ExpiredAt.UTC().Format("15:04:05 UTC"))
	}
	return s.renderReview(c, e.Status, f, show, true, text, "")
}

// inlineStatus reports the statuses a page shows beside its content.
func inlineStatus(status int) bool {
	return status == http.StatusConflict || status == http.StatusUnprocessableEntity || status == http.StatusNotFound
}

// errorText is an error as one line for a person: the field messages of a
// validation error say more than its summary.
func errorText(e *Error) string {
	if len(e.Details) == 0 {
		return upperFirst(e.Message) + "."
	}
	msgs := make([]string, len(e.Details))
	for i, d := range e.Details {
		msgs[i] = d.Message
	}
	return upperFirst(strings.Join(msgs, "; ")) + "."
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
