package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/newsintel/newsintel/inference"
)

// benchServe is `newsintel bench serve`. In one run it measures the
// encoder alone (no HTTP, no database) at the batch sizes the batcher
// forms, then /classify_news at several client counts, and divides the
// two: serving throughput against what the encoder alone does at the
// batch size serving actually formed. On a noisy machine the ratio holds
// where absolute figures drift, because both halves share the minute.
func benchServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	duration := fs.Duration("duration", 15*time.Second, "how long each serving phase runs")
	offlineFor := fs.Duration("offline", 5*time.Second, "how long each offline encoder phase runs")
	clientList := fs.String("clients", "1,8,32,64", "client counts of the serving phases")
	batchList := fs.String("batches", "1,8,32,64", "batch sizes of the offline encoder phases")
	concurrency := fs.Int("concurrency", 32, "the client count the efficiency ratio is taken at (added to --clients if missing)")
	data := fs.String("data", "../shared/data", "folder with ag_news/ and bbc_news_summary/ (the texts sent)")
	summaries := fs.Int("summaries", 20, "requests per summary size")
	dbURL := fs.String("db-url", "", "database to write to (default: a temporary SQLite file)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the --concurrency phase (server and clients) to this file")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	clients, err := intList(*clientList)
	if err != nil {
		return fmt.Errorf("%w: --clients: %v", errUsage, err)
	}
	if !slices.Contains(clients, *concurrency) {
		clients = append(clients, *concurrency)
		slices.Sort(clients)
	}
	batches, err := intList(*batchList)
	if err != nil {
		return fmt.Errorf("%w: --batches: %v", errUsage, err)
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

	fmt.Fprintln(stderr, "loading the encoder for the offline phases…")
	dir, err := inference.EnsureModel(ctx, inference.FetchOptions{Dir: cfg.ModelDir, Progress: stderr})
	if err != nil {
		return err
	}
	enc, err := inference.Open(ctx, dir)
	if err != nil {
		return err
	}
	defer enc.Close()
	if err := enc.Warm(ctx); err != nil {
		return err
	}
	offline := map[int]offlineResult{}
	for _, b := range batches {
		fmt.Fprintf(stderr, "encoder alone, batch %d, %s…\n", b, *offlineFor)
		if offline[b], err = runOffline(ctx, enc, texts, b, *offlineFor); err != nil {
			return err
		}
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
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: slices.Max(clients) * 2}}
	classify := func(i int) error {
		body, _ := json.Marshal(map[string]string{"title": "", "text": texts[i%len(texts)]})
		return postJSON(ctx, client, srv.url+"/classify_news", body)
	}
	if _, err := runLoad(ctx, 1, 3*time.Second, classify); err != nil { // warm every shape in use
		return err
	}
	serving := make([]servingResult, len(clients))
	for k, n := range clients {
		fmt.Fprintf(stderr, "classification, %d clients, %s…\n", n, *duration)
		stopProfile := func() {}
		if n == *concurrency && *cpuProfile != "" {
			if stopProfile, err = startCPUProfile(*cpuProfile); err != nil {
				return err
			}
		}
		before, err := scrapeBatches(ctx, client, srv.url)
		if err != nil {
			return err
		}
		cpu := processCPU()
		r, err := runLoad(ctx, n, *duration, classify)
		stopProfile()
		if err != nil {
			return err
		}
		cpuUsed := processCPU() - cpu
		after, err := scrapeBatches(ctx, client, srv.url)
		if err != nil {
			return err
		}
		serving[k] = servingResult{clients: n, load: r, meanBatch: after.mean(before),
			cores: cpuUsed.Seconds() / r.elapsed.Seconds(), rss: readRSS("VmRSS")}
	}

	// The encoder alone at the batch size serving formed at --concurrency.
	var at servingResult
	for _, s := range serving {
		if s.clients == *concurrency {
			at = s
		}
	}
	formed := max(1, int(math.Round(at.meanBatch)))
	if _, ok := offline[formed]; !ok {
		fmt.Fprintf(stderr, "encoder alone, batch %d (formed at %d clients), %s…\n", formed, *concurrency, *offlineFor)
		if offline[formed], err = runOffline(ctx, enc, texts, formed, *offlineFor); err != nil {
			return err
		}
	}

	// The warm-up sends other articles than the timed calls: the server
	// caches embeddings by text, and a repeat would time the cache.
	summary := func(articles []string, from int) func(int) error {
		return func(i int) error {
			body, _ := json.Marshal(map[string]any{"text": articles[(from+i)%len(articles)], "max_sentences": 3})
			return postJSON(ctx, client, srv.url+"/summarize", body)
		}
	}
	fmt.Fprintf(stderr, "summaries, %d each of ~%v words…\n", *summaries, summarySizes)
	sums := make([]loadResult, len(summarySizes))
	for k := range summarySizes {
		runCount(ctx, 3, summary(articles[k], len(articles[k])-3)) // warm-up: compile this size's shapes
		if sums[k], err = runCount(ctx, *summaries, summary(articles[k], 0)); err != nil {
			return err
		}
	}

	fmt.Fprintln(stdout, "encoder alone (same texts, no HTTP, no database):")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "batch\tdocs\tdocs/s\tms per batch\tCPU ms per doc\t")
	for _, b := range slices.Sorted(maps.Keys(offline)) {
		o := offline[b]
		fmt.Fprintf(tw, "%d\t%d\t%.1f\t%.1f\t%.2f\t\n", b, o.docs, o.rate(), o.msPerBatch(b), o.cpuPerDoc())
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nPOST /classify_news, one article per request, closed loop:")
	tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "load\trequests\tper second\tp50 ms\tp95 ms\tp99 ms\tmean batch\tcores used\tCPU ms per request\tRSS\t")
	row := func(name string, r loadResult, extra string) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%s\t\n", name, r.n, r.rate(), r.pct(50), r.pct(95), r.pct(99), extra)
	}
	for _, s := range serving {
		name := fmt.Sprintf("classify, %d clients", s.clients)
		if s.clients == 1 {
			name = "classify, 1 client"
		}
		row(name, s.load, fmt.Sprintf("%.1f\t%.2f\t%.2f\t%s", s.meanBatch, s.cores, s.cores*1000/s.load.rate(), s.rss))
	}
	for k, size := range summarySizes {
		row(fmt.Sprintf("summarize ~%d words", size), sums[k], "\t\t\t")
	}
	tw.Flush()
	o := offline[formed]
	fmt.Fprintf(stdout, "\nefficiency at %d clients: %.1f requests/s served ÷ %.1f docs/s of the encoder alone at batch %d (the mean batch formed, %.1f) = %.2f\n",
		*concurrency, at.load.rate(), o.rate(), formed, at.meanBatch, at.load.rate()/o.rate())
	fmt.Fprintf(stdout, "CPU per article at %d clients: %.2f ms served ÷ %.2f ms encoder alone at batch %d = %.2f (the same ratio in CPU time, which machine load moves less)\n",
		*concurrency, at.cores*1000/at.load.rate(), o.cpuPerDoc(), formed, o.cpuPerDoc()/(at.cores*1000/at.load.rate()))
	fmt.Fprintf(stdout, "p99 at %d clients: %.1f ms\n", *concurrency, at.load.pct(99))
	fmt.Fprintf(stdout, "RSS: %s now, %s peak (encoder alone and server in one process)\n", readRSS("VmRSS"), readRSS("VmHWM"))
	return nil
}

