package web

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/views"
	"github.com/newsintel/newsintel/views/chart"
)

// metricsEvery is how often the Metrics page refreshes itself.
const metricsEvery = "10s"

// consoleMetrics serves the Metrics page from the same registry as the
// JSON /metrics. ?paused=1 renders it without polling; the page's pause
// and resume links swap the live region between the two.
func (s *Server) consoleMetrics(c echo.Context) error {
	snap, err := s.metrics.Snapshot()
	if err != nil {
		return err
	}
	page := s.echo.Reverse(RouteConsoleMetrics)
	v := views.MetricsView{URL: page, PauseURL: page + "?paused=1", ResumeURL: page, Paused: c.QueryParam("paused") == "1",
		Every: metricsEvery, Updated: time.Now().UTC().Format("15:04:05") + " UTC",
		Generation:   strconv.FormatFloat(snap.UptimeSeconds, 'f', 6, 64),
		Uptime:       (time.Duration(snap.UptimeSeconds) * time.Second).String(),
		AuthFailures: fmtCount(snap.AuthFailures)}
	fillRouteMetrics(&v, snap)
	fillInferenceMetrics(&v, snap)
	fillJobMetrics(&v, snap.Jobs)
	if n, err := s.store.OpenReviewCount(c.Request().Context()); err != nil {
		// The rest of the page is still worth showing during a database
		// outage; say what is missing instead of failing it all.
		logger(c.Request().Context()).Warn("metrics page: review backlog", "error", err)
		v.BacklogError = "the database did not answer"
	} else {
		v.Backlog = strconv.Itoa(n)
	}
	return s.render(c, http.StatusOK, "Metrics", views.MetricsPage(v))
}

func fillRouteMetrics(v *views.MetricsView, snap MetricsSnapshot) {
	var total, errs float64
	for _, r := range snap.Routes {
		client, server := r.ByStatus["4xx"], r.ByStatus["5xx"]
		total += r.Requests
		errs += client + server
		id := "route-" + strconv.Itoa(len(v.Routes))
		v.Routes = append(v.Routes, views.RouteMetrics{Route: r.Route, Method: r.Method, Requests: fmtCount(r.Requests),
			ClientErrors: fmtCount(client), ServerErrors: fmtCount(server), ErrorRate: fmtPercent(client+server, r.Requests),
			Alert: r.Requests > 0 && server/r.Requests > 0.01,
			P50:   fmtSeconds(r.Latency.P50, r.Latency.Count), P95: fmtSeconds(r.Latency.P95, r.Latency.Count), P99: fmtSeconds(r.Latency.P99, r.Latency.Count),
			Histogram: histogramChart(id, r.Method+" "+r.Route+" latency", "requests", r.Latency, secondsLabel, true)})
	}
	v.Requests, v.ErrorRate = fmtCount(total), fmtPercent(errs, total)
}

func fillInferenceMetrics(v *views.MetricsView, snap MetricsSnapshot) {
	inf := snap.Inference
	v.QueueDepth = fmtCount(inf.QueueDepth)
	v.Batches = strconv.FormatUint(inf.BatchSize.Count, 10)
	v.BatchMean = "0"
	if inf.BatchSize.Count > 0 {
		v.BatchMean = strconv.FormatFloat(inf.BatchSize.Sum/float64(inf.BatchSize.Count), 'f', 1, 64)
	}
	v.BatchChart = histogramChart("batch-sizes", "Encoder batch sizes", "batches", inf.BatchSize,
		func(le float64) string { return "≤" + strconv.FormatFloat(le, 'f', -1, 64) }, false)
	stages := make([]string, 0, len(inf.Stages))
	for name := range inf.Stages {
		stages = append(stages, name)
	}
	slices.Sort(stages)
	for _, name := range stages {
		h := inf.Stages[name]
		v.Stages = append(v.Stages, views.StageMetrics{Stage: name, Count: strconv.FormatUint(h.Count, 10),
			P50: fmtSeconds(h.P50, h.Count), P95: fmtSeconds(h.P95, h.Count), P99: fmtSeconds(h.P99, h.Count)})
	}
	byTopic := map[string]float64{}
	var topics []string
	for _, p := range snap.Predictions {
		v.Predictions = append(v.Predictions, views.PredictionMetrics{Model: p.Model, Topic: p.Topic, Count: fmtCount(p.Count)})
		if _, ok := byTopic[p.Topic]; !ok {
			topics = append(topics, p.Topic)
		}
		byTopic[p.Topic] += p.Count
	}
	slices.Sort(topics)
	tc := chart.Chart{ID: "predictions-by-topic", Title: "Predictions per topic since start", YLabel: "predictions",
		Labels: topics, Height: 220, Width: 480}
	series := chart.Series{Name: "predictions"}
	for _, t := range topics {
		series.Values = append(series.Values, byTopic[t])
	}
	tc.Series = []chart.Series{series}
	tc.Desc = fmt.Sprintf("Bars of predictions per topic for %d topics, all models together.", len(topics))
	v.TopicChart = tc
}

