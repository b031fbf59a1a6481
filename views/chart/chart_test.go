package chart

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func render(t *testing.T, c Chart) *goquery.Document {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(c).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func sample(mode Mode) Chart {
	return Chart{
		ID: "predicted", Title: "Predicted topics", Desc: "Two topics over three days.", YLabel: "articles per day", Mode: mode,
		Labels: []string{"2024-03-10", "2024-03-11", "2024-03-12"},
		Series: []Series{
			{Name: "World", Values: []float64{2, 0, 7}, Href: "/console/articles?topic=World", Style: 0},
			{Name: "Sci/Tech", Values: []float64{1, 3, 1}, Style: 3,
				Tooltips: []string{"Sci/Tech · 2024-03-10: 1 article", "", ""}},
		},
		Markers: []Marker{{Series: 0, Index: 2, Title: "Spike: World on 2024-03-12", Href: "/console/articles?topic=World&from=2024-03-12"}},
	}
}

func TestRenderStacked(t *testing.T) {
	doc := render(t, sample(Stacked))
	if got := doc.Find(`[data-testid="predicted"]`).AttrOr("data-mode", ""); got != "stacked" {
		t.Errorf("mode %q", got)
	}
	if got := doc.Find(`[data-testid="predicted-y-label"]`).Text(); got != "articles per day" {
		t.Errorf("y label %q", got)
	}
	// Stacks reach 8: ticks 0..8 by 2.
	var ticks []string
	doc.Find(`[data-testid="y-tick"] text`).Each(func(_ int, s *goquery.Selection) { ticks = append(ticks, s.Text()) })
	if want := []string{"0", "2", "4", "6", "8"}; !reflect.DeepEqual(ticks, want) {
		t.Errorf("y ticks %v, want %v", ticks, want)
	}
	if n := doc.Find(`[data-testid="x-tick"]`).Length(); n != 3 {
		t.Errorf("%d x ticks", n)
	}
	var names []string
	doc.Find(`[data-testid="chart-series"]`).Each(func(_ int, s *goquery.Selection) { names = append(names, s.AttrOr("data-series", "")) })
	if want := []string{"World", "Sci/Tech"}; !reflect.DeepEqual(names, want) {
		t.Errorf("series %v", names)
	}
	// A zero value draws no bar: World has two, Sci/Tech three.
	world := doc.Find(`g[data-series="World"] rect`)
	if world.Length() != 2 {
		t.Errorf("World has %d bars", world.Length())
	}
	if got := world.First().Find("title").Text(); got != "World · 2024-03-10: 2" {
		t.Errorf("default tooltip %q", got)
	}
	if got := doc.Find(`g[data-series="Sci/Tech"] rect title`).First().Text(); got != "Sci/Tech · 2024-03-10: 1 article" {
		t.Errorf("custom tooltip %q", got)
	}
	if href := doc.Find(`g[data-series="World"] a`).AttrOr("href", ""); href != "/console/articles?topic=World" {
		t.Errorf("series link %q", href)
	}
	spike := doc.Find(`[data-testid="spike-marker"]`)
	if spike.Length() != 1 || spike.Find("title").Text() != "Spike: World on 2024-03-12" {
		t.Errorf("spike markers: %d %q", spike.Length(), spike.Find("title").Text())
	}
	// The Sci/Tech segment sits on top of World's: its bar ends higher.
	y := func(sel string) string { return doc.Find(sel).AttrOr("y", "") }
	if y(`g[data-series="World"] rect`) == y(`g[data-series="Sci/Tech"] rect`) {
		t.Error("segments are not stacked")
	}
}

func TestRenderLine(t *testing.T) {
	doc := render(t, sample(Line))
	if n := doc.Find("polyline").Length(); n != 2 {
		t.Fatalf("%d lines", n)
	}
	// Styles differ in colour and dash, so lines part without colour.
	a, b := doc.Find(`[data-series="World"] polyline`), doc.Find(`[data-series="Sci/Tech"] polyline`)
	if a.AttrOr("stroke", "") == b.AttrOr("stroke", "") || a.AttrOr("stroke-dasharray", "x") == b.AttrOr("stroke-dasharray", "x") {
		t.Error("lines share a colour or dash")
	}
	if n := doc.Find(`[data-series="World"] [data-testid="chart-point"] title`).Length(); n != 3 {
		t.Errorf("World has %d point tooltips", n)
	}
	// Legend: one entry per series, linked when the series is.
	entries := doc.Find(`[data-testid="predicted-legend"] [data-testid="legend-entry"]`)
	if entries.Length() != 2 || entries.First().Find("a").AttrOr("href", "") != "/console/articles?topic=World" {
		t.Errorf("legend: %d entries", entries.Length())
	}
	if entries.Eq(1).Find("a").Length() != 0 || strings.TrimSpace(entries.Eq(1).Text()) != "Sci/Tech" {
		t.Errorf("unlinked legend entry %q", entries.Eq(1).Text())
	}
	// The text alternative: title, desc and a data table.
	if doc.Find("svg > title").Text() != "Predicted topics" || doc.Find("svg > desc").Text() != "Two topics over three days." {
		t.Error("no title or desc")
	}
	labelled := doc.Find(`[data-testid="predicted-svg"]`).AttrOr("aria-labelledby", "")
	if labelled != "predicted-title predicted-desc" {
		t.Errorf("aria-labelledby %q", labelled)
	}
	var cells []string
	doc.Find(`[data-testid="predicted-table"] tbody tr`).Last().Find("th, td").Each(func(_ int, s *goquery.Selection) { cells = append(cells, s.Text()) })
	if want := []string{"2024-03-12", "7", "1"}; !reflect.DeepEqual(cells, want) {
		t.Errorf("last table row %v", cells)
	}
}

func TestRenderPercentAndCompact(t *testing.T) {
	c := sample(Stacked)
	c.Percent = true
	c.Series[0].Values = []float64{66.7, 0, 87.5}
	c.Series[1].Values = []float64{33.3, 100, 12.5}
	doc := render(t, c)
	last := doc.Find(`[data-testid="y-tick"] text`).Last().Text()
	if last != "100%" {
		t.Errorf("top tick %q", last)
	}
	c.Compact = true
	doc = render(t, c)
	if doc.Find(`[data-testid="legend-entry"]`).Length() != 0 || doc.Find("table").Length() != 0 || doc.Find(`[data-testid="y-tick"]`).Length() != 0 {
		t.Error("compact chart has a legend, table or axes")
	}
}

func TestManyLabelsThinTicks(t *testing.T) {
	c := Chart{ID: "c", Labels: make([]string, 30), Series: []Series{{Name: "a", Values: make([]float64, 30)}}}
	for i := range c.Labels {
		c.Labels[i] = "d" + string(rune('a'+i%26))
	}
	doc := render(t, c)
	if n := doc.Find(`[data-testid="x-tick"]`).Length(); n > 10 || n < 5 {
		t.Errorf("%d x ticks for 30 categories", n)
	}
}

func TestTicks(t *testing.T) {
	cases := []struct {
		max     float64
		integer bool
		want    []float64
	}{
		{0, true, []float64{0, 1}},
		{3, true, []float64{0, 1, 2, 3}},
		{8, true, []float64{0, 2, 4, 6, 8}},
		{97, true, []float64{0, 20, 40, 60, 80, 100}},
		// A raw step of 2.4 rounds to 2.5 for fractions, to 5 for counts.
		{12, true, []float64{0, 5, 10, 15}},
		{12, false, []float64{0, 2.5, 5, 7.5, 10, 12.5}},
		{0.4, false, []float64{0, 0.1, 0.2, 0.3, 0.4}},
		{100, false, []float64{0, 20, 40, 60, 80, 100}},
	}
	for _, tc := range cases {
		if got := Ticks(tc.max, 5, tc.integer); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Ticks(%v) = %v, want %v", tc.max, got, tc.want)
		}
	}
}

func TestStylesDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := range 8 {
		c, d, m := StyleOf(i)
		key := c + "|" + d + "|" + m
		if seen[key] {
			t.Errorf("style %d repeats %s", i, key)
		}
		seen[key] = true
	}
}

// Count axes tick whole numbers only, whatever the largest count.
func TestCountTicksAreWhole(t *testing.T) {
	for max := 1; max <= 1000; max++ {
		for _, v := range Ticks(float64(max), 5, true) {
			if v != float64(int(v)) {
				t.Fatalf("Ticks(%d) has %v", max, v)
			}
		}
	}
	c := sample(Stacked)
	c.Series[0].Values = []float64{2, 11, 7}
	doc := render(t, c)
	doc.Find(`[data-testid="y-tick"] text`).Each(func(_ int, s *goquery.Selection) {
		if strings.Contains(s.Text(), ".") {
			t.Errorf("tick %q", s.Text())
		}
	})
}

// A chart with nothing to draw says so instead of drawing blank axes.
func TestRenderEmpty(t *testing.T) {
	c := sample(Stacked)
	c.Empty = "No articles in this range."
	for i := range c.Series {
		c.Series[i].Values = []float64{0, 0, 0}
	}
	doc := render(t, c)
	if got := strings.TrimSpace(doc.Find(`[data-testid="predicted-empty"]`).Text()); got != c.Empty {
		t.Errorf("empty message %q", got)
	}
	if n := doc.Find("svg.chart-svg").Length(); n != 0 {
		t.Errorf("%d plots drawn for no data", n)
	}
	// With data the message stays away.
	doc = render(t, func() Chart { c := sample(Stacked); c.Empty = "none"; return c }())
	if doc.Find(`[data-testid="predicted-empty"]`).Length() != 0 || doc.Find("svg.chart-svg").Length() != 1 {
		t.Error("empty message shown over data")
	}
}

// Partial periods are hatched and labelled, and only they.
func TestRenderPartial(t *testing.T) {
	c := sample(Stacked)
	c.Partial = []bool{false, false, true}
	c.Note = "By publication date."
	doc := render(t, c)
	parts := doc.Find(`[data-testid="partial-bucket"]`)
	if parts.Length() != 1 || parts.AttrOr("data-index", "") != "2" || !strings.Contains(parts.Text(), "partial") {
		t.Fatalf("partial buckets: %d, %q", parts.Length(), parts.Text())
	}
	if fill := parts.Find("rect").AttrOr("fill", ""); fill != "url(#predicted-hatch)" || doc.Find("pattern#predicted-hatch").Length() != 1 {
		t.Errorf("partial fill %q", fill)
	}
	if got := doc.Find(`[data-testid="predicted-note"]`).Text(); got != c.Note {
		t.Errorf("note %q", got)
	}
	if render(t, sample(Stacked)).Find(`[data-testid="partial-bucket"]`).Length() != 0 {
		t.Error("partial buckets without Partial")
	}
}
