package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// The Sources page (admins) manages feed sources through the same store
// methods and validation as /sources.

func (s *Server) consoleSources(c echo.Context) error {
	v := views.SourcesView{Add: views.SourceAddForm{IntervalMinutes: strconv.Itoa(int(defaultPollInterval.Minutes()))}}
	name := c.QueryParam("name")
	switch c.QueryParam("done") {
	case "added":
		v.Flash.Notice = fmt.Sprintf("Added source %s; it is polled within a minute.", name)
	case "paused":
		v.Flash.Notice = "Paused source " + name + "."
	case "resumed":
		v.Flash.Notice = "Resumed source " + name + "; it is polled at once."
	}
	return s.renderSources(c, http.StatusOK, v)
}

func (s *Server) renderSources(c echo.Context, status int, v views.SourcesView) error {
	all, err := s.sourcesWithCounts(c.Request().Context())
	if err != nil {
		return err
	}
	v.AddURL, v.CSRF, v.ScriptURL = s.echo.Reverse(RouteConsoleSourceAdd), consoleUser(c).CSRF, s.assets.URL("js/admin.js")
	for _, src := range all {
		row := views.SourceRowView{Name: src.Name, URL: src.URL, Every: every(time.Duration(src.PollIntervalSeconds) * time.Second),
			Taxonomy: src.Taxonomy, Paused: src.Paused, LastFetch: "never", Status: "—", LastError: src.LastError,
			Failures: src.Failures, NextFetch: consoleTime(src.NextFetchAt), ArticlesPerDay: strconv.FormatFloat(src.ArticlesPerDay, 'f', 1, 64),
			ToggleURL: s.echo.Reverse(RouteConsoleSourcePause, src.Name)}
		if src.Paused {
			row.ToggleURL = s.echo.Reverse(RouteConsoleSourceResume, src.Name)
		}
		if src.LastFetchAt != nil {
			row.LastFetch = consoleTime(*src.LastFetchAt)
		}
		if src.LastStatus != 0 {
			row.Status = strconv.Itoa(src.LastStatus)
		}
		v.Rows = append(v.Rows, row)
	}
	return s.render(c, status, "Sources", views.SourcesPage(v))
}

// consoleSourceAdd is the add form's POST.
func (s *Server) consoleSourceAdd(c echo.Context) error {
	form := views.SourceAddForm{Name: strings.TrimSpace(c.FormValue("name")), URL: strings.TrimSpace(c.FormValue("url")),
		IntervalMinutes: strings.TrimSpace(c.FormValue("interval_minutes")), Taxonomy: strings.TrimSpace(c.FormValue("taxonomy"))}
	fail := func(status int, msg string) error {
		return s.renderSources(c, status, views.SourcesView{Add: form, Flash: views.AdminFlash{Error: msg}})
	}
	minutes, err := strconv.Atoi(form.IntervalMinutes)
	if err != nil {
		return fail(http.StatusUnprocessableEntity, "Poll every: a whole number of minutes.")
	}
	ctx := c.Request().Context()
	if form.Taxonomy != "" {
		if _, err := s.store.Taxonomy(ctx, form.Taxonomy); errors.Is(err, store.ErrNotFound) {
			return fail(http.StatusUnprocessableEntity, fmt.Sprintf("No taxonomy named %q.", form.Taxonomy))
		} else if err != nil {
			return err
		}
	}
	n := store.NewSource{Name: form.Name, URL: form.URL, PollInterval: time.Duration(minutes) * time.Minute, Taxonomy: form.Taxonomy}
	_, err = s.store.AddSource(ctx, n)
	var invalid store.ValidationError
	switch {
	case errors.As(err, &invalid):
		return fail(http.StatusUnprocessableEntity, invalid.Error())
	case errors.Is(err, store.ErrConflict):
		return fail(http.StatusConflict, fmt.Sprintf("A source named %q exists.", form.Name))
	case err != nil:
		return err
	}
	return s.sourcesDone(c, "added", n.Name)
}

func (s *Server) consoleSourcePause(c echo.Context) error  { return s.consoleSourceSetPaused(c, true) }
func (s *Server) consoleSourceResume(c echo.Context) error { return s.consoleSourceSetPaused(c, false) }

func (s *Server) consoleSourceSetPaused(c echo.Context, paused bool) error {
	src, err := s.store.SetSourcePaused(c.Request().Context(), c.Param("name"), paused)
	if err != nil {
		return err
	}
	return s.sourcesDone(c, map[bool]string{true: "paused", false: "resumed"}[src.Paused], src.Name)
}

func (s *Server) sourcesDone(c echo.Context, done, name string) error {
	q := url.Values{"done": {done}, "name": {name}}
	return c.Redirect(http.StatusSeeOther, s.echo.Reverse(RouteConsoleSources)+"?"+q.Encode())
}

// every shows a poll interval as people write it: "15m", "2h", "90s".
func every(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}
