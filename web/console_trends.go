package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	// Zones are the analyst's choice, not the host's: carry the database
	// rather than trust the machine to have one.
	_ "time/tzdata"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/inference/spike"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
	"github.com/newsintel/newsintel/views/chart"
)

// trendsStore is what the Trends page reads.
type trendsStore interface {
	TopicTrends(ctx context.Context, q store.TrendQuery) (store.TopicTrends, error)
	TrendFilters(ctx context.Context) (store.TrendFilters, error)
}

// Chart views and measures.
const (
	viewStacked   = "stacked"
	viewLine      = "line"
	measureCount  = "count"
	measureShare  = "share"
	defaultPeriod = 30 // days shown when no range is given
)

// trendZones are the zones the Trends page offers; the tz parameter takes
// any IANA name.
var trendZones = []string{"UTC", "America/Los_Angeles", "America/Chicago", "America/New_York", "America/Sao_Paulo",
	"Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Moscow", "Africa/Johannesburg", "Asia/Dubai",
	"Asia/Kolkata", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland"}

// trendParams are the Trends filters, parsed. From and To are days of
// Zone, both included, held as UTC midnights.
type trendParams struct {
	From, To time.Time
	// Zone is where days begin and end (tz); articles are stored in UTC.
	Zone     *time.Location
	Source   string
	Topics   []string
	Interval string
	View     string
	Measure  string
}

// parseTrendParams reads the filters from the query string, defaulting
// to the last defaultPeriod days of UTC by day, stacked counts. It returns
// what it could read along with what was wrong, for the form to show.
func parseTrendParams(q url.Values, now time.Time) (trendParams, []FieldError) {
	var errs []FieldError
	zone := time.UTC
	if name := strings.TrimSpace(q.Get("tz")); name != "" {
		loc, err := time.LoadLocation(name)
		// Local is the server's zone, which no analyst chose.
		if err != nil || name == "Local" {
			errs = append(errs, FieldError{Field: "tz", Message: fmt.Sprintf("%q is not an IANA time zone (such as Europe/Paris)", name)})
		} else {
			zone = loc
		}
	}
	today := zoneToday(now, zone)
	p := trendParams{To: today, From: today.AddDate(0, 0, -(defaultPeriod - 1)), Zone: zone,
		Source: strings.TrimSpace(q.Get("source")), Interval: intervalDay, View: viewStacked, Measure: measureCount}
	for _, t := range q["topic"] {
		if t = strings.TrimSpace(t); t != "" {
			p.Topics = append(p.Topics, t)
		}
	}
	date := func(field string, dst *time.Time) {
		raw := strings.TrimSpace(q.Get(field))
		if raw == "" {
			return
		}
		d, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("%q is not a date (YYYY-MM-DD)", raw)})
			return
		}
		*dst = d
	}
	date("from", &p.From)
	date("to", &p.To)
	if !slices.ContainsFunc(errs, func(e FieldError) bool { return e.Field == "from" || e.Field == "to" }) {
		switch {
		case p.From.After(p.To):
			errs = append(errs, FieldError{Field: "from", Message: "the range starts after it ends"})
		case p.To.Sub(p.From) > 731*24*time.Hour:
			errs = append(errs, FieldError{Field: "to", Message: "the range may span at most two years"})
		}
	}
	choice := func(field string, dst *string, allowed ...string) {
		if v := q.Get(field); v != "" {
			if !slices.Contains(allowed, v) {
				errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))})
				return
			}
			*dst = v
		}
	}
	choice("interval", &p.Interval, intervalDay, intervalWeek)
	choice("view", &p.View, viewStacked, viewLine)
	choice("measure", &p.Measure, measureCount, measureShare)
	return p, errs
}

// values is p as a query string, with overrides, for links that change one
// setting and keep the rest.
func (p trendParams) values(set ...string) url.Values {
	v := url.Values{}
	v.Set("from", p.From.Format(time.DateOnly))
	v.Set("to", p.To.Format(time.DateOnly))
	v.Set("tz", p.Zone.String())
	if p.Source != "" {
		v.Set("source", p.Source)
	}
	for _, t := range p.Topics {
		v.Add("topic", t)
	}
	v.Set("interval", p.Interval)
	v.Set("view", p.View)
	v.Set("measure", p.Measure)
	for i := 0; i+1 < len(set); i += 2 {
		v.Set(set[i], set[i+1])
	}
	return v
}

// trendData is everything the page and the CSV are made of.
type trendData struct {
	params    trendParams
	today     time.Time // in params.Zone
	buckets   []bucket  // the shown ones
	topics    []string
	predicted trendSet
	reviewed  trendSet
}

