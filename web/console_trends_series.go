package web

import (
	"math"
	"slices"
	"time"

	"github.com/newsintel/newsintel/inference/spike"
	"github.com/newsintel/newsintel/store"
)

// Bucket intervals.
const (
	intervalDay  = "day"
	intervalWeek = "week"
)

// bucket is one period of a trend: days Start through Last, dates of
// the chosen zone held as UTC midnights.
type bucket struct {
	Start, Last time.Time
}

// partial reports whether the period is not over by today (a date like
// Start): its count is still growing.
func (b bucket) partial(today time.Time) bool { return !b.Last.Before(today) }

// label names a bucket as the chart and CSV show it.
func (b bucket) label() string { return b.Start.Format(time.DateOnly) }

// spikeHistory is how many buckets before the shown ones are read, as the
// spike detector's trailing window.
var spikeHistory = spike.Default.Window

// trendBuckets splits from..to (days, inclusive) into buckets of the
// interval, preceded by spikeHistory buckets of history for spike
// detection. Weeks run Monday to Sunday, so the range widens to whole
// weeks. It returns all buckets and how many of them are history.
func trendBuckets(from, to time.Time, interval string) ([]bucket, int) {
	step := 1
	if interval == intervalWeek {
		step = 7
		from = from.AddDate(0, 0, -((int(from.Weekday()) + 6) % 7))
		to = to.AddDate(0, 0, 6-(int(to.Weekday())+6)%7)
	}
	start := from.AddDate(0, 0, -step*spikeHistory)
	var out []bucket
	for d := start; !d.After(to); d = d.AddDate(0, 0, step) {
		out = append(out, bucket{Start: d, Last: d.AddDate(0, 0, step-1)})
	}
	return out, spikeHistory
}

// trendSeries is one topic's counts over the shown buckets.
type trendSeries struct {
	Topic  string
	Counts []int
	// Shares are percentages of all topics' total in each bucket.
	Shares []float64
	// Spikes index the shown buckets.
	Spikes []spike.Spike
}

// trendSet is one kind of count (predicted or reviewed) bucketed.
type trendSet struct {
	Series []trendSeries
	Totals []int // all topics per shown bucket
	// Undated is how many of the shown topics' counts, over the shown
	// buckets, are of articles without a publication date.
	Undated int
}

// buildTrendSet buckets one kind's daily counts. topics fixes which series
// appear and in what order, zero-filled where a topic had nothing.
//
// Spikes are tested from the first bucket with any count on: before it
// there is no data at all, an empty past rather than a quiet one.
func buildTrendSet(rows []store.TopicDayCount, totals, undated []store.DayCount, all []bucket, history int, topics []string) trendSet {
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
	for _, r := range undated {
		if i := index(r.Day); i >= history {
			set.Undated += r.Count
		}
	}
	observed := slices.IndexFunc(sum, func(n int) bool { return n > 0 })
	for _, t := range topics {
		c := counts[t]
		s := trendSeries{Topic: t, Counts: c[history:], Shares: make([]float64, len(all)-history)}
		for i := range s.Shares {
			if tot := sum[history+i]; tot > 0 {
				s.Shares[i] = math.Round(1000*float64(s.Counts[i])/float64(tot)) / 10
			}
		}
		for _, sp := range spike.Detect(c, history, max(observed, 0), spike.Default) {
			sp.Index -= history
			s.Spikes = append(s.Spikes, sp)
		}
		set.Series = append(set.Series, s)
	}
	return set
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
