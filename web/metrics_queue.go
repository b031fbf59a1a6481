package web

import (
	"context"
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// queueCollector reports the review backlog when Prometheus scrapes. The
// count lives in the database, shared by every replica, so reading it at
// scrape time is the only way each replica can report the same, current
// figure; a gauge updated by this replica's own writes would miss the
// others' and the labels given on the console of another replica.
type queueCollector struct {
	count func(context.Context) (int, error)
	log   *slog.Logger
	desc  *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect leaves the gauge out when the database does not answer in time:
// a scrape that fails as a whole would hide every other metric, and the
// missing series is itself visible (absent()).
func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	n, err := c.count(ctx)
	if err != nil {
		c.log.Warn("metrics: review queue count", slog.Any("error", err))
		return
	}
	ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n))
}

// watchReviewQueue registers the review backlog gauge, counted by count at
// each scrape. A second server built on the same Metrics keeps the first
// one's collector: both read the same database.
func (m *Metrics) watchReviewQueue(count func(context.Context) (int, error), log *slog.Logger) error {
	c := &queueCollector{count: count, log: log, desc: prometheus.NewDesc(metricReviewQueue,
		"Open review items (pending or claimed by a reviewer), counted in the database at scrape time.", nil, nil)}
	err := m.reg.Register(c)
	if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
		return nil
	}
	return err
}
