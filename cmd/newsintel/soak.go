package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/newsintel/newsintel/store"
)

// soakFlags are the settings of one `bench soak` run.
type soakFlags struct {
	duration, window, warmup, sample time.Duration
	concurrency                      int
	rssLimit                         float64
	url, apiKey, email, password     string
	dbFile, data                     string
	json                             bool
}

// benchSoak is `newsintel bench soak`: mixed traffic for a long time,
// with errors injected, against a server it starts in this process (a
// temporary data dir, through the same run/serve path as production) or
// against --url. Every answer is judged expected or unexpected by its
// operation; the run fails on any unexpected answer or when RSS after the
// warm-up grows beyond --rss-growth×.
func benchSoak(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var f soakFlags
	fs := flag.NewFlagSet("bench soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&f.duration, "duration", 30*time.Minute, "how long the traffic runs")
	fs.DurationVar(&f.window, "window", time.Minute, "the report's time window")
	fs.DurationVar(&f.warmup, "warmup", 0, "the warm-up, whose last window is the RSS baseline (default: a sixth of --duration)")
	fs.DurationVar(&f.sample, "sample", 0, "how often to scrape the server's metrics (default: a quarter window, at most 15s)")
	fs.IntVar(&f.concurrency, "concurrency", 6, "concurrent clients")
	fs.Float64Var(&f.rssLimit, "rss-growth", 1.25, "fail when the last window's RSS exceeds this multiple of the RSS at the end of the warm-up")
	fs.StringVar(&f.url, "url", "", "soak this running server instead of starting one")
	fs.StringVar(&f.apiKey, "api-key", "", "the API key for --url (default: $API_KEY)")
	fs.StringVar(&f.email, "email", "", "a console account for --url (without one, console traffic is left out)")
	fs.StringVar(&f.password, "password", "", "the console account's password")
	fs.StringVar(&f.dbFile, "db-file", "", "the SQLite file of --url's server, to report its size")
	fs.StringVar(&f.data, "data", "../shared/data", "folder with ag_news/ and bbc_news_summary/ (the texts sent)")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if f.duration <= 0 || f.window <= 0 || f.concurrency <= 0 || f.rssLimit <= 1 {
		return fmt.Errorf("%w: --duration, --window and --concurrency must be positive, --rss-growth above 1", errUsage)
	}
	if f.warmup == 0 {
		f.warmup = f.duration / 6
	}
	if f.sample == 0 {
		f.sample = min(f.window/4, 15*time.Second)
	}
	texts, err := benchHeadlines(filepath.Join(f.data, "ag_news", "train_subset_noisyag_10k.csv"), 10000)
	if err != nil {
		return fmt.Errorf("bench soak: %w (set --data to the folder holding ag_news/)", err)
	}
	articles, err := benchArticles(filepath.Join(f.data, "bbc_news_summary", "bbc_news_summary.jsonl"), 300)
	if err != nil {
		return fmt.Errorf("bench soak: %w (set --data to the folder holding bbc_news_summary/)", err)
	}
	s := &soaker{texts: texts, articles: articles[0], claimed: map[string][]soakClaim{}, base: strings.TrimRight(f.url, "/"), key: f.apiKey, dbFile: f.dbFile,
		api: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: f.concurrency * 2}, Timeout: time.Minute}}
	if s.base == "" {
		stop, err := s.startServer(ctx, getenv, &f, stderr)
		if err != nil {
			return err
		}
		defer stop()
	} else if s.key == "" {
		s.key = getenv("API_KEY")
	}
	if f.email != "" {
		if err := s.login(f.email, f.password); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "soaking %s for %s with %d clients…\n", s.base, f.duration, f.concurrency)
	rep := s.soak(ctx, &f, stderr)
	rep.Target = s.base
	if f.url == "" {
		rep.Target = "an in-process server (temporary SQLite)"
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if err := writeSoakTable(stdout, rep); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !rep.Pass {
		return fmt.Errorf("bench soak: %s", strings.Join(rep.Failures, "; "))
	}
	return nil
}

