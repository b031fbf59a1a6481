package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestFeedbackHandler(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	rec, err := db.RecordClassifications(context.Background(), []store.Classification{{
		Article: store.NewArticle{Title: "Cup", Body: "Won."},
		Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: "Sports", Confidence: 0.9,
			Scores: map[string]float64{"Sports": 0.9, "World": 0.1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServerWith(t, testConfig(), db, &fakeEncoder{})
	send := func(body, idem string) (int, http.Header, []byte) {
		h := jsonHeader(oldKey)
		if idem != "" {
			h.Set(HeaderIdempotencyKey, idem)
		}
		r := s.do(t, http.MethodPost, "/feedback", strings.NewReader(body), h)
		return r.Code, r.Header(), r.Body.Bytes()
	}
	pred := `"prediction_id":` + strconv.FormatInt(rec[0].PredictionID, 10)

	code, _, body := send(`{`+pred+`,"correct_label":"World","comment":"about diplomacy"}`, "fb-1")
	first := decodeTo[FeedbackJSON](t, body)
	if code != http.StatusCreated || first.Label != "World" || first.ArticleID != rec[0].ArticleID || first.Replayed || first.RequestID == "" {
		t.Fatalf("first: %d %s", code, body)
	}
	// The same request again, keys reordered: a replay of the first.
	code, hdr, body := send(`{"comment":"about diplomacy","correct_label":"World",`+pred+`}`, "fb-1")
	again := decodeTo[FeedbackJSON](t, body)
	if code != http.StatusOK || hdr.Get(HeaderReplayed) != "true" || again.ID != first.ID || !again.Replayed || again.RequestID != first.RequestID {
		t.Fatalf("replay: %d %v %s", code, hdr, body)
	}
	if code, _, body := send(`{`+pred+`,"correct_label":"Sports"}`, "fb-1"); code != http.StatusConflict || !strings.Contains(string(body), "different request body") {
		t.Fatalf("reused key: %d %s", code, body)
	}
	if code, _, body := send(`{`+pred+`,"is_correct":true}`, ""); code != http.StatusCreated || decodeTo[FeedbackJSON](t, body).Label != "Sports" {
		t.Fatalf("confirmation: %d %s", code, body)
	}

	for _, tc := range []struct {
		name, body string
		status     int
		field      string
	}{
		{"no target", `{"comment":"x"}`, http.StatusUnprocessableEntity, "article_id"},
		{"nothing said", `{` + pred + `}`, http.StatusUnprocessableEntity, "correct_label"},
		{"foreign label", `{` + pred + `,"correct_label":"Politics"}`, http.StatusUnprocessableEntity, "correct_label"},
		{"wrong type", `{` + pred + `,"is_correct":"yes"}`, http.StatusUnprocessableEntity, "is_correct"},
		{"unknown prediction", `{"prediction_id":424242,"comment":"x"}`, http.StatusNotFound, ""},
	} {
		code, _, body := send(tc.body, "")
		if code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.status)
			continue
		}
		if tc.field != "" {
			fieldIs(tc.field)(t, body)
		}
	}
}
