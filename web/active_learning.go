package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// ActiveLearningJSON is GET /review/active-learning: the runbook's "review
// queue backlog" diagnostic, with what to do about it.
type ActiveLearningJSON struct {
	Counts struct {
		ByState  map[string]int `json:"by_state"`
		ByReason map[string]int `json:"by_reason"`
		ByTopic  map[string]int `json:"by_topic"`
		ByLabel  map[string]int `json:"by_label"`
	} `json:"counts"`
	Backlog struct {
		Open             int        `json:"open"`
		OldestPendingAt  *time.Time `json:"oldest_pending_at,omitempty"`
		OldestAgeSeconds float64    `json:"oldest_age_seconds"`
		MedianAgeSeconds float64    `json:"median_age_seconds"`
	} `json:"backlog"`
	LabelsPerDay []DayCountJSON `json:"labels_per_day"`
	Reviewers    struct {
		Active24h     []string `json:"active_24h"`
		HoldingClaims []string `json:"holding_claims"`
	} `json:"reviewers"`
	Agreement struct {
		Pairs                int                 `json:"pairs"`
		Observed             *float64            `json:"observed"`
		Kappa                *float64            `json:"kappa"`
		PerLabel             map[string]*float64 `json:"per_label"`
		AwaitingAdjudication int                 `json:"awaiting_adjudication"`
	} `json:"agreement"`
	Strategy  string  `json:"strategy"`
	Threshold float64 `json:"threshold"`
	// Pick is how claims choose among the queued items: "priority",
	// "diversity" (priority mixed with distance) or, while the served
	// model is in its cold start, "coverage".
	Pick         string  `json:"pick"`
	DoubleReview bool    `json:"double_review"`
	LeaseSeconds float64 `json:"lease_seconds"`
	Feedback     int     `json:"feedback"`
	Training     struct {
		LastRunAt          *time.Time `json:"last_run_at,omitempty"`
		LabelsSinceLastRun int        `json:"labels_since_last_run"`
	} `json:"training"`
	// Recommendations answer the playbook: what an operator should do now.
	Recommendations []string `json:"recommendations"`
}

// DayCountJSON is a count for one UTC day.
type DayCountJSON struct {
	Day   string `json:"day"`
	Count int    `json:"count"`
}

// Thresholds behind the recommendations.
const (
	labelsWorthTraining = 50
	staleBacklog        = 24 * time.Hour
)

func (s *Server) activeLearning(c echo.Context) error {
	st, err := s.store.ReviewStats(c.Request().Context(), 14)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, s.activeLearningJSON(st, time.Now()))
}

func (s *Server) activeLearningJSON(st store.ReviewStats, now time.Time) ActiveLearningJSON {
	var out ActiveLearningJSON
	out.Counts.ByState, out.Counts.ByReason, out.Counts.ByTopic, out.Counts.ByLabel = st.ByState, st.ByReason, st.ByTopic, st.ByLabel
	out.Backlog.Open = st.ByState[store.StatePending] + st.ByState[store.StateClaimed] + st.ByState[store.StageAdjudication]
	if !st.OldestPending.IsZero() {
		out.Backlog.OldestPendingAt = &st.OldestPending
		out.Backlog.OldestAgeSeconds = now.Sub(st.OldestPending).Seconds()
		out.Backlog.MedianAgeSeconds = st.MedianAge.Seconds()
	}
	out.LabelsPerDay = make([]DayCountJSON, len(st.LabelsPerDay))
	for i, d := range st.LabelsPerDay {
		out.LabelsPerDay[i] = DayCountJSON{Day: d.Day, Count: d.Count}
	}
	out.Reviewers.Active24h, out.Reviewers.HoldingClaims = nonNil(st.ActiveReviewers), nonNil(st.HoldingClaims)
	a := store.Kappa(st.Pairs)
	out.Agreement.Pairs, out.Agreement.Kappa, out.Agreement.PerLabel = a.Pairs, a.Kappa, a.PerLabel
	if a.Pairs > 0 {
		out.Agreement.Observed = &a.Observed
	}
	out.Agreement.AwaitingAdjudication = st.ByState[store.StageAdjudication]
	out.Strategy, out.Threshold = s.cfg.Review.Strategy, s.cfg.Review.Threshold
	switch {
	case s.cfg.Review.Diverse() && s.inColdStart():
		out.Pick = "coverage"
	case s.cfg.Review.Diverse():
		out.Pick = "diversity"
	default:
		out.Pick = "priority"
	}
	out.DoubleReview, out.LeaseSeconds = s.cfg.Queue.DoubleReview, s.cfg.Queue.Lease.Seconds()
	out.Feedback = st.Feedback
	if !st.LastTrainingRun.IsZero() {
		out.Training.LastRunAt = &st.LastTrainingRun
	}
	out.Training.LabelsSinceLastRun = st.LabelsSinceTraining

	rec := []string{}
	if out.Backlog.Open > 0 && len(st.ActiveReviewers) == 0 {
		rec = append(rec, fmt.Sprintf("%d items are open and no reviewer has acted in 24 h: allocate reviewers.", out.Backlog.Open))
	}
	if out.Backlog.OldestAgeSeconds > staleBacklog.Seconds() {
		rec = append(rec, fmt.Sprintf("The oldest open item has waited %s: allocate reviewers, or tighten REVIEW_THRESHOLD so fewer items are queued.",
			time.Duration(out.Backlog.OldestAgeSeconds*float64(time.Second)).Round(time.Hour)))
	}
	if n := out.Training.LabelsSinceLastRun; n >= labelsWorthTraining {
		rec = append(rec, fmt.Sprintf("%d new labels since the last training run: run `newsintel finetune` (or POST /admin/finetune).", n))
	}
	if n := out.Agreement.AwaitingAdjudication; n > 0 {
		rec = append(rec, fmt.Sprintf("%d double-reviewed items disagree and await an admin's adjudication.", n))
	}
	if a.Kappa != nil && *a.Kappa < 0.6 && a.Pairs >= 20 {
		rec = append(rec, fmt.Sprintf("Reviewer agreement is low (kappa %.2f over %d items): review the labeling guidelines.", *a.Kappa, a.Pairs))
	}
	out.Recommendations = rec
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
