package web

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

// Metrics holds the server's counters and histograms in one Prometheus
// registry (not the global one). The JSON /metrics view is computed from
// the same registry, so the two formats can never disagree.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	keyRequests  *prometheus.CounterVec
	authFailures prometheus.Counter
	stages       *prometheus.HistogramVec
	batchSize    prometheus.Histogram
	queueDepth   prometheus.Gauge
	predictions  *prometheus.CounterVec
	reviews      *prometheus.CounterVec
	feedback     *prometheus.CounterVec
	jobs         jobMetrics // metrics_jobs.go
	started      time.Time
}

// Metric names, shared by the Prometheus and JSON views.
const (
	metricRequests     = "newsintel_http_requests_total"
	metricLatency      = "newsintel_http_request_duration_seconds"
	metricKeyRequests  = "newsintel_http_requests_by_key_total"
	metricAuthFailures = "newsintel_http_auth_failures_total"
	metricStages       = "newsintel_inference_stage_seconds"
	metricBatchSize    = "newsintel_inference_batch_size"
	metricQueueDepth   = "newsintel_inference_queue_depth"
	metricPredictions  = "newsintel_predictions_total"
	metricReviews      = "newsintel_review_labels_total"
	metricFeedback     = "newsintel_feedback_total"
	metricReviewQueue  = "newsintel_review_queue_open_items"
)

// batchBuckets are the sizes the encoder's batches fall into.
var batchBuckets = []float64{1, 2, 4, 8, 16, 32, 64, 128, 256}

// latencyBuckets spans a cached health check to a slow batch. The bound at
// 2 s is the runbook's "slow response": the NewsintelSlowResponses alert
// (deploy/prometheus/alerts.yml) asks what share of requests exceeded it,
// which a bucket boundary answers exactly rather than by interpolation.
var latencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 2.5, 5, 10}

