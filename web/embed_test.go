package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference"
)

func TestEmbed(t *testing.T) {
	long := strings.Repeat("x", maxFakeTokens+1)
	many := func(n int) string {
		return `{"inputs":[` + strings.TrimSuffix(strings.Repeat(`"a",`, n), ",") + `]}`
	}
	cases := []struct {
		name      string
		body      string
		status    int
		field     string
		wantRows  int
		truncated []bool
	}{
		{"list", `{"inputs":["hello","world!"]}`, 200, "", 2, []bool{false, false}},
		{"single string", `{"inputs":"hello"}`, 200, "", 1, []bool{false}},
		{"long input flagged", `{"inputs":["short","` + long + `"]}`, 200, "", 2, []bool{false, true}},
		{"exactly the limit", many(maxEmbedInputs), 200, "", maxEmbedInputs, nil},
		{"over the limit", many(maxEmbedInputs + 1), 422, "inputs", 0, nil},
		{"missing inputs", `{}`, 422, "inputs", 0, nil},
		{"null inputs", `{"inputs":null}`, 422, "inputs", 0, nil},
		{"empty list", `{"inputs":[]}`, 422, "inputs", 0, nil},
		{"empty text", `{"inputs":["ok",""]}`, 422, "inputs[1]", 0, nil},
		{"blank text", `{"inputs":["  \n"]}`, 422, "inputs[0]", 0, nil},
		{"wrong type", `{"inputs":[1,2]}`, 422, "inputs[0]", 0, nil},
		{"object", `{"inputs":{"a":1}}`, 422, "inputs", 0, nil},
		{"invalid utf-8", "{\"inputs\":[\"caf\xe9\"]}", 422, "", 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			enc := &fakeEncoder{}
			s := newTestServerWith(t, testConfig(), &failingStoreOK{}, enc)
			h := keyHeader(newKey)
			h.Set("Content-Type", "application/json")
			rec := s.do(t, "POST", "/embed", strings.NewReader(tc.body), h)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != 200 {
				body := errorOf(t, rec)
				if len(body.Error.Details) == 0 || body.Error.Details[0].Field != tc.field {
					t.Fatalf("details %+v, want field %q", body.Error.Details, tc.field)
				}
				if enc.calls != 0 {
					t.Fatal("the encoder ran for an invalid request")
				}
				return
			}
			var res EmbedResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil {
				t.Fatal(err)
			}
			if len(res.Embeddings) != tc.wantRows || len(res.Truncated) != tc.wantRows || res.Model != "fake-encoder" {
				t.Fatalf("response: %d rows, %d flags, model %q", len(res.Embeddings), len(res.Truncated), res.Model)
			}
			for i, row := range res.Embeddings {
				if row[1] != float32(i) {
					t.Fatalf("row %d came back out of order: %v", i, row)
				}
			}
			if tc.truncated != nil && fmt.Sprint(res.Truncated) != fmt.Sprint(tc.truncated) {
				t.Fatalf("truncated %v, want %v", res.Truncated, tc.truncated)
			}
		})
	}
}

func TestEmbedWhileModelLoads(t *testing.T) {
	s := newTestServerWith(t, testConfig(), &failingStoreOK{}, &fakeEncoder{readyErr: inference.ErrNotReady})
	h := keyHeader(newKey)
	rec := s.do(t, "POST", "/embed", strings.NewReader(`{"inputs":["x"]}`), h)
	if rec.Code != http.StatusServiceUnavailable || errorOf(t, rec).Error.Code != "model_loading" {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
	rec = s.do(t, "GET", "/ready", nil, nil)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"model":{"ok":false,"message":"the model is loading"}`) {
		t.Fatalf("/ready while loading: %d %s", rec.Code, rec.Body)
	}

	failed := newTestServerWith(t, testConfig(), &failingStoreOK{}, &fakeEncoder{readyErr: fmt.Errorf("load: %w", errSecretPath)})
	rec = failed.do(t, "GET", "/ready", nil, nil)
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "/secret") {
		t.Fatalf("/ready after a failed load: %d %s", rec.Code, rec.Body)
	}
	rec = failed.do(t, "POST", "/embed", strings.NewReader(`{"inputs":["x"]}`), h)
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "/secret") {
		t.Fatalf("/embed after a failed load: %d %s", rec.Code, rec.Body)
	}
}

var errSecretPath = fmt.Errorf("open /secret/models/x: permission denied")

func TestEmbedOverloaded(t *testing.T) {
	s := newTestServerWith(t, testConfig(), &failingStoreOK{}, &overloadedEncoder{})
	rec := s.do(t, "POST", "/embed", strings.NewReader(`{"inputs":["x"]}`), keyHeader(newKey))
	if rec.Code != http.StatusTooManyRequests || errorOf(t, rec).Error.Code != "overloaded" {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

// overloadedEncoder is ready but its queue is always full.
type overloadedEncoder struct{ fakeEncoder }

func (*overloadedEncoder) Encode(context.Context, []string) ([]inference.Embedding, error) {
	return nil, inference.ErrOverloaded
}
