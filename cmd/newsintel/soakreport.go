package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"sync"
	"text/tabwriter"
	"time"
)

// soakRecorder collects every answer and resource sample of a soak run.
// Workers and the sampler call it concurrently.
type soakRecorder struct {
	mu      sync.Mutex
	start   time.Time
	window  time.Duration
	lats    map[int]map[soakOp][]time.Duration // by window, answers judged expected
	totals  map[soakOp]*SoakOpStats
	errs    map[soakErrKey]*SoakErrorStats
	samples []soakSample
	shown   map[soakErrKey]bool // by progress
}

type soakErrKey struct {
	op       soakOp
	reason   string
	expected bool
}

// soakSample is the server's resources at one moment.
type soakSample struct {
	at         time.Duration
	rss        float64 // bytes; 0 when unknown
	goroutines float64 // 0 when unknown
	dbBytes    int64   // -1 when unknown
}

func newSoakRecorder(start time.Time, window time.Duration) *soakRecorder {
	return &soakRecorder{start: start, window: window, lats: map[int]map[soakOp][]time.Duration{},
		totals: map[soakOp]*SoakOpStats{}, errs: map[soakErrKey]*SoakErrorStats{}, shown: map[soakErrKey]bool{}}
}

// record judges one answer and files it under the window it started in.
// detail (a body's start) serves as the example of an unexpected status.
func (r *soakRecorder) record(op soakOp, began time.Time, lat time.Duration, status int, detail string, err error) {
	expected, reason := judge(op, status, err)
	w := int(began.Sub(r.start) / r.window)
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.totals[op]
	if t == nil {
		t = &SoakOpStats{Op: string(op)}
		r.totals[op] = t
	}
	t.Requests++
	if !expected {
		t.Unexpected++
	}
	// Error kinds: every unexpected answer, and every answer an injection
	// provoked (an injected call that succeeds is as telling as a failure).
	if !expected || op.injected() {
		k := soakErrKey{op, reason, expected}
		e := r.errs[k]
		if e == nil {
			e = &SoakErrorStats{Op: string(op), Reason: reason, Expected: expected}
			switch {
			case err != nil:
				e.Example = err.Error()
			case !expected:
				e.Example = detail
			}
			r.errs[k] = e
		}
		e.Count++
	}
	if expected && op != opCancelled {
		if r.lats[w] == nil {
			r.lats[w] = map[soakOp][]time.Duration{}
		}
		r.lats[w][op] = append(r.lats[w][op], lat)
	}
}

// progress counts the answers so far and returns the unexpected kinds
// not returned before, so that a long run shows what goes wrong as it
// happens.
func (r *soakRecorder) progress() (requests, unexpected int, news []SoakErrorStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.totals {
		requests, unexpected = requests+t.Requests, unexpected+t.Unexpected
	}
	for k, e := range r.errs {
		if !k.expected && !r.shown[k] {
			r.shown[k] = true
			news = append(news, *e)
		}
	}
	return requests, unexpected, news
}

func (r *soakRecorder) sample(s soakSample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, s)
}

// SoakReport is what `bench soak --json` prints.
type SoakReport struct {
	Target       string           `json:"target"`
	Duration     string           `json:"duration"`
	Window       string           `json:"window"`
	Warmup       string           `json:"warmup"`
	Concurrency  int              `json:"concurrency"`
	Operations   []SoakOpStats    `json:"operations"`
	Errors       []SoakErrorStats `json:"errors"`
	Windows      []SoakWindow     `json:"windows"`
	Unexpected   int              `json:"unexpected"`
	WarmupRSSMiB float64          `json:"warmup_rss_mib"`
	LastRSSMiB   float64          `json:"last_rss_mib"`
	RSSLimit     float64          `json:"rss_growth_limit"`
	Pass         bool             `json:"pass"`
	Failures     []string         `json:"failures,omitempty"`
}

// SoakOpStats counts one operation over the whole run.
type SoakOpStats struct {
	Op         string  `json:"op"`
	Requests   int     `json:"requests"`
	Unexpected int     `json:"unexpected"`
	P50ms      float64 `json:"p50_ms"`
	P99ms      float64 `json:"p99_ms"`
}

// SoakErrorStats is one kind of error answer.
type SoakErrorStats struct {
	Op       string `json:"op"`
	Reason   string `json:"reason"`
	Expected bool   `json:"expected"`
	Count    int    `json:"count"`
	Example  string `json:"example,omitempty"`
}

// SoakWindow is one time window of the run. RSS is the highest sample in
// the window, goroutines and DB size the last.
type SoakWindow struct {
	StartS     float64                `json:"start_s"`
	Ops        map[string]SoakLatency `json:"ops"`
	RSSMiB     float64                `json:"rss_mib"`
	Goroutines float64                `json:"goroutines"`
	DBMiB      float64                `json:"db_mib"` // -1 when unknown
}

// SoakLatency is one operation's latency in one window.
type SoakLatency struct {
	N     int     `json:"n"`
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
}

func latencyOf(lats []time.Duration) SoakLatency {
	s := slices.Clone(lats)
	slices.Sort(s)
	r := loadResult{latencies: s}
	return SoakLatency{N: len(s), P50ms: r.pct(50), P99ms: r.pct(99)}
}

