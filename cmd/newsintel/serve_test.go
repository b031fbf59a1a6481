package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// slowHandler answers /slow only once release is closed, telling started
// when the request is in flight.
func slowHandler(started chan<- struct{}, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
		io.WriteString(w, "done")
	})
}

func TestShutdownDrainsInFlightRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	started, release := make(chan struct{}, 1), make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveHTTP(ctx, ln, slowHandler(started, release), 10*time.Second, slog.New(slog.DiscardHandler))
	}()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{string(b), err}
	}()
	<-started
	cancel() // SIGTERM arrives while the request is in flight

	// The listener closes at once: new connections are refused.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("serveHTTP returned %v before the in-flight request finished", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serveHTTP: %v", err)
	}
}

func TestShutdownDrainIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- serveHTTP(ctx, ln, slowHandler(started, release), 100*time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	go http.Get("http://" + ln.Addr().String() + "/stuck")
	<-started
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serveHTTP: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stuck request held shutdown past its bound")
	}
}

// TestServeOnBusyPortExits starts a second serve on the port of a running
// one: it must exit at once with the bind error, not keep running
// without listening.
func TestServeOnBusyPortExits(t *testing.T) {
	first := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	u, err := url.Parse(first.URL)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"DATA_DIR": t.TempDir(), "MODEL_DIR": sharedModelDir(), "LISTEN_ADDR": u.Host}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envOf(env), nil, io.Discard, io.Discard) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), "LISTEN_ADDR") {
			t.Fatalf("second serve on %s: %v, want the bind error", u.Host, err)
		}
	case <-time.After(10 * time.Second):
		cancel()
		<-done
		t.Fatalf("a second serve on the busy %s still runs after 10 s", u.Host)
	}
	// The first server is unharmed.
	if res, _ := get(t, first.URL+"/health", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("first server /health: %d", res.StatusCode)
	}
}
