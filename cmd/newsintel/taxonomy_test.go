package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTaxonomyCommands(t *testing.T) {
	env := map[string]string{"DATA_DIR": t.TempDir()}
	ctx := context.Background()
	cli := func(stdin string, args ...string) (string, string, error) {
		var out, errOut bytes.Buffer
		err := run(ctx, append([]string{"taxonomy"}, args...), envOf(env), strings.NewReader(stdin), &out, &errOut)
		return out.String(), errOut.String(), err
	}
	file := filepath.Join(t.TempDir(), "desk.json")
	os.WriteFile(file, []byte(`{"topics":[{"name":"Markets","description":"stocks","examples":["Shares fell."]},{"name":"Climate"}]}`), 0o644)

	if out, _, err := cli("", "put", "desk", "--file", file); err != nil || out != "created taxonomy desk with 2 topics\n" {
		t.Fatalf("put: %q %v", out, err)
	}
	if out, _, err := cli(`{"topics":[{"name":"A"},{"name":"B"},{"name":"C"}]}`, "put", "desk", "--file", "-"); err != nil || !strings.HasPrefix(out, "replaced") {
		t.Fatalf("put from stdin: %q %v", out, err)
	}
	if out, _, err := cli("", "list"); err != nil || !strings.Contains(out, "desk") || !strings.Contains(out, "A, B, C") {
		t.Fatalf("list: %q %v", out, err)
	}
	if out, _, err := cli("", "show", "desk"); err != nil || !strings.Contains(out, `"name": "C"`) {
		t.Fatalf("show: %q %v", out, err)
	}
	_, errOut, err := cli(`{"topics":[{"name":"A"},{"name":"a"}]}`, "put", "bad", "--file", "-")
	if err == nil || !strings.Contains(errOut, "topics[1].name") {
		t.Fatalf("invalid put: %v, stderr %q", err, errOut)
	}
	if _, _, err := cli(`{"topics":[{"nmae":"A"}]}`, "put", "typo", "--file", "-"); err == nil || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("a misspelt field passed: %v", err)
	}
	if out, _, err := cli("", "delete", "desk"); err != nil || out != "deleted taxonomy desk\n" {
		t.Fatalf("delete: %q %v", out, err)
	}
	if _, _, err := cli("", "show", "desk"); err == nil {
		t.Fatal("show after delete succeeded")
	}
	for _, args := range [][]string{{}, {"frob"}, {"show"}, {"put", "x"}, {"list", "extra"}} {
		if _, _, err := cli("", args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}
