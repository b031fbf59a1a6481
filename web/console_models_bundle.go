package web

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/inference/artifacts"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

// consoleModelBundle is GET /console/models/:version/bundle: the
// version's artifact bundle (the archive `newsintel bundle-artifacts` writes),
// as a tar.gz download. It is built into a temporary file first, so a
// failure is a clean error rather than a truncated download.
func (s *Server) consoleModelBundle(c echo.Context) error {
	m, _, err := s.findVersion(c)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "newsintel-bundle-")
	if err != nil {
		return fmt.Errorf("bundle %s: %w", m.Version, err)
	}
	defer os.RemoveAll(tmp)
	dir, err := s.modelFolder(m, tmp)
	if err != nil {
		return err
	}
	archive := filepath.Join(tmp, artifacts.ArchiveName(m.Version))
	f, err := os.Create(archive)
	if err != nil {
		return fmt.Errorf("bundle %s: %w", m.Version, err)
	}
	_, err = artifacts.Bundle(dir, m.Version, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bundle %s: %w", m.Version, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Attachment(archive, artifacts.ArchiveName(m.Version))
}

// modelFolder finds a version's artifact folder. The built-in model lives
// in the binary, so it is written out under tmp first.
func (s *Server) modelFolder(m store.ModelVersion, tmp string) (string, error) {
	if m.Source == store.ModelBuiltin {
		model, err := topic.Builtin(m.Version)
		if err != nil {
			return "", fmt.Errorf("bundle %s: %w", m.Version, err)
		}
		dir := filepath.Join(tmp, "model")
		if err := model.Save(dir); err != nil {
			return "", fmt.Errorf("bundle %s: %w", m.Version, err)
		}
		return dir, nil
	}
	if s.modelPath == nil || m.Path == "" {
		return "", &Error{Status: http.StatusServiceUnavailable, Code: "no_artifact",
			Message: "this server cannot find the artifact folder of " + m.Version}
	}
	dir := s.modelPath(m.Path)
	if _, err := os.Stat(dir); err != nil {
		return "", &Error{Status: http.StatusNotFound, Code: "no_artifact",
			Message: "the artifact folder of " + m.Version + " is missing on this server", Err: err}
	}
	return dir, nil
}
