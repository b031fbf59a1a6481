package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
)

// rfc3339 finds a machine timestamp in text meant for people.
var rfc3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d`)

// TestConsoleMessagesShowReadableTimes checks that messages give times as
// a person reads them, not as RFC 3339.
func TestConsoleMessagesShowReadableTimes(t *testing.T) {
	t.Run("an item claimed by another reviewer", func(t *testing.T) {
		ts, _, db, ids := reviewConsole(t, reviewClaimSize+1, 1)
		c := browser(t)
		logIn(t, c, ts.URL, "reviewer@example.com", testPassword)
		_, page := fetch(t, c, http.MethodGet, ts.URL+"/console/review", nil, nil)
		token := formToken(t, page)
		if _, err := db.ClaimReviewItems(context.Background(), store.ClaimRequest{Reviewer: "other@example.com", N: 1, Lease: 30 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		taken := ids[len(ids)-1]
		res, body := fetch(t, c, http.MethodPost, ts.URL+fmt.Sprintf("/console/review/items/%d/label", taken),
			url.Values{"label": {"World"}}, htmx(token))
		msg := testidText(parseHTML(t, body), "review-error")
		want := regexp.MustCompile(`claimed by another reviewer until (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC \(in (29|30) min\)`)
		if res.StatusCode != http.StatusConflict || !want.MatchString(msg) || rfc3339.MatchString(msg) {
			t.Fatalf("%d %q", res.StatusCode, msg)
		}
	})
	t.Run("a fine-tune already running", func(t *testing.T) {
		a := newAdminConsole(t)
		c, csrf := a.as(t, store.RoleAdmin)
		a.ft.err = &store.RunningError{Run: store.TrainingRun{ID: 7, TriggeredBy: store.TriggerAuto, StartedAt: time.Now().Add(-5 * time.Minute)}}
		_, body := a.post(t, c, csrf, "/console/models/finetune", nil)
		msg := findTestID(adminDoc(t, body), "flash-error").Text()
		if !strings.Contains(msg, "UTC (5 min ago)") || rfc3339.MatchString(msg) {
			t.Fatalf("%q", msg)
		}
	})
}
