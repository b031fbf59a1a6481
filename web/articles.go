package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// ArticleJSON answers GET /articles/:id: a stored article without its
// text, the summary stored with it, and its latest prediction. Fields the
// article lacks are null: summary and summary_version for articles posted
// to /classify_news (only ingested ones are summarized) and for texts
// with no sentence to summarize.
type ArticleJSON struct {
	ID             int64                  `json:"id"`
	ExternalID     *string                `json:"external_id"`
	Title          string                 `json:"title"`
	URL            *string                `json:"url"`
	Source         *string                `json:"source"`
	PublishedAt    *time.Time             `json:"published_at"`
	IngestedAt     time.Time              `json:"ingested_at"`
	Summary        *string                `json:"summary"`
	SummaryVersion *string                `json:"summary_version"`
	Prediction     *ArticlePredictionJSON `json:"prediction"`
}

// ArticlePredictionJSON is an article's latest prediction, by any model
// or taxonomy.
type ArticlePredictionJSON struct {
	ID           int64     `json:"id"`
	Label        string    `json:"label"`
	Confidence   float64   `json:"confidence"`
	ModelVersion string    `json:"model_version"`
	Taxonomy     *string   `json:"taxonomy"`
	CreatedAt    time.Time `json:"created_at"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func articleJSON(a store.Article, preds []store.Prediction) ArticleJSON {
	out := ArticleJSON{ID: a.ID, ExternalID: optional(a.ExternalID), Title: a.Title, URL: optional(a.URL), Source: optional(a.Source),
		IngestedAt: a.IngestedAt.UTC(), Summary: optional(a.Summary), SummaryVersion: optional(a.SummaryVersion)}
	if a.PublishedAt != nil {
		t := a.PublishedAt.UTC()
		out.PublishedAt = &t
	}
	if len(preds) > 0 {
		p := preds[len(preds)-1] // oldest first
		out.Prediction = &ArticlePredictionJSON{ID: p.ID, Label: p.Label, Confidence: p.Confidence, ModelVersion: p.ModelVersion,
			Taxonomy: optional(p.Taxonomy), CreatedAt: p.CreatedAt.UTC()}
	}
	return out
}

// getArticle is GET /articles/:id.
func (s *Server) getArticle(c echo.Context) error {
	id, err := positiveIDParam(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	a, err := s.store.Article(ctx, id)
	if err != nil {
		return err
	}
	preds, err := s.store.Predictions(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, articleJSON(a, preds))
}
