package web

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/ingest"
)

func TestClassifyNewsValidation(t *testing.T) {
	many := `{"articles":[` + strings.TrimSuffix(strings.Repeat(`{"text":"a"},`, maxClassifyArticles+1), ",") + `]}`
	cases := []struct {
		name   string
		body   string
		field  string
		status int
	}{
		{"text", `{"title":"Cup","text":"The match ended 2-1."}`, "", 200},
		{"description", `{"title":"Cup","description":"The match ended 2-1."}`, "", 200},
		{"no title", `{"text":"The match ended."}`, "", 200},
		{"numeric id", `{"id":42,"text":"x y"}`, "", 200},
		{"date only", `{"text":"x","published_at":"2026-11-27"}`, "", 200},
		{"both bodies", `{"text":"a","description":"b"}`, "text", 422},
		{"no body", `{"title":"Only a title"}`, "text", 422},
		{"blank text", `{"text":"   "}`, "text", 422},
		{"blank description", `{"description":""}`, "description", 422},
		{"bad url", `{"text":"x","url":"not a url"}`, "url", 422},
		{"ftp url", `{"text":"x","url":"ftp://host/x"}`, "url", 422},
		{"bad time", `{"text":"x","published_at":"yesterday"}`, "published_at", 422},
		{"id object", `{"text":"x","id":{"a":1}}`, "id", 422},
		{"wrong type", `{"text":42}`, "text", 422},
		{"empty batch", `{"articles":[]}`, "articles", 422},
		{"article and batch", `{"text":"x","articles":[{"text":"y"}]}`, "articles", 422},
		{"batch too big", many, "articles", 422},
		{"bad article in batch", `{"articles":[{"text":"ok"},{"text":""}]}`, "articles[1].text", 422},
		{"unknown taxonomy", `{"text":"x","taxonomy":"nope"}`, "taxonomy", 422},
		{"long title", `{"text":"x","title":"` + strings.Repeat("t", ingest.MaxTitleChars+1) + `"}`, "title", 422},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, testConfig())
			h := keyHeader(newKey)
			rec := s.do(t, "POST", "/classify_news", strings.NewReader(tc.body), h)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == 422 {
				if d := errorOf(t, rec).Error.Details; len(d) == 0 || d[0].Field != tc.field {
					t.Fatalf("details %+v, want field %q", d, tc.field)
				}
			}
		})
	}
}

func TestClassifyNewsPersistsAndQueues(t *testing.T) {
	s := newTestServer(t, testConfig())
	h := keyHeader(newKey)
	h.Set(HeaderRequestID, "req-classify-1")

	rec := s.do(t, "POST", "/classify_news", strings.NewReader(
		`{"id":"a1","title":"Cup final","text":"The match ended 2-1.","url":"https://n.example/1","source":"wire","published_at":"2026-11-27T09:30:00Z"}`), h)
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var one ClassifyResult
	json.Unmarshal(rec.Body.Bytes(), &one)
	if one.Topic != "Sports" || one.Confidence != 0.9 || one.ReviewQueued || one.ArticleID == 0 || one.PredictionID == 0 ||
		one.RequestID != "req-classify-1" || one.ID != "a1" || one.ModelVersion != "fake-v1" || len(one.Scores) != 2 {
		t.Fatalf("single: %+v", one)
	}

	rec = s.do(t, "POST", "/classify_news", strings.NewReader(`{"articles":[
		{"title":"Cup final","text":"The match ended 2-1."},
		{"title":"Talks","text":"Diplomats met again."},
		{"title":"Long","text":"`+strings.Repeat("w", maxFakeTokens+5)+`"}]}`), keyHeader(newKey))
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	var batch ClassifyBatchResponse
	json.Unmarshal(rec.Body.Bytes(), &batch)
	if len(batch.Results) != 3 || batch.ModelVersion != "fake-v1" || batch.RequestID == "" {
		t.Fatalf("batch: %+v", batch)
	}
	r := batch.Results
	if !r[0].Duplicate || r[0].ArticleID != one.ArticleID {
		t.Errorf("the repeated article was not recognised: %+v", r[0])
	}
	if r[1].Topic != "World" || !r[1].ReviewQueued || r[1].Duplicate {
		t.Errorf("uncertain article: %+v", r[1])
	}
	if !r[2].Truncated || r[0].Truncated {
		t.Errorf("truncation flags: %v %v", r[0].Truncated, r[2].Truncated)
	}

	snap, _ := s.metrics.Snapshot()
	counts := map[string]float64{}
	for _, p := range snap.Predictions {
		counts[p.Topic] = p.Count
	}
	if counts["Sports"] != 2 || counts["World"] != 2 {
		t.Errorf("prediction counts %v", counts)
	}

	rec = s.do(t, "POST", "/classify_news", strings.NewReader(`{"text":"A match report.","taxonomy":"desk"}`), keyHeader(newKey))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"model_version":"zeroshot:desk@1"`) {
		t.Fatalf("taxonomy: %d %s", rec.Code, rec.Body)
	}
}
