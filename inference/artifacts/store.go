package artifacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// Store holds archives by name. Names are plain file names (see
// ArchiveName); Get of a missing one returns an error that wraps
// fs.ErrNotExist.
type Store interface {
	// Put stores the size bytes of r under name, replacing any object of
	// that name only once all of it has arrived. size may be -1 when it is
	// not known.
	Put(ctx context.Context, name string, r io.Reader, size int64) error
	// Get opens the object name; the caller closes it.
	Get(ctx context.Context, name string) (io.ReadCloser, error)
	// List returns the names of the stored objects, sorted.
	List(ctx context.Context) ([]string, error)
}

// Config holds what a store needs beyond its URL.
type Config struct {
	S3 S3Config
}

// Open returns the store named by rawURL:
//
//	/srv/models, ./models, file:///srv/models    a folder (created on first Put)
//	s3://bucket, s3://bucket/some/prefix         an S3-compatible bucket, per cfg.S3
//
// Open sends no request (ctx is for stores that may need one to open), so
// a wrong endpoint or credentials show on the first Put, Get or List.
func Open(ctx context.Context, rawURL string, cfg Config) (Store, error) {
	if rawURL == "" {
		return nil, errors.New("artifacts: open: empty store URL")
	}
	scheme, rest, hasScheme := strings.Cut(rawURL, "://")
	if !hasScheme {
		return NewDirStore(rawURL), nil
	}
	switch strings.ToLower(scheme) {
	case "file":
		u, err := url.Parse(rawURL)
		if err != nil {
			return nil, fmt.Errorf("artifacts: open %s: %w", rawURL, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("artifacts: open %s: file URLs name a local path (file:///path)", rawURL)
		}
		return NewDirStore(u.Path), nil
	case "s3":
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, fmt.Errorf("artifacts: open %s: no bucket", rawURL)
		}
		return NewS3Store(bucket, strings.Trim(prefix, "/"), cfg.S3)
	default:
		return nil, fmt.Errorf("artifacts: open %s: unsupported scheme %q (want a path, file:// or s3://)", rawURL, scheme)
	}
}

// Push bundles the model folder modelDir under label and stores it as
// ArchiveName(label). The archive is staged in a temporary file so that
// the store learns its exact size up front (S3 then needs one request).
func Push(ctx context.Context, st Store, modelDir, label string) (Manifest, error) {
	tmp, err := os.CreateTemp("", "newsintel-bundle-*.tar.gz")
	if err != nil {
		return Manifest{}, fmt.Errorf("artifacts: push: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	man, err := Bundle(modelDir, label, tmp)
	if err != nil {
		return Manifest{}, err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return Manifest{}, fmt.Errorf("artifacts: push: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: push: %w", err)
	}
	if err := st.Put(ctx, ArchiveName(label), tmp, size); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: push %s: %w", label, err)
	}
	return man, nil
}

// Pull fetches ArchiveName(label) from st and unpacks it as destDir (see
// Unpack), refusing an archive whose manifest carries another label.
func Pull(ctx context.Context, st Store, label, destDir string) (Manifest, error) {
	if err := ValidLabel(label); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: pull: %w", err)
	}
	rc, err := st.Get(ctx, ArchiveName(label))
	if err != nil {
		return Manifest{}, fmt.Errorf("artifacts: pull %s: %w", label, err)
	}
	defer rc.Close()
	return unpack(rc, destDir, label)
}

// checkObjectName keeps store names flat, as archive names are.
func checkObjectName(name string) error {
	if err := validName(name); err != nil {
		return fmt.Errorf("artifacts: store: %w", err)
	}
	return nil
}
