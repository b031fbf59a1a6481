package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// envServeProcess makes the test binary, re-executed, run `newsintel
// serve` as its own process (TestServeProcess), which the crash test can
// kill with SIGKILL.
const envServeProcess = "NEWSINTEL_TEST_SERVE_PROCESS"

// TestServeProcess is not a test: it is the server process of
// TestCrashDurability, run only when the test binary re-executes itself.
func TestServeProcess(t *testing.T) {
	if os.Getenv(envServeProcess) != "1" {
		t.Skip("the crash test's server process; runs only when re-executed by TestCrashDurability")
	}
	err := run(context.Background(), []string{"serve"}, os.Getenv, nil, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serverProcess is `newsintel serve` in a process of its own.
type serverProcess struct {
	URL  string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
	once sync.Once
}

// startServerProcess starts the server on port 0 in a new process and
// waits until it listens, learning its address from its log.
func startServerProcess(t *testing.T, env map[string]string) *serverProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), envServeProcess+"=1", "LISTEN_ADDR=127.0.0.1:0", "LOG_FORMAT=json")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, logs: logs, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			t.Fatalf("server process exited before listening: %v\n%s", err, logs)
		case <-time.After(20 * time.Millisecond):
		}
		for _, r := range logs.records() {
			if r["msg"] == "listening" {
				p.URL = r["url"].(string)
				return p
			}
		}
	}
	t.Fatalf("server process did not listen within 60s:\n%s", logs)
	return nil
}

// kill sends SIGKILL, as the kernel's OOM killer or a failed host would:
// no shutdown code runs. It returns once the process is gone.
func (p *serverProcess) kill() {
	p.once.Do(func() {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	})
}

// acked are the writes the server acknowledged: the ids it answered with.
type acked struct {
	mu                            sync.Mutex
	predictions, feedback, labels []int64
	inFlight                      atomic.Int64
}

func (a *acked) add(list *[]int64, id int64) {
	a.mu.Lock()
	*list = append(*list, id)
	a.mu.Unlock()
}

// TestCrashDurability kills the server with SIGKILL while concurrent
// clients classify, send feedback and label, restarts it on the same
// database with no manual step, and checks that every write the server
// acknowledged is there. Runs on each database.
func TestCrashDurability(t *testing.T) {
	if os.Getenv(envServeProcess) == "1" {
		t.Skip("inside the server process")
	}
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			start := time.Now()
			dbURL := storetest.URL(t, d)
			env := map[string]string{"DB_URL": dbURL, "DATA_DIR": t.TempDir(), "MODEL_DIR": sharedModelDir(),
				"API_KEYS": testKey, "REVIEW_THRESHOLD": "1", "REVIEW_DOUBLE": "0"}
			srv := startServerProcess(t, env)
			waitReady(t, srv.URL)
			t.Logf("%s: server ready in %s", d, time.Since(start).Round(time.Millisecond))

			loadStart := time.Now()

			var got acked
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			const writers = 12
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					crashLoad(ctx, srv.URL, w, &got)
				}()
			}
			// Kill in the thick of it: once every kind of write has been
			// acknowledged and more are in flight.
			deadline := time.Now().Add(20 * time.Second)
			for {
				got.mu.Lock()
				enough := len(got.predictions) >= 60 && len(got.feedback) >= 20 && len(got.labels) >= 20
				got.mu.Unlock()
				if enough || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			inFlight := got.inFlight.Load()
			srv.kill()
			stop()
			wg.Wait()
			t.Logf("%s: SIGKILL after %s of load, %d requests in flight", d, time.Since(loadStart).Round(time.Millisecond), inFlight)
			restart := time.Now()
			if len(got.predictions) == 0 || len(got.feedback) == 0 || len(got.labels) == 0 {
				t.Fatalf("too few writes acknowledged before the kill: %d classify, %d feedback, %d labels",
					len(got.predictions), len(got.feedback), len(got.labels))
			}

			// The same data, no manual step: the server must serve again.
			srv = startServerProcess(t, env)
			waitReady(t, srv.URL)
			t.Logf("%s: restarted and ready in %s", d, time.Since(restart).Round(time.Millisecond))
			auth := http.Header{"X-Api-Key": {"ci-secret-0123456789abcdef"}}
			if res, body := post(t, srv.URL+"/classify_news", `{"articles":[{"title":"After the crash","text":"The server came back."}]}`, auth); res.StatusCode != 200 {
				t.Fatalf("classify after restart: %d %s", res.StatusCode, body)
			}

			raw := storetest.RawOf(t, dbURL)
			var lost int64
			for _, c := range []struct {
				kind, table string
				ids         []int64
			}{{"classify", "predictions", got.predictions}, {"feedback", "feedback", got.feedback}, {"label", "labels", got.labels}} {
				found := raw.Int(t, fmt.Sprintf("SELECT COUNT(*) FROM %s WHERE id IN (%s)", c.table, idList(c.ids)))
				lost += int64(len(c.ids)) - found
				t.Logf("%s: %s acknowledged %d, found after restart %d, lost %d", d, c.kind, len(c.ids), found, int64(len(c.ids))-found)
			}
			if lost != 0 {
				t.Fatalf("%d acknowledged writes lost in the crash", lost)
			}
			if d == store.SQLite {
				if bad := raw.Int(t, "SELECT COUNT(*) FROM pragma_integrity_check() WHERE integrity_check <> 'ok'"); bad != 0 {
					t.Fatalf("integrity_check after the crash: %d problems", bad)
				}
			}
			t.Logf("%s: SIGKILL under %d writers, restart and check in %s", d, writers, time.Since(start).Round(time.Millisecond))
		})
	}
}

