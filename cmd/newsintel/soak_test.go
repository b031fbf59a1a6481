package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSoakJudge pins which answers the soak counts as expected: a bad
// body the server accepts, or a 500 to a killed client, must fail a run.
func TestSoakJudge(t *testing.T) {
	reset := fmt.Errorf("read: %w", syscall.ECONNRESET)
	cases := []struct {
		op       soakOp
		status   int
		err      error
		expected bool
		reason   string
	}{
		{opClassify, 200, nil, true, "status 200"},
		{opClassify, 500, nil, false, "status 500, want 200"},
		{opClassify, 503, nil, false, "status 503, want 200"},
		{opClassify, 0, reset, false, "transport: connection reset"},
		{opClassify, 0, context.Canceled, false, "transport: timed out"},
		{opFeedback, 201, nil, true, "status 201"},
		{opFeedback, 200, nil, false, "status 200, want 201"},
		{opConsolePage, 303, nil, false, "status 303, want 200"}, // an ended session
		{opBadBody, 422, nil, true, "status 422"},
		{opBadBody, 200, nil, false, "status 200, want 422"},
		{opBadBody, 500, nil, false, "status 500, want 422"},
		{opNoKey, 401, nil, true, "status 401"},
		{opNoKey, 200, nil, false, "status 200, want 401"},
		{opBadCSRF, 403, nil, true, "status 403"},
		{opBadCSRF, 200, nil, false, "status 200, want 403"},
		{opCancelled, 0, context.DeadlineExceeded, true, "cancelled mid-flight"},
		{opCancelled, 0, fmt.Errorf("Post: %w", context.Canceled), true, "cancelled mid-flight"},
		{opCancelled, 200, nil, true, "answered before the deadline"},
		{opCancelled, 500, nil, false, "status 500, want 200"},
		{opCancelled, 0, reset, false, "transport: connection reset"},
		{opCancelled, 0, io.ErrUnexpectedEOF, false, "transport: connection closed (EOF)"},
		{soakOp("nonsense"), 200, nil, false, "unknown operation"},
	}
	for _, tc := range cases {
		expected, reason := judge(tc.op, tc.status, tc.err)
		if expected != tc.expected || reason != tc.reason {
			t.Errorf("judge(%s, %d, %v) = %v, %q; want %v, %q", tc.op, tc.status, tc.err, expected, reason, tc.expected, tc.reason)
		}
	}
	for _, op := range soakOps {
		if _, ok := wantStatus[op]; !ok {
			t.Errorf("operation %s has no expected status", op)
		}
	}
}

// TestSoakRSSVerdict pins the RSS-growth check: the baseline is the last
// warm-up window, windows without a sample (0) are passed over.
func TestSoakRSSVerdict(t *testing.T) {
	cases := []struct {
		name       string
		rss        []float64
		warmup     int
		warm, last float64
		fails      bool
	}{
		{"flat", []float64{100, 200, 210, 205, 215}, 2, 200, 215, false},
		{"growth during warm-up is fine", []float64{50, 100, 200, 240}, 3, 200, 240, false},
		{"exactly at the limit", []float64{100, 200, 250}, 2, 200, 250, false},
		{"beyond the limit", []float64{100, 200, 230, 251}, 2, 200, 251, true},
		{"only the last window counts", []float64{100, 200, 400, 240}, 2, 200, 240, false},
		{"unsampled windows are passed over", []float64{100, 0, 200, 300, 0}, 2, 200, 300, true},
		{"no warm-up", []float64{100, 110}, 0, 100, 110, false},
		{"no window after the warm-up", []float64{100, 200}, 2, 0, 0, true},
		{"no samples", []float64{0, 0, 0}, 1, 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			warm, last, failure := rssVerdict(tc.rss, tc.warmup, 1.25)
			if warm != tc.warm || last != tc.last || (failure != "") != tc.fails {
				t.Errorf("rssVerdict(%v, %d) = %v, %v, %q; want %v, %v, failing %v", tc.rss, tc.warmup, warm, last, failure, tc.warm, tc.last, tc.fails)
			}
		})
	}
}

