package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// specCase is one real request to a running server, and what the spec
// must say of it.
type specCase struct {
	name   string
	down   bool // send to the server whose model is still loading
	method string
	path   string
	body   string
	header http.Header
	status int
	// badRequest: the request itself breaks the spec (a missing key, a
	// body or parameter outside its schema), so ValidateRequest must
	// refuse it as the server does. Otherwise ValidateRequest must pass.
	badRequest bool
	// want is a piece of the answer that shows the case exercised the
	// shape it is there for.
	want string
}

// authenticate stands in for the server's key check: the spec's schemes
// are satisfied when the request presents a key the way each names.
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header
	switch in.SecuritySchemeName {
	case "apiKey":
		if h.Get("X-API-Key") != "" {
			return nil
		}
	case "bearer":
		if strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
			return nil
		}
	}
	return errors.New("no key")
}

// TestOpenAPIValidatesRealResponses sends every JSON route real requests
// over HTTP, a success and an error for each that can fail, and checks
// each request and response against web/openapi.json with kin-openapi's
// openapi3filter (JSON Schema 2020-12 for a 3.1 document), including the
// error handler's shape and 422s naming their fields. It fails when an
// operation of the spec has no such case here.
//
// It runs on SQLite, and on Postgres too when TEST_DATABASE_URL is set:
// the answers are built from what each database returns.
func TestOpenAPIValidatesRealResponses(t *testing.T) {
	// Import uploads are files; kin-openapi reads those content types
	// as opaque bodies once told to.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/csv", openapi3filter.FileBodyDecoder)
	doc := loadSpec(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Run(t, func(t *testing.T, db *store.DB) { validateRealResponses(t, doc, router, db) })
}

func validateRealResponses(t *testing.T, doc *openapi3.T, router routers.Router, db *store.DB) {
	up := httptest.NewServer(newTestServerWith(t, testConfig(), db, &fakeEncoder{}))
	t.Cleanup(up.Close)
	down := httptest.NewServer(newTestServerWith(t, testConfig(), storetest.Open(t, store.SQLite), &fakeEncoder{readyErr: inference.ErrNotReady}))
	t.Cleanup(down.Close)

	// What the cases need to exist: model versions, a training run;
	// the first classify call below makes prediction 1 and review item 1.
	// The fake classifier's version is registered too, as made by that
	// run, so lineage answers carry the model and its run.
	ctx := context.Background()
	registerModels(t, db, "agnews-v1", "agnews-v2", "agnews-v3")
	run, err := db.StartTrainingRun(ctx, store.NewTrainingRun{TriggeredBy: store.TriggerAPI, BaseVersion: "agnews-v1"}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	err = db.RegisterModel(ctx, store.NewModelVersion{Version: "fake-v1", Encoder: "use", Labels: []string{"World", "Sports"},
		Source: store.ModelFinetune, ParentVersion: "agnews-v1", TrainingRunID: run.ID, DataHash: "abc"})
	if err != nil {
		t.Fatal(err)
	}

	key := keyHeader(newKey)
	bearer := http.Header{"Authorization": {"Bearer " + newKey.Secret}}
	idem := http.Header{"X-Api-Key": {newKey.Secret}, HeaderIdempotencyKey: {"fb-1"}}
	taxonomy := `{"topics":[{"name":"Markets","description":"prices","examples":["Stocks fell."]},{"name":"Politics"}]}`
	cases := []specCase{
		{name: "health", method: "GET", path: "/health", status: 200},
		{name: "ready", method: "GET", path: "/ready", status: 200},
		{name: "not ready", down: true, method: "GET", path: "/ready", status: 503},
		{name: "openapi", method: "GET", path: "/openapi.json", status: 200},
		{name: "metrics", method: "GET", path: "/metrics", header: key, status: 200},
		{name: "metrics as text", method: "GET", path: "/metrics", header: http.Header{"X-Api-Key": {newKey.Secret}, "Accept": {"text/plain"}}, status: 200},
		{name: "metrics without key", method: "GET", path: "/metrics", status: 401, badRequest: true},
		{name: "prometheus", method: "GET", path: "/metrics/prometheus", header: bearer, status: 200},
		{name: "prometheus wrong key", method: "GET", path: "/metrics/prometheus", header: http.Header{"X-Api-Key": {"wrong"}}, status: 401},

		{name: "embed", method: "POST", path: "/embed", body: `{"inputs":["one text","another"]}`, header: key, status: 200},
		{name: "embed one", method: "POST", path: "/embed", body: `{"inputs":"one text"}`, header: key, status: 200},
		{name: "embed nothing", method: "POST", path: "/embed", body: `{"inputs":[]}`, header: key, status: 422, badRequest: true},
		{name: "embed blank", method: "POST", path: "/embed", body: `{"inputs":["ok","  "]}`, header: key, status: 422, badRequest: true, want: `"field":"inputs[1]"`},
		{name: "embed while loading", down: true, method: "POST", path: "/embed", body: `{"inputs":"x"}`, header: key, status: 503},
		{name: "classify", method: "POST", path: "/classify_news", body: `{"id":7,"title":"Summit","text":"Leaders met.","url":"https://example.com/a","published_at":"2026-11-27"}`, header: key, status: 200},
		{name: "classify batch", method: "POST", path: "/classify_news", body: `{"articles":[{"text":"Talks resumed."},{"id":"b","description":"A late winner decided the match."}]}`, header: key, status: 200},
		{name: "classify without text", method: "POST", path: "/classify_news", body: `{"title":"Only a title"}`, header: key, status: 422, badRequest: true, want: `"field":"text"`},
		{name: "classify empty batch", method: "POST", path: "/classify_news", body: `{"articles":[]}`, header: key, status: 422, badRequest: true},
		{name: "classify unknown taxonomy", method: "POST", path: "/classify_news", body: `{"text":"x","taxonomy":"nope"}`, header: key, status: 422, want: `"field":"taxonomy"`},
		{name: "classify not json", method: "POST", path: "/classify_news", body: `text=x`, header: http.Header{"X-Api-Key": {newKey.Secret}, "Content-Type": {"application/x-www-form-urlencoded"}}, status: 415, badRequest: true},
		{name: "summarize", method: "POST", path: "/summarize", body: `{"text":"One thing happened. Then another.","max_sentences":1}`, header: key, status: 200},
		{name: "summarize blank", method: "POST", path: "/summarize", body: `{"text":"   "}`, header: key, status: 422, badRequest: true},
		{name: "summarize two controls", method: "POST", path: "/summarize", body: `{"text":"A. B.","max_sentences":1,"ratio":0.5}`, header: key, status: 422, want: `"field":"ratio"`},

		{name: "put taxonomy", method: "PUT", path: "/taxonomies/desk", body: taxonomy, header: key, status: 201},
		{name: "replace taxonomy", method: "PUT", path: "/taxonomies/desk", body: taxonomy, header: key, status: 200},
		{name: "put one topic", method: "PUT", path: "/taxonomies/desk", body: `{"topics":[{"name":"Only"}]}`, header: key, status: 422, badRequest: true, want: `"field":"topics"`},
		{name: "put bad name", method: "PUT", path: "/taxonomies/Bad%20Name", body: taxonomy, header: key, status: 422, badRequest: true},
		{name: "taxonomies", method: "GET", path: "/taxonomies", header: key, status: 200},
		{name: "taxonomies without key", method: "GET", path: "/taxonomies", status: 401, badRequest: true},
		{name: "taxonomy", method: "GET", path: "/taxonomies/desk", header: key, status: 200},
		{name: "unknown taxonomy", method: "GET", path: "/taxonomies/nope", header: key, status: 404},

		{name: "queue", method: "GET", path: "/review/queue?state=all&sort=age&limit=10", header: key, status: 200},
		{name: "queue bad limit", method: "GET", path: "/review/queue?limit=500", header: key, status: 422, badRequest: true, want: `"field":"limit"`},
		{name: "queue bad state", method: "GET", path: "/review/queue?state=lost", header: key, status: 422, badRequest: true},
		{name: "item", method: "GET", path: "/review/1", header: key, status: 200},
		{name: "unknown item", method: "GET", path: "/review/999", header: key, status: 404},
		{name: "item bad id", method: "GET", path: "/review/abc", header: key, status: 422, badRequest: true},
		{name: "claim", method: "POST", path: "/review/claim", body: `{"reviewer":"alice","n":2,"lease_seconds":600}`, header: key, status: 200},
		{name: "claimed item", method: "GET", path: "/review/2", header: key, status: 200, want: `"lease_expires_at":`},
		{name: "claim zero", method: "POST", path: "/review/claim", body: `{"n":0}`, header: key, status: 422, badRequest: true},
		{name: "claim long lease", method: "POST", path: "/review/claim", body: `{"lease_seconds":100000}`, header: key, status: 422, badRequest: true},
		{name: "skip", method: "POST", path: "/review/1/skip", body: `{"reviewer":"alice"}`, header: key, status: 200},
		{name: "skip unknown", method: "POST", path: "/review/999/skip", body: `{"reviewer":"alice"}`, header: key, status: 404},
		{name: "undo", method: "POST", path: "/review/1/undo", body: `{"reviewer":"alice"}`, header: key, status: 200},
		{name: "undo unknown", method: "POST", path: "/review/999/undo", header: key, status: 404},
		{name: "label no label", method: "POST", path: "/review/1/label", body: `{"reviewer":"alice"}`, header: key, status: 422, badRequest: true},
		{name: "label off taxonomy", method: "POST", path: "/review/1/label", body: `{"reviewer":"alice","label":"Weather"}`, header: key, status: 422, want: `"field":"label"`},
		{name: "label", method: "POST", path: "/review/1/label", body: `{"reviewer":"alice","label":"World","note":"clear"}`, header: key, status: 200},
		{name: "label unknown", method: "POST", path: "/review/999/label", body: `{"label":"World"}`, header: key, status: 404},
		{name: "bulk label another's claim", method: "POST", path: "/review/labels", body: `{"reviewer":"bob","items":[{"id":2,"label":"Sports"}]}`, header: key, status: 409},
		{name: "bulk label", method: "POST", path: "/review/labels", body: `{"reviewer":"alice","items":[{"id":2,"label":"Sports"}]}`, header: key, status: 200},
		{name: "bulk label none", method: "POST", path: "/review/labels", body: `{"items":[]}`, header: key, status: 422, badRequest: true},
		{name: "bulk label unknown", method: "POST", path: "/review/labels", body: `{"items":[{"id":999,"label":"World"}]}`, header: key, status: 404},
		{name: "active learning", method: "GET", path: "/review/active-learning", header: key, status: 200},
		{name: "active learning without key", method: "GET", path: "/review/active-learning", status: 401, badRequest: true},

		{name: "feedback", method: "POST", path: "/feedback", body: `{"prediction_id":1,"correct_label":"Sports"}`, header: idem, status: 201},
		{name: "feedback replayed", method: "POST", path: "/feedback", body: `{"correct_label":"Sports","prediction_id":1}`, header: idem, status: 200},
		{name: "feedback key reused", method: "POST", path: "/feedback", body: `{"prediction_id":1,"is_correct":false}`, header: idem, status: 409},
		{name: "feedback nothing", method: "POST", path: "/feedback", body: `{"comment":"hm"}`, header: key, status: 422, badRequest: true},
		{name: "feedback unknown", method: "POST", path: "/feedback", body: `{"prediction_id":999,"is_correct":true}`, header: key, status: 404},

		{name: "models", method: "GET", path: "/models", header: key, status: 200},
		{name: "models without key", method: "GET", path: "/models", status: 401, badRequest: true},
		{name: "promote", method: "POST", path: "/models/agnews-v3/promote", header: key, status: 200},
		{name: "promote active", method: "POST", path: "/models/agnews-v3/promote", header: key, status: 409},
		{name: "promote unknown", method: "POST", path: "/models/nope/promote", body: `{}`, header: key, status: 404},
		{name: "rollback", method: "POST", path: "/models/rollback", header: key, status: 200},
		{name: "rollback named", method: "POST", path: "/models/rollback", body: `{"to":"agnews-v2"}`, header: key, status: 200},
		{name: "rollback bad body", method: "POST", path: "/models/rollback", body: `{"to":5}`, header: key, status: 422, badRequest: true, want: `"field":"to"`},
		{name: "rollback unknown", method: "POST", path: "/models/rollback", body: `{"to":"nope"}`, header: key, status: 404},
		{name: "finetune", method: "POST", path: "/admin/finetune", body: `{"dry_run":true}`, header: key, status: 202},
		{name: "finetune bad body", method: "POST", path: "/admin/finetune", body: `{"force":"yes"}`, header: key, status: 422, badRequest: true},
		{name: "runs", method: "GET", path: "/admin/training-runs?limit=5", header: key, status: 200},
		{name: "runs bad limit", method: "GET", path: "/admin/training-runs?limit=0", header: key, status: 422, badRequest: true},
		{name: "run", method: "GET", path: "/admin/training-runs/1", header: key, status: 200},
		{name: "unknown run", method: "GET", path: "/admin/training-runs/999", header: key, status: 404},
		{name: "run bad id", method: "GET", path: "/admin/training-runs/x", header: key, status: 422, badRequest: true},
		{name: "import upload", method: "POST", path: "/imports?source=wire", body: "{\"title\":\"A\",\"text\":\"Body.\"}\n{\"title\":\"B\"}\n",
			header: http.Header{"X-Api-Key": {newKey.Secret}, "Content-Type": {"application/x-ndjson"}}, status: 202, want: `"rejected":1`},
		{name: "import csv without text column", method: "POST", path: "/imports?format=csv", body: "title,url\nA,https://x.test/\n",
			header: http.Header{"X-Api-Key": {newKey.Secret}, "Content-Type": {"text/csv"}}, status: 422, want: `"field":"body"`},
		{name: "import unknown format", method: "POST", path: "/imports?format=xml", body: "<a/>",
			header: http.Header{"X-Api-Key": {newKey.Secret}, "Content-Type": {"application/octet-stream"}}, status: 422, badRequest: true},
		{name: "import", method: "GET", path: "/imports/1", header: key, status: 200, want: `"state":"processing"`},
		{name: "unknown import", method: "GET", path: "/imports/999", header: key, status: 404},
		{name: "cancel import", method: "POST", path: "/imports/1/cancel", header: key, status: 200, want: `"state":"cancelled"`},
		{name: "cancel import again", method: "POST", path: "/imports/1/cancel", header: key, status: 409},
		{name: "cancel unknown import", method: "POST", path: "/imports/999/cancel", header: key, status: 404},
		{name: "add source", method: "POST", path: "/sources", body: `{"name":"wire","url":"https://wire.test/rss","poll_interval_seconds":600}`, header: key, status: 201, want: `"next_fetch_at"`},
		{name: "add source again", method: "POST", path: "/sources", body: `{"name":"wire","url":"https://wire.test/rss"}`, header: key, status: 409},
		{name: "add source bad url", method: "POST", path: "/sources", body: `{"name":"x","url":"ftp://wire.test/"}`, header: key, status: 422, want: `"field":"url"`},
		{name: "add source short interval", method: "POST", path: "/sources", body: `{"name":"x","url":"https://x.test/","poll_interval_seconds":5}`, header: key, status: 422, badRequest: true},
		{name: "sources", method: "GET", path: "/sources", header: key, status: 200, want: `"articles_per_day"`},
		{name: "sources without key", method: "GET", path: "/sources", status: 401, badRequest: true},
		{name: "source", method: "GET", path: "/sources/wire", header: key, status: 200},
		{name: "unknown source", method: "GET", path: "/sources/nope", header: key, status: 404},
		{name: "pause source", method: "POST", path: "/sources/wire/pause", header: key, status: 200, want: `"paused":true`},
		{name: "pause unknown source", method: "POST", path: "/sources/nope/pause", header: key, status: 404},
		{name: "resume source", method: "POST", path: "/sources/wire/resume", header: key, status: 200, want: `"paused":false`},
		{name: "resume unknown source", method: "POST", path: "/sources/nope/resume", header: key, status: 404},
		{name: "delete source", method: "DELETE", path: "/sources/wire", header: key, status: 204},
		{name: "delete unknown source", method: "DELETE", path: "/sources/wire", header: key, status: 404},
		{name: "lineage", method: "GET", path: "/predictions/1/lineage", header: key, status: 200, want: `"model_training_run":{"id":1`},
		{name: "unknown lineage", method: "GET", path: "/predictions/999/lineage", header: key, status: 404},
		{name: "lineage bad id", method: "GET", path: "/predictions/0/lineage", header: key, status: 422, badRequest: true},
		{name: "article", method: "GET", path: "/articles/1", header: key, status: 200, want: `"summary":null`},
		{name: "unknown article", method: "GET", path: "/articles/999", header: key, status: 404},
		{name: "article bad id", method: "GET", path: "/articles/abc", header: key, status: 422, badRequest: true},

		{name: "delete taxonomy", method: "DELETE", path: "/taxonomies/desk", header: key, status: 204},
		{name: "delete unknown taxonomy", method: "DELETE", path: "/taxonomies/desk", header: key, status: 404},
	}

	covered := map[string][2]bool{} // operation: a success, an error
	for _, tc := range cases {
		base := up.URL
		if tc.down {
			base = down.URL
		}
		op := checkAgainstSpec(t, router, base, tc)
		c := covered[op]
		c[0] = c[0] || tc.status < 400
		c[1] = c[1] || tc.status >= 400
		covered[op] = c
	}
	for _, op := range specOperations(doc) {
		c := covered[op]
		if !c[0] {
			t.Errorf("%s: no successful request validated against the spec", op)
		}
		method, path, _ := strings.Cut(op, " ")
		if canFail(doc.Paths.Value(path).GetOperation(method).Responses.Map()) && !c[1] {
			t.Errorf("%s: no failing request validated against the spec", op)
		}
	}
}

// canFail reports whether an operation documents a client error.
func canFail(responses map[string]*openapi3.ResponseRef) bool {
	for status := range responses {
		if strings.HasPrefix(status, "4") {
			return true
		}
	}
	return false
}

// checkAgainstSpec sends tc to base, checks the status, and validates the
// request and the response against the spec. It returns the operation,
// "METHOD /path/{param}".
func checkAgainstSpec(t *testing.T, router routers.Router, base string, tc specCase) string {
	t.Helper()
	newReq := func() *http.Request {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		req, err := http.NewRequest(tc.method, base+tc.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, vs := range tc.header {
			req.Header[http.CanonicalHeaderKey(k)] = vs
		}
		return req
	}

	// The router finds the operation by the path alone, so a parameter
	// the spec refuses still names its operation.
	req := newReq()
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s: %s %s has no operation in the spec: %v", tc.name, tc.method, tc.path, err)
	}
	op := tc.method + " " + route.Path
	opts := &openapi3filter.Options{AuthenticationFunc: authenticate, SkipSettingDefaults: true, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	switch {
	case tc.badRequest && reqErr == nil:
		t.Errorf("%s: the spec accepts %s %s %s, which the server refuses with %d", tc.name, tc.method, tc.path, tc.body, tc.status)
	case !tc.badRequest && reqErr != nil:
		t.Errorf("%s: the spec refuses the request: %v", tc.name, reqErr)
	}

	resp, err := http.DefaultClient.Do(newReq())
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != tc.status {
		t.Errorf("%s: %s %s answered %d, want %d: %s", tc.name, tc.method, tc.path, resp.StatusCode, tc.status, body)
		return op
	}
	if !strings.Contains(string(body), tc.want) {
		t.Errorf("%s: the answer lacks %s: %s", tc.name, tc.want, truncate(body))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s: the %d answer to %s %s does not match the spec: %v\n%s", tc.name, resp.StatusCode, tc.method, tc.path, err, truncate(body))
	}
	return op
}

func truncate(b []byte) string {
	if len(b) > 600 {
		return fmt.Sprintf("%s… (%d bytes)", b[:600], len(b))
	}
	return string(bytes.TrimSpace(b))
}

// TestOpenAPIValidatorEnforces31Keywords pins the reason kin-openapi fits:
// for a 3.1 document openapi3filter validates with JSON Schema 2020-12, so
// 3.1-only keywords such as const constrain answers, instead of being
// ignored as unknown 3.0 keywords.
func TestOpenAPIValidatorEnforces31Keywords(t *testing.T) {
	router, err := legacy.NewRouter(loadSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "/embed", strings.NewReader(`{"inputs":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatal(err)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: authenticate, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{`{"error":{"code":"validation_failed","message":"m","request_id":"r","details":[{"field":"inputs","message":"empty"}]}}`, true},
		{`{"error":{"code":"not_found","message":"m","request_id":"r","details":[{"field":"inputs","message":"empty"}]}}`, false},
		{`{"error":{"code":"validation_failed","message":"m","request_id":"r","details":[]}}`, false},
		{`{"error":{"code":"validation_failed","message":"m","request_id":"r"}}`, false},
	} {
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: http.StatusUnprocessableEntity,
			Header: http.Header{"Content-Type": {"application/json"}}, Options: opts}
		out.SetBodyBytes([]byte(tc.body))
		if err := openapi3filter.ValidateResponse(context.Background(), out); (err == nil) != tc.ok {
			t.Errorf("a 422 of %s: validation error %v, want ok=%v", tc.body, err, tc.ok)
		}
	}
}
