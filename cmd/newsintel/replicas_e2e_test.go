package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// replicaBacklog is a JSONL upload of n rows: every 25th row has no text
// (rejected), every 40th repeats an earlier row's content (a duplicate),
// the rest are distinct short stories. It returns the body and how many
// articles, duplicates and rejected rows it must make.
func replicaBacklog(n int) (body string, articles, duplicates, rejected int) {
	topics := []string{
		"Striker %d scores twice as United beat City in derby number %d.",
		"Oil prices climb %d%% as producers cut output for week %d.",
		"Chipmaker %d unveils a faster processor for laptops, model %d.",
		"Parliament %d votes on the border treaty after %d days of debate.",
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	for i := 1; i <= n; i++ {
		row := map[string]string{"title": fmt.Sprintf("Story %d", i), "source": "replicas"}
		switch {
		case i%25 == 0:
			rejected++ // no text
		case i%40 == 0:
			// Same title and text as row i-1 (itself not a rejected row,
			// as i-1 is never a multiple of 25 when i is one of 40).
			row["title"] = fmt.Sprintf("Story %d", i-1)
			row["text"] = fmt.Sprintf(topics[(i-1)%4], i-1, (i-1)*7)
			duplicates++
		default:
			row["text"] = fmt.Sprintf(topics[i%4], i, i*7)
			articles++
		}
		enc.Encode(row)
	}
	return b.String(), articles, duplicates, rejected
}

// jobsRun reads how many ingest_items jobs a server ran from its
// Prometheus metrics: a per-process counter.
func jobsRun(t *testing.T, base string) int {
	t.Helper()
	res, body := get(t, base+"/metrics/prometheus", http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}})
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics/prometheus: %d", res.StatusCode)
	}
	m := regexp.MustCompile(`(?m)^newsintel_job_duration_seconds_count\{kind="ingest_items"\} (\d+)`).FindSubmatch(body)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestTwoServersShareBacklog runs two real `newsintel serve` processes on
// one Postgres database, uploads a backlog to one of them, and follows it
// on the other until done: every valid row is exactly one article (or a
// duplicate of one), every article has exactly one prediction (none was
// processed twice), and both servers ran part of the jobs.
func TestTwoServersShareBacklog(t *testing.T) {
	if os.Getenv(envServeProcess) == "1" {
		t.Skip("inside the server process")
	}
	if os.Getenv(storetest.EnvPostgres) == "" {
		t.Skip("needs Postgres: set " + storetest.EnvPostgres)
	}
	start := time.Now()
	dbURL := storetest.URL(t, store.Postgres)
	env := func() map[string]string {
		return map[string]string{"DB_URL": dbURL, "DATA_DIR": t.TempDir(), "MODEL_DIR": sharedModelDir(), "API_KEYS": testKey,
			"JOB_POLL_INTERVAL": "100ms", "INGEST_WORKERS": "2"}
	}
	a := startServerProcess(t, env())
	b := startServerProcess(t, env())
	waitReady(t, a.URL)
	waitReady(t, b.URL)
	t.Logf("two servers ready in %s", time.Since(start).Round(time.Millisecond))

	const rows = 600
	body, wantArticles, wantDuplicates, wantRejected := replicaBacklog(rows)
	auth := http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}, "Content-Type": {"application/x-ndjson"}}
	upload := time.Now()
	res, out := post(t, a.URL+"/imports?name=replicas.jsonl", body, auth)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /imports: %d %s", res.StatusCode, out)
	}
	var im struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(out, &im); err != nil {
		t.Fatal(err)
	}
	// Follow it on the other server.
	var st struct {
		State                                   string `json:"state"`
		Rows, New, Duplicate, Rejected, Pending int
	}
	deadline := time.Now().Add(3 * time.Minute)
	for st.State != "done" {
		if time.Now().After(deadline) {
			t.Fatalf("import %d not done after 3 minutes: %+v", im.ID, st)
		}
		time.Sleep(200 * time.Millisecond)
		res, out = get(t, fmt.Sprintf("%s/imports/%d", b.URL, im.ID), auth)
		if err := json.Unmarshal(out, &st); res.StatusCode != 200 || err != nil {
			t.Fatalf("GET /imports/%d: %d %s", im.ID, res.StatusCode, out)
		}
	}
	took := time.Since(upload)
	if st.Rows != rows || st.New != wantArticles || st.Duplicate != wantDuplicates || st.Rejected != wantRejected || st.Pending != 0 {
		t.Errorf("import %+v; want %d rows: %d new, %d duplicate, %d rejected", st, rows, wantArticles, wantDuplicates, wantRejected)
	}

	// Done: cancelling it now is a conflict, on either server.
	if res, out := post(t, fmt.Sprintf("%s/imports/%d/cancel", b.URL, im.ID), "", auth); res.StatusCode != http.StatusConflict {
		t.Errorf("cancel of a done import: %d %s, want 409", res.StatusCode, out)
	}

	raw := storetest.RawOf(t, dbURL)
	if n := raw.Int(t, `SELECT COUNT(*) FROM articles`); n != int64(wantArticles) {
		t.Errorf("%d articles, want %d", n, wantArticles)
	}
	if n := raw.Int(t, `SELECT COUNT(*) FROM predictions`); n != int64(wantArticles) {
		t.Errorf("%d predictions for %d articles: an article was processed twice", n, wantArticles)
	}
	if n := raw.Int(t, `SELECT COUNT(*) FROM (SELECT article_id FROM predictions GROUP BY article_id HAVING COUNT(*) > 1) d`); n != 0 {
		t.Errorf("%d articles with more than one prediction", n)
	}
	if n := raw.Int(t, `SELECT COUNT(DISTINCT article_id) FROM ingest_items WHERE state = 'new'`); n != int64(wantArticles) {
		t.Errorf("%d distinct articles behind the new items, want %d", n, wantArticles)
	}
	// Each prediction names its job (request id job-N); River records the
	// client that ran each job in attempted_by: both clients made some.
	perClient := countsBy(t, dbURL, `SELECT j.attempted_by[array_length(j.attempted_by, 1)], COUNT(*) FROM predictions p
		JOIN river_job j ON p.request_id = 'job-' || j.id GROUP BY 1`)
	ja, jb := jobsRun(t, a.URL), jobsRun(t, b.URL)
	if ja == 0 || jb == 0 || len(perClient) != 2 {
		t.Errorf("server a ran %d ingest jobs, b %d; predictions by River client %v: both should share the work", ja, jb, perClient)
	}
	t.Logf("%d rows (%d new, %d duplicate, %d rejected) done %s after the upload; server a ran %d ingest jobs, b %d; predictions by River client: %v; total %s",
		rows, st.New, st.Duplicate, st.Rejected, took.Round(time.Millisecond), ja, jb, perClient, time.Since(start).Round(time.Millisecond))
}

// countsBy runs a Postgres query of (key, count) rows.
func countsBy(t *testing.T, url, q string) map[string]int64 {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var (
			k sql.NullString
			n int64
		)
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k.String] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
