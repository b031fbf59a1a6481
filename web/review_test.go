package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// reviewServer returns a server over a database with n queued items
// (Sports/World predictions), and their ids by priority.
func reviewServer(t *testing.T, n int) (*testServer, []int64) {
	t.Helper()
	db := storetest.Open(t, store.SQLite)
	var cs []store.Classification
	for i := range n {
		cs = append(cs, store.Classification{
			Article: store.NewArticle{Title: fmt.Sprintf("Story %d", i), Body: "Body.", Source: "wire"},
			Prediction: store.NewPrediction{ModelVersion: "fake-v1", Label: "World", Confidence: 0.5,
				Scores: map[string]float64{"World": 0.5, "Sports": 0.5}},
			Review: &store.ReviewRequest{Reason: "least_confidence", Priority: 1 / float64(i+1), Uncertainty: 0.5},
		})
	}
	if _, err := db.RecordClassifications(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
	page, err := db.ReviewQueue(context.Background(), store.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, it := range page.Items {
		ids = append(ids, it.ID)
	}
	return newTestServerWith(t, testConfig(), db, &fakeEncoder{}), ids
}

func jsonHeader(k APIKey) http.Header {
	h := keyHeader(k)
	h.Set("Content-Type", "application/json")
	return h
}

func decodeTo[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return v
}

func TestReviewQueueHandler(t *testing.T) {
	s, ids := reviewServer(t, 3)
	rec := s.do(t, http.MethodGet, "/review/queue?limit=2&source=wire", nil, keyHeader(oldKey))
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	page := decodeTo[QueuePageJSON](t, rec.Body.Bytes())
	if len(page.Items) != 2 || page.NextCursor == "" || page.Items[0].ID != ids[0] || page.Items[0].Scores["World"] != 0.5 {
		t.Fatalf("page %+v", page)
	}
	rec = s.do(t, http.MethodGet, "/review/queue?limit=2&cursor="+page.NextCursor, nil, keyHeader(oldKey))
	if next := decodeTo[QueuePageJSON](t, rec.Body.Bytes()); len(next.Items) != 1 || next.Items[0].ID != ids[2] || next.NextCursor != "" {
		t.Fatalf("second page %+v", next)
	}

	for _, tc := range []struct {
		query string
		field string
	}{
		{"limit=ten", "limit"},
		{"limit=0", ""},
		{"from=yesterday", "from"},
		{"sort=random", "sort"},
		{"cursor=zzz", "cursor"},
		{"from=2026-11-02&to=2026-11-01", "to"},
	} {
		rec := s.do(t, http.MethodGet, "/review/queue?"+tc.query, nil, keyHeader(oldKey))
		if tc.field == "" {
			if rec.Code != http.StatusOK {
				t.Errorf("%s: %d", tc.query, rec.Code)
			}
			continue
		}
		if rec.Code != http.StatusUnprocessableEntity || errorOf(t, rec).Error.Details[0].Field != tc.field {
			t.Errorf("%s: %d %s, want 422 on %s", tc.query, rec.Code, rec.Body, tc.field)
		}
	}
}

func TestReviewClaimLabelSkipUndo(t *testing.T) {
	s, ids := reviewServer(t, 3)
	h := jsonHeader(oldKey)
	post := func(path, body string) (int, []byte) {
		rec := s.do(t, http.MethodPost, path, strings.NewReader(body), h)
		return rec.Code, rec.Body.Bytes()
	}

	code, body := post("/review/claim", `{"reviewer":"ann@example.com","n":2}`)
	claimed := decodeTo[ClaimResponse](t, body)
	if code != http.StatusOK || len(claimed.Items) != 2 || claimed.Items[0].ClaimedBy != "ann@example.com" || claimed.Items[0].LeaseExpiresAt == nil {
		t.Fatalf("claim: %d %s", code, body)
	}
	first := fmt.Sprintf("/review/%d", ids[0])

	for _, tc := range []struct {
		name   string
		path   string
		body   string
		status int
		check  func(t *testing.T, body []byte)
	}{
		{"label", first + "/label", `{"label":"Sports","reviewer":"ann@example.com"}`, http.StatusOK, func(t *testing.T, b []byte) {
			if r := decodeTo[LabelResultJSON](t, b); !r.Final || r.Replayed || r.State != store.StateLabeled || r.RequestID == "" {
				t.Errorf("label result %+v", r)
			}
		}},
		{"retry is a replay", first + "/label", `{"label":"Sports","reviewer":"ann@example.com"}`, http.StatusOK, func(t *testing.T, b []byte) {
			if r := decodeTo[LabelResultJSON](t, b); !r.Replayed {
				t.Errorf("retry %+v", r)
			}
		}},
		{"another label conflicts", first + "/label", `{"label":"World","reviewer":"ann@example.com"}`, http.StatusConflict, func(t *testing.T, b []byte) {
			if !strings.Contains(string(b), "undo that first") {
				t.Errorf("conflict does not say what to do: %s", b)
			}
		}},
		{"label outside the taxonomy", fmt.Sprintf("/review/%d/label", ids[1]), `{"label":"Politics","reviewer":"ann@example.com"}`, http.StatusUnprocessableEntity, fieldIs("label")},
		{"label of wrong type", fmt.Sprintf("/review/%d/label", ids[1]), `{"label":3}`, http.StatusUnprocessableEntity, fieldIs("label")},
		{"unknown item", "/review/999999/label", `{"label":"World","reviewer":"ann@example.com"}`, http.StatusNotFound, nil},
		{"bad id", "/review/abc/label", `{"label":"World"}`, http.StatusUnprocessableEntity, fieldIs("id")},
		{"claim of zero", "/review/claim", `{"n":0}`, http.StatusUnprocessableEntity, fieldIs("n")},
		{"claim with a silly lease", "/review/claim", `{"n":1,"lease_seconds":-5}`, http.StatusUnprocessableEntity, fieldIs("lease_seconds")},
		{"claim with a lease that overflows", "/review/claim", `{"n":1,"lease_seconds":36028797018967568}`, http.StatusUnprocessableEntity, fieldIs("lease_seconds")},
		{"skip, reviewer from the key", fmt.Sprintf("/review/%d/skip", ids[2]), ``, http.StatusOK, func(t *testing.T, b []byte) {
			if r := decodeTo[ActionResultJSON](t, b); r.State != store.StatePending {
				t.Errorf("skip %+v", r)
			}
		}},
		{"undo the skip", fmt.Sprintf("/review/%d/undo", ids[2]), `{}`, http.StatusOK, func(t *testing.T, b []byte) {
			if r := decodeTo[ActionResultJSON](t, b); r.Undone != "skip" || r.State != store.StateClaimed {
				t.Errorf("undo %+v", r)
			}
		}},
		{"nothing more to undo", fmt.Sprintf("/review/%d/undo", ids[2]), `{}`, http.StatusConflict, nil},
		{"bulk with a bad label", "/review/labels", fmt.Sprintf(`{"reviewer":"ann@example.com","items":[{"id":%d,"label":"World"},{"id":%d,"label":"?"}]}`, ids[1], ids[2]), http.StatusUnprocessableEntity, fieldIs("items[1].label")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(tc.path, tc.body)
			if code != tc.status {
				t.Fatalf("%d %s, want %d", code, body, tc.status)
			}
			if tc.check != nil {
				tc.check(t, body)
			}
		})
	}

	// ids[1] is still ann's claim (the failed bulk label stored nothing),
	// so a bulk label under the key's own name conflicts, and ann's
	// succeeds.
	code, body = post("/review/labels", fmt.Sprintf(`{"items":[{"id":%d,"label":"World"},{"id":%d,"label":"Sports"}]}`, ids[1], ids[2]))
	if code != http.StatusConflict {
		t.Fatalf("bulk over ann's claims: %d %s", code, body)
	}
	code, body = post("/review/labels", fmt.Sprintf(`{"reviewer":"ann@example.com","items":[{"id":%d,"label":"World"}]}`, ids[1]))
	if r := decodeTo[BulkLabelResponse](t, body); code != http.StatusOK || len(r.Results) != 1 || !r.Results[0].Final {
		t.Fatalf("bulk: %d %s", code, body)
	}
}

func fieldIs(field string) func(t *testing.T, b []byte) {
	return func(t *testing.T, b []byte) {
		var body errorBody
		if err := json.Unmarshal(b, &body); err != nil || len(body.Error.Details) == 0 || body.Error.Details[0].Field != field {
			t.Errorf("want a 422 on %s, got %s", field, b)
		}
	}
}

func TestActiveLearningHandler(t *testing.T) {
	s, ids := reviewServer(t, 2)
	h := jsonHeader(oldKey)
	s.do(t, http.MethodPost, fmt.Sprintf("/review/%d/label", ids[0]), strings.NewReader(`{"label":"Sports","reviewer":"a@x.org"}`), h)
	rec := s.do(t, http.MethodGet, "/review/active-learning", nil, h)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	al := decodeTo[ActiveLearningJSON](t, rec.Body.Bytes())
	if al.Counts.ByState[store.StateLabeled] != 1 || al.Counts.ByState[store.StatePending] != 1 || al.Backlog.Open != 1 ||
		al.Counts.ByLabel["Sports"] != 1 || al.Strategy != "least_confidence" || al.Training.LabelsSinceLastRun != 1 ||
		len(al.Reviewers.Active24h) != 1 || al.LabelsPerDay[len(al.LabelsPerDay)-1].Count != 1 || al.Backlog.OldestPendingAt == nil {
		t.Fatalf("active learning: %s", rec.Body)
	}
	if al.Agreement.Kappa != nil || al.Recommendations == nil {
		t.Fatalf("agreement/recommendations: %s", rec.Body)
	}
}
