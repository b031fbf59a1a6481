package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/newsintel/newsintel/deploy"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

const probeKey = "probe-secret-0123456789abcdef"

// fakeTarget is a server that answers like newsintel serve, unless a test
// replaces one of its routes.
type fakeTarget struct {
	health, ready, classify http.HandlerFunc
}

func healthyTarget() *fakeTarget {
	return &fakeTarget{
		health: func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"status":"ok"}`)
		},
		ready: func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"status":"ready","checks":{"db":{"ok":true},"model":{"ok":true}},"model_version":"agnews-v1"}`)
		},
		classify: func(w http.ResponseWriter, r *http.Request) {
			var in struct{ Title, Text string }
			if r.Header.Get("X-API-Key") != probeKey {
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":{"code":"unauthorized","message":"the API key is not valid"}}`)
				return
			}
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Title == "" || in.Text == "" ||
				r.Header.Get("Content-Type") != "application/json" {
				w.WriteHeader(http.StatusUnprocessableEntity)
				return
			}
			io.WriteString(w, `{"topic":"Sports","confidence":0.93,"scores":{"Sports":0.93,"World":0.04,"Business":0.03},
				"model_version":"agnews-v1","article_id":1,"prediction_id":7,"request_id":"r1"}`)
		},
	}
}

func (f *fakeTarget) start(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { f.health(w, r) })
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, r *http.Request) { f.ready(w, r) })
	mux.HandleFunc("POST /classify_news", func(w http.ResponseWriter, r *http.Request) { f.classify(w, r) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// closedURL is the address of a port nothing listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func runProbe(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"probe"}, args...), envOf(env), nil, &out, io.Discard)
	return out.String(), err
}

// TestProbeOnce runs one-shot probes against a healthy server and against
// servers that fail in each way a client would notice.
func TestProbeOnce(t *testing.T) {
	env := map[string]string{"PROBE_API_KEY": probeKey}
	for _, tc := range []struct {
		name   string
		break_ func(*fakeTarget)
		url    string // instead of the fake target
		env    map[string]string
		fail   map[string]string // failing check -> part of its message
	}{
		{name: "healthy"},
		{name: "health answers 500", break_: func(f *fakeTarget) {
			f.health = answer(500, `{"error":{"code":"internal","message":"internal error"}}`)
		}, fail: map[string]string{"health": "status 500"}},
		{name: "health answers another shape", break_: func(f *fakeTarget) { f.health = answer(200, `{"status":"degraded"}`) },
			fail: map[string]string{"health": `status is "degraded"`}},
		{name: "ready answers 503", break_: func(f *fakeTarget) {
			f.ready = answer(503, `{"status":"not_ready","checks":{"db":{"ok":true},"model":{"ok":false,"message":"the model is loading"}}}`)
		}, fail: map[string]string{"ready": "status 503, not ready: model (the model is loading)"}},
		{name: "ready answers 200 with a failing check", break_: func(f *fakeTarget) {
			f.ready = answer(200, `{"status":"ready","checks":{"db":{"ok":false,"message":"the database does not answer"}}}`)
		}, fail: map[string]string{"ready": "ready, yet failing: db"}},
		{name: "classify answers bad JSON", break_: func(f *fakeTarget) { f.classify = answer(200, `{"topic":"Sports",`) },
			fail: map[string]string{"classify": "not the expected JSON"}},
		{name: "classify answers HTML", break_: func(f *fakeTarget) { f.classify = answer(200, `<html>proxy error</html>`) },
			fail: map[string]string{"classify": "not the expected JSON"}},
		{name: "classify answers the batch shape", break_: func(f *fakeTarget) {
			f.classify = answer(200, `{"results":[{"topic":"Sports"}],"model_version":"agnews-v1"}`)
		}, fail: map[string]string{"classify": "no topic"}},
		{name: "classify topic is not the best score", break_: func(f *fakeTarget) {
			f.classify = answer(200, `{"topic":"World","confidence":0.2,"scores":{"Sports":0.8,"World":0.2},"model_version":"v"}`)
		}, fail: map[string]string{"classify": `topic "World" (0.200) is not the best score`}},
		{name: "classify topic is not scored", break_: func(f *fakeTarget) {
			f.classify = answer(200, `{"topic":"Weather","confidence":0.9,"scores":{"Sports":0.8},"model_version":"v"}`)
		}, fail: map[string]string{"classify": `topic "Weather" is not among the scores`}},
		{name: "classify confidence out of range", break_: func(f *fakeTarget) {
			f.classify = answer(200, `{"topic":"Sports","confidence":1.7,"scores":{"Sports":1.7},"model_version":"v"}`)
		}, fail: map[string]string{"classify": "confidence 1.7 is outside (0, 1]"}},
		{name: "classify answers 500", break_: func(f *fakeTarget) {
			f.classify = answer(500, `{"error":{"code":"internal","message":"internal error","request_id":"abc"}}`)
		}, fail: map[string]string{"classify": `status 500: {"error"`}},
		{name: "API key refused", env: map[string]string{"PROBE_API_KEY": "stale-0123456789abcdef"},
			fail: map[string]string{"classify": "the API key was refused"}},
		{name: "classify hangs past the timeout", break_: func(f *fakeTarget) {
			f.classify = func(w http.ResponseWriter, r *http.Request) {
				// The server notices the client hanging up only once
				// the body is read.
				io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
			}
		}, fail: map[string]string{"classify": "deadline exceeded"}},
		{name: "connection refused", url: closedURL(t),
			fail: map[string]string{"health": "connection refused", "ready": "connection refused", "classify": "connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := healthyTarget()
			if tc.break_ != nil {
				tc.break_(f)
			}
			u := tc.url
			if u == "" {
				u = f.start(t)
			}
			e := env
			if tc.env != nil {
				e = tc.env
			}
			start := time.Now()
			out, err := runProbe(t, e, "--url", u, "--once", "--timeout", "500ms")
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Errorf("the probe took %s", elapsed)
			}
			if len(tc.fail) == 0 && err != nil {
				t.Fatalf("healthy server: %v\n%s", err, out)
			}
			if len(tc.fail) > 0 && !errors.Is(err, errProbeFailed) {
				t.Fatalf("err = %v, want a failed probe\n%s", err, out)
			}
			for check := range tc.fail {
				if !strings.Contains(err.Error(), check) {
					t.Errorf("err = %v does not name %s", err, check)
				}
			}
			for _, check := range []string{"health", "ready", "classify"} {
				line := regexp.MustCompile(`(?m)^\S+ (ok  |FAIL) ` + check + ` .*$`).FindString(out)
				want, failing := tc.fail[check]
				switch {
				case line == "":
					t.Errorf("no line for %s in\n%s", check, out)
				case failing && !strings.Contains(line, "FAIL") || !failing && !strings.Contains(line, " ok "):
					t.Errorf("%s: %q", check, line)
				case failing && !strings.Contains(line, want):
					t.Errorf("%s: %q does not say %q", check, line, want)
				}
			}
		})
	}
}

func TestProbeUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--once"}, // no URL
		{"--url", "newsintel:8000", "--once"},
		{"--url", "http://x", "--once", "--listen", ":9109"},
		{"--url", "http://x", "--interval", "0s"},
		{"--url", "http://x", "extra"},
	} {
		if _, err := runProbe(t, nil, args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

// scrapeProbe reads the probe's /metrics.
func scrapeProbe(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, body := get(t, url, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, res.StatusCode)
	}
	parser := expfmt.NewTextParser(pmodel.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// probeValue is the value of a probe metric for one check.
func probeValue(families map[string]*dto.MetricFamily, name, check, result string) (float64, bool) {
	for _, m := range families[name].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["check"] != check || (result != "" && labels["result"] != result) || labels["target"] == "" {
			continue
		}
		switch {
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// TestProbeContinuous runs the probe with --interval and --listen: it
// keeps running through a failure, its metrics follow the server's state,
// and every metric the probe's alert rule needs is served.
func TestProbeContinuous(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	f := healthyTarget()
	ok := f.health
	f.health = func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			answer(500, `{"error":{"code":"internal","message":"internal error"}}`)(w, r)
			return
		}
		ok(w, r)
	}
	u := f.start(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"probe", "--url", u, "--interval", "50ms", "--listen", "127.0.0.1:0"},
			envOf(map[string]string{"PROBE_API_KEY": probeKey}), nil, stdout, stderr)
	}()
	var metricsURL string
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			select {
			case err := <-done:
				t.Fatalf("the probe stopped: %v\n%s%s", err, stderr, stdout)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s within 10s\n%s%s", what, stderr, stdout)
			}
		}
	}
	waitFor("metrics address", func() bool {
		m := regexp.MustCompile(`metrics on (http://\S+)`).FindStringSubmatch(stderr.String())
		if m != nil {
			metricsURL = m[1]
		}
		return m != nil
	})
	waitFor("two passing health checks", func() bool {
		n, _ := probeValue(scrapeProbe(t, metricsURL), "newsintel_probe_checks_total", "health", "success")
		return n >= 2
	})
	families := scrapeProbe(t, metricsURL)
	for _, check := range []string{"health", "ready", "classify"} {
		if v, found := probeValue(families, "newsintel_probe_success", check, ""); !found || v != 1 {
			t.Errorf("newsintel_probe_success{check=%q} = %v (found %v), want 1", check, v, found)
		}
		if v, found := probeValue(families, "newsintel_probe_duration_seconds", check, ""); !found || v <= 0 {
			t.Errorf("newsintel_probe_duration_seconds{check=%q} = %v", check, v)
		}
	}
	checkRuleMetrics(t, deploy.GroupProbe, families)

	healthy.Store(false)
	waitFor("a failing health check", func() bool {
		v, _ := probeValue(scrapeProbe(t, metricsURL), "newsintel_probe_success", "health", "")
		return v == 0
	})
	if v, _ := probeValue(scrapeProbe(t, metricsURL), "newsintel_probe_success", "ready", ""); v != 1 {
		t.Errorf("ready went to %v with health", v)
	}
	healthy.Store(true)
	waitFor("health passing again", func() bool {
		v, _ := probeValue(scrapeProbe(t, metricsURL), "newsintel_probe_success", "health", "")
		return v == 1
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stopped probe returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the probe did not stop within 5s")
	}
	if !strings.Contains(stdout.String(), "FAIL health") {
		t.Errorf("the failure was not reported:\n%s", stdout)
	}
}

