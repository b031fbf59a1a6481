package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/inference"
)

// health is liveness: the process serves HTTP. It touches nothing else, so
// a slow database never gets a healthy process restarted.
func (s *Server) health(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyTimeout bounds each readiness check so a hung dependency reports as
// failing instead of hanging the probe.
const readyTimeout = 2 * time.Second

// ReadyResponse is the body of GET /ready.
type ReadyResponse struct {
	Status string                `json:"status"` // "ready" or "not_ready"
	Checks map[string]ReadyCheck `json:"checks"`
	// ModelVersion is the topic model this replica serves, when the
	// classifier tells: replicas follow the registry's active version.
	ModelVersion string `json:"model_version,omitempty"`
}

// ReadyCheck is one dependency's state.
type ReadyCheck struct {
	OK      bool   `json:"ok"`
	Message string `json:"message,omitempty"`
}

// readiness runs every check. Failures are logged in full and reported in
// a sentence that leaks no internals.
func (s *Server) readiness(ctx context.Context) ReadyResponse {
	out := ReadyResponse{Status: "ready", Checks: map[string]ReadyCheck{}}
	if v, ok := s.classifier.(interface{ ModelVersion() string }); ok {
		out.ModelVersion = v.ModelVersion()
	}
	checkCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.store.Ping(checkCtx); err != nil {
		logger(ctx).Warn("readiness: database", slog.Any("error", err))
		out.Checks["db"] = ReadyCheck{Message: "the database does not answer"}
		out.Status = "not_ready"
	} else {
		out.Checks["db"] = ReadyCheck{OK: true}
	}
	switch err := s.encoder.Ready(); {
	case err == nil:
		out.Checks["model"] = ReadyCheck{OK: true}
	case errors.Is(err, inference.ErrNotReady):
		out.Checks["model"] = ReadyCheck{Message: "the model is loading"}
		out.Status = "not_ready"
	default:
		logger(ctx).Error("readiness: model", slog.Any("error", err))
		out.Checks["model"] = ReadyCheck{Message: "the model failed to load; see the server log"}
		out.Status = "not_ready"
	}
	return out
}

// ready answers 200 when every dependency answers, else 503 naming what
// does not.
func (s *Server) ready(c echo.Context) error {
	r := s.readiness(c.Request().Context())
	status := http.StatusOK
	if r.Status != "ready" {
		status = http.StatusServiceUnavailable
	}
	return c.JSON(status, r)
}

// metricsJSON serves the JSON view, or the Prometheus text format to
// clients that ask for it (Accept: text/plain; version=0.0.4), as scrapers
// do.
func (s *Server) metricsJSON(c echo.Context) error {
	accept := c.Request().Header.Get("Accept")
	if strings.Contains(accept, "text/plain") || strings.Contains(accept, "application/openmetrics-text") {
		return s.metricsPrometheus(c)
	}
	snap, err := s.metrics.Snapshot()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, snap)
}

// metricsPrometheus serves the registry in the Prometheus exposition format.
func (s *Server) metricsPrometheus(c echo.Context) error {
	s.promHandler.ServeHTTP(c.Response(), c.Request())
	return nil
}

// static serves embedded assets by their content-hashed names. A hashed
// name never changes content, so browsers may keep it for a year.
func (s *Server) static(c echo.Context) error {
	asset, ok := s.assets.Lookup(c.Param("*"))
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, asset.ContentType, asset.Body)
}

// faviconAsset is the console's icon, which pages link to by its hashed
// URL (views.Layout).
const faviconAsset = "img/favicon.svg"

// favicon answers /favicon.ico, which browsers and crawlers ask for
// whatever the page links to: the same SVG, under a name that does not
// change, so cached for a day only.
func (s *Server) favicon(c echo.Context) error {
	asset, ok := s.assets.Get(faviconAsset)
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, asset.ContentType, asset.Body)
}
