package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// LineageJSON answers GET /predictions/:id/lineage: the prediction and its
// article, the human judgements of that article, the training runs that
// learned from them, and the run that made the prediction's model.
type LineageJSON struct {
	Prediction  LineagePredictionJSON `json:"prediction"`
	Article     LineageArticleJSON    `json:"article"`
	ReviewItems []LineageItemJSON     `json:"review_items"`
	Labels      []LineageLabelJSON    `json:"labels"`
	Feedback    []LineageFeedbackJSON `json:"feedback"`
	Model       *ModelJSON            `json:"model,omitempty"`
	ModelRun    *TrainingRunJSON      `json:"model_training_run,omitempty"`
}

// LineagePredictionJSON is the traced prediction.
type LineagePredictionJSON struct {
	ID           int64              `json:"id"`
	RequestID    string             `json:"request_id"`
	ModelVersion string             `json:"model_version"`
	Taxonomy     string             `json:"taxonomy,omitempty"`
	Topic        string             `json:"topic"`
	Confidence   float64            `json:"confidence"`
	Scores       map[string]float64 `json:"scores"`
	CreatedAt    time.Time          `json:"created_at"`
}

// LineageArticleJSON is the prediction's article.
type LineageArticleJSON struct {
	ID         int64     `json:"id"`
	Title      string    `json:"title"`
	Text       string    `json:"text"`
	URL        string    `json:"url,omitempty"`
	Source     string    `json:"source,omitempty"`
	IngestedAt time.Time `json:"ingested_at"`
}

// LineageItemJSON is a review item of the article.
type LineageItemJSON struct {
	ID           int64     `json:"id"`
	PredictionID int64     `json:"prediction_id,omitempty"`
	State        string    `json:"state"`
	Reason       string    `json:"reason"`
	FinalLabelID int64     `json:"final_label_id,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// LineageLabelJSON is a human label of the article. Used says whether
// training may use it (final and not retracted); TrainingRuns lists the
// runs that did.
type LineageLabelJSON struct {
	ID           int64      `json:"id"`
	ReviewItemID int64      `json:"review_item_id,omitempty"`
	Label        string     `json:"label"`
	LabeledBy    string     `json:"labeled_by"`
	Source       string     `json:"source"`
	CreatedAt    time.Time  `json:"created_at"`
	Retracted    bool       `json:"retracted"`
	RetractedAt  *time.Time `json:"retracted_at,omitempty"`
	Usable       bool       `json:"usable_for_training"`
	TrainingRuns []int64    `json:"training_runs"`
}

// LineageFeedbackJSON is feedback on the article.
type LineageFeedbackJSON struct {
	ID           int64     `json:"id"`
	PredictionID int64     `json:"prediction_id,omitempty"`
	CorrectLabel string    `json:"correct_label,omitempty"`
	IsCorrect    *bool     `json:"is_correct,omitempty"`
	Comment      string    `json:"comment,omitempty"`
	KeyName      string    `json:"key_name"`
	LabelID      int64     `json:"label_id,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

func lineageJSON(l store.Lineage) LineageJSON {
	p, a := l.Prediction, l.Article
	out := LineageJSON{
		Prediction: LineagePredictionJSON{ID: p.ID, RequestID: p.RequestID, ModelVersion: p.ModelVersion, Taxonomy: p.Taxonomy,
			Topic: p.Label, Confidence: p.Confidence, Scores: p.Scores, CreatedAt: p.CreatedAt},
		Article:     LineageArticleJSON{ID: a.ID, Title: a.Title, Text: a.Body, URL: a.URL, Source: a.Source, IngestedAt: a.IngestedAt},
		ReviewItems: []LineageItemJSON{}, Labels: []LineageLabelJSON{}, Feedback: []LineageFeedbackJSON{},
	}
	for _, it := range l.ReviewItems {
		out.ReviewItems = append(out.ReviewItems, LineageItemJSON{ID: it.ID, PredictionID: it.PredictionID, State: it.State,
			Reason: it.Reason, FinalLabelID: it.FinalLabelID, CreatedAt: it.CreatedAt})
	}
	for _, lb := range l.Labels {
		runs := lb.TrainingRunIDs
		if runs == nil {
			runs = []int64{}
		}
		out.Labels = append(out.Labels, LineageLabelJSON{ID: lb.ID, ReviewItemID: lb.ReviewItemID, Label: lb.Label,
			LabeledBy: lb.LabeledBy, Source: lb.Source, CreatedAt: lb.CreatedAt, Retracted: lb.RetractedAt != nil,
			RetractedAt: lb.RetractedAt, Usable: lb.Final, TrainingRuns: runs})
	}
	for _, f := range l.Feedback {
		out.Feedback = append(out.Feedback, LineageFeedbackJSON{ID: f.ID, PredictionID: f.PredictionID, CorrectLabel: f.CorrectLabel,
			IsCorrect: f.IsCorrect, Comment: f.Comment, KeyName: f.KeyName, LabelID: f.LabelID, CreatedAt: f.CreatedAt})
	}
	if l.Model != nil {
		m := modelJSON(*l.Model)
		out.Model = &m
	}
	if l.ModelRun != nil {
		r := trainingRunJSON(*l.ModelRun)
		out.ModelRun = &r
	}
	return out
}

// predictionLineage is GET /predictions/:id/lineage.
func (s *Server) predictionLineage(c echo.Context) error {
	id, err := positiveIDParam(c, "id")
	if err != nil {
		return err
	}
	l, err := s.store.Lineage(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, lineageJSON(l))
}