// offlineResult is what an encoder-alone phase measured.
type offlineResult struct {
	docs    int
	elapsed time.Duration
	cpu     time.Duration
}

func (o offlineResult) rate() float64 { return float64(o.docs) / o.elapsed.Seconds() }
func (o offlineResult) msPerBatch(b int) float64 {
	return o.elapsed.Seconds() * 1000 / (float64(o.docs) / float64(b))
}
func (o offlineResult) cpuPerDoc() float64 { return o.cpu.Seconds() * 1000 / float64(o.docs) }

// runOffline encodes texts in batches of size for d, in turn, as the
// batcher would hand them over.
func runOffline(ctx context.Context, enc *inference.Encoder, texts []string, size int, d time.Duration) (offlineResult, error) {
	if _, err := enc.Encode(ctx, texts[:size]); err != nil { // compile this size's shapes
		return offlineResult{}, err
	}
	cpu := processCPU()
	start := time.Now()
	docs := 0
	for i := 0; time.Since(start) < d; i++ {
		lo := (i * size) % (len(texts) - size)
		if _, err := enc.Encode(ctx, texts[lo:lo+size]); err != nil {
			return offlineResult{}, err
		}
		docs += size
	}
	return offlineResult{docs: docs, elapsed: time.Since(start), cpu: processCPU() - cpu}, nil
}

// servingResult is one serving phase.
type servingResult struct {
	clients   int
	load      loadResult
	meanBatch float64
	cores     float64 // process CPU seconds per second: server and clients
	rss       string
}

// batchTotals are the encoder batch histogram's sum and count.
type batchTotals struct{ sum, count float64 }

func (a batchTotals) mean(before batchTotals) float64 {
	if a.count == before.count {
		return 0
	}
	return (a.sum - before.sum) / (a.count - before.count)
}

// scrapeBatches reads the encoder batch histogram from /metrics.
func scrapeBatches(ctx context.Context, client *http.Client, base string) (batchTotals, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics/prometheus", nil)
	if err != nil {
		return batchTotals{}, err
	}
	res, err := client.Do(req)
	if err != nil {
		return batchTotals{}, fmt.Errorf("bench: scrape metrics: %w", err)
	}
	defer res.Body.Close()
	var t batchTotals
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(value, 64)
		switch name {
		case "newsintel_inference_batch_size_sum":
			t.sum = v
		case "newsintel_inference_batch_size_count":
			t.count = v
		}
	}
	return t, sc.Err()
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// intList parses "1,8,32".
func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive whole number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
