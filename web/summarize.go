package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/inference/summarize"
)

// Summarizer is what the web layer needs to summarise articles.
type Summarizer interface {
	Summarize(ctx context.Context, req summarize.Request) (summarize.Summary, error)
}

// summarizeRequest is the body of POST /summarize.
type summarizeRequest struct {
	summarize.Request
}

// Validate reports the request's first invalid field.
func (r *summarizeRequest) Validate() []FieldError {
	var v *summarize.ValidationError
	if err := r.Request.Validate(); errors.As(err, &v) {
		return []FieldError{{Field: v.Field, Message: v.Message}}
	}
	return nil
}

// SummarizeResponse is the answer of POST /summarize.
type SummarizeResponse struct {
	Summary          string               `json:"summary"`
	Sentences        []summarize.Selected `json:"sentences"`
	ArticleSentences int                  `json:"article_sentences"`
	WholeText        bool                 `json:"whole_text"`
	ModelVersion     string               `json:"model_version"`
	RequestID        string               `json:"request_id"`
}

// summarizeArticle is POST /summarize: an extractive summary, with the
// chosen sentences, their positions and scores.
func (s *Server) summarizeArticle(c echo.Context) error {
	var req summarizeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	sum, err := s.summarizer.Summarize(ctx, req.Request)
	if err != nil {
		return err
	}
	sentences := sum.Sentences
	if sentences == nil {
		sentences = []summarize.Selected{}
	}
	return c.JSON(http.StatusOK, SummarizeResponse{
		Summary: sum.Text, Sentences: sentences, ArticleSentences: sum.ArticleSentences,
		WholeText: sum.WholeText, ModelVersion: sum.Version, RequestID: RequestID(ctx),
	})
}
