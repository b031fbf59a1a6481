package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// errProbeFailed is what a one-shot probe returns when a check failed.
var errProbeFailed = errors.New("probe failed")

// probeMetrics are the probe's results in its own registry, under names
// that do not clash with the blackbox exporter's probe_success.
type probeMetrics struct {
	reg      *prometheus.Registry
	success  *prometheus.GaugeVec
	duration *prometheus.GaugeVec
	runs     *prometheus.CounterVec
	lastRun  prometheus.Gauge
}

func newProbeMetrics(target string) *probeMetrics {
	constLabels := prometheus.Labels{"target": target}
	m := &probeMetrics{
		reg: prometheus.NewRegistry(),
		success: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "newsintel_probe_success", ConstLabels: constLabels,
			Help: "1 when the check passed on the last run, 0 when it failed."}, []string{"check"}),
		duration: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "newsintel_probe_duration_seconds", ConstLabels: constLabels,
			Help: "How long the check took on the last run, failed or not."}, []string{"check"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "newsintel_probe_checks_total", ConstLabels: constLabels,
			Help: "Checks run, by check and result (success, failure)."}, []string{"check", "result"}),
		lastRun: prometheus.NewGauge(prometheus.GaugeOpts{Name: "newsintel_probe_last_run_timestamp_seconds", ConstLabels: constLabels,
			Help: "When the last run finished, in Unix seconds."}),
	}
	m.reg.MustRegister(m.success, m.duration, m.runs, m.lastRun)
	return m
}

func (m *probeMetrics) record(results []probeResult, now time.Time) {
	for _, r := range results {
		ok, result := 1.0, "success"
		if r.err != nil {
			ok, result = 0, "failure"
		}
		m.success.WithLabelValues(r.check).Set(ok)
		m.duration.WithLabelValues(r.check).Set(r.duration.Seconds())
		m.runs.WithLabelValues(r.check, result).Inc()
	}
	m.lastRun.Set(float64(now.UnixNano()) / 1e9)
}

// report prints one line per check and returns the checks that failed.
func report(w io.Writer, now time.Time, results []probeResult) []string {
	var failed []string
	for _, r := range results {
		ms := float64(r.duration.Microseconds()) / 1000
		if r.err != nil {
			failed = append(failed, r.check)
			fmt.Fprintf(w, "%s FAIL %-8s %8.1f ms  %v\n", now.UTC().Format(time.RFC3339), r.check, ms, r.err)
			continue
		}
		fmt.Fprintf(w, "%s ok   %-8s %8.1f ms\n", now.UTC().Format(time.RFC3339), r.check, ms)
	}
	return failed
}

// probeCmd is `newsintel probe`: a synthetic client of one server. Once,
// it exits non-zero when a check fails; otherwise it runs every interval
// until stopped, serving its results as Prometheus metrics.
func probeCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("url", "", "base URL of the server to probe (required), e.g. http://newsintel:8000")
	interval := fs.Duration("interval", 30*time.Second, "time between runs")
	once := fs.Bool("once", false, "run the checks once and exit, non-zero if any failed")
	listen := fs.String("listen", "", "serve the results as Prometheus metrics at /metrics on this address, e.g. :9109")
	timeout := fs.Duration("timeout", 10*time.Second, "bound on each check")
	expect := fs.String("expect-topic", "", "fail the classify check unless the probe article gets this topic (e.g. Sports)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: probe: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: probe: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *interval <= 0 {
		return fmt.Errorf("%w: probe: --interval must be positive", errUsage)
	}
	if *once && *listen != "" {
		return fmt.Errorf("%w: probe: --listen serves metrics between runs; it needs the continuous mode, not --once", errUsage)
	}
	p, err := newProber(*target, strings.TrimSpace(getenv("PROBE_API_KEY")), *expect, *timeout)
	if err != nil {
		return err
	}
	if *once {
		if failed := report(stdout, time.Now(), p.runOnce(ctx)); len(failed) > 0 {
			return fmt.Errorf("%w: %s", errProbeFailed, strings.Join(failed, ", "))
		}
		return nil
	}

	m := newProbeMetrics(p.base.String())
	if *listen != "" {
		ln, err := net.Listen("tcp", *listen)
		if err != nil {
			return fmt.Errorf("probe: listen on %s: %w", *listen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		defer srv.Close()
		fmt.Fprintf(stderr, "probe: metrics on http://%s/metrics\n", ln.Addr())
	}
	fmt.Fprintf(stderr, "probe: checking %s every %s\n", p.base, *interval)
	tick := time.NewTicker(*interval)
	defer tick.Stop()
	for {
		results := p.runOnce(ctx)
		if ctx.Err() != nil {
			return nil // stopped mid-run: these failures are ours, not the server's
		}
		now := time.Now()
		m.record(results, now)
		report(stdout, now, results)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
