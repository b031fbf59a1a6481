package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// `bench active-learning` is dispatched and checks its flags before it
// loads anything (a full run embeds all of AG News: it is a benchmark,
// run by hand; package activelearn tests the harness).
func TestBenchActiveLearningUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "active-learning", "--strategies", "margin,oracle"},
		{"bench", "active-learning", "--target", "1.5"},
		{"bench", "active-learning", "--seeds", "0"},
		{"bench", "active-learning", "--first-seed", "0"},
		{"bench", "active-learning", "--cold-start", "-1"},
		{"bench", "active-learning", "extra"},
		{"bench", "nothing"},
	} {
		if err := run(context.Background(), args, envOf(nil), nil, io.Discard, io.Discard); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
	// Valid flags get past parsing to the data.
	err := run(context.Background(), []string{"bench", "active-learning", "--data", filepath.Join(t.TempDir(), "none")},
		envOf(map[string]string{"DATA_DIR": t.TempDir()}), nil, io.Discard, io.Discard)
	if err == nil || errors.Is(err, errUsage) || !strings.Contains(err.Error(), "set --data to the ag_news folder") {
		t.Errorf("missing data: %v", err)
	}
}
