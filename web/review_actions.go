package web

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// labelRequest is the body of POST /review/:id/label.
type labelRequest struct {
	Label    string `json:"label"`
	Reviewer string `json:"reviewer"`
	Note     string `json:"note"`
}

// bulkLabelRequest is the body of POST /review/labels.
type bulkLabelRequest struct {
	Reviewer string `json:"reviewer"`
	Items    []struct {
		ID    int64  `json:"id"`
		Label string `json:"label"`
		Note  string `json:"note"`
	} `json:"items"`
}

// LabelResultJSON says what became of one labeled item.
type LabelResultJSON struct {
	ItemID  int64  `json:"item_id"`
	LabelID int64  `json:"label_id"`
	Label   string `json:"label"`
	State   string `json:"state"`
	Stage   string `json:"stage"`
	// Final: this label settled the item and will train the model.
	Final bool `json:"final"`
	// Replayed: a retry of a label already stored; nothing changed.
	Replayed  bool   `json:"replayed"`
	RequestID string `json:"request_id"`
}

// BulkLabelResponse is the answer to POST /review/labels.
type BulkLabelResponse struct {
	Reviewer  string            `json:"reviewer"`
	Results   []LabelResultJSON `json:"results"`
	RequestID string            `json:"request_id"`
}

func (s *Server) labelReview(c echo.Context) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	var req labelRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	results, err := s.label(c, req.Reviewer, []store.LabelInput{{ItemID: id, Label: req.Label, Note: req.Note}})
	if err != nil {
		// One item: name its fields as the body does, not items[0].
		var v store.ValidationError
		if errors.As(err, &v) {
			for i := range v {
				v[i].Field = strings.TrimPrefix(v[i].Field, "items[0].")
			}
			return v
		}
		return err
	}
	return c.JSON(http.StatusOK, results[0])
}

func (s *Server) bulkLabelReview(c echo.Context) error {
	var req bulkLabelRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	in := make([]store.LabelInput, len(req.Items))
	for i, it := range req.Items {
		in[i] = store.LabelInput{ItemID: it.ID, Label: it.Label, Note: it.Note}
	}
	results, err := s.label(c, req.Reviewer, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, BulkLabelResponse{Reviewer: reviewer(c, req.Reviewer), Results: results, RequestID: RequestID(c.Request().Context())})
}

func (s *Server) label(c echo.Context, who string, in []store.LabelInput) ([]LabelResultJSON, error) {
	return s.labelSeen(c, who, in, time.Time{})
}

// labelSeen is label for items the reviewer was shown at seen (zero:
// under their claim); see store.LabelRequest.SeenAt.
func (s *Server) labelSeen(c echo.Context, who string, in []store.LabelInput, seen time.Time) ([]LabelResultJSON, error) {
	ctx := c.Request().Context()
	reqID := RequestID(ctx)
	out, err := s.store.LabelReviewItems(ctx, store.LabelRequest{Reviewer: reviewer(c, who), RequestID: reqID, Items: in, SeenAt: seen})
	if err != nil {
		return nil, err
	}
	results := make([]LabelResultJSON, len(out))
	for i, o := range out {
		results[i] = LabelResultJSON{ItemID: o.ItemID, LabelID: o.LabelID, Label: o.Label, State: o.State, Stage: o.Stage,
			Final: o.Final, Replayed: o.Replayed, RequestID: reqID}
		if !o.Replayed {
			s.metrics.CountReviewLabel(o.Stage, o.Final)
		}
	}
	return results, nil
}

// actionRequest is the body of POST /review/:id/skip and /undo. A skip
// may say that none of the item's labels fits, with a note saying why.
type actionRequest struct {
	Reviewer    string `json:"reviewer"`
	NoneOfThese bool   `json:"none_of_these"`
	Note        string `json:"note"`
}

// ActionResultJSON is an item's state after a skip or undo.
type ActionResultJSON struct {
	ItemID    int64  `json:"item_id"`
	State     string `json:"state"`
	Stage     string `json:"stage"`
	Undone    string `json:"undone,omitempty"`
	RequestID string `json:"request_id"`
}

func (s *Server) skipReview(c echo.Context) error { return s.reviewAction(c, false) }
func (s *Server) undoReview(c echo.Context) error { return s.reviewAction(c, true) }
func (s *Server) reviewAction(c echo.Context, undo bool) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	var req actionRequest
	if c.Request().ContentLength != 0 { // an empty body means "as my API key"
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	ar := store.ActionRequest{ItemID: id, Reviewer: reviewer(c, req.Reviewer), RequestID: RequestID(ctx),
		Lease: s.cfg.Queue.Lease, Window: s.cfg.Queue.UndoWindow}
	if !undo {
		ar.NoneOfThese, ar.Note = req.NoneOfThese, strings.TrimSpace(req.Note)
	}
	var o store.ActionOutcome
	if undo {
		o, err = s.store.UndoReviewAction(ctx, ar)
	} else {
		o, err = s.store.SkipReviewItem(ctx, ar)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ActionResultJSON{ItemID: o.ItemID, State: o.State, Stage: o.Stage, Undone: o.Undone, RequestID: ar.RequestID})
}
