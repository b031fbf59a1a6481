package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/newsintel/newsintel/store"
)

// TestConsoleSources adds a source through the console form, refuses a
// bad one with its reason, pauses and resumes it, and keeps the page
// from other roles.
func TestConsoleSources(t *testing.T) {
	a := newAdminConsole(t)
	c, csrf := a.as(t, store.RoleAdmin)
	form := func(name, u, minutes string) url.Values {
		return url.Values{"name": {name}, "url": {u}, "interval_minutes": {minutes}}
	}
	// Actions answer 303 to the page, which says what was done.
	follow := func(res *http.Response) *goquery.Document {
		t.Helper()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d, want 303", res.Request.URL, res.StatusCode)
		}
		_, doc := a.get(t, c, res.Header.Get("Location"))
		return doc
	}
	res, _ := a.post(t, c, csrf, "/console/sources", form("wire", "https://wire.test/rss", "10"))
	doc := follow(res)
	if !strings.Contains(findTestID(doc, "flash").Text(), "Added source wire") {
		t.Errorf("no notice of the new source: %q", findTestID(doc, "flash").Text())
	}
	if row := findTestID(doc, "source-wire"); row.Length() != 1 || !strings.Contains(row.Text(), "10m") || findTestID(doc, "source-last-fetch").Text() != "never" {
		t.Fatalf("the new source's row: %q", row.Text())
	}
	for _, bad := range []struct {
		form   url.Values
		status int
		says   string
	}{
		{form("wire", "https://other.test/", "10"), http.StatusConflict, "exists"},
		{form("x", "ftp://x.test/", "10"), http.StatusUnprocessableEntity, "url"},
		{form("x", "https://x.test/", "ten"), http.StatusUnprocessableEntity, "whole number"},
		{form("x", "https://x.test/", "0"), http.StatusUnprocessableEntity, "poll_interval"},
	} {
		res, body := a.post(t, c, csrf, "/console/sources", bad.form)
		if res.StatusCode != bad.status || !strings.Contains(findTestID(adminDoc(t, body), "flash-error").Text(), bad.says) {
			t.Errorf("%v: %d, want %d saying %q", bad.form, res.StatusCode, bad.status, bad.says)
		}
	}
	res, _ = a.post(t, c, csrf, "/console/sources/wire/pause", nil)
	if findTestID(follow(res), "source-resume-wire").Length() != 1 {
		t.Fatal("a paused source offers no Resume")
	}
	res, _ = a.post(t, c, csrf, "/console/sources/wire/resume", nil)
	if findTestID(follow(res), "source-pause-wire").Length() != 1 {
		t.Fatal("a resumed source offers no Pause")
	}
	if res, _ := a.post(t, c, csrf, "/console/sources/nope/pause", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("pause an unknown source: %d, want 404", res.StatusCode)
	}
	analyst, _ := a.as(t, store.RoleAnalyst)
	if res, _ := a.get(t, analyst, "/console/sources"); res.StatusCode != http.StatusForbidden {
		t.Errorf("an analyst opened Sources: %d, want 403", res.StatusCode)
	}
}