// crashLoad writes until ctx ends or the server goes away: a classified
// article, feedback on it, and a claimed item labeled. It records a write
// only when the server has answered it in full with success.
func crashLoad(ctx context.Context, base string, w int, got *acked) {
	client := &http.Client{Timeout: 30 * time.Second}
	reviewer := fmt.Sprintf("crash%d@example.com", w)
	call := func(path, body string, want int, out any) bool {
		req, err := http.NewRequestWithContext(ctx, "POST", base+path, strings.NewReader(body))
		if err != nil {
			return false
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Api-Key", "ci-secret-0123456789abcdef")
		got.inFlight.Add(1)
		defer got.inFlight.Add(-1)
		res, err := client.Do(req)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return err == nil && res.StatusCode == want && json.Unmarshal(b, out) == nil
	}
	for i := 0; ctx.Err() == nil; i++ {
		var cls struct {
			Results []struct {
				PredictionID int64 `json:"prediction_id"`
			} `json:"results"`
		}
		body := fmt.Sprintf(`{"articles":[{"title":"Crash test story %d-%d","text":"Striker %d scores twice as United beat City %d-%d."}]}`, w, i, w, i, w)
		if !call("/classify_news", body, 200, &cls) || len(cls.Results) != 1 {
			return
		}
		got.add(&got.predictions, cls.Results[0].PredictionID)
		var fb struct {
			ID int64 `json:"id"`
		}
		if !call("/feedback", fmt.Sprintf(`{"prediction_id":%d,"correct_label":"Sports"}`, cls.Results[0].PredictionID), 201, &fb) {
			return
		}
		got.add(&got.feedback, fb.ID)
		var claim struct {
			Items []struct {
				ID     int64              `json:"id"`
				Scores map[string]float64 `json:"scores"`
			} `json:"items"`
		}
		if !call("/review/claim", fmt.Sprintf(`{"reviewer":%q,"n":1}`, reviewer), 200, &claim) {
			return
		}
		for _, it := range claim.Items {
			var lbl struct {
				LabelID int64 `json:"label_id"`
			}
			if !call(fmt.Sprintf("/review/%d/label", it.ID), fmt.Sprintf(`{"reviewer":%q,"label":"Sports"}`, reviewer), 200, &lbl) {
				return
			}
			got.add(&got.labels, lbl.LabelID)
		}
	}
}

func idList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}
