package web

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Background job and feed metrics.
const (
	metricJobDuration  = "newsintel_job_duration_seconds"
	metricJobWait      = "newsintel_job_wait_seconds"
	metricJobFailures  = "newsintel_job_failures_total"
	metricJobQueue     = "newsintel_job_queue_jobs"
	metricFeedFetches  = "newsintel_feed_fetches_total"
	metricFeedArticles = "newsintel_feed_entries_total"
)

// jobBuckets span a feed poll to a batch on a slow machine.
var jobBuckets = []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

// jobMetrics are registered on first use by NewMetrics' caller's jobs.
type jobMetrics struct {
	duration *prometheus.HistogramVec
	wait     *prometheus.HistogramVec
	failures *prometheus.CounterVec
	fetches  *prometheus.CounterVec
	entries  *prometheus.CounterVec
}

func newJobMetrics() jobMetrics {
	return jobMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: metricJobDuration, Help: "Background job run time by kind (ingest_items, poll_source, scan_sources).", Buckets: jobBuckets,
		}, []string{"kind"}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: metricJobWait, Help: "Time background jobs waited in the queue after they were due, by kind.", Buckets: jobBuckets,
		}, []string{"kind"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricJobFailures, Help: "Background job attempts that failed, by kind (River retries them with backoff).",
		}, []string{"kind"}),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricFeedFetches, Help: "Feed polls by source and outcome (ok, failed).",
		}, []string{"source", "outcome"}),
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricFeedArticles, Help: "New feed entries staged for ingest, by source.",
		}, []string{"source"}),
	}
}

// ObserveJob records a worked background job (jobs.ObserveJobs).
func (m *Metrics) ObserveJob(kind string, wait, run time.Duration, err error) {
	m.jobs.duration.WithLabelValues(kind).Observe(run.Seconds())
	m.jobs.wait.WithLabelValues(kind).Observe(wait.Seconds())
	if err != nil {
		m.jobs.failures.WithLabelValues(kind).Inc()
	}
}

// ObserveFeedFetch records a feed poll and the new entries it staged.
func (m *Metrics) ObserveFeedFetch(source string, failed bool, staged int) {
	outcome := "ok"
	if failed {
		outcome = "failed"
	}
	m.jobs.fetches.WithLabelValues(source, outcome).Inc()
	m.jobs.entries.WithLabelValues(source).Add(float64(staged))
}

// QueueCount is how many background jobs of a queue are in a state.
type QueueCount struct {
	Queue string  `json:"queue"`
	State string  `json:"state"`
	Jobs  float64 `json:"jobs"`
}

// jobQueueCollector reports the job queue's depth, counted in the
// database at scrape time like the review backlog (metrics_queue.go).
type jobQueueCollector struct {
	count func(context.Context) ([]QueueCount, error)
	log   *slog.Logger
	desc  *prometheus.Desc
}

func (c *jobQueueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *jobQueueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		c.log.Warn("metrics: job queue depth", slog.Any("error", err))
		return
	}
	for _, q := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, q.Jobs, q.Queue, q.State)
	}
}

// WatchJobQueue registers the job queue depth gauge, counted by count at
// each scrape.
func (m *Metrics) WatchJobQueue(count func(context.Context) ([]QueueCount, error), log *slog.Logger) error {
	c := &jobQueueCollector{count: count, log: log, desc: prometheus.NewDesc(metricJobQueue,
		"Unfinished background jobs by queue and state (available, scheduled, retryable, running), counted in the database at scrape time.",
		[]string{"queue", "state"}, nil)}
	err := m.reg.Register(c)
	if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
		return nil
	}
	return err
}

// JobStats is the background work in the JSON /metrics.
type JobStats struct {
	Queues []QueueCount `json:"queues"`
	Kinds  []JobKind    `json:"kinds"`
	Feeds  []FeedStats  `json:"feeds"`
}

// JobKind is one job kind's runs, failures and latencies.
type JobKind struct {
	Kind     string    `json:"kind"`
	Failures float64   `json:"failures"`
	Duration Histogram `json:"duration_seconds"`
	Wait     Histogram `json:"wait_seconds"`
}

// FeedStats is one source's polls and new entries on this replica.
type FeedStats struct {
	Source   string  `json:"source"`
	Fetches  float64 `json:"fetches"`
	Failures float64 `json:"failures"`
	Entries  float64 `json:"entries"`
}

// jobStats reads the job metrics of families into the JSON view.
func jobStats(families []*dto.MetricFamily) JobStats {
	st := JobStats{Queues: []QueueCount{}, Kinds: []JobKind{}, Feeds: []FeedStats{}}
	kinds, feeds := map[string]*JobKind{}, map[string]*FeedStats{}
	kind := func(k string) *JobKind {
		if kinds[k] == nil {
			kinds[k] = &JobKind{Kind: k}
		}
		return kinds[k]
	}
	feed := func(s string) *FeedStats {
		if feeds[s] == nil {
			feeds[s] = &FeedStats{Source: s}
		}
		return feeds[s]
	}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			l := mt.GetLabel()
			switch f.GetName() {
			case metricJobQueue:
				st.Queues = append(st.Queues, QueueCount{Queue: label(l, "queue"), State: label(l, "state"), Jobs: mt.GetGauge().GetValue()})
			case metricJobDuration:
				kind(label(l, "kind")).Duration = histogramOf(mt.GetHistogram())
			case metricJobWait:
				kind(label(l, "kind")).Wait = histogramOf(mt.GetHistogram())
			case metricJobFailures:
				kind(label(l, "kind")).Failures = mt.GetCounter().GetValue()
			case metricFeedFetches:
				fs := feed(label(l, "source"))
				fs.Fetches += mt.GetCounter().GetValue()
				if label(l, "outcome") == "failed" {
					fs.Failures += mt.GetCounter().GetValue()
				}
			case metricFeedArticles:
				feed(label(l, "source")).Entries = mt.GetCounter().GetValue()
			}
		}
	}
	for _, k := range kinds {
		st.Kinds = append(st.Kinds, *k)
	}
	for _, f := range feeds {
		st.Feeds = append(st.Feeds, *f)
	}
	sort.Slice(st.Kinds, func(i, j int) bool { return st.Kinds[i].Kind < st.Kinds[j].Kind })
	sort.Slice(st.Feeds, func(i, j int) bool { return st.Feeds[i].Source < st.Feeds[j].Source })
	return st
}
