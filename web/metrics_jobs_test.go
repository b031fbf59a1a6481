package web

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
)

// TestJobMetrics records jobs and feed polls and reads them back from both
// views: the JSON snapshot and the Prometheus exposition.
func TestJobMetrics(t *testing.T) {
	m := NewMetrics()
	depth := []QueueCount{{Queue: "ingest", State: "available", Jobs: 7}, {Queue: "feeds", State: "running", Jobs: 1}}
	if err := m.WatchJobQueue(func(context.Context) ([]QueueCount, error) { return depth, nil }, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	m.ObserveJob("ingest_items", 2*time.Second, 300*time.Millisecond, nil)
	m.ObserveJob("ingest_items", 0, time.Second, errors.New("model not ready"))
	m.ObserveFeedFetch("wire", false, 3)
	m.ObserveFeedFetch("wire", true, 0)

	snap, err := m.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	j := snap.Jobs
	if len(j.Queues) != 2 || j.Queues[0].Jobs+j.Queues[1].Jobs != 8 {
		t.Errorf("queues %+v, want the two counts", j.Queues)
	}
	if len(j.Kinds) != 1 || j.Kinds[0].Kind != "ingest_items" || j.Kinds[0].Failures != 1 || j.Kinds[0].Duration.Count != 2 || j.Kinds[0].Wait.Sum != 2 {
		t.Errorf("kinds %+v", j.Kinds)
	}
	if len(j.Feeds) != 1 || j.Feeds[0] != (FeedStats{Source: "wire", Fetches: 2, Failures: 1, Entries: 3}) {
		t.Errorf("feeds %+v", j.Feeds)
	}

	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&b, f); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{`newsintel_job_queue_jobs{queue="ingest",state="available"} 7`,
		`newsintel_job_failures_total{kind="ingest_items"} 1`, `newsintel_feed_fetches_total{outcome="failed",source="wire"} 1`,
		`newsintel_feed_entries_total{source="wire"} 3`, `newsintel_job_wait_seconds_count{kind="ingest_items"} 2`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}