// NewMetrics returns metrics registered in a fresh registry, together with
// the Go runtime and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricRequests, Help: "HTTP requests by route pattern, method and status class.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: metricLatency, Help: "HTTP request latency by route pattern and method.", Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		keyRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricKeyRequests, Help: "Authenticated requests by API key name.",
		}, []string{"key"}),
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: metricAuthFailures, Help: "Requests refused for a missing or wrong API key.",
		}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: metricStages, Help: "Inference latency by stage: tokenize, forward (encoder graph), head (classifier).", Buckets: latencyBuckets,
		}, []string{"stage"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: metricBatchSize, Help: "Texts per encoder batch after coalescing.", Buckets: batchBuckets,
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: metricQueueDepth, Help: "Texts waiting for the encoder.",
		}),
		predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricPredictions, Help: "Predictions served, by model version and topic.",
		}, []string{"model", "topic"}),
		reviews: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricReviews, Help: "Review labels stored, by stage (review, adjudication) and whether they settled the item.",
		}, []string{"stage", "final"}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: metricFeedback, Help: "Feedback received, by outcome: stored (with or without a training label) or replayed.",
		}, []string{"outcome"}),
		jobs:    newJobMetrics(),
		started: time.Now(),
	}
	m.reg.MustRegister(m.requests, m.latency, m.keyRequests, m.authFailures,
		m.stages, m.batchSize, m.queueDepth, m.predictions, m.reviews, m.feedback,
		m.jobs.duration, m.jobs.wait, m.jobs.failures, m.jobs.fetches, m.jobs.entries,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where other parts of the server register their collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

func (m *Metrics) observeRequest(method, route string, status int, keyName string, d time.Duration) {
	m.requests.WithLabelValues(route, method, statusClass(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
	if keyName != "" {
		m.keyRequests.WithLabelValues(keyName).Inc()
	}
}

// ObserveStage records how long an inference stage took.
func (m *Metrics) ObserveStage(stage string, d time.Duration) {
	m.stages.WithLabelValues(stage).Observe(d.Seconds())
}

// ObserveBatch records an encoder batch's size and the texts still queued.
func (m *Metrics) ObserveBatch(size, queued int) {
	m.batchSize.Observe(float64(size))
	m.queueDepth.Set(float64(queued))
}

// CountReviewLabel counts one stored review label.
func (m *Metrics) CountReviewLabel(stage string, final bool) {
	m.reviews.WithLabelValues(stage, strconv.FormatBool(final)).Inc()
}

// CountFeedback counts one feedback request by outcome: "labeled",
// "unlabeled" or "replayed".
func (m *Metrics) CountFeedback(outcome string) { m.feedback.WithLabelValues(outcome).Inc() }

// CountPrediction counts one prediction of topic by model.
func (m *Metrics) CountPrediction(model, topic string) {
	m.predictions.WithLabelValues(model, topic).Inc()
}

func statusClass(status int) string {
	if status < 100 || status > 599 {
		return "other"
	}
	return strconv.Itoa(status/100) + "xx"
}

// MetricsSnapshot is the JSON form of /metrics.
type MetricsSnapshot struct {
	UptimeSeconds float64            `json:"uptime_seconds"`
	Routes        []RouteStats       `json:"routes"`
	APIKeys       map[string]float64 `json:"api_keys"`
	AuthFailures  float64            `json:"auth_failures"`
	Inference     InferenceStats     `json:"inference"`
	Predictions   []PredictionCount  `json:"predictions"`
	Jobs          JobStats           `json:"jobs"`
}

// InferenceStats describes the encoder's work.
type InferenceStats struct {
	Stages     map[string]Histogram `json:"stages_seconds"`
	BatchSize  Histogram            `json:"batch_size"`
	QueueDepth float64              `json:"queue_depth"`
}

// PredictionCount is how many predictions a model made of a topic.
type PredictionCount struct {
	Model string  `json:"model"`
	Topic string  `json:"topic"`
	Count float64 `json:"count"`
}

// RouteStats is one route pattern and method's counters and latency.
type RouteStats struct {
	Route    string             `json:"route"`
	Method   string             `json:"method"`
	Requests float64            `json:"requests"`
	ByStatus map[string]float64 `json:"by_status"`
	Latency  Histogram          `json:"latency_seconds"`
}

// Histogram is a latency distribution: cumulative buckets as Prometheus
// keeps them, and quantiles estimated from them.
type Histogram struct {
	Count   uint64   `json:"count"`
	Sum     float64  `json:"sum"`
	P50     float64  `json:"p50"`
	P95     float64  `json:"p95"`
	P99     float64  `json:"p99"`
	Buckets []Bucket `json:"buckets"`
}

// Bucket counts the observations at or below LE seconds.
type Bucket struct {
	LE    float64 `json:"le"`
	Count uint64  `json:"count"`
}

// Snapshot reads the registry into the JSON view.
func (m *Metrics) Snapshot() (MetricsSnapshot, error) {
	families, err := m.reg.Gather()
	if err != nil {
		return MetricsSnapshot{}, fmt.Errorf("metrics: gather: %w", err)
	}
	snap := MetricsSnapshot{UptimeSeconds: time.Since(m.started).Seconds(), APIKeys: map[string]float64{},
		Inference: InferenceStats{Stages: map[string]Histogram{}}, Predictions: []PredictionCount{}}
	routes := map[[2]string]*RouteStats{}
	route := func(labels []*dto.LabelPair) *RouteStats {
		key := [2]string{label(labels, "route"), label(labels, "method")}
		r, ok := routes[key]
		if !ok {
			r = &RouteStats{Route: key[0], Method: key[1], ByStatus: map[string]float64{}}
			routes[key] = r
		}
		return r
	}
	for _, f := range families {
		for _, mt := range f.GetMetric() {
			switch f.GetName() {
			case metricRequests:
				r := route(mt.GetLabel())
				v := mt.GetCounter().GetValue()
				r.ByStatus[label(mt.GetLabel(), "status")] += v
				r.Requests += v
			case metricLatency:
				route(mt.GetLabel()).Latency = histogramOf(mt.GetHistogram())
			case metricKeyRequests:
				snap.APIKeys[label(mt.GetLabel(), "key")] = mt.GetCounter().GetValue()
			case metricAuthFailures:
				snap.AuthFailures = mt.GetCounter().GetValue()
			case metricStages:
				snap.Inference.Stages[label(mt.GetLabel(), "stage")] = histogramOf(mt.GetHistogram())
			case metricBatchSize:
				snap.Inference.BatchSize = histogramOf(mt.GetHistogram())
			case metricQueueDepth:
				snap.Inference.QueueDepth = mt.GetGauge().GetValue()
			case metricPredictions:
				snap.Predictions = append(snap.Predictions, PredictionCount{
					Model: label(mt.GetLabel(), "model"), Topic: label(mt.GetLabel(), "topic"), Count: mt.GetCounter().GetValue()})
			}
		}
	}
	snap.Jobs = jobStats(families)
	for _, r := range routes {
		snap.Routes = append(snap.Routes, *r)
	}
	sort.Slice(snap.Routes, func(i, j int) bool {
		a, b := snap.Routes[i], snap.Routes[j]
		if a.Route != b.Route {
			return a.Route < b.Route
		}
		return a.Method < b.Method
	})
	return snap, nil
}

func label(labels []*dto.LabelPair, name string) string {
	for _, l := range labels {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func histogramOf(h *dto.Histogram) Histogram {
	out := Histogram{Count: h.GetSampleCount(), Sum: h.GetSampleSum()}
	for _, b := range h.GetBucket() {
		out.Buckets = append(out.Buckets, Bucket{LE: b.GetUpperBound(), Count: b.GetCumulativeCount()})
	}
	out.P50 = quantile(0.50, out.Buckets, out.Count)
	out.P95 = quantile(0.95, out.Buckets, out.Count)
	out.P99 = quantile(0.99, out.Buckets, out.Count)
	return out
}

// quantile estimates the q-quantile from cumulative buckets the way
// Prometheus's histogram_quantile does: linear interpolation within the
// bucket holding the rank, with the first bucket starting at zero. Ranks
// past the last finite bound report that bound.
func quantile(q float64, buckets []Bucket, count uint64) float64 {
	if count == 0 || len(buckets) == 0 {
		return 0
	}
	rank := q * float64(count)
	lower, below := 0.0, uint64(0)
	for _, b := range buckets {
		if float64(b.Count) >= rank {
			if math.IsInf(b.LE, 1) {
				return lower
			}
			inBucket := b.Count - below
			if inBucket == 0 {
				return b.LE
			}
			return lower + (b.LE-lower)*(rank-float64(below))/float64(inBucket)
		}
		lower, below = b.LE, b.Count
	}
	return lower
}
