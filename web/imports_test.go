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
