package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// Finetuner starts fine-tuning runs in the background of the server.
// StartFinetune returns once the run holds the fine-tune lock; a run
// already running is a *store.RunningError.
type Finetuner interface {
	StartFinetune(ctx context.Context, r FinetuneRequest) (store.TrainingRun, error)
}

// FinetuneRequest is a request for a fine-tune, as the API received it.
type FinetuneRequest struct {
	Force  bool
	DryRun bool
	// Trigger is the door it came through: store.TriggerAPI or
	// TriggerConsole.
	Trigger string
	// Actor is who asked: the API key's name, or the console user's email.
	Actor     string
	RequestID string
}

// finetuneBody is the body of POST /admin/finetune; it may be empty.
type finetuneBody struct {
	Force  bool `json:"force"`
	DryRun bool `json:"dry_run"`
}

// FinetuneStarted answers POST /admin/finetune.
type FinetuneStarted struct {
	RunID       int64  `json:"run_id"`
	Status      string `json:"status"`
	BaseVersion string `json:"base_version"`
	URL         string `json:"url"`
}

// startFinetune is POST /admin/finetune: 202 once the run holds the lock,
// 409 naming the run that holds it already.
func (s *Server) startFinetune(c echo.Context) error {
	if s.finetuner == nil {
		return &Error{Status: http.StatusServiceUnavailable, Code: "finetune_unavailable",
			Message: "this server does not run fine-tunes"}
	}
	var body finetuneBody
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &body); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	run, err := s.finetuner.StartFinetune(ctx, FinetuneRequest{Force: body.Force, DryRun: body.DryRun,
		Trigger: store.TriggerAPI, Actor: keyName(c), RequestID: RequestID(ctx)})
	var running *store.RunningError
	if errors.As(err, &running) {
		return &Error{Status: http.StatusConflict, Code: "finetune_running", Message: running.Error() + "; wait for it to finish", Err: err}
	}
	if err != nil {
		return err
	}
	url := c.Echo().Reverse(RouteTrainingRun, run.ID)
	c.Response().Header().Set(echo.HeaderLocation, url)
	return c.JSON(http.StatusAccepted, FinetuneStarted{RunID: run.ID, Status: run.Status, BaseVersion: run.BaseVersion, URL: url})
}

// TrainingRunJSON is a training run on the wire.
type TrainingRunJSON struct {
	ID          int64           `json:"id"`
	Status      string          `json:"status"`
	TriggeredBy string          `json:"triggered_by"`
	StartedBy   string          `json:"started_by,omitempty"`
	Forced      bool            `json:"forced"`
	BaseVersion string          `json:"base_version,omitempty"`
	NewVersion  string          `json:"new_version,omitempty"`
	Decision    string          `json:"decision,omitempty"`
	Error       string          `json:"error,omitempty"`
	DataCounts  json.RawMessage `json:"data_counts"`
	Metrics     json.RawMessage `json:"metrics"`
	StartedAt   time.Time       `json:"started_at"`
	HeartbeatAt *time.Time      `json:"heartbeat_at,omitempty"`
	FinishedAt  *time.Time      `json:"finished_at,omitempty"`
	LabelIDs    []int64         `json:"label_ids,omitempty"`
}

func trainingRunJSON(r store.TrainingRun) TrainingRunJSON {
	raw := func(m json.RawMessage) json.RawMessage {
		if len(m) == 0 {
			return json.RawMessage("{}")
		}
		return m
	}
	return TrainingRunJSON{ID: r.ID, Status: r.Status, TriggeredBy: r.TriggeredBy, StartedBy: r.StartedBy, Forced: r.Forced, BaseVersion: r.BaseVersion,
		NewVersion: r.NewVersion, Decision: r.Decision, Error: r.Error, DataCounts: raw(r.DataCounts), Metrics: raw(r.Metrics),
		StartedAt: r.StartedAt, HeartbeatAt: r.HeartbeatAt, FinishedAt: r.FinishedAt, LabelIDs: r.LabelIDs}
}

// Limits of GET /admin/training-runs.
const (
	defaultRunsLimit = 50
	maxRunsLimit     = 500
)

func (s *Server) listTrainingRuns(c echo.Context) error {
	limit := defaultRunsLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRunsLimit {
			return errValidation(FieldError{Field: "limit", Message: fmt.Sprintf("%q is not a number from 1 to %d", v, maxRunsLimit)})
		}
		limit = n
	}
	runs, err := s.store.TrainingRuns(c.Request().Context(), limit)
	if err != nil {
		return err
	}
	out := struct {
		Runs []TrainingRunJSON `json:"runs"`
	}{Runs: make([]TrainingRunJSON, len(runs))}
	for i, r := range runs {
		out.Runs[i] = trainingRunJSON(r)
	}
	return c.JSON(http.StatusOK, out)
}

// positiveIDParam reads a positive integer path parameter.
func positiveIDParam(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errValidation(FieldError{Field: name, Message: fmt.Sprintf("%q is not a positive integer id", c.Param(name))})
	}
	return id, nil
}

func (s *Server) getTrainingRun(c echo.Context) error {
	id, err := positiveIDParam(c, "id")
	if err != nil {
		return err
	}
	r, err := s.store.TrainingRun(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, trainingRunJSON(r))
}

// runStarter says who started a run and how, for people:
// "admin@example.com (console)", or the door alone for older runs.
func runStarter(r store.TrainingRun) string {
	if r.StartedBy == "" || r.StartedBy == r.TriggeredBy {
		return r.TriggeredBy
	}
	return r.StartedBy + " (" + r.TriggeredBy + ")"
}
