package web

import (
	"math"
	"slices"
	"time"

	"github.com/newsintel/newsintel/store"
)

// Spike detection: a bucket is a spike when its count stands at least
// spikeZ standard deviations above the mean of the spikeWindow buckets
// before it, and reaches spikeMinCount, so that 0→2 on a quiet topic is not
// news. The standard deviation is floored at 1: after a flat week any
// jump would otherwise be infinitely surprising.
const (
	spikeWindow   = 7
	spikeZ        = 3.0
	spikeMinCount = 5
)

// Bucket intervals.
const (
	intervalDay  = "day"
	intervalWeek = "week"
)

// bucket is one period of a trend: days Start through Last (UTC).
type bucket struct {
	Start, Last time.Time
}

// label names a bucket as the chart and CSV show it.
func (b bucket) label() string { return b.Start.Format(time.DateOnly) }

// trendBuckets splits from..to (UTC days, inclusive) into buckets of the
// interval, preceded by spikeWindow buckets of history for spike
// detection. Weeks run Monday to Sunday, so the range widens to whole
// weeks. It returns all buckets and how many of them are history.
func trendBuckets(from, to time.Time, interval string) ([]bucket, int) {
	step := 1
	if interval == intervalWeek {
		step = 7
		from = from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7))
		to = to.AddDate(0, 0, 6-(int(to.Weekday())+6)%7)
	}
	start := from.AddDate(0, 0, -step*spikeWindow)
	var out []bucket
	for d := start; !d.After(to); d = d.AddDate(0, 0, step) {
		out = append(out, bucket{Start: d, Last: d.AddDate(0, 0, step-1)})
	}
	return out, spikeWindow
}

// trendSeries is one topic's counts over the shown buckets.
type trendSeries struct {
	Topic  string
	Counts []int
	// Shares are percentages of all topics' total in each bucket.
	Shares []float64
	Spikes []spike
}

// spike is a flagged bucket of a series.
type spike struct {
	Index int // into the shown buckets
	Count int
	Mean  float64 // of the trailing window
	Z     float64
}

// trendSet is one kind of count (predicted or reviewed) bucketed.
type trendSet struct {
	Series []trendSeries
	Totals []int // all topics per shown bucket
}

// buildTrendSet buckets one kind's daily counts. topics fixes which series
// appear and in what order, zero-filled where a topic had nothing.
func buildTrendSet(rows []store.TopicDayCount, totals []store.DayCount, all []bucket, history int, topics []string) trendSet {
	index := func(day string) int {
		d, err := time.Parse(time.DateOnly, day)
		if err != nil || len(all) == 0 || d.Before(all[0].Start) {
			return -1
		}
		span := all[0].Last.Sub(all[0].Start) + 24*time.Hour
		i := int(d.Sub(all[0].Start) / span)
		if i >= len(all) {
			return -1
		}
		return i
	}
	counts := map[string][]int{}
	for _, t := range topics {
		counts[t] = make([]int, len(all))
	}
	for _, r := range rows {
		if c, ok := counts[r.Topic]; ok {
			if i := index(r.Day); i >= 0 {
				c[i] += r.Count
			}
		}
	}
	sum := make([]int, len(all))
	for _, r := range totals {
		if i := index(r.Day); i >= 0 {
			sum[i] += r.Count
		}
	}
	set := trendSet{Totals: sum[history:]}
	for _, t := range topics {
		c := counts[t]
		s := trendSeries{Topic: t, Counts: c[history:], Shares: make([]float64, len(all)-history)}
		for i := range s.Shares {
			if tot := sum[history+i]; tot > 0 {
				s.Shares[i] = math.Round(1000*float64(s.Counts[i])/float64(tot)) / 10
			}
		}
		s.Spikes = spikes(c, history)
		set.Series = append(set.Series, s)
	}
	return set
}

// spikes flags the buckets from first on whose count stands out against
// the spikeWindow buckets before it. Indexes are relative to first.
func spikes(counts []int, first int) []spike {
	var out []spike
	for i := max(first, spikeWindow); i < len(counts); i++ {
		window := counts[i-spikeWindow : i]
		mean := 0.0
		for _, c := range window {
			mean += float64(c)
		}
		mean /= float64(len(window))
		variance := 0.0
		for _, c := range window {
			variance += (float64(c) - mean) * (float64(c) - mean)
		}
		sd := math.Max(math.Sqrt(variance/float64(len(window))), 1)
		z := (float64(counts[i]) - mean) / sd
		if z >= spikeZ && counts[i] >= spikeMinCount {
			out = append(out, spike{Index: i - first, Count: counts[i], Mean: mean, Z: z})
		}
	}
	return out
}

// trendTopics is the series to draw: the chosen topics, or every topic
// with a count in either kind, sorted.
func trendTopics(chosen []string, t store.TopicTrends) []string {
	if len(chosen) > 0 {
		out := slices.Clone(chosen)
		slices.Sort(out)
		return slices.Compact(out)
	}
	var out []string
	for _, rows := range [][]store.TopicDayCount{t.Predicted, t.Reviewed} {
		for _, r := range rows {
			out = append(out, r.Topic)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