// loadTrends queries the store and buckets the counts.
func (s *Server) loadTrends(ctx context.Context, p trendParams, today time.Time) (trendData, error) {
	all, history := trendBuckets(p.From, p.To, p.Interval)
	// From the zone's midnight to its midnight: a day of a zone with
	// daylight saving may last 23 or 25 hours.
	midnight := func(d time.Time) time.Time { return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, p.Zone) }
	raw, err := s.store.TopicTrends(ctx, store.TrendQuery{From: midnight(all[0].Start), To: midnight(all[len(all)-1].Last.AddDate(0, 0, 1)),
		Zone: p.Zone, Source: p.Source, Topics: p.Topics})
	if err != nil {
		return trendData{}, err
	}
	topics := trendTopics(p.Topics, raw)
	return trendData{params: p, today: today, buckets: all[history:], topics: topics,
		predicted: buildTrendSet(raw.Predicted, raw.PredictedTotal, raw.PredictedUndated, all, history, topics),
		reviewed:  buildTrendSet(raw.Reviewed, raw.ReviewedTotal, raw.ReviewedUndated, all, history, topics)}, nil
}

func utcToday() time.Time { return zoneToday(time.Now(), time.UTC) }

// zoneToday is the date of now in loc, as a UTC midnight like the
// buckets'.
func zoneToday(now time.Time, loc *time.Location) time.Time {
	y, m, d := now.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// consoleTrends serves the Trends page. Refused filters re-render the form
// with the reasons, as 422.
func (s *Server) consoleTrends(c echo.Context) error {
	ctx := c.Request().Context()
	now := time.Now()
	p, errs := parseTrendParams(c.QueryParams(), now)
	filters, err := s.store.TrendFilters(ctx)
	if err != nil {
		return err
	}
	v := views.TrendsView{Filters: s.trendFilters(p, filters)}
	if len(errs) > 0 {
		for _, e := range errs {
			v.Errors = append(v.Errors, e.Field+": "+e.Message)
		}
		return s.render(c, http.StatusUnprocessableEntity, "Trends", views.TrendsPage(v))
	}
	d, err := s.loadTrends(ctx, p, zoneToday(now, p.Zone))
	if err != nil {
		return err
	}
	s.fillTrendsView(&v, d, filters.Topics)
	return s.render(c, http.StatusOK, "Trends", views.TrendsPage(v))
}

func (s *Server) trendFilters(p trendParams, f store.TrendFilters) views.TrendsFilters {
	out := views.TrendsFilters{Action: s.echo.Reverse(RouteConsoleTrends), From: p.From.Format(time.DateOnly), To: p.To.Format(time.DateOnly),
		Zone: p.Zone.String(), Zones: trendZones, Source: p.Source, Sources: f.Sources, Interval: p.Interval, View: p.View, Measure: p.Measure}
	if !slices.Contains(out.Zones, out.Zone) {
		out.Zones = append(slices.Clone(out.Zones), out.Zone)
	}
	topics := slices.Clone(f.Topics)
	for _, t := range p.Topics {
		if !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	for _, t := range topics {
		out.Topics = append(out.Topics, views.TopicChoice{Name: t, Checked: slices.Contains(p.Topics, t)})
	}
	return out
}

// fillTrendsView turns bucketed counts into the charts, toggles and spike
// list. known is every topic, so a topic keeps its style whatever the
// filter.
func (s *Server) fillTrendsView(v *views.TrendsView, d trendData, known []string) {
	p := d.params
	page := s.echo.Reverse(RouteConsoleTrends)
	link := func(set ...string) string { return page + "?" + p.values(set...).Encode() }
	opt := func(field, value, label string, current string) views.ToggleOption {
		return views.ToggleOption{Label: label, URL: link(field, value), TestID: "toggle-" + field + "-" + value, Active: value == current}
	}
	v.Toggles = []views.ToggleGroup{
		{Label: "View", Options: []views.ToggleOption{opt("view", viewStacked, "Stacked", p.View), opt("view", viewLine, "Lines", p.View)}},
		{Label: "Measure", Options: []views.ToggleOption{opt("measure", measureCount, "Counts", p.Measure), opt("measure", measureShare, "Share of total", p.Measure)}},
		{Label: "Interval", Options: []views.ToggleOption{opt("interval", intervalDay, "Day", p.Interval), opt("interval", intervalWeek, "Week", p.Interval)}},
	}
	v.CSVURL = s.echo.Reverse(RouteConsoleTrendsCSV) + "?" + p.values().Encode()
	first, last := d.buckets[0].Start, d.buckets[len(d.buckets)-1].Last
	v.Summary = fmt.Sprintf("%s to %s (%s), by %s of publication: %d predictions and %d human labels",
		first.Format(time.DateOnly), last.Format(time.DateOnly), p.Zone, p.Interval, seriesSum(d.predicted), seriesSum(d.reviewed))
	// Chosen topics are counted as shown; the totals, which the shares
	// divide by, cover all topics.
	if len(p.Topics) > 0 {
		v.Summary += fmt.Sprintf(" of the chosen topics (%d and %d of all topics)", trendSum(d.predicted.Totals), trendSum(d.reviewed.Totals))
	}
	v.Summary += "."
	v.PartialNote = partialNote(d)
	style := func(topic string) int {
		if i := slices.Index(known, topic); i >= 0 {
			return i
		}
		return len(known) + slices.Index(d.topics, topic)
	}
	v.Predicted = s.trendChart(d, d.predicted, "trends-predicted", "Predicted by the model", "articles", style)
	v.Reviewed = s.trendChart(d, d.reviewed, "trends-reviewed", "Reviewed by humans", "labels", style)
	cfg := spike.Default
	v.SpikeRule = fmt.Sprintf("A spike is a %[1]s whose count is at least %[2]d and has less than a %[3]g chance against the mean of up to %[4]d %[1]ss before it "+
		"(a Poisson test, negative binomial when those %[1]ss vary more). It needs %[5]d %[1]ss with data before it, and a topic with no count at all before is new, not a spike.",
		p.Interval, cfg.MinCount, cfg.Alpha, cfg.Window, cfg.MinHistory)
	for _, k := range []struct {
		name string
		set  trendSet
	}{{"Predicted", d.predicted}, {"Reviewed", d.reviewed}} {
		for _, sr := range k.set.Series {
			for _, sp := range sr.Spikes {
				b := d.buckets[sp.Index]
				v.Spikes = append(v.Spikes, views.TrendSpike{Kind: k.name, Topic: sr.Topic, Period: periodName(b, p.Interval),
					Count: sp.Count, Expected: strconv.FormatFloat(sp.Expected, 'f', 1, 64), P: formatP(sp.P),
					Href: s.articlesURL(sr.Topic, b.Start, b.Last, p.Source)})
			}
		}
	}
	slices.SortStableFunc(v.Spikes, func(a, b views.TrendSpike) int { return strings.Compare(a.Period, b.Period) })
}

// trendChart draws one kind of count.
func (s *Server) trendChart(d trendData, set trendSet, id, title, unit string, style func(string) int) chart.Chart {
	p := d.params
	c := chart.Chart{ID: id, Title: title, YLabel: unit + " per " + p.Interval, Percent: p.Measure == measureShare,
		Note: basisNote(set, p.Zone, unit), Empty: fmt.Sprintf("No %s on articles of this range: nothing to draw.", unit)}
	if c.Percent {
		c.YLabel = "% of " + c.YLabel
	}
	if p.View == viewLine {
		c.Mode = chart.Line
	}
	for _, b := range d.buckets {
		c.Labels = append(c.Labels, periodName(b, p.Interval))
		c.TickLabels = append(c.TickLabels, b.Start.Format("Jan 2"))
		c.Partial = append(c.Partial, b.partial(d.today))
	}
	for si, sr := range set.Series {
		cs := chart.Series{Name: sr.Topic, Style: style(sr.Topic), Href: s.articlesURL(sr.Topic, d.buckets[0].Start, d.buckets[len(d.buckets)-1].Last, p.Source)}
		for i, n := range sr.Counts {
			v := float64(n)
			if c.Percent {
				v = sr.Shares[i]
			}
			cs.Values = append(cs.Values, v)
			cs.Tooltips = append(cs.Tooltips, fmt.Sprintf("%s · %s: %d %s (%s of %d)", sr.Topic, c.Labels[i], n, unit,
				chart.FormatValue(sr.Shares[i], true), set.Totals[i]))
		}
		c.Series = append(c.Series, cs)
		for _, sp := range sr.Spikes {
			b := d.buckets[sp.Index]
			c.Markers = append(c.Markers, chart.Marker{Series: si, Index: sp.Index,
				Title: fmt.Sprintf("Spike: %s, %s: %d %s where %.1f were expected (p = %s)", sr.Topic, c.Labels[sp.Index], sp.Count, unit, sp.Expected, formatP(sp.P)),
				Href:  s.articlesURL(sr.Topic, b.Start, b.Last, p.Source)})
		}
	}
	how := "Stacked bars"
	if c.Mode == chart.Line {
		how = "Lines"
	}
	c.Desc = fmt.Sprintf("%s of %s by topic, %s to %s: %d topics, %d %s in all, %d spikes. The data table below has every value.",
		how, c.YLabel, c.Labels[0], c.Labels[len(c.Labels)-1], len(set.Series), trendSum(set.Totals), unit, len(c.Markers))
	return c
}

// periodName names a bucket for people.
func periodName(b bucket, interval string) string {
	if interval == intervalWeek {
		return "week of " + b.Start.Format(time.DateOnly)
	}
	return b.Start.Format(time.DateOnly)
}

// articlesURL is the Articles page filtered to a topic and days: where
// every series, legend entry and spike leads.
func (s *Server) articlesURL(topic string, from, to time.Time, source string) string {
	base := s.echo.Reverse(RouteConsoleArticles)
	if base == "" {
		base = "/console/articles" // until the Articles page is registered
	}
	q := url.Values{"topic": {topic}, "from": {from.Format(time.DateOnly)}, "to": {to.Format(time.DateOnly)}}
	if source != "" {
		q.Set("source", source)
	}
	return base + "?" + q.Encode()
}

// basisNote says what a chart's days are: publication dates in the
// zone, with how many articles had none and count by arrival instead.
func basisNote(set trendSet, zone *time.Location, unit string) string {
	note := fmt.Sprintf("Counted by publication date, days in %s", zone)
	switch {
	case set.Undated > 0 && unit == "articles":
		note += fmt.Sprintf("; %d articles without one counted by time received", set.Undated)
	case set.Undated > 0:
		note += fmt.Sprintf("; %d %s on articles without one counted by when those were received", set.Undated, unit)
	}
	return note + "."
}

// partialNote explains the partial buckets, if any: the periods that are
// not over, whose counts are still growing.
func partialNote(d trendData) string {
	var names []string
	for _, b := range d.buckets {
		if b.partial(d.today) {
			names = append(names, periodName(b, d.params.Interval))
		}
	}
	switch len(names) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("Hatched: %s is partial (today is %s in %s): its counts are still growing.", names[0], d.today.Format(time.DateOnly), d.params.Zone)
	}
	return fmt.Sprintf("Hatched: %d periods from %s on are partial (today is %s in %s): their counts are still growing.",
		len(names), names[0], d.today.Format(time.DateOnly), d.params.Zone)
}

// formatP prints a p-value with two significant digits.
func formatP(p float64) string { return strconv.FormatFloat(p, 'g', 2, 64) }

// seriesSum is the count of the shown series, which a topic filter narrows.
func seriesSum(set trendSet) int {
	n := 0
	for _, sr := range set.Series {
		n += trendSum(sr.Counts)
	}
	return n
}

func trendSum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// consoleTrendsCSV exports the series the page shows, one row per period,
// kind and topic.
func (s *Server) consoleTrendsCSV(c echo.Context) error {
	now := time.Now()
	p, errs := parseTrendParams(c.QueryParams(), now)
	if len(errs) > 0 {
		return errValidation(errs...)
	}
	d, err := s.loadTrends(c.Request().Context(), p, zoneToday(now, p.Zone))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="trends-%s-%s-%s.csv"`,
		p.From.Format(time.DateOnly), p.To.Format(time.DateOnly), p.Interval))
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	w.Write([]string{"period_start", "period_end", "kind", "topic", "count", "share_percent", "period_total", "spike",
		"spike_expected", "spike_p_value", "partial"})
	for _, k := range []struct {
		name string
		set  trendSet
	}{{"predicted", d.predicted}, {"reviewed", d.reviewed}} {
		for _, sr := range k.set.Series {
			for i, b := range d.buckets {
				expected, p := "", ""
				j := slices.IndexFunc(sr.Spikes, func(sp spike.Spike) bool { return sp.Index == i })
				if j >= 0 {
					expected, p = strconv.FormatFloat(sr.Spikes[j].Expected, 'f', 2, 64), formatP(sr.Spikes[j].P)
				}
				w.Write([]string{b.Start.Format(time.DateOnly), b.Last.Format(time.DateOnly), k.name, csvCell(sr.Topic),
					strconv.Itoa(sr.Counts[i]), strconv.FormatFloat(sr.Shares[i], 'f', 1, 64), strconv.Itoa(k.set.Totals[i]),
					strconv.FormatBool(j >= 0), expected, p, strconv.FormatBool(b.partial(d.today))})
			}
		}
	}
	w.Flush()
	return w.Error()
}

// csvCell defuses a cell a spreadsheet would run as a formula: topic names
// come from labels anyone with an API key can send.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
