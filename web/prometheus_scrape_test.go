package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPrometheusScrapesServer runs a real Prometheus against the server:
// it scrapes /metrics/prometheus with an API key as a bearer token, as
// deploy/prometheus/prometheus.yml does, loads deploy/prometheus/alerts.yml
// and evaluates every rule against what it scraped without an error.
// Skipped without the prometheus binary unless NEWSINTEL_REQUIRE_PROMTOOL
// is set, as in CI (Debian's prometheus package ships both).
func TestPrometheusScrapesServer(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("NEWSINTEL_REQUIRE_PROMTOOL") != "" {
			t.Fatal("prometheus is not on PATH (Debian: apt-get install prometheus), and NEWSINTEL_REQUIRE_PROMTOOL is set")
		}
		t.Skip("prometheus is not on PATH (Debian: apt-get install prometheus)")
	}
	s := newTestServer(t, testConfig())
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := filepath.Abs("../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: newsintel
    metrics_path: /metrics/prometheus
    authorization:
      type: Bearer
      credentials: %q
    static_configs:
      - targets: [%q]
`, rules, newKey.Secret, target.Host)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})

	var seen any // the last answer, for the failure message
	api := func(path string, v any) bool {
		res, err := http.Get("http://" + addr + path)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		seen = v
		return res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(v) == nil
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(200 * time.Millisecond) {
			if time.Now().After(deadline) {
				logs, _ := os.ReadFile(logFile.Name())
				last, _ := json.Marshal(seen)
				t.Fatalf("no %s within 60s; last answer %s; prometheus said:\n%s", what, last, logs)
			}
		}
	}

	// Some traffic between scrapes, so that the rules have series to read.
	s.do(t, "POST", "/classify_news", strings.NewReader(`{"title":"Talks","text":"Envoys met."}`),
		http.Header{"X-Api-Key": {newKey.Secret}, "Content-Type": {"application/json"}})
	s.do(t, "GET", "/review/queue", nil, nil)

	var targets struct {
		Data struct {
			ActiveTargets []struct {
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	waitFor("successful scrape", func() bool {
		return api("/api/v1/targets", &targets) && len(targets.Data.ActiveTargets) == 1 &&
			targets.Data.ActiveTargets[0].Health == "up"
	})

	type ruleState struct {
		Name           string    `json:"name"`
		Health         string    `json:"health"`
		LastError      string    `json:"lastError"`
		LastEvaluation time.Time `json:"lastEvaluation"`
	}
	var rulesAPI struct {
		Data struct {
			Groups []struct {
				Rules []ruleState `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	var all []ruleState
	waitFor("evaluation of every rule", func() bool {
		if !api("/api/v1/rules", &rulesAPI) {
			return false
		}
		all = all[:0]
		for _, g := range rulesAPI.Data.Groups {
			all = append(all, g.Rules...)
		}
		for _, r := range all {
			if r.LastEvaluation.Year() < 2000 {
				return false
			}
		}
		return len(all) > 0
	})
	for _, r := range all {
		if r.Health != "ok" {
			t.Errorf("rule %s: health %q: %s", r.Name, r.Health, r.LastError)
		}
	}

	var query struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	waitFor("the review backlog in Prometheus", func() bool {
		return api("/api/v1/query?query="+url.QueryEscape(metricReviewQueue), &query) && len(query.Data.Result) == 1 &&
			query.Data.Result[0].Value[1] == "1"
	})
}
