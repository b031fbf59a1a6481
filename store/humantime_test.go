package store

import (
	"testing"
	"time"
)

func TestHumanTime(t *testing.T) {
	now := time.Date(2026, 12, 3, 13, 53, 20, 0, time.UTC)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{now.Add(12 * time.Minute), "14:05 UTC (in 12 min)"},
		{now.Add(20 * time.Second), "13:53 UTC (in under a minute)"},
		{now.Add(-20 * time.Second), "13:53 UTC (under a minute ago)"},
		{now.Add(-90 * time.Minute), "12:23 UTC (1 h 30 min ago)"},
		{now.Add(11 * time.Hour), "2026-12-04 00:53 UTC (in 11 h)"},
		{now.Add(-50 * time.Hour), "2026-12-01 11:53 UTC (2 days ago)"},
		// Another zone is shown in UTC.
		{now.Add(12 * time.Minute).In(time.FixedZone("CET", 3600)), "14:05 UTC (in 12 min)"},
	} {
		if got := humanTime(tc.t, now); got != tc.want {
			t.Errorf("humanTime(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{45 * time.Second, "45 s"},
		{10 * time.Minute, "10 min"},
		{time.Hour, "1 h"},
		{100 * time.Hour, "4 days"},
	} {
		if got := humanDuration(tc.d); got != tc.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}