// startServer seeds a temporary database with a console account, starts
// `serve` on it in this process and points the soak at it.
func (s *soaker) startServer(ctx context.Context, getenv func(string) string, f *soakFlags, stderr io.Writer) (func(), error) {
	cfg, err := loadConfig(getenv)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "newsintel-soak-")
	if err != nil {
		return nil, err
	}
	s.dbFile = filepath.Join(tmp, "soak.db")
	dbURL := "sqlite://" + s.dbFile
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	_, err = db.Migrate(ctx)
	if err == nil {
		f.password, err = benchUser(ctx, db)
		f.email = "bench@example.com"
	}
	db.Close()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	b := make([]byte, 24)
	crand.Read(b) // never fails (crypto/rand documents it)
	s.key = hex.EncodeToString(b)
	addr, err := freeLoopbackAddr()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	// LOG_LEVEL=error: the injected errors would otherwise log a warning
	// each; what is left is what went wrong. REVIEW_THRESHOLD=0.9 queues
	// most predictions, so that claims and labels find work all along.
	srv, err := startInProcess(ctx, map[string]string{"LISTEN_ADDR": addr, "DB_URL": dbURL, "MODEL_DIR": cfg.ModelDir,
		"DATA_DIR": tmp, "LOG_LEVEL": "error", "LOG_FORMAT": "json", "API_KEY": "soak:" + s.key, "REVIEW_THRESHOLD": "0.9"}, stderr)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s.base = srv.url
	return func() { srv.stop(); os.RemoveAll(tmp) }, nil
}

// soak runs the clients and the sampler for f.duration and reports.
func (s *soaker) soak(ctx context.Context, f *soakFlags, stderr io.Writer) SoakReport {
	start := time.Now()
	s.rec = newSoakRecorder(start, f.window)
	ctx, cancel := context.WithDeadline(ctx, start.Add(f.duration))
	defer cancel()
	mix := soakMix(s.console != nil)
	var wg sync.WaitGroup
	for w := range f.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			reviewer := fmt.Sprintf("soak-%d", w)
			for ctx.Err() == nil {
				s.do(ctx, mix.pick(rng), rng, reviewer)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.sampleLoop(ctx, start, f, stderr)
	}()
	wg.Wait()
	windows := int((f.duration + f.window - 1) / f.window)
	rep := s.rec.report(windows, f.warmup, f.rssLimit)
	rep.Duration, rep.Window, rep.Warmup, rep.Concurrency = f.duration.String(), f.window.String(), f.warmup.String(), f.concurrency
	return rep
}

// sampleLoop scrapes the server's metrics and the database size every
// f.sample, and prints progress at the end of each window.
func (s *soaker) sampleLoop(ctx context.Context, start time.Time, f *soakFlags, stderr io.Writer) {
	tick := time.NewTicker(f.sample)
	defer tick.Stop()
	lastWindow := 0
	for {
		at := time.Since(start)
		smp := s.scrape(ctx, at)
		if ctx.Err() != nil {
			return // a scrape cut short by the end is no sample
		}
		s.rec.sample(smp)
		if w := int(at / f.window); w > lastWindow {
			lastWindow = w
			n, bad, news := s.rec.progress()
			fmt.Fprintf(stderr, "%s: %d requests, %d unexpected, RSS %.0f MiB, %.0f goroutines\n",
				at.Round(time.Second), n, bad, smp.rss/(1<<20), smp.goroutines)
			for _, e := range news {
				fmt.Fprintf(stderr, "  new unexpected answer: %s %s: %s\n", e.Op, e.Reason, e.Example)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// soakWeight is an operation's share of the traffic.
type soakWeight struct {
	op     soakOp
	weight int
}

type soakMixture []soakWeight

// soakMix is the traffic: mostly classification, as in production, with
// every other route and every injected error present throughout.
func soakMix(console bool) soakMixture {
	m := soakMixture{{opClassify, 30}, {opSummarize, 4}, {opReviewClaim, 6}, {opReviewLabel, 8}, {opFeedback, 10},
		{opMetricsScrape, 3}, {opBadBody, 6}, {opNoKey, 4}, {opCancelled, 4}}
	if console {
		m = append(m, soakWeight{opConsolePage, 8}, soakWeight{opConsoleSkip, 3}, soakWeight{opBadCSRF, 2})
	}
	return m
}

func (m soakMixture) pick(rng *rand.Rand) soakOp {
	total := 0
	for _, w := range m {
		total += w.weight
	}
	n := rng.IntN(total)
	for _, w := range m {
		if n < w.weight {
			return w.op
		}
		n -= w.weight
	}
	return m[len(m)-1].op
}
