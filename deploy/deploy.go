// Package deploy holds newsintel's monitoring configuration: Prometheus
// alert rules with their promtool unit tests (prometheus/), an example
// Alertmanager configuration (alertmanager/) and a scrape configuration.
// The Go code reads the rules so that tests elsewhere can check that every
// metric a rule needs is one the server or the probe really exports.
package deploy

import (
	"embed"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed prometheus/alerts.yml
var files embed.FS

// Rule groups of prometheus/alerts.yml, by the exporter their metrics
// come from.
const (
	GroupServer = "newsintel"       // newsintel serve, /metrics/prometheus
	GroupProbe  = "newsintel-probe" // newsintel probe --listen
)

// Rule is one alerting rule.
type Rule struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// RuleGroup is a named list of rules.
type RuleGroup struct {
	Name  string `yaml:"name"`
	Rules []Rule `yaml:"rules"`
}

// AlertRules parses prometheus/alerts.yml.
func AlertRules() ([]RuleGroup, error) {
	b, err := files.ReadFile("prometheus/alerts.yml")
	if err != nil {
		return nil, fmt.Errorf("deploy: read alert rules: %w", err)
	}
	var doc struct {
		Groups []RuleGroup `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("deploy: parse alert rules: %w", err)
	}
	return doc.Groups, nil
}

var (
	// Removed before looking for names: strings, label matchers, range
	// and subquery durations, and the label lists of grouping and vector
	// matching, all of which hold identifiers that are not metrics.
	promqlString   = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promqlMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promqlRange    = regexp.MustCompile(`\[[^\]]*\]`)
	promqlLabels   = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlComment  = regexp.MustCompile(`#[^\n]*`)
	// An identifier, and whether a parenthesis follows (a function call).
	promqlIdent = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?`)
)

// promqlWords are PromQL's keywords and aggregation modifiers: identifiers
// that are never metric names.
var promqlWords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true,
	"group_left": true, "group_right": true, "inf": true, "nan": true,
}

// MetricNames returns the metric names an expression selects, sorted and
// without repeats. The expressions are PromQL as this repository writes
// it; the rules' promtool tests check that they parse.
func MetricNames(expr string) []string {
	s := promqlComment.ReplaceAllString(expr, " ")
	s = promqlString.ReplaceAllString(s, `""`)
	s = promqlMatchers.ReplaceAllString(s, " ")
	s = promqlRange.ReplaceAllString(s, " ")
	s = promqlLabels.ReplaceAllString(s, " ")
	var names []string
	for _, m := range promqlIdent.FindAllStringSubmatchIndex(s, -1) {
		if m[2] >= 0 { // a function or aggregation: sum(, rate(, time(
			continue
		}
		// Part of a number such as 1e3 or 0x1f, or a duration as in 5m.
		if m[0] > 0 && (s[m[0]-1] >= '0' && s[m[0]-1] <= '9' || s[m[0]-1] == '.') {
			continue
		}
		name := s[m[0]:m[1]]
		if promqlWords[strings.ToLower(name)] {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}
