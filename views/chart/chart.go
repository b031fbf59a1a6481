// Package chart renders small, accessible charts as inline SVG on the
// server: stacked bars and lines over categories (days, weeks, histogram
// buckets). No JavaScript: tooltips are SVG <title> elements, the legend is
// plain HTML links, and every chart carries its data as a table.
package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Mode is how a chart draws its series.
type Mode int

// The modes.
const (
	// Stacked draws one bar per category with a segment per series.
	Stacked Mode = iota
	// Line draws one line with point markers per series.
	Line
)

// Chart is a chart to render: series of values over categories.
type Chart struct {
	// ID prefixes element ids and names the chart in data-testid
	// attributes; unique on the page.
	ID    string
	Title string
	// Desc summarises the chart in a sentence for screen readers.
	Desc string
	// YLabel names the y axis with its unit, such as "articles per day".
	YLabel string
	// Percent marks values as percentages: the axis ends at 100 when
	// stacked and ticks read "40%".
	Percent bool
	Mode    Mode
	// Labels name the categories, in order (tooltips and data table);
	// TickLabels, if set, are shorter ones for the x axis.
	Labels     []string
	TickLabels []string
	Series     []Series
	Markers    []Marker
	// Partial marks categories whose period is not over (or not wholly
	// covered), so a low last bar is not read as a fall: hatched, labelled
	// "partial".
	Partial []bool
	// Note says how the values were counted, under the title.
	Note string
	// Empty, if set, replaces the plot when no value is above zero: a
	// blank pair of axes says nothing.
	Empty string
	// Compact drops the legend and data table, for sparklines in tables;
	// the caller then shows the data itself.
	Compact bool
	// Width and Height are the viewBox size; zero picks 720×300.
	Width, Height int
}

// Series is one named row of values, one per category.
type Series struct {
	Name   string
	Values []float64
	// Tooltips override the default tooltip of each point ("name ·
	// label: value").
	Tooltips []string
	// Href, if set, is where clicking the series or its legend entry goes.
	Href string
	// Style picks colour, dash and marker: give a topic the same style
	// in every chart on a page.
	Style int
}

// Marker flags one point of a series, such as a spike.
type Marker struct {
	Series, Index int
	Title         string
	Href          string
}

// Okabe–Ito: eight colours that stay distinct under the common forms of
// colour blindness. Yellow is last: it is faint on white.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000", "#F0E442"}

// Dashes and markers tell lines apart without colour at all.
var (
	dashes  = []string{"", "8 4", "2 3", "10 3 2 3", "5 5"}
	markers = []string{"circle", "square", "triangle", "diamond", "cross", "triangle-down"}
)

// StyleOf is a style's colour, dash pattern (empty: solid) and marker.
func StyleOf(i int) (colour, dash, marker string) {
	if i < 0 {
		i = -i
	}
	return palette[i%len(palette)], dashes[i%len(dashes)], markers[i%len(markers)]
}

// FormatValue prints a value as the axis and table show it.
func FormatValue(v float64, percent bool) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if v != math.Trunc(v) {
		s = strconv.FormatFloat(v, 'f', 1, 64)
	}
	if percent {
		return s + "%"
	}
	return s
}

// niceStep rounds a raw tick step up to 1, 2, 2.5 or 5 times a power of
// ten, so ticks land on round numbers.
func niceStep(raw float64, integer bool) float64 {
	if raw <= 0 {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step := m * pow
		// Counts come in whole units: 2.5 between ticks would label 7.5
		// articles.
		if integer && (step < 1 || step != math.Trunc(step)) {
			continue
		}
		if step >= raw {
			return step
		}
	}
	return 10 * pow
}

// Ticks returns y-axis ticks from 0 to a round top at or above max, about
// n of them. Counts get integer ticks.
func Ticks(max float64, n int, integer bool) []float64 {
	if max <= 0 {
		max = 1
	}
	step := niceStep(max/float64(n), integer)
	top := math.Ceil(max/step-1e-9) * step
	var out []float64
	for v := 0.0; v <= top+step/2; v += step {
		// Rounded, so that 3×0.1 prints as 0.3.
		out = append(out, math.Round(math.Round(v/step)*step*1e9)/1e9)
	}
	return out
}

// Geometry of the plot, computed once per render.
type geometry struct {
	w, h                     float64
	left, right, top, bottom float64
	yMax                     float64
	yTicks                   []float64
	band                     float64
	xTickEvery               int
	// stackBase and stackTop are each series' segment per category; in
	// line mode the base is zero and the top is the value.
	stackBase, stackTop [][]float64
}

type point struct{ x, y float64 }

