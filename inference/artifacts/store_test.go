package artifacts

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/newsintel/newsintel/inference/topic"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		url     string
		wantDir string // for folder stores
		bucket  string // for S3 stores
		prefix  string
		wantErr string
	}{
		{url: "/srv/models", wantDir: "/srv/models"},
		{url: "models", wantDir: "models"},
		{url: "file:///srv/models", wantDir: "/srv/models"},
		{url: "file://localhost/srv/models", wantDir: "/srv/models"},
		{url: "s3://bucket", bucket: "bucket"},
		{url: "s3://bucket/a/b/", bucket: "bucket", prefix: "a/b"},
		{url: "S3://bucket/a", bucket: "bucket", prefix: "a"},
		{url: "", wantErr: "empty store URL"},
		{url: "s3:///a", wantErr: "no bucket"},
		{url: "file://host/srv", wantErr: "file URLs name a local path"},
		{url: "ftp://host/x", wantErr: `unsupported scheme "ftp"`},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			st, err := Open(ctx, tt.url, Config{S3: S3Config{Endpoint: "http://127.0.0.1:1"}})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch s := st.(type) {
			case *DirStore:
				if s.dir != tt.wantDir {
					t.Errorf("dir %q, want %q", s.dir, tt.wantDir)
				}
			case *S3Store:
				if s.bucket != tt.bucket || s.prefix != tt.prefix {
					t.Errorf("bucket %q prefix %q, want %q %q", s.bucket, s.prefix, tt.bucket, tt.prefix)
				}
			}
			if (tt.bucket != "") != isS3(st) {
				t.Errorf("store %T for %s", st, tt.url)
			}
		})
	}
}

func isS3(st Store) bool { _, ok := st.(*S3Store); return ok }

func TestS3Endpoint(t *testing.T) {
	tests := []struct {
		in     string
		host   string
		secure bool
		err    bool
	}{
		{"", "s3.amazonaws.com", true, false},
		{"minio.internal:9000", "minio.internal:9000", true, false},
		{"http://127.0.0.1:9000", "127.0.0.1:9000", false, false},
		{"https://s3.example.test/", "s3.example.test", true, false},
		{"https://s3.example.test/base", "", false, true},
		{"ftp://x", "", false, true},
	}
	for _, tt := range tests {
		host, secure, err := s3Endpoint(tt.in)
		if (err != nil) != tt.err || host != tt.host || secure != tt.secure {
			t.Errorf("s3Endpoint(%q) = %q, %v, %v; want %q, %v, err %v", tt.in, host, secure, err, tt.host, tt.secure, tt.err)
		}
	}
}

// storeContract runs the behaviour every Store must have.
func storeContract(t *testing.T, st Store) {
	ctx := context.Background()
	names, err := st.List(ctx)
	if err != nil || len(names) != 0 {
		t.Fatalf("new store lists %v, %v", names, err)
	}
	_, err = st.Get(ctx, "nope.tar.gz")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Get of a missing object: %v, want fs.ErrNotExist", err)
	}
	for _, name := range []string{"b.tar.gz", "a.tar.gz"} {
		if err := st.Put(ctx, name, strings.NewReader("first "+name), -1); err != nil {
			t.Fatal(err)
		}
	}
	// Replacing keeps one object with the new content.
	if err := st.Put(ctx, "a.tar.gz", strings.NewReader("second"), 6); err != nil {
		t.Fatal(err)
	}
	rc, err := st.Get(ctx, "a.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != "second" {
		t.Errorf("Get = %q, %v; want %q", got, err, "second")
	}
	names, err = st.List(ctx)
	if err != nil || !slices.Equal(names, []string{"a.tar.gz", "b.tar.gz"}) {
		t.Errorf("List = %v, %v", names, err)
	}
	for _, bad := range []string{"../x.tar.gz", "/etc/x", "a/b.tar.gz", ""} {
		if err := st.Put(ctx, bad, strings.NewReader("x"), 1); err == nil {
			t.Errorf("Put(%q) succeeded", bad)
		}
		if _, err := st.Get(ctx, bad); err == nil {
			t.Errorf("Get(%q) succeeded", bad)
		}
	}
}

func TestDirStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	storeContract(t, NewDirStore(dir))
}

// A Put that fails half-way leaves the old object and no temporary file.
func TestDirStorePutFailureKeepsOldObject(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := NewDirStore(dir)
	must(t, st.Put(ctx, "v1.tar.gz", strings.NewReader("old"), 3))
	tests := []struct {
		name string
		r    io.Reader
		size int64
		want string
	}{
		{"read error", io.MultiReader(strings.NewReader("new"), iotest.ErrReader(errors.New("disk on fire"))), -1, "disk on fire"},
		{"short", strings.NewReader("ne"), 3, "got 2 bytes, want 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := st.Put(ctx, "v1.tar.gz", tt.r, tt.size)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			data, err := os.ReadFile(filepath.Join(dir, "v1.tar.gz"))
			if err != nil || string(data) != "old" {
				t.Errorf("object = %q, %v; want the old one", data, err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("%d files in the store, want 1 (no temporary file)", len(entries))
			}
		})
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := st.Put(cctx, "v2.tar.gz", strings.NewReader("x"), 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a cancelled context: %v", err)
	}
}

func TestPushPull(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "tiny")
	writeFixture(t, src)
	st := NewDirStore(filepath.Join(t.TempDir(), "store"))
	pushed, err := Push(ctx, st, src, "2026-11-20")
	if err != nil {
		t.Fatal(err)
	}
	names, _ := st.List(ctx)
	if !slices.Equal(names, []string{"2026-11-20.tar.gz"}) {
		t.Errorf("store holds %v", names)
	}
	dest := filepath.Join(t.TempDir(), "models", "2026-11-20")
	pulled, err := Pull(ctx, st, "2026-11-20", dest)
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(pulled) != mustJSON(pushed) {
		t.Errorf("pulled manifest %s, pushed %s", mustJSON(pulled), mustJSON(pushed))
	}
	if _, err := topic.Load(dest); err != nil {
		t.Fatal(err)
	}

	// An archive stored under another label's name is refused.
	rc, err := st.Get(ctx, "2026-11-20.tar.gz")
	must(t, err)
	data, _ := io.ReadAll(rc)
	rc.Close()
	must(t, st.Put(ctx, "prod.tar.gz", bytes.NewReader(data), int64(len(data))))
	dest2 := filepath.Join(t.TempDir(), "prod")
	_, err = Pull(ctx, st, "prod", dest2)
	if err == nil || !strings.Contains(err.Error(), `the archive is labelled "2026-11-20", want "prod"`) {
		t.Errorf("Pull of a renamed archive: %v", err)
	}
	assertNothingLeft(t, dest2)

	_, err = Pull(ctx, st, "missing", filepath.Join(t.TempDir(), "m"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Pull of a missing label: %v, want fs.ErrNotExist", err)
	}
	if _, err := Push(ctx, st, src, "bad/label"); err == nil {
		t.Error("Push with a bad label succeeded")
	}
}
