package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestImportUpload sends uploads of each kind through the whole
// middleware chain: staged rows are counted by outcome, bad uploads are
// refused with the offending field, and GET /imports/:id reports them.
func TestImportUpload(t *testing.T) {
	s := newTestServer(t, testConfig())
	hdr := func(ct string) http.Header {
		h := keyHeader(newKey)
		h.Set("Content-Type", ct)
		return h
	}
	cases := []struct {
		name     string
		target   string
		ct       string
		body     string
		status   int
		field    string // of a 422
		rows     int
		rejected int
	}{
		{"jsonl", "/imports?source=wire&name=day.jsonl", "application/x-ndjson",
			`{"title":"A","text":"Body a."}` + "\n\n" + `{"title":"B","description":"Body b.","published_at":"2026-11-02"}` + "\n" + `{"title":"C"}` + "\n", 202, "", 3, 1},
		{"csv by format", "/imports?format=csv", "application/octet-stream", "title,text,url\nA,Body a,https://x.test/a\nB,,\n", 202, "", 2, 1},
		{"headerless csv", "/imports?format=csv&columns=label,title,description", "text/csv", "1,A,Body a\n2,B,Body b\n", 202, "", 2, 0},
		{"no format", "/imports", "application/octet-stream", "x", 422, "format", 0, 0},
		{"unknown taxonomy", "/imports?taxonomy=nope", "application/x-ndjson", `{"text":"x"}`, 422, "taxonomy", 0, 0},
		{"csv without text", "/imports", "text/csv", "title\nA\n", 422, "body", 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := s.do(t, "POST", tc.target, strings.NewReader(tc.body), hdr(tc.ct))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == 422 {
				if d := errorOf(t, rec).Error.Details; len(d) == 0 || d[0].Field != tc.field {
					t.Fatalf("details %+v, want field %q", d, tc.field)
				}
				return
			}
			var im ImportJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &im); err != nil {
				t.Fatal(err)
			}
			if im.Rows != tc.rows || im.Rejected != tc.rejected || im.Pending != tc.rows-tc.rejected || im.State != "processing" {
				t.Fatalf("import %+v; want %d rows, %d rejected, the rest pending", im, tc.rows, tc.rejected)
			}
			get := s.do(t, "GET", "/imports/"+jsonNumber(im.ID), nil, keyHeader(newKey))
			var again ImportJSON
			if get.Code != 200 || json.Unmarshal(get.Body.Bytes(), &again) != nil || again.ID != im.ID || again.Rows != im.Rows {
				t.Fatalf("GET /imports/%d: %d %s", im.ID, get.Code, get.Body)
			}
		})
	}
	if rec := s.do(t, "POST", "/imports?format=jsonl", strings.NewReader(`{"text":"x"}`), nil); rec.Code != 401 {
		t.Errorf("upload without a key: %d, want 401", rec.Code)
	}
	if rec := s.do(t, "GET", "/imports/424242", nil, keyHeader(newKey)); rec.Code != 404 {
		t.Errorf("unknown import: %d, want 404", rec.Code)
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestImportCancel cancels imports in each state through the whole
// middleware chain: an import still processing ends cancelled with its
// pending rows rejected as "cancelled" and its counts adding up to its
// rows; a cancelled or done import is a 409, an unknown one a 404.
func TestImportCancel(t *testing.T) {
	s := newTestServer(t, testConfig())
	upload := func(body string) ImportJSON {
		t.Helper()
		h := keyHeader(newKey)
		h.Set("Content-Type", "application/x-ndjson")
		rec := s.do(t, "POST", "/imports", strings.NewReader(body), h)
		var im ImportJSON
		if rec.Code != 202 || json.Unmarshal(rec.Body.Bytes(), &im) != nil {
			t.Fatalf("upload: %d %s", rec.Code, rec.Body)
		}
		return im
	}
	// Three valid rows wait for jobs that never run here; one is invalid.
	processing := upload(`{"title":"A","text":"Body a."}` + "\n" + `{"title":"B","text":"Body b."}` + "\n" +
		`{"title":"C"}` + "\n" + `{"title":"D","text":"Body d."}` + "\n")
	// Every row invalid: rejected at staging, so the import is done.
	done := upload(`{"title":"X"}` + "\n")
	if processing.State != "processing" || done.State != "done" {
		t.Fatalf("states %q and %q, want processing and done", processing.State, done.State)
	}
	path := func(id int64) string { return "/imports/" + jsonNumber(id) + "/cancel" }
	cases := []struct {
		name   string
		path   string
		header http.Header
		status int
		code   string
	}{
		{"processing", path(processing.ID), keyHeader(newKey), 200, ""},
		{"already cancelled", path(processing.ID), keyHeader(newKey), 409, "conflict"},
		{"done", path(done.ID), keyHeader(newKey), 409, "conflict"},
		{"unknown", path(424242), keyHeader(newKey), 404, "not_found"},
		{"bad id", "/imports/x/cancel", keyHeader(newKey), 422, "validation_failed"},
		{"no key", path(done.ID), nil, 401, "unauthorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := s.do(t, "POST", tc.path, nil, tc.header)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != 200 {
				if code := errorOf(t, rec).Error.Code; code != tc.code {
					t.Fatalf("code %q, want %q", code, tc.code)
				}
				return
			}
			var im ImportJSON
			if err := json.Unmarshal(rec.Body.Bytes(), &im); err != nil {
				t.Fatal(err)
			}
			if im.State != "cancelled" || im.CancelledAt == nil || im.Pending != 0 || im.Rejected != 4 ||
				im.New+im.Duplicate+im.Rejected+im.Pending != im.Rows {
				t.Fatalf("cancelled import %+v: want state cancelled, 4 rejected (3 of them cancelled), counts adding up to 4 rows", im)
			}
			cancelled := 0
			for _, r := range im.Reasons {
				if r.State == "rejected" && r.Reason == "cancelled" {
					cancelled = r.Count
				}
			}
			if cancelled != 3 {
				t.Fatalf("reasons %+v: want 3 rows rejected as cancelled", im.Reasons)
			}
			// GET shows the same final state.
			get := s.do(t, "GET", "/imports/"+jsonNumber(im.ID), nil, keyHeader(newKey))
			var again ImportJSON
			if get.Code != 200 || json.Unmarshal(get.Body.Bytes(), &again) != nil || again.State != "cancelled" || again.Rejected != 4 {
				t.Fatalf("GET after cancel: %d %s", get.Code, get.Body)
			}
		})
	}
}
