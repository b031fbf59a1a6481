package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// modelStore is what the model, fine-tuning and lineage routes need.
type modelStore interface {
	ModelVersions(ctx context.Context) ([]store.ModelVersion, error)
	ModelActivations(ctx context.Context, limit int) ([]store.Activation, error)
	ModelVersion(ctx context.Context, version string) (store.ModelVersion, error)
	ActivateModel(ctx context.Context, version, action, actor, requestID string) (store.Activation, error)
	PromoteOverridingGate(ctx context.Context, version, actor, requestID string, o store.GateOverride) (store.Activation, error)
	RollbackModel(ctx context.Context, to, actor, requestID string) (store.Activation, error)
	TrainingRuns(ctx context.Context, limit int) ([]store.TrainingRun, error)
	TrainingRun(ctx context.Context, id int64) (store.TrainingRun, error)
	Lineage(ctx context.Context, predictionID int64) (store.Lineage, error)
}

// ModelJSON is a registered model version on the wire.
type ModelJSON struct {
	Version       string          `json:"version"`
	Active        bool            `json:"active"`
	Source        string          `json:"source"`
	Encoder       string          `json:"encoder"`
	Labels        []string        `json:"labels"`
	Metrics       json.RawMessage `json:"metrics"`
	DataHash      string          `json:"data_hash,omitempty"`
	ParentVersion string          `json:"parent_version,omitempty"`
	TrainingRunID int64           `json:"training_run_id,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	ActivatedAt   *time.Time      `json:"activated_at,omitempty"`
}

func modelJSON(m store.ModelVersion) ModelJSON {
	metrics := m.Metrics
	if len(metrics) == 0 {
		metrics = json.RawMessage("{}")
	}
	return ModelJSON{Version: m.Version, Active: m.Active, Source: m.Source, Encoder: m.Encoder, Labels: m.Labels,
		Metrics: metrics, DataHash: m.DataHash, ParentVersion: m.ParentVersion, TrainingRunID: m.TrainingRunID,
		CreatedAt: m.CreatedAt, ActivatedAt: m.ActivatedAt}
}

// ActivationJSON is one promotion or rollback.
type ActivationJSON struct {
	ID              int64     `json:"id"`
	Version         string    `json:"version"`
	PreviousVersion string    `json:"previous_version,omitempty"`
	Action          string    `json:"action"`
	Actor           string    `json:"actor"`
	RequestID       string    `json:"request_id,omitempty"`
	At              time.Time `json:"at"`
}

func activationJSON(a store.Activation) ActivationJSON {
	return ActivationJSON{ID: a.ID, Version: a.Version, PreviousVersion: a.PreviousVersion, Action: a.Action,
		Actor: a.Actor, RequestID: a.RequestID, At: a.At}
}

// ModelsResponse is GET /models: every version, newest first, the active
// one marked, and the latest promotions and rollbacks.
type ModelsResponse struct {
	Active  string           `json:"active"`
	Models  []ModelJSON      `json:"models"`
	History []ActivationJSON `json:"history"`
}

// modelHistory is how many activations GET /models shows.
const modelHistory = 20

func (s *Server) listModels(c echo.Context) error {
	ctx := c.Request().Context()
	all, err := s.store.ModelVersions(ctx)
	if err != nil {
		return err
	}
	hist, err := s.store.ModelActivations(ctx, modelHistory)
	if err != nil {
		return err
	}
	out := ModelsResponse{Models: make([]ModelJSON, len(all)), History: make([]ActivationJSON, len(hist))}
	for i, m := range all {
		out.Models[i] = modelJSON(m)
		if m.Active {
			out.Active = m.Version
		}
	}
	for i, a := range hist {
		out.History[i] = activationJSON(a)
	}
	return c.JSON(http.StatusOK, out)
}

// promoteRequest is the optional body of POST /models/:version/promote.
// Override, with a Reason, promotes a version the evaluation gate
// rejected; for any other version both are ignored.
type promoteRequest struct {
	Override bool   `json:"override"`
	Reason   string `json:"reason"`
}

// promoteModel is POST /models/:version/promote. Replicas pick the new
// version up on their next poll of the registry. A version the gate
// rejected is a 409 unless the body overrides it, with a reason (422
// without one); the audit log keeps the override.
func (s *Server) promoteModel(c echo.Context) error {
	var req promoteRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	m, err := s.store.ModelVersion(ctx, c.Param("version"))
	if err != nil {
		return err
	}
	g, err := s.versionGate(ctx, m)
	if err != nil {
		return err
	}
	o, err := gateOverride(m.Version, g, req.Override, req.Reason, "reason",
		`to promote it anyway, send {"override": true, "reason": "why"}`)
	if err != nil {
		return err
	}
	a, err := s.promote(ctx, m, o, keyName(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, activationJSON(a))
}

// rollbackRequest is the optional body of POST /models/rollback.
type rollbackRequest struct {
	To string `json:"to"`
}

// rollbackModel is POST /models/rollback: back to {"to": version}, or
// without it to the version active before the current one.
func (s *Server) rollbackModel(c echo.Context) error {
	var req rollbackRequest
	if c.Request().ContentLength != 0 {
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	a, err := s.store.RollbackModel(ctx, req.To, keyName(c), RequestID(ctx))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, activationJSON(a))
}
