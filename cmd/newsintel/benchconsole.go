package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/web"
)

// consolePages are the pages `bench console` times; the target
// (100 ms server-side) is for review, trends and metrics, the rest are
// measured too.
var consolePages = []string{
	"/console/status",             // the baseline: a page that reads almost nothing
	"/console/review",             // an admin's look: the queue read-only
	"/console/review?mode=review", // reviewing: claims, as a reviewer's page does
	"/console/review/bulk",
	"/console/trends",
	"/console/trends?bucket=week",
	"/console/metrics",
	"/console/articles",
	"/console/models",
}

// benchConsole is `newsintel bench console`: it fills a scratch SQLite
// database with a production-sized synthetic corpus, starts the server on
// it in this process, logs in as an admin and times each console page
// over loopback HTTP (which adds well under a millisecond to the server's
// own time).
func benchConsole(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	articles := fs.Int("articles", 100_000, "synthetic articles")
	predictions := fs.Int("predictions", 1_000_000, "synthetic predictions")
	requests := fs.Int("requests", 20, "timed requests per page")
	keep := fs.String("db", "", "SQLite file to seed and keep (reused as it is when it exists), instead of a temporary one")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "newsintel-bench-console-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dbURL := "sqlite://" + filepath.Join(tmp, "console.db")
	if *keep != "" {
		dbURL = "sqlite://" + *keep
	}
	password, err := seedConsoleBench(ctx, dbURL, *articles, *predictions, stderr)
	if err != nil {
		return err
	}

	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	srv, err := startInProcess(ctx, map[string]string{"LISTEN_ADDR": addr, "DB_URL": dbURL, "MODEL_DIR": cfg.ModelDir,
		"DATA_DIR": tmp, "LOG_LEVEL": "warn", "LOG_FORMAT": "json"}, stderr)
	if err != nil {
		return err
	}
	defer srv.stop()
	client, err := consoleLogin(srv.url, "bench@example.com", password)
	if err != nil {
		return err
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(stdout, "console pages, %d articles and %d predictions in SQLite, %d requests each:\n\n", *articles, *predictions, *requests)
	fmt.Fprintln(tw, "page\tp50 ms\tp95 ms\tmax ms\tp50 / 100 ms target\tp50 / status page\t")
	var base float64
	for _, page := range consolePages {
		times, err := timePage(ctx, client, srv.url+page, *requests)
		if err != nil {
			return err
		}
		p50, p95 := pctile(times, 0.5), pctile(times, 0.95)
		if base == 0 {
			base = p50
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.2f×\t%.1f×\t\n", page, p50, p95, times[len(times)-1], p50/100, p50/base)
	}
	return tw.Flush()
}

// seedConsoleBench creates the database, the corpus and an admin user, and
// returns the user's password.
func seedConsoleBench(ctx context.Context, dbURL string, articles, predictions int, stderr io.Writer) (string, error) {
	db, err := store.Open(ctx, dbURL)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return "", err
	}
	if n, err := db.OpenReviewCount(ctx); err != nil {
		return "", err
	} else if n > 0 {
		fmt.Fprintln(stderr, "reusing the corpus already in the database")
		return benchUser(ctx, db)
	}
	start := time.Now()
	bar := newProgress(stderr, "seeding")
	err = db.SeedSynthetic(ctx, store.SyntheticSpec{Articles: articles, Predictions: predictions, ReviewShare: 0.1, LabeledShare: 0.3,
		Days: 120, Topics: []string{"World", "Sports", "Business", "Sci/Tech"}, Sources: []string{"wire", "blog", "paper", "radio"},
		Seed: 1, Progress: bar.Update})
	bar.Done()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(stderr, "seeded in %s\n", time.Since(start).Round(time.Second))
	return benchUser(ctx, db)
}

// benchUser gives the bench's admin account a fresh password.
func benchUser(ctx context.Context, db *store.DB) (string, error) {
	b := make([]byte, 12)
	rand.Read(b) // never fails (crypto/rand documents it)
	password := hex.EncodeToString(b)
	hash, err := web.HashPassword(password)
	if err != nil {
		return "", err
	}
	if _, err := db.CreateUser(ctx, "bench@example.com", hash, store.RoleAdmin, "bench"); errors.Is(err, store.ErrConflict) {
		_, err = db.UpdateUser(ctx, "bench@example.com", store.UserUpdate{PasswordHash: &hash}, "bench")
		return password, err
	} else if err != nil {
		return "", err
	}
	return password, nil
}

var csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// consoleLogin logs a cookie-jar client in through the login form.
func consoleLogin(base, email, password string) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Jar: jar}
	res, err := client.Get(base + "/console/login")
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfInput.FindSubmatch(body)
	if m == nil {
		return nil, fmt.Errorf("bench: the login page has no csrf_token")
	}
	res, err = client.PostForm(base+"/console/login", url.Values{"email": {email}, "password": {password},
		"csrf_token": {string(m[1])}, "next": {"/console/status"}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasSuffix(res.Request.URL.Path, "/console/status") {
		return nil, fmt.Errorf("bench: login failed: %s at %s", res.Status, res.Request.URL)
	}
	return client, nil
}

// timePage fetches a page twice to warm it, then n times, and returns the
// times in milliseconds, sorted.
func timePage(ctx context.Context, client *http.Client, u string, n int) ([]float64, error) {
	var out []float64
	for i := range n + 2 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		elapsed := time.Since(start)
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("bench: %s answered %s", u, res.Status)
		}
		if i >= 2 {
			out = append(out, float64(elapsed.Microseconds())/1000)
		}
	}
	slices.Sort(out)
	return out, nil
}

func pctile(sorted []float64, p float64) float64 {
	return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))]
}
