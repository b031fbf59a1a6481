package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
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
		fmt.Fprintln(stderr, "usage: newsintel bench serve [--duration 15s] [--concurrency 32] [--data DIR]")
		fmt.Fprintln(stderr, "       newsintel bench active-learning [--data DIR] [--seed-size 40] [--batch 40] [--rounds N] [--strategies LIST] [--seeds 3]")
		fmt.Fprintln(stderr, "       newsintel bench console [--articles 100000] [--predictions 1000000] [--requests 20]")
		fmt.Fprintln(stderr, "       newsintel bench soak [--duration 30m] [--window 1m] [--concurrency 6] [--rss-growth 1.25] [--url URL] [--json]")
		return fmt.Errorf("%w: bench takes the subcommand serve, active-learning, console or soak", errUsage)
	}
	fs := flag.NewFlagSet("bench serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 15*time.Second, "how long each classification phase runs")
	concurrency := fs.Int("concurrency", 32, "clients in the concurrent phase")
	data := fs.String("data", "../shared/data", "folder with ag_news/ and bbc_news_summary/ (the texts sent)")
	summaries := fs.Int("summaries", 20, "requests per summary size")
	dbURL := fs.String("db-url", "", "database to write to (default: a temporary SQLite file)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the concurrent phase (server and clients) to this file")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	texts, err := benchHeadlines(filepath.Join(*data, "ag_news", "train_subset_noisyag_10k.csv"), 4000)
	if err != nil {
		return fmt.Errorf("bench: %w (set --data to the folder holding ag_news/)", err)
	}
	summarySizes := []int{300, 600, 800}
	articles, err := benchArticles(filepath.Join(*data, "bbc_news_summary", "bbc_news_summary.jsonl"), summarySizes...)
	if err != nil {
		return fmt.Errorf("bench: %w (set --data to the folder holding bbc_news_summary/)", err)
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "newsintel-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	env := map[string]string{
		"LISTEN_ADDR": addr, "DB_URL": "sqlite://" + filepath.Join(tmp, "bench.db"),
		"MODEL_DIR": cfg.ModelDir, "LOG_LEVEL": "warn", "LOG_FORMAT": "json", "DATA_DIR": tmp,
		"INFERENCE_QUEUE_SIZE": "100000", // measure latency under load, not refusals
	}
	if *dbURL != "" {
		env["DB_URL"] = *dbURL
	}
	for _, k := range []string{"BATCH_MAX_SIZE", "BATCH_MAX_WAIT"} { // to compare settings
		if v := getenv(k); v != "" {
			env[k] = v
		}
	}
	srv, err := startInProcess(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintf(stderr, "server at %s; warming up…\n", srv.url)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency * 2}}

	classify := func(i int) error {
		body, _ := json.Marshal(map[string]string{"title": "", "text": texts[i%len(texts)]})
		return postJSON(ctx, client, srv.url+"/classify_news", body)
	}
	if _, err := runLoad(ctx, 1, 3*time.Second, classify); err != nil { // warm every shape in use
		return err
	}
	fmt.Fprintf(stderr, "classification, 1 client, %s…\n", *duration)
	serial, err := runLoad(ctx, 1, *duration, classify)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "classification, %d clients, %s…\n", *concurrency, *duration)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	parallel, err := runLoad(ctx, *concurrency, *duration, classify)
	pprof.StopCPUProfile()
	if err != nil {
		return err
	}
	rssUnderLoad := readRSS("VmRSS")

	summary := func(articles []string) func(int) error {
		return func(i int) error {
			body, _ := json.Marshal(map[string]any{"text": articles[i%len(articles)], "max_sentences": 3})
			return postJSON(ctx, client, srv.url+"/summarize", body)
		}
	}
	fmt.Fprintf(stderr, "summaries, %d each of ~%v words…\n", *summaries, summarySizes)
	sums := make([]loadResult, len(summarySizes))
	for k := range summarySizes {
		runCount(ctx, 3, summary(articles[k])) // warm-up: compile this size's shapes
		if sums[k], err = runCount(ctx, *summaries, summary(articles[k])); err != nil {
			return err
		}
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "load\trequests\tper second\tp50 ms\tp95 ms\tp99 ms\t")
	row := func(name string, r loadResult) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, r.n, r.rate(), r.pct(50), r.pct(95), r.pct(99))
	}
	row("classify, 1 client", serial)
	row(fmt.Sprintf("classify, %d clients", *concurrency), parallel)
	for k, size := range summarySizes {
		row(fmt.Sprintf("summarize ~%d words", size), sums[k])
	}
	tw.Flush()
	fmt.Fprintf(stdout, "batching speed-up: %.2fx the serial throughput\n", parallel.rate()/serial.rate())
	fmt.Fprintf(stdout, "RSS: %s under load, %s peak\n", rssUnderLoad, readRSS("VmHWM"))
	return nil
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
