package web

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSummarizeRoute(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"plain", `{"text":"First one. Second one."}`, 200, ""},
		{"with title and ratio", `{"title":"T","text":"First one. Second one.","ratio":0.5}`, 200, ""},
		{"empty text", `{"text":""}`, 422, "text"},
		{"missing text", `{"title":"only"}`, 422, "text"},
		{"two length controls", `{"text":"a. b.","max_sentences":2,"max_words":10}`, 422, "max_words"},
		{"ratio out of range", `{"text":"a. b.","ratio":1.5}`, 422, "ratio"},
		{"negative sentences", `{"text":"a. b.","max_sentences":-1}`, 422, "max_sentences"},
		{"wrong type", `{"text":"a","max_words":"ten"}`, 422, "max_words"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, testConfig())
			rec := s.do(t, "POST", "/summarize", strings.NewReader(tc.body), keyHeader(newKey))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == 422 {
				if d := errorOf(t, rec).Error.Details; len(d) == 0 || d[0].Field != tc.field {
					t.Fatalf("details %+v, want field %q", d, tc.field)
				}
				return
			}
			var res SummarizeResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if res.Summary != "First one" || len(res.Sentences) != 1 || res.ModelVersion != "fake-sum" || res.RequestID == "" || res.ArticleSentences != 2 {
				t.Fatalf("response %+v", res)
			}
		})
	}
}