// histogramChart draws a histogram's buckets as bars: the count in each
// bucket (not the cumulative one), with the overflow past the last bound
// as a final bar.
func histogramChart(id, title, unit string, h Histogram, label func(float64) string, compact bool) chart.Chart {
	c := chart.Chart{ID: id, Title: title, YLabel: unit, Compact: compact}
	if compact {
		c.Width, c.Height = 160, 32
	} else {
		c.Width, c.Height = 480, 220
	}
	s := chart.Series{Name: unit}
	below := uint64(0)
	for _, b := range h.Buckets {
		if math.IsInf(b.LE, 1) {
			continue
		}
		c.Labels = append(c.Labels, label(b.LE))
		s.Values = append(s.Values, float64(b.Count-below))
		below = b.Count
	}
	if len(h.Buckets) > 0 {
		c.Labels = append(c.Labels, "more")
		s.Values = append(s.Values, float64(h.Count-below))
	}
	for i, n := range s.Values {
		s.Tooltips = append(s.Tooltips, fmt.Sprintf("%s: %s %s", c.Labels[i], fmtCount(n), unit))
	}
	c.Series = []chart.Series{s}
	c.Desc = fmt.Sprintf("Histogram of %d %s over %d buckets.", h.Count, unit, len(c.Labels))
	return c
}

// secondsLabel names a latency bucket by its upper bound.
func secondsLabel(le float64) string { return "≤" + fmtSeconds(le, 1) }

// seconds prints a duration in seconds at a readable scale; "–" when
// nothing was measured.
func fmtSeconds(v float64, n uint64) string {
	if n == 0 {
		return "–"
	}
	switch {
	case v < 1e-3:
		return strconv.FormatFloat(v*1e6, 'f', 0, 64) + " µs"
	case v < 1:
		return strconv.FormatFloat(v*1e3, 'g', 3, 64) + " ms"
	default:
		return strconv.FormatFloat(v, 'g', 3, 64) + " s"
	}
}

func fmtCount(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }

func fmtPercent(part, whole float64) string {
	if whole == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*part/whole, 'f', 1, 64) + " %"
}

func fillJobMetrics(v *views.MetricsView, j JobStats) {
	for _, q := range j.Queues {
		v.JobQueues = append(v.JobQueues, views.JobQueueMetrics{Queue: q.Queue, State: q.State, Jobs: fmtCount(q.Jobs)})
	}
	for _, k := range j.Kinds {
		n := k.Duration.Count
		v.JobKinds = append(v.JobKinds, views.JobKindMetrics{Kind: k.Kind, Runs: strconv.FormatUint(n, 10), Failures: fmtCount(k.Failures),
			RunP50: fmtSeconds(k.Duration.P50, n), RunP95: fmtSeconds(k.Duration.P95, n), WaitP95: fmtSeconds(k.Wait.P95, k.Wait.Count)})
	}
	for _, f := range j.Feeds {
		v.Feeds = append(v.Feeds, views.FeedMetrics{Source: f.Source, Fetches: fmtCount(f.Fetches), Failures: fmtCount(f.Failures), Entries: fmtCount(f.Entries)})
	}
}
