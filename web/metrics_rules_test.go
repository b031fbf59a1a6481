package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/newsintel/newsintel/deploy"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// scrape reads /metrics/prometheus as Prometheus would.
func (s *testServer) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	rec := s.do(t, "GET", "/metrics/prometheus", nil, keyHeader(newKey))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics/prometheus: %d %s", rec.Code, rec.Body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("scrape does not parse: %v", err)
	}
	return families
}

// seriesNames lists the names samples carry in the exposition format,
// which is what PromQL selects: a histogram's _bucket, _sum and _count.
func seriesNames(families map[string]*dto.MetricFamily) map[string]bool {
	out := map[string]bool{}
	for name, f := range families {
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			out[name+"_bucket"], out[name+"_sum"], out[name+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			out[name], out[name+"_sum"], out[name+"_count"] = true, true, true
		default:
			out[name] = true
		}
	}
	return out
}

// TestAlertRuleMetricsExported scrapes the server after some traffic and
// checks that every metric the server's alert rules select is there: a
// rule over a metric nobody exports never fires.
func TestAlertRuleMetricsExported(t *testing.T) {
	s := newTestServer(t, testConfig())
	s.do(t, "GET", "/health", nil, nil)
	s.do(t, "GET", "/ready", nil, nil)
	s.do(t, "POST", "/classify_news", strings.NewReader(`{"title":"Talks resume","text":"Envoys met again on Monday."}`),
		http.Header{"X-Api-Key": {newKey.Secret}, "Content-Type": {"application/json"}})
	s.do(t, "GET", "/review/queue", nil, keyHeader(APIKey{Secret: "stale-key-0123456789abcdef"}))
	names := seriesNames(s.scrape(t))

	groups, err := deploy.AlertRules()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, g := range groups {
		if g.Name != deploy.GroupServer {
			continue // the probe's rules: cmd/newsintel's probe tests
		}
		for _, r := range g.Rules {
			for _, name := range deploy.MetricNames(r.Expr) {
				checked++
				if !names[name] {
					t.Errorf("alert %s selects %s, which the server does not export", r.Alert, name)
				}
			}
		}
	}
	if checked < 4 {
		t.Fatalf("only %d metric names in the server's rules", checked)
	}
}

// TestReviewQueueGauge checks the backlog gauge counts open items in the
// database at scrape time.
func TestReviewQueueGauge(t *testing.T) {
	s := newTestServer(t, testConfig())
	gauge := func() float64 {
		f := s.scrape(t)[metricReviewQueue]
		if f == nil || len(f.GetMetric()) != 1 {
			t.Fatalf("no %s in the scrape", metricReviewQueue)
		}
		return f.GetMetric()[0].GetGauge().GetValue()
	}
	if n := gauge(); n != 0 {
		t.Fatalf("empty queue reports %v", n)
	}
	auth := http.Header{"X-Api-Key": {newKey.Secret}, "Content-Type": {"application/json"}}
	// The fake classifier is unsure of articles without "match": queued.
	for _, body := range []string{
		`{"title":"Talks resume","text":"Envoys met again on Monday."}`,
		`{"title":"Rain expected","text":"Forecasters warn of floods."}`,
		`{"title":"Derby","text":"The match ended 2-0."}`,
	} {
		if rec := s.do(t, "POST", "/classify_news", strings.NewReader(body), auth); rec.Code != http.StatusOK {
			t.Fatalf("classify: %d %s", rec.Code, rec.Body)
		}
	}
	if n := gauge(); n != 2 {
		t.Fatalf("two uncertain articles queued, gauge %v", n)
	}
}

// countFailingStore is a store whose review count fails, as a database
// that does not answer.
type countFailingStore struct{ Store }

func (countFailingStore) OpenReviewCount(context.Context) (int, error) {
	return 0, errors.New("database is locked")
}

// TestReviewQueueGaugeOnDatabaseError: the scrape still succeeds, with
// every other metric, and the backlog gauge is left out.
func TestReviewQueueGaugeOnDatabaseError(t *testing.T) {
	s := newTestServerWith(t, testConfig(), countFailingStore{storetest.Open(t, store.SQLite)}, &fakeEncoder{})
	s.do(t, "GET", "/health", nil, nil)
	families := s.scrape(t)
	if families[metricReviewQueue] != nil {
		t.Fatalf("%s reported despite the failing count", metricReviewQueue)
	}
	if families[metricRequests] == nil {
		t.Fatal("the failing count hid the other metrics")
	}
	if len(s.logs.withMsg(t, "metrics: review queue count")) == 0 {
		t.Fatal("the failing count was not logged")
	}
}
