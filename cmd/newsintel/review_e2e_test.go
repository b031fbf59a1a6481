package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/newsintel/newsintel/store/storetest"
)

// The learning loop through the real program: uncertain predictions are
// queued, a reviewer claims and labels them (with an undo), a client
// sends feedback twice under one Idempotency-Key, and the diagnostic
// counts it all. Runs on both databases.
func TestReviewLoop(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			s := startServer(t, map[string]string{"DB_URL": storetest.URL(t, d), "API_KEYS": testKey,
				// Queue everything, and claim for diversity.
				"REVIEW_STRATEGY": "diversity", "REVIEW_THRESHOLD": "1", "REVIEW_DOUBLE": "0"})
			waitReady(t, s.URL)
			auth := http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}}
			res, body := post(t, s.URL+"/classify_news", `{"articles":[
				{"title":"Striker scores twice as United beat City","text":"The home side won the derby."},
				{"title":"Striker scores twice as United beat Villa","text":"The home side won again."},
				{"title":"Oil prices climb as OPEC cuts output","text":"Brent crude rose 3%."},
				{"title":"New chip doubles battery life","text":"The phone maker unveiled a processor."}]}`, auth)
			var cls struct {
				Results []struct {
					PredictionID int64 `json:"prediction_id"`
					ReviewQueued bool  `json:"review_queued"`
				} `json:"results"`
			}
			if err := json.Unmarshal(body, &cls); res.StatusCode != 200 || err != nil || !cls.Results[0].ReviewQueued {
				t.Fatalf("/classify_news: %d %s", res.StatusCode, body)
			}

			res, body = post(t, s.URL+"/review/claim", `{"reviewer":"ann@example.com","n":3}`, auth)
			var claim struct {
				Items []struct {
					ID     int64              `json:"id"`
					Title  string             `json:"title"`
					Scores map[string]float64 `json:"scores"`
				} `json:"items"`
			}
			if err := json.Unmarshal(body, &claim); res.StatusCode != 200 || err != nil || len(claim.Items) != 3 || len(claim.Items[0].Scores) != 4 {
				t.Fatalf("claim: %d %s", res.StatusCode, body)
			}
			id := claim.Items[0].ID
			label := fmt.Sprintf("%s/review/%d/label", s.URL, id)
			if res, body := post(t, label, `{"reviewer":"ann@example.com","label":"Sports"}`, auth); res.StatusCode != 200 {
				t.Fatalf("label: %d %s", res.StatusCode, body)
			}
			if res, body := post(t, fmt.Sprintf("%s/review/%d/undo", s.URL, id), `{"reviewer":"ann@example.com"}`, auth); res.StatusCode != 200 {
				t.Fatalf("undo: %d %s", res.StatusCode, body)
			}
			if res, body := post(t, label, `{"reviewer":"ann@example.com","label":"World"}`, auth); res.StatusCode != 200 {
				t.Fatalf("relabel: %d %s", res.StatusCode, body)
			}

			fb := fmt.Sprintf(`{"prediction_id":%d,"correct_label":"Business"}`, cls.Results[2].PredictionID)
			idem := http.Header{"X-Api-Key": auth["X-Api-Key"], "Idempotency-Key": {"fb-e2e"}}
			if res, body := post(t, s.URL+"/feedback", fb, idem); res.StatusCode != 201 {
				t.Fatalf("feedback: %d %s", res.StatusCode, body)
			}
			if res, body := post(t, s.URL+"/feedback", fb, idem); res.StatusCode != 200 || res.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("feedback retry: %d %s", res.StatusCode, body)
			}

			res, body = get(t, s.URL+"/review/active-learning", auth)
			var al struct {
				Counts struct {
					ByState map[string]int `json:"by_state"`
					ByLabel map[string]int `json:"by_label"`
				} `json:"counts"`
				Strategy string `json:"strategy"`
				Feedback int    `json:"feedback"`
				Training struct {
					LabelsSinceLastRun int `json:"labels_since_last_run"`
				} `json:"training"`
			}
			if err := json.Unmarshal(body, &al); res.StatusCode != 200 || err != nil {
				t.Fatalf("active-learning: %d %s", res.StatusCode, body)
			}
			// One review label (the undone one is retracted) and one
			// feedback label.
			if al.Counts.ByState["labeled"] != 1 || al.Counts.ByState["claimed"] != 2 || al.Counts.ByState["pending"] != 1 ||
				al.Counts.ByLabel["World"] != 1 || al.Strategy != "diversity" || al.Feedback != 1 || al.Training.LabelsSinceLastRun != 2 {
				t.Fatalf("active-learning: %s", body)
			}
		})
	}
}
