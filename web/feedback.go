package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// HeaderIdempotencyKey makes a POST safe to retry; HeaderReplayed marks
// the answer to a retry.
const (
	HeaderIdempotencyKey = "Idempotency-Key"
	HeaderReplayed       = "Idempotent-Replayed"
)

// feedbackRequest is the body of POST /feedback.
type feedbackRequest struct {
	ArticleID    int64  `json:"article_id,omitempty"`
	PredictionID int64  `json:"prediction_id,omitempty"`
	CorrectLabel string `json:"correct_label,omitempty"`
	IsCorrect    *bool  `json:"is_correct,omitempty"`
	Comment      string `json:"comment,omitempty"`
}

// FeedbackJSON is stored feedback on the wire.
type FeedbackJSON struct {
	ID           int64  `json:"id"`
	ArticleID    int64  `json:"article_id"`
	PredictionID int64  `json:"prediction_id,omitempty"`
	CorrectLabel string `json:"correct_label,omitempty"`
	IsCorrect    *bool  `json:"is_correct,omitempty"`
	Comment      string `json:"comment,omitempty"`
	// Label is the training label the feedback yields, if any.
	Label     string    `json:"label,omitempty"`
	Replayed  bool      `json:"replayed"`
	RequestID string    `json:"request_id"`
	CreatedAt time.Time `json:"created_at"`
}

// feedback is POST /feedback. It answers 201 when it stores the feedback;
// a retry with the same Idempotency-Key answers 200 with the stored
// record and the Idempotent-Replayed header, storing nothing; the same key
// with a different body is a 409.
func (s *Server) feedback(c echo.Context) error {
	var req feedbackRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	// The request's meaning, not its bytes: a retry that reorders keys or
	// spacing is the same request.
	canon, err := json.Marshal(req)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(canon)
	ctx := c.Request().Context()
	fb, replayed, err := s.store.RecordFeedback(ctx, store.NewFeedback{
		ArticleID: req.ArticleID, PredictionID: req.PredictionID, CorrectLabel: req.CorrectLabel, IsCorrect: req.IsCorrect,
		Comment: req.Comment, KeyName: keyName(c), RequestID: RequestID(ctx),
		IdempotencyKey: c.Request().Header.Get(HeaderIdempotencyKey), RequestHash: hex.EncodeToString(sum[:]),
	})
	if err != nil {
		return err
	}
	out := FeedbackJSON{ID: fb.ID, ArticleID: fb.ArticleID, PredictionID: fb.PredictionID, CorrectLabel: fb.CorrectLabel,
		IsCorrect: fb.IsCorrect, Comment: fb.Comment, Label: fb.Label, Replayed: replayed, RequestID: fb.RequestID, CreatedAt: fb.CreatedAt}
	switch {
	case replayed:
		s.metrics.CountFeedback("replayed")
		c.Response().Header().Set(HeaderReplayed, "true")
		return c.JSON(http.StatusOK, out)
	case fb.Label != "":
		s.metrics.CountFeedback("labeled")
	default:
		s.metrics.CountFeedback("unlabeled")
	}
	return c.JSON(http.StatusCreated, out)
}
