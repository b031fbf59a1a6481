package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DirStore is a Store in a local folder, one file per object.
type DirStore struct {
	dir string
}

// NewDirStore returns the store in folder dir, which Put creates if
// needed.
func NewDirStore(dir string) *DirStore { return &DirStore{dir: dir} }

// Put writes a temporary file in the folder and renames it over name, so
// readers see the old object or the whole new one, never a partial one.
func (s *DirStore) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	if err := checkObjectName(name); err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("artifacts: store: %w", err)
	}
	tmp, err := os.CreateTemp(s.dir, "."+name+".*")
	if err != nil {
		return fmt.Errorf("artifacts: store: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, ctxReader{ctx, r})
	if err != nil {
		return fmt.Errorf("artifacts: store: put %s: %w", name, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("artifacts: store: put %s: got %d bytes, want %d", name, n, size)
	}
	if err := errors.Join(tmp.Chmod(0o644), tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("artifacts: store: put %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(s.dir, name)); err != nil {
		return fmt.Errorf("artifacts: store: put %s: %w", name, err)
	}
	done = true
	return nil
}

// Get opens the file name.
func (s *DirStore) Get(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkObjectName(name); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(s.dir, name))
	if err != nil {
		return nil, fmt.Errorf("artifacts: store: get: %w", err)
	}
	return f, nil
}

// List returns the folder's regular files, leaving out hidden ones (Put's
// temporary files). A folder that does not exist yet holds nothing.
func (s *DirStore) List(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("artifacts: store: list: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// ctxReader stops a long copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
