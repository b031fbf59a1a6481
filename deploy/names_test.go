package deploy

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`sum by (job, route) (rate(http_total{status="5xx", route!~"/a|/b"}[5m])) > 0.05`, []string{"http_total"}},
		{`histogram_quantile(0.95, sum by (le) (rate(lat_bucket{le!="x"}[5m:1m] offset 1h))) > 2`, []string{"lat_bucket"}},
		{"a / on (instance) group_left (version) b unless c", []string{"a", "b", "c"}},
		{`count(x{name="sum(y)"}) * 60 > 1e3 and bool z`, []string{"x", "z"}},
		{`max_over_time(probe:success[2m]) == 0 # probe_duration`, []string{"probe:success"}},
		{"time() - last_run_timestamp_seconds > 5 * 60", []string{"last_run_timestamp_seconds"}},
		{`vector(1) or Inf`, nil},
	} {
		if got := MetricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("MetricNames(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// TestAlertRulesShape checks what promtool does not: every runbook alert
// is there, with a severity the Alertmanager example routes and a link to
// a playbook.
func TestAlertRulesShape(t *testing.T) {
	groups, err := AlertRules()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := readmeAnchors(string(readme))
	seen := map[string]string{}
	for _, g := range groups {
		if g.Name != GroupServer && g.Name != GroupProbe {
			t.Errorf("group %q: tests know only %q and %q", g.Name, GroupServer, GroupProbe)
		}
		for _, r := range g.Rules {
			seen[r.Alert] = g.Name
			if s := r.Labels["severity"]; s != "page" && s != "warning" {
				t.Errorf("%s: severity %q is neither page nor warning", r.Alert, s)
			}
			if u := r.Annotations["runbook_url"]; !strings.HasPrefix(u, "https://github.com/newsintel/newsintel/blob/main/README.md#") {
				t.Errorf("%s: runbook_url %q does not point into the README", r.Alert, u)
			} else if _, anchor, _ := strings.Cut(u, "#"); !anchors[anchor] {
				t.Errorf("%s: the README has no section #%s", r.Alert, anchor)
			}
			if r.Annotations["summary"] == "" || len(MetricNames(r.Expr)) == 0 {
				t.Errorf("%s: no summary or no metric", r.Alert)
			}
		}
	}
	for _, a := range []string{"NewsintelHigh5xxRate", "NewsintelReviewQueueBacklog", "NewsintelSlowResponses", "NewsintelAPIKeyFailures"} {
		if seen[a] != GroupServer {
			t.Errorf("runbook alert %s is not in group %q", a, GroupServer)
		}
	}
}

// readmeAnchors are the fragment names GitHub gives a Markdown file's
// headings: lower case, spaces to hyphens, punctuation dropped.
func readmeAnchors(md string) map[string]bool {
	out := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 _-]`)
	for _, h := range regexp.MustCompile(`(?m)^#{1,6} (.+)$`).FindAllStringSubmatch(md, -1) {
		out[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(h[1]), ""), " ", "-")] = true
	}
	return out
}