func (c Chart) layout() geometry {
	g := geometry{w: 720, h: 300, left: 64, right: 16, top: 16, bottom: 40}
	if c.Width > 0 && c.Height > 0 {
		g.w, g.h = float64(c.Width), float64(c.Height)
	}
	if c.Compact {
		g.left, g.right, g.top, g.bottom = 2, 2, 2, 2
	}
	n := len(c.Labels)
	g.stackBase = make([][]float64, len(c.Series))
	g.stackTop = make([][]float64, len(c.Series))
	sums := make([]float64, n)
	max := 0.0
	for si, s := range c.Series {
		g.stackBase[si] = make([]float64, n)
		g.stackTop[si] = make([]float64, n)
		for i := range n {
			v := valueAt(s.Values, i)
			if c.Mode == Stacked {
				g.stackBase[si][i] = sums[i]
				sums[i] += v
				g.stackTop[si][i] = sums[i]
				max = math.Max(max, sums[i])
			} else {
				g.stackTop[si][i] = v
				max = math.Max(max, v)
			}
		}
	}
	if c.Percent && c.Mode == Stacked && max > 0 {
		max = 100 // shares of a whole stack up to it, give or take rounding
	}
	g.yTicks = Ticks(max, 5, !c.Percent)
	g.yMax = g.yTicks[len(g.yTicks)-1]
	if n > 0 {
		g.band = g.plotW() / float64(n)
	}
	g.xTickEvery = max1(int(math.Ceil(float64(n) / 8)))
	return g
}

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

func valueAt(vs []float64, i int) float64 {
	if i < len(vs) {
		return vs[i]
	}
	return 0
}

func (g geometry) plotW() float64 { return g.w - g.left - g.right }
func (g geometry) plotH() float64 { return g.h - g.top - g.bottom }

// x is the centre of category i.
func (g geometry) x(i int) float64 { return g.left + g.band*(float64(i)+0.5) }

// y maps a value to its height on the plot.
func (g geometry) y(v float64) float64 {
	return g.top + g.plotH()*(1-v/g.yMax)
}

func (g geometry) barWidth() float64 { return math.Min(g.band*0.72, 48) }

// f prints a coordinate compactly.
func f(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// polyline is a series' points for <polyline points>.
func (g geometry) polyline(si int) string {
	var b strings.Builder
	for i, v := range g.stackTop[si] {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f(g.x(i)) + "," + f(g.y(v)))
	}
	return b.String()
}

// markerPath draws a marker shape of radius r centred on (cx, cy).
func markerPath(shape string, cx, cy, r float64) string {
	switch shape {
	case "square":
		return fmt.Sprintf("M%s %sh%sv%sh-%sz", f(cx-r), f(cy-r), f(2*r), f(2*r), f(2*r))
	case "triangle":
		return fmt.Sprintf("M%s %sL%s %sL%s %sz", f(cx), f(cy-r*1.2), f(cx+r*1.1), f(cy+r), f(cx-r*1.1), f(cy+r))
	case "triangle-down":
		return fmt.Sprintf("M%s %sL%s %sL%s %sz", f(cx), f(cy+r*1.2), f(cx+r*1.1), f(cy-r), f(cx-r*1.1), f(cy-r))
	case "diamond":
		return fmt.Sprintf("M%s %sL%s %sL%s %sL%s %sz", f(cx), f(cy-r*1.3), f(cx+r*1.3), f(cy), f(cx), f(cy+r*1.3), f(cx-r*1.3), f(cy))
	case "cross":
		return fmt.Sprintf("M%s %sL%s %sM%s %sL%s %s", f(cx-r), f(cy-r), f(cx+r), f(cy+r), f(cx-r), f(cy+r), f(cx+r), f(cy-r))
	default: // circle
		return fmt.Sprintf("M%s %sa%s %s 0 1 0 %s 0a%s %s 0 1 0 -%s 0", f(cx-r), f(cy), f(r), f(r), f(2*r), f(r), f(r), f(2*r))
	}
}

// tooltip is the <title> of a series' point.
func (c Chart) tooltip(si, i int) string {
	s := c.Series[si]
	if i < len(s.Tooltips) && s.Tooltips[i] != "" {
		return s.Tooltips[i]
	}
	label := ""
	if i < len(c.Labels) {
		label = c.Labels[i]
	}
	return s.Name + " · " + label + ": " + FormatValue(valueAt(s.Values, i), c.Percent)
}

// tickLabel is the x-axis text under category i, or "" where ticks are
// thinned out to stay legible.
func (c Chart) tickLabel(g geometry, i int) string {
	if i%g.xTickEvery != 0 {
		return ""
	}
	if i < len(c.TickLabels) {
		return c.TickLabels[i]
	}
	return c.Labels[i]
}

// markerPoint is where a marker sits: just above its point or segment.
func (c Chart) markerPoint(g geometry, m Marker) (point, bool) {
	if m.Series < 0 || m.Series >= len(c.Series) || m.Index < 0 || m.Index >= len(c.Labels) {
		return point{}, false
	}
	return point{g.x(m.Index), g.y(g.stackTop[m.Series][m.Index]) - 12}, true
}

func (c Chart) ids(suffix string) string { return c.ID + "-" + suffix }

// markerFill fills closed shapes; a cross has no inside.
func markerFill(shape, colour string) string {
	if shape == "cross" {
		return "none"
	}
	return colour
}

// partial reports whether category i is marked partial.
func (c Chart) partial(i int) bool { return i < len(c.Partial) && c.Partial[i] }

// isEmpty reports whether the chart has nothing above zero to draw.
func (c Chart) isEmpty() bool {
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v > 0 {
				return false
			}
		}
	}
	return true
}

func modeName(m Mode) string {
	if m == Line {
		return "line"
	}
	return "stacked"
}

func styleName(i int) string { return strconv.Itoa(i) }
