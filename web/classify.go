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

	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/ingest"
	"github.com/newsintel/newsintel/store"
)

// Classifier is what the web layer needs to classify articles.
type Classifier interface {
	Classify(ctx context.Context, docs []classify.Doc, taxonomy string) (classify.Result, error)
}

// Limits of POST /classify_news.
const maxClassifyArticles = 256

// articleIn is one article as clients send it.
type articleIn struct {
	ID          json.RawMessage `json:"id"`
	Title       string          `json:"title"`
	Text        *string         `json:"text"`
	Description *string         `json:"description"`
	URL         string          `json:"url"`
	Source      string          `json:"source"`
	PublishedAt string          `json:"published_at"`

	// Read by validate.
	externalID string
	body       string
	published  *time.Time
}

// classifyRequest is one article, or {"articles": [...]}.
type classifyRequest struct {
	articleIn
	Articles *[]articleIn `json:"articles"`
	Taxonomy string       `json:"taxonomy"`
}

func (r *classifyRequest) batch() bool { return r.Articles != nil }

// list returns the articles of the request, whichever form it took.
func (r *classifyRequest) list() []*articleIn {
	if !r.batch() {
		return []*articleIn{&r.articleIn}
	}
	out := make([]*articleIn, len(*r.Articles))
	for i := range *r.Articles {
		out[i] = &(*r.Articles)[i]
	}
	return out
}

func (r *classifyRequest) Validate() []FieldError {
	if r.batch() {
		if r.Title != "" || r.Text != nil || r.Description != nil {
			return []FieldError{{Field: "articles", Message: "send one article or a list of articles, not both"}}
		}
		switch n := len(*r.Articles); {
		case n == 0:
			return []FieldError{{Field: "articles", Message: "must hold at least one article"}}
		case n > maxClassifyArticles:
			return []FieldError{{Field: "articles", Message: fmt.Sprintf("holds %d articles; at most %d per call", n, maxClassifyArticles)}}
		}
	}
	var errs []FieldError
	for i, a := range r.list() {
		prefix := ""
		if r.batch() {
			prefix = "articles[" + strconv.Itoa(i) + "]."
		}
		errs = append(errs, a.validate(prefix)...)
	}
	return errs
}

func (a *articleIn) validate(prefix string) []FieldError {
	var errs []FieldError
	add := func(field, msg string) { errs = append(errs, FieldError{Field: prefix + field, Message: msg}) }
	checked, problems := ingest.Article{Title: a.Title, Text: a.Text, Description: a.Description,
		URL: a.URL, Source: a.Source, PublishedAt: a.PublishedAt}.Check()
	for _, p := range problems {
		add(p.Field, p.Message)
	}
	a.body, a.published = checked.Body, checked.PublishedAt
	if len(a.ID) > 0 && string(a.ID) != "null" {
		var s string
		var n json.Number
		switch {
		case json.Unmarshal(a.ID, &s) == nil:
			a.externalID = s
		case json.Unmarshal(a.ID, &n) == nil:
			a.externalID = n.String()
		default:
			add("id", "must be a string or a number")
		}
		if len(a.externalID) > 200 {
			add("id", "at most 200 characters")
		}
	}
	return errs
}

// ClassifyResult is one article's classification.
type ClassifyResult struct {
	ID           string             `json:"id,omitempty"`
	Topic        string             `json:"topic"`
	Confidence   float64            `json:"confidence"`
	Scores       map[string]float64 `json:"scores"`
	ModelVersion string             `json:"model_version"`
	ArticleID    int64              `json:"article_id"`
	PredictionID int64              `json:"prediction_id"`
	Duplicate    bool               `json:"duplicate"`
	ReviewQueued bool               `json:"review_queued"`
	Truncated    bool               `json:"truncated"`
	RequestID    string             `json:"request_id"`
}

// ClassifyBatchResponse answers {"articles": [...]}.
type ClassifyBatchResponse struct {
	Results      []ClassifyResult `json:"results"`
	ModelVersion string           `json:"model_version"`
	RequestID    string           `json:"request_id"`
}

// classifyNews is POST /classify_news: topics for one article or a batch,
// every call persisted (articles deduplicated, predictions, review items
// for uncertain ones) in one transaction.
func (s *Server) classifyNews(c echo.Context) error {
	var req classifyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ctx := c.Request().Context()
	articles := req.list()
	docs := make([]classify.Doc, len(articles))
	for i, a := range articles {
		docs[i] = classify.Doc{Title: a.Title, Body: a.body}
	}
	res, err := s.classifier.Classify(ctx, docs, req.Taxonomy)
	if errors.Is(err, store.ErrNotFound) && req.Taxonomy != "" {
		return errValidation(FieldError{Field: "taxonomy", Message: fmt.Sprintf("no taxonomy named %q", req.Taxonomy)})
	}
	if err != nil {
		return err
	}

	reqID := RequestID(ctx)
	stored := make([]store.NewArticle, len(articles))
	for i, a := range articles {
		stored[i] = store.NewArticle{ExternalID: a.externalID, Title: a.Title, Body: a.body,
			URL: a.URL, Source: a.Source, PublishedAt: a.published}
	}
	items := s.rules().Classifications(res, stored, req.Taxonomy, reqID)
	recorded, err := s.store.RecordClassifications(ctx, items)
	if err != nil {
		return err
	}

	results := make([]ClassifyResult, len(articles))
	for i, a := range articles {
		p, r := res.Predictions[i], recorded[i]
		s.metrics.CountPrediction(res.ModelVersion, p.Label)
		results[i] = ClassifyResult{
			ID: a.externalID, Topic: p.Label, Confidence: p.Confidence, Scores: p.Scores,
			ModelVersion: res.ModelVersion, ArticleID: r.ArticleID, PredictionID: r.PredictionID,
			Duplicate: r.Duplicate, ReviewQueued: r.ReviewQueued, Truncated: res.Truncated[i], RequestID: reqID,
		}
	}
	if !req.batch() {
		return c.JSON(http.StatusOK, results[0])
	}
	return c.JSON(http.StatusOK, ClassifyBatchResponse{Results: results, ModelVersion: res.ModelVersion, RequestID: reqID})
}

// rules are the review rules every classification is stored by, here and
// in background ingest.
func (s *Server) rules() ingest.Rules {
	return ingest.Rules{Review: s.cfg.Review, DoubleReview: s.cfg.Queue.DoubleReview}
}
