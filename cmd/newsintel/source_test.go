package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestSourceCommands adds, lists, pauses, resumes and deletes a source
// from the command line, and checks the refusals.
func TestSourceCommands(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir()}
	ctx := context.Background()
	runOut := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"source"}, args...), envOf(env), nil, &out, io.Discard)
		return out.String(), err
	}
	steps := []struct {
		args  []string
		want  string
		usage bool // a usage error
		fail  bool // another error
	}{
		{args: []string{"add", "wire", "https://wire.test/rss", "--interval", "10m"}, want: "polled every 10m0s"},
		{args: []string{"add", "wire", "https://wire.test/rss"}, fail: true},
		{args: []string{"add", "x", "ftp://x.test/"}, usage: true},
		{args: []string{"add", "x", "https://x.test/", "--interval", "5s"}, usage: true},
		{args: []string{"list"}, want: "wire  https://wire.test/rss  10m0s  active  never"},
		{args: []string{"pause", "wire"}, want: "paused"},
		{args: []string{"list"}, want: "paused"},
		{args: []string{"resume", "wire"}, want: "resumed"},
		{args: []string{"delete", "wire"}, want: "deleted source wire"},
		{args: []string{"delete", "wire"}, fail: true},
		{args: []string{"frobnicate"}, usage: true},
	}
	for _, st := range steps {
		out, err := runOut(st.args...)
		switch {
		case st.usage:
			if !errors.Is(err, errUsage) {
				t.Errorf("%v: %v, want a usage error", st.args, err)
			}
		case st.fail:
			if err == nil || errors.Is(err, errUsage) {
				t.Errorf("%v: %v, want a failure", st.args, err)
			}
		case err != nil:
			t.Errorf("%v: %v", st.args, err)
		case !strings.Contains(out, st.want):
			t.Errorf("%v: %q lacks %q", st.args, out, st.want)
		}
	}
}