// checkRuleMetrics fails the test for each metric an alert rule group
// selects that families lack.
func checkRuleMetrics(t *testing.T, group string, families map[string]*dto.MetricFamily) {
	t.Helper()
	groups, err := deploy.AlertRules()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for name, f := range families {
		names[name] = true
		if f.GetType() == dto.MetricType_HISTOGRAM {
			names[name+"_bucket"], names[name+"_sum"], names[name+"_count"] = true, true, true
		}
	}
	checked := 0
	for _, g := range groups {
		if g.Name != group {
			continue
		}
		for _, r := range g.Rules {
			for _, name := range deploy.MetricNames(r.Expr) {
				checked++
				if !names[name] {
					t.Errorf("alert %s selects %s, which is not exported", r.Alert, name)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatalf("no metric in rule group %q", group)
	}
}

// TestProbeAgainstServe probes the whole program with its real model: the
// probe passes, its article is classified Sports and, being certain, is
// never queued for review. Then the server's own scrape, after that
// traffic, holds every metric its alert rules select.
func TestProbeAgainstServe(t *testing.T) {
	s := startServer(t, map[string]string{"DB_URL": storetest.URL(t, store.SQLite), "API_KEYS": testKey + ";probe:" + probeKey})
	waitReady(t, s.URL)
	for range 2 {
		out, err := runProbe(t, map[string]string{"PROBE_API_KEY": probeKey}, "--url", s.URL, "--once", "--expect-topic", "Sports")
		if err != nil {
			t.Fatalf("probe: %v\n%s", err, out)
		}
		t.Logf("probe:\n%s", out)
	}
	if out, err := runProbe(t, nil, "--url", s.URL, "--once"); !errors.Is(err, errProbeFailed) || !strings.Contains(out, "API key was refused") {
		t.Fatalf("probe without a key: %v\n%s", err, out)
	}

	res, body := get(t, s.URL+"/metrics/prometheus", http.Header{"Authorization": {"Bearer " + probeKey}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %s", res.StatusCode, body)
	}
	parser := expfmt.NewTextParser(pmodel.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	checkRuleMetrics(t, deploy.GroupServer, families)
	if q := families["newsintel_review_queue_open_items"].GetMetric(); len(q) != 1 || q[0].GetGauge().GetValue() != 0 {
		t.Errorf("review queue after probing: %v, want 0", q)
	}
}
