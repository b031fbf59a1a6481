package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// sourceStore is what the feed source routes need from storage.
type sourceStore interface {
	AddSource(ctx context.Context, n store.NewSource) (store.Source, error)
	Source(ctx context.Context, name string) (store.Source, error)
	Sources(ctx context.Context) ([]store.Source, error)
	SetSourcePaused(ctx context.Context, name string, paused bool) (store.Source, error)
	DeleteSource(ctx context.Context, name string) error
	SourceCounts(ctx context.Context, since time.Time) (map[int64]store.SourceCount, error)
}

const (
	defaultPollInterval = 15 * time.Minute
	// sourceStatsWindow is the window articles per day average over.
	sourceStatsWindow = 7 * 24 * time.Hour
)

// sourceRequest is the body of POST /sources.
type sourceRequest struct {
	Name                string `json:"name"`
	URL                 string `json:"url"`
	PollIntervalSeconds *int64 `json:"poll_interval_seconds"`
	Taxonomy            string `json:"taxonomy"`
}

// Validate checks the request by the store's rules (store.NewSource),
// converting the interval in seconds first, where a huge count would
// overflow a Duration.
func (r *sourceRequest) Validate() []FieldError {
	n := r.source()
	if secs := r.PollIntervalSeconds; secs != nil && (*secs < int64(store.MinPollInterval/time.Second) || *secs > int64(store.MaxPollInterval/time.Second)) {
		n.PollInterval = 0 // out of bounds, reported as such
	}
	var errs []FieldError
	for _, f := range n.Validate() {
		errs = append(errs, FieldError{Field: f.Field, Message: f.Message})
	}
	return errs
}

func (r *sourceRequest) source() store.NewSource {
	n := store.NewSource{Name: r.Name, URL: r.URL, PollInterval: defaultPollInterval, Taxonomy: r.Taxonomy}
	if r.PollIntervalSeconds != nil {
		n.PollInterval = time.Duration(*r.PollIntervalSeconds) * time.Second
	}
	return n
}

// SourceJSON is a feed source, its last fetch and its recent counts.
type SourceJSON struct {
	Name                string     `json:"name"`
	URL                 string     `json:"url"`
	PollIntervalSeconds int64      `json:"poll_interval_seconds"`
	Taxonomy            string     `json:"taxonomy"`
	Paused              bool       `json:"paused"`
	LastFetchAt         *time.Time `json:"last_fetch_at"`
	LastStatus          int        `json:"last_status"`
	LastError           string     `json:"last_error"`
	Failures            int        `json:"failures"`
	NextFetchAt         time.Time  `json:"next_fetch_at"`
	// ArticlesPerDay averages the new articles of the last 7 days.
	ArticlesPerDay float64   `json:"articles_per_day"`
	New7d          int       `json:"new_7d"`
	Duplicate7d    int       `json:"duplicate_7d"`
	Rejected7d     int       `json:"rejected_7d"`
	Pending        int       `json:"pending"`
	CreatedAt      time.Time `json:"created_at"`
}

func sourceJSON(s store.Source, c store.SourceCount) SourceJSON {
	out := SourceJSON{Name: s.Name, URL: s.URL, PollIntervalSeconds: int64(s.PollInterval / time.Second), Taxonomy: s.Taxonomy,
		Paused: s.Paused, LastStatus: s.LastStatus, LastError: s.LastError, Failures: s.Failures, NextFetchAt: s.NextFetchAt.UTC(),
		ArticlesPerDay: float64(c.New) / (sourceStatsWindow.Hours() / 24), New7d: c.New, Duplicate7d: c.Duplicate,
		Rejected7d: c.Rejected, Pending: c.Pending, CreatedAt: s.CreatedAt.UTC()}
	if s.LastFetchAt != nil {
		t := s.LastFetchAt.UTC()
		out.LastFetchAt = &t
	}
	return out
}

// sourcesWithCounts lists the sources with their recent counts.
func (s *Server) sourcesWithCounts(ctx context.Context) ([]SourceJSON, error) {
	srcs, err := s.store.Sources(ctx)
	if err != nil {
		return nil, err
	}
	counts, err := s.store.SourceCounts(ctx, time.Now().Add(-sourceStatsWindow))
	if err != nil {
		return nil, err
	}
	out := make([]SourceJSON, len(srcs))
	for i, src := range srcs {
		out[i] = sourceJSON(src, counts[src.ID])
	}
	return out, nil
}

func (s *Server) oneSource(ctx context.Context, src store.Source) (SourceJSON, error) {
	counts, err := s.store.SourceCounts(ctx, time.Now().Add(-sourceStatsWindow))
	if err != nil {
		return SourceJSON{}, err
	}
	return sourceJSON(src, counts[src.ID]), nil
}

// listSources is GET /sources.
func (s *Server) listSources(c echo.Context) error {
	out, err := s.sourcesWithCounts(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"sources": out})
}

// addSource is POST /sources: register a feed, polled at once and then
// every poll interval. A name in use is 409.
func (s *Server) addSource(c echo.Context) error {
	var req sourceRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if req.Taxonomy != "" {
		if _, err := s.store.Taxonomy(ctx, req.Taxonomy); errors.Is(err, store.ErrNotFound) {
			return errValidation(FieldError{Field: "taxonomy", Message: fmt.Sprintf("no taxonomy named %q", req.Taxonomy)})
		} else if err != nil {
			return err
		}
	}
	src, err := s.store.AddSource(ctx, req.source())
	if errors.Is(err, store.ErrConflict) {
		return &Error{Status: http.StatusConflict, Code: "conflict", Message: fmt.Sprintf("a source named %q exists", req.Name), Err: err}
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, sourceJSON(src, store.SourceCount{}))
}

// getSource is GET /sources/:name.
func (s *Server) getSource(c echo.Context) error {
	ctx := c.Request().Context()
	src, err := s.store.Source(ctx, c.Param("name"))
	if err != nil {
		return err
	}
	out, err := s.oneSource(ctx, src)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// pauseSource is POST /sources/:name/pause and resumeSource its
// opposite; a resumed source is polled at once.
func (s *Server) pauseSource(c echo.Context) error  { return s.setPaused(c, true) }
func (s *Server) resumeSource(c echo.Context) error { return s.setPaused(c, false) }

func (s *Server) setPaused(c echo.Context, paused bool) error {
	ctx := c.Request().Context()
	src, err := s.store.SetSourcePaused(ctx, c.Param("name"), paused)
	if err != nil {
		return err
	}
	out, err := s.oneSource(ctx, src)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// deleteSource is DELETE /sources/:name; its articles stay.
func (s *Server) deleteSource(c echo.Context) error {
	if err := s.store.DeleteSource(c.Request().Context(), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
