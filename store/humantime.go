package store

import (
	"fmt"
	"time"
)

// Messages that people read (409 reasons, a run's error) give times as a
// clock time in UTC and, for times near now, how far off they are: never
// RFC 3339, which is for JSON fields.

// humanTime is a time for a message: "14:05 UTC (in 12 min)", with the
// date when it is not today: "2026-12-01 14:05 UTC (2 days ago)".
func humanTime(t, now time.Time) string {
	return clockTime(t, now) + " (" + relative(t.Sub(now)) + ")"
}

// clockTime is a time without reference to now, for stored messages,
// which are read later: "14:05 UTC", or with the date when t is not on
// the day of now.
func clockTime(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return t.Format("15:04 UTC")
	}
	return t.Format("2006-01-02 15:04 UTC")
}

// relative says how far from now a time is, rounded for reading.
func relative(d time.Duration) string {
	switch {
	case d >= 0 && d < time.Minute:
		return "in under a minute"
	case d < 0 && d > -time.Minute:
		return "under a minute ago"
	case d > 0:
		return "in " + humanDuration(d)
	default:
		return humanDuration(-d) + " ago"
	}
}

// humanDuration is a duration as a person says it: "45 s", "12 min",
// "1 h 30 min", "3 days".
func humanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	default:
		return fmt.Sprintf("%d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
	}
}
