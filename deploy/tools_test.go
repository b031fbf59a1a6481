package deploy

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// requireTools is the variable CI sets so that a missing promtool or
// amtool fails the tests instead of skipping them.
const requireTools = "NEWSINTEL_REQUIRE_PROMTOOL"

// tool finds a command on PATH. Without it the test is skipped on a
// developer's machine and fails where requireTools is set.
func tool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := name + " is not on PATH (" + pkg + ")"
	if os.Getenv(requireTools) != "" {
		t.Fatalf("%s, and %s is set", msg, requireTools)
	}
	t.Skip(msg)
	return ""
}

func runTool(t *testing.T, path string, args ...string) string {
	t.Helper()
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", path, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPromtoolRules checks the rules and runs their unit tests, which
// cover each alert firing and staying quiet.
func TestPromtoolRules(t *testing.T) {
	promtool := tool(t, "promtool", "Debian: apt-get install prometheus")
	runTool(t, promtool, "check", "rules", "prometheus/alerts.yml")
	out := runTool(t, promtool, "test", "rules", "prometheus/alerts_test.yml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules did not report success:\n%s", out)
	}
	runTool(t, promtool, "check", "config", "--syntax-only", "prometheus/prometheus.yml")
}

// amtoolMin is the first Alertmanager with the Teams Workflows receiver
// (msteamsv2_configs) the example configuration routes to.
var amtoolMin = [2]int{0, 28}

// TestAmtoolConfig checks the example Alertmanager configuration and that
// its routing tree sends each severity where the README says.
func TestAmtoolConfig(t *testing.T) {
	amtool := tool(t, "amtool", "go install github.com/prometheus/alertmanager/cmd/amtool@v0.35.0")
	version := runTool(t, amtool, "--version")
	if m := regexp.MustCompile(`version (\d+)\.(\d+)`).FindStringSubmatch(version); m != nil {
		major, _ := strconv.Atoi(m[1])
		minor, _ := strconv.Atoi(m[2])
		if major == amtoolMin[0] && minor < amtoolMin[1] {
			msg := "amtool " + m[1] + "." + m[2] + " predates the Teams Workflows receiver (msteamsv2_configs, Alertmanager 0.28); Debian 12's prometheus-alertmanager is 0.25"
			if os.Getenv(requireTools) != "" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	const cfg = "alertmanager/alertmanager.yml"
	out := runTool(t, amtool, "check-config", cfg)
	for _, want := range []string{"SUCCESS", "3 receivers"} {
		if !strings.Contains(out, want) {
			t.Errorf("amtool check-config: no %q in\n%s", want, out)
		}
	}
	for _, tc := range []struct {
		labels []string
		want   string
	}{
		{[]string{"alertname=NewsintelHigh5xxRate", "severity=page"}, "pagerduty-and-slack"},
		{[]string{"alertname=NewsintelProbeFailing", "severity=page"}, "pagerduty-and-slack"},
		{[]string{"alertname=NewsintelReviewQueueBacklog", "severity=warning"}, "slack-and-teams"},
		{[]string{"alertname=Other"}, "slack"},
	} {
		args := append([]string{"config", "routes", "test", "--config.file=" + cfg}, tc.labels...)
		if got := strings.TrimSpace(runTool(t, amtool, args...)); got != tc.want {
			t.Errorf("alert %v goes to %q, want %q", tc.labels, got, tc.want)
		}
	}
}