// TestSoakReportFailsOnAnUnexpectedAnswer checks the report counts
// injected errors apart from unexpected ones and fails on the latter.
func TestSoakReportFailsOnAnUnexpectedAnswer(t *testing.T) {
	start := time.Now()
	r := newSoakRecorder(start, time.Second)
	r.record(opClassify, start, 10*time.Millisecond, http.StatusOK, "", nil)
	r.record(opClassify, start.Add(1500*time.Millisecond), 30*time.Millisecond, http.StatusOK, "", nil)
	r.record(opBadBody, start, time.Millisecond, http.StatusUnprocessableEntity, "", nil)
	for _, at := range []time.Duration{0, 1500 * time.Millisecond} {
		r.sample(soakSample{at: at, rss: 100 << 20, goroutines: 20, dbBytes: 1 << 20})
	}
	rep := r.report(2, time.Second, 1.25)
	if !rep.Pass || rep.Unexpected != 0 || len(rep.Windows) != 2 || rep.Windows[1].Ops["classify"].P50ms != 30 {
		t.Fatalf("clean run: %+v", rep)
	}
	if len(rep.Errors) != 1 || !rep.Errors[0].Expected || rep.Errors[0].Op != string(opBadBody) {
		t.Fatalf("error kinds of a clean run: %+v", rep.Errors)
	}

	r.record(opFeedback, start, time.Millisecond, http.StatusInternalServerError, `{"error":"boom"}`, nil)
	rep = r.report(2, time.Second, 1.25)
	if rep.Pass || rep.Unexpected != 1 || rep.Errors[0].Expected || rep.Errors[0].Example != `{"error":"boom"}` {
		t.Fatalf("a 500 to feedback: %+v", rep)
	}
	var out bytes.Buffer
	writeSoakTable(&out, rep)
	if !strings.Contains(out.String(), "UNEXPECTED") || !strings.Contains(out.String(), "FAIL: 1 unexpected answers") {
		t.Errorf("the table hides the failure:\n%s", out.String())
	}
}

// TestBenchSoakSmoke runs a short soak through `run`: every operation is
// sent, every injected error provoked, and nothing unexpected answered.
// The RSS check is left to TestSoakRSSVerdict: seconds after start the
// process is still growing into its working set.
func TestBenchSoakSmoke(t *testing.T) {
	data := filepath.Join(sharedModelDir(), "..", "..", "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(data, "ag_news")); err != nil {
		t.Skipf("the shared data is absent: %v", err)
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"bench", "soak", "--duration", "16s", "--window", "4s", "--warmup", "4s",
		"--concurrency", "4", "--rss-growth", "100", "--json", "--data", data},
		envOf(map[string]string{"MODEL_DIR": sharedModelDir()}), nil, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), errOut.String())
	}
	var rep SoakReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if !rep.Pass || rep.Unexpected != 0 {
		t.Errorf("pass %v, %d unexpected: %+v", rep.Pass, rep.Unexpected, rep.Errors)
	}
	sent := map[string]int{}
	for _, o := range rep.Operations {
		sent[o.Op] = o.Requests
	}
	for _, op := range []soakOp{opClassify, opReviewClaim, opFeedback, opConsolePage, opMetricsScrape, opBadBody, opNoKey, opBadCSRF, opCancelled} {
		if sent[string(op)] == 0 {
			t.Errorf("no %s requests: %v", op, sent)
		}
	}
	if len(rep.Windows) != 4 {
		t.Fatalf("%d windows, want 4", len(rep.Windows))
	}
	for i, w := range rep.Windows {
		if w.RSSMiB <= 0 || w.Goroutines <= 0 || w.DBMiB <= 0 {
			t.Errorf("window %d lacks a resource sample: %+v", i, w)
		}
	}
	if rep.WarmupRSSMiB <= 0 || rep.LastRSSMiB <= 0 {
		t.Errorf("RSS baseline %v, last %v", rep.WarmupRSSMiB, rep.LastRSSMiB)
	}
}
