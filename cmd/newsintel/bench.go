package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// bench is `newsintel bench serve`: it starts the real server in this
// process (temporary database, the configured model), then measures it
// over loopback HTTP as clients would see it. Every figure of one run is
// taken on the same machine in the same minute, so ratios between them
// hold even where absolute numbers drift with machine load. `bench
// active-learning` is benchActiveLearning.
func bench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "active-learning" {
		return benchActiveLearning(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "console" {
		return benchConsole(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "soak" {
		return benchSoak(ctx, args[1:], getenv, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "serve" {
		fmt.Fprintln(stderr, "usage: newsintel bench serve [--duration 15s] [--clients 1,8,32,64] [--batches 1,8,32,64] [--concurrency 32] [--data DIR]")
		fmt.Fprintln(stderr, "       newsintel bench active-learning [--data DIR] [--seed-size 40] [--batch 40] [--rounds N] [--strategies LIST] [--seeds 3]")
		fmt.Fprintln(stderr, "       newsintel bench console [--articles 100000] [--predictions 1000000] [--requests 20]")
		fmt.Fprintln(stderr, "       newsintel bench soak [--duration 30m] [--window 1m] [--concurrency 6] [--rss-growth 1.25] [--url URL] [--json]")
		return fmt.Errorf("%w: bench takes the subcommand serve, active-learning, console or soak", errUsage)
	}
	return benchServe(ctx, args[1:], getenv, stdout, stderr)
}

// loadResult is what a load phase measured.
type loadResult struct {
	n         int
	elapsed   time.Duration
	latencies []time.Duration // sorted
}

func (r loadResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// pct returns the p-th percentile latency in milliseconds.
func (r loadResult) pct(p float64) float64 {
	if len(r.latencies) == 0 {
		return 0
	}
	i := int(float64(len(r.latencies)-1) * p / 100)
	return float64(r.latencies[i].Microseconds()) / 1000
}

// runLoad runs do from clients goroutines for d and times every call.
func runLoad(ctx context.Context, clients int, d time.Duration, do func(i int) error) (loadResult, error) {
	var (
		mu   sync.Mutex
		lats []time.Duration
		errs []error
		next int
		wg   sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				t := time.Now()
				err := do(i)
				lat := time.Since(t)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					lats = append(lats, lat)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return loadResult{}, fmt.Errorf("%d of %d requests failed, first: %w", len(errs), next, errs[0])
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	return loadResult{n: len(lats), elapsed: time.Since(start), latencies: lats}, nil
}

// runCount runs do n times, one at a time.
func runCount(ctx context.Context, n int, do func(i int) error) (loadResult, error) {
	start := time.Now()
	var lats []time.Duration
	for i := range n {
		t := time.Now()
		if err := do(i); err != nil {
			return loadResult{}, err
		}
		lats = append(lats, time.Since(t))
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	return loadResult{n: n, elapsed: time.Since(start), latencies: lats}, nil
}

func postJSON(ctx context.Context, client *http.Client, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %d %s", url, res.StatusCode, b)
	}
	return nil
}

// readRSS returns a memory figure of this process from /proc, such as
// VmRSS (now) or VmHWM (peak).
func readRSS(field string) string {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				return strings.TrimSpace(v)
			}
			return fmt.Sprintf("%.0f MiB", float64(kb)/1024)
		}
	}
	return "unknown"
}

// inProcess is a server started by startInProcess.
type inProcess struct {
	url  string
	stop func()
}

// freeLoopbackAddr finds a loopback port nothing listens on. The server
// logs its address only at info level, which the benchmark turns off.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startInProcess runs `serve` with env in this process and waits until it
// is ready. Warnings and errors it logs go to stderr.
func startInProcess(ctx context.Context, env map[string]string, stderr io.Writer) (*inProcess, error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, func(k string) string { return env[k] }, nil, io.Discard, stderr)
	}()
	stop := func() { cancel(); <-done }
	url := "http://" + env["LISTEN_ADDR"]
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		select {
		case err := <-done:
			cancel()
			return nil, fmt.Errorf("bench: the server stopped: %w", err)
		default:
		}
		res, err := http.Get(url + "/ready")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return &inProcess{url: url, stop: stop}, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, errors.New("bench: the server was not ready within 5 minutes")
		}
	}
}
