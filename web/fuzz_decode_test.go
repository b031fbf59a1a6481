package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// requestBodies makes an empty value of each JSON request body the API
// decodes, in a fixed order FuzzDecodeRequest indexes.
var requestBodies = []func() any{
	func() any { return new(classifyRequest) },
	func() any { return new(summarizeRequest) },
	func() any { return new(embedRequest) },
	func() any { return new(feedbackRequest) },
	func() any { return new(claimRequest) },
	func() any { return new(labelRequest) },
	func() any { return new(bulkLabelRequest) },
	func() any { return new(actionRequest) },
	func() any { return new(promoteRequest) },
	func() any { return new(rollbackRequest) },
	func() any { return new(finetuneBody) },
	func() any { return new(putTaxonomyRequest) },
	func() any { return new(sourceRequest) },
}

// FuzzDecodeRequest fuzzes decodeJSON and each body's Validate directly,
// without the store: the handler targets (fuzz_test.go) cover the whole
// path but run a few thousand inputs a second; this one reaches 10^6
// inputs in minutes. A refusal must map to 413, 415 or 422, never 500.
func FuzzDecodeRequest(f *testing.F) {
	seeds := []string{
		`{"title":"Cup","text":"The match ended.","id":7,"published_at":"2026-11-27"}`,
		`{"text":"a. b. c.","sentences":2}`, `{"inputs":["a",""]}`, `{"prediction_id":1,"is_correct":false}`,
		`{"n":2,"lease_seconds":60}`, `{"label":"World"}`, `{"items":[{"id":1,"label":"x"}]}`, `{"reviewer":"ana"}`,
		`{"override":true,"reason":"r"}`, `{"to":"v1"}`, `{"force":true}`, `{"topics":[{"name":"A","description":"d"}]}`,
		`{"name":"wire","url":"https://wire.test/rss","poll_interval_seconds":600,"taxonomy":"t"}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
		f.Add(uint8(i), []byte(`{"x":1} []`))
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		v := requestBodies[int(kind)%len(requestBodies)]()
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		err := decodeJSON(e.NewContext(req, httptest.NewRecorder()), v)
		if err == nil {
			return
		}
		ce := classifyError(err)
		if ce.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%T from %q: status %d (%v), want 422", v, body, ce.Status, err)
		}
		var eb errorBody
		eb.Error.Code, eb.Error.Message, eb.Error.Details = ce.Code, ce.Message, ce.Details
		resp, _ := json.Marshal(eb)
		checkAnswer(t, "decode", fmt.Sprintf("%T", v), body, ce.Status, resp)
	})
}