// report summarises the run; windows is how many windows it lasted.
func (r *soakRecorder) report(windows int, warmup time.Duration, rssLimit float64) SoakReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := SoakReport{RSSLimit: rssLimit, Operations: []SoakOpStats{}, Errors: []SoakErrorStats{}}
	all := map[soakOp][]time.Duration{}
	for w := range windows {
		win := SoakWindow{StartS: (time.Duration(w) * r.window).Seconds(), Ops: map[string]SoakLatency{}, DBMiB: -1}
		for op, l := range r.lats[w] {
			win.Ops[string(op)] = latencyOf(l)
			all[op] = append(all[op], l...)
		}
		for _, s := range r.samples {
			if int(s.at/r.window) != w {
				continue
			}
			win.RSSMiB = math.Max(win.RSSMiB, s.rss/(1<<20))
			if s.goroutines > 0 {
				win.Goroutines = s.goroutines
			}
			if s.dbBytes >= 0 {
				win.DBMiB = float64(s.dbBytes) / (1 << 20)
			}
		}
		rep.Windows = append(rep.Windows, win)
	}
	for _, op := range soakOps {
		t := r.totals[op]
		if t == nil {
			continue
		}
		st := *t
		l := latencyOf(all[op])
		st.P50ms, st.P99ms = l.P50ms, l.P99ms
		rep.Operations = append(rep.Operations, st)
		rep.Unexpected += st.Unexpected
	}
	for _, e := range r.errs {
		rep.Errors = append(rep.Errors, *e)
	}
	sort.Slice(rep.Errors, func(i, j int) bool {
		a, b := rep.Errors[i], rep.Errors[j]
		if a.Expected != b.Expected {
			return !a.Expected // unexpected first
		}
		if a.Op != b.Op {
			return a.Op < b.Op
		}
		return a.Reason < b.Reason
	})
	rss := make([]float64, len(rep.Windows))
	for i, w := range rep.Windows {
		rss[i] = w.RSSMiB
	}
	var fail string
	rep.WarmupRSSMiB, rep.LastRSSMiB, fail = rssVerdict(rss, int(warmup/r.window), rssLimit)
	if rep.Unexpected > 0 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("%d unexpected answers", rep.Unexpected))
	}
	if fail != "" {
		rep.Failures = append(rep.Failures, fail)
	}
	rep.Pass = len(rep.Failures) == 0
	return rep
}

// rssVerdict compares the RSS of the last window that has a sample with
// that of the last warm-up window (the warmupWindows-th, or the first
// sampled one after it), and fails when it grew by more than limit×. An
// RSS of 0 means the window had no sample.
func rssVerdict(rss []float64, warmupWindows int, limit float64) (warm, last float64, failure string) {
	wi := -1
	for i := max(warmupWindows-1, 0); i < len(rss); i++ {
		if rss[i] > 0 {
			wi = i
			break
		}
	}
	li := -1
	for i := len(rss) - 1; i > wi && wi >= 0; i-- {
		if rss[i] > 0 {
			li = i
			break
		}
	}
	if wi < 0 || li < 0 {
		return 0, 0, "no RSS samples after the warm-up: run longer than the warm-up plus one window"
	}
	warm, last = rss[wi], rss[li]
	if last > limit*warm {
		return warm, last, fmt.Sprintf("RSS grew from %.0f MiB after warm-up to %.0f MiB (%.2f×, limit %.2f×)", warm, last, last/warm, limit)
	}
	return warm, last, ""
}

// tableOps are the operations with a latency column per window.
var tableOps = []struct {
	op   soakOp
	head string
}{{opClassify, "classify"}, {opSummarize, "summarize"}, {opReviewClaim, "claim"}, {opReviewLabel, "label"},
	{opFeedback, "feedback"}, {opConsolePage, "console"}, {opMetricsScrape, "metrics"}}

// writeSoakTable prints the report as text tables.
func writeSoakTable(w io.Writer, rep SoakReport) error {
	fmt.Fprintf(w, "soak of %s: %s, %d clients, %s windows, warm-up %s\n\n", rep.Target, rep.Duration, rep.Concurrency, rep.Window, rep.Warmup)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\tunexpected\tp50 ms\tp99 ms\t")
	for _, o := range rep.Operations {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.1f\t\n", o.Op, o.Requests, o.Unexpected, o.P50ms, o.P99ms)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nlatency p50/p99 ms by window, and the server's resources at its end:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "from\t")
	for _, c := range tableOps {
		fmt.Fprintf(tw, "%s\t", c.head)
	}
	fmt.Fprintln(tw, "RSS MiB\tgoroutines\tDB MiB\t")
	for _, win := range rep.Windows {
		fmt.Fprintf(tw, "%s\t", (time.Duration(win.StartS) * time.Second).String())
		for _, c := range tableOps {
			if l, ok := win.Ops[string(c.op)]; ok && l.N > 0 {
				fmt.Fprintf(tw, "%.0f/%.0f\t", l.P50ms, l.P99ms)
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		db := "-"
		if win.DBMiB >= 0 {
			db = fmt.Sprintf("%.1f", win.DBMiB)
		}
		fmt.Fprintf(tw, "%.0f\t%.0f\t%s\t\n", win.RSSMiB, win.Goroutines, db)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nerror answers by kind:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\top\tanswer\tcount\t")
	for _, e := range rep.Errors {
		kind := "expected (injected)"
		if !e.Expected {
			kind = "UNEXPECTED"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t\n", kind, e.Op, e.Reason, e.Count)
	}
	tw.Flush()
	for _, e := range rep.Errors {
		if !e.Expected && e.Example != "" {
			fmt.Fprintf(w, "  e.g. %s: %s\n", e.Op, e.Example)
		}
	}

	fmt.Fprintf(w, "\nRSS: %.0f MiB at the end of the warm-up, %.0f MiB in the last window (limit %.2f×)\n",
		rep.WarmupRSSMiB, rep.LastRSSMiB, rep.RSSLimit)
	if rep.Pass {
		_, err := fmt.Fprintf(w, "PASS: 0 unexpected answers, RSS within the limit\n")
		return err
	}
	for _, f := range rep.Failures {
		fmt.Fprintf(w, "FAIL: %s\n", f)
	}
	return nil
}
