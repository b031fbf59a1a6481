package artifacts

import (
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/newsintel/newsintel/inference/topic"
)

// fakeS3 starts an in-process S3-compatible server holding bucket and
// returns its backend and the config to reach it.
func fakeS3(t *testing.T, bucket string) (*s3mem.Backend, S3Config) {
	t.Helper()
	backend := s3mem.New()
	must(t, backend.CreateBucket(bucket))
	srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(srv.Close)
	return backend, S3Config{
		Endpoint:        srv.URL,
		Region:          "us-east-1",
		AccessKeyID:     "test-key",
		SecretAccessKey: "test-secret",
	}
}

func TestS3Store(t *testing.T) {
	_, cfg := fakeS3(t, "models")
	st, err := Open(context.Background(), "s3://models/newsintel/prod", Config{S3: cfg})
	if err != nil {
		t.Fatal(err)
	}
	storeContract(t, st)
}

func TestS3PushPull(t *testing.T) {
	ctx := context.Background()
	backend, cfg := fakeS3(t, "models")
	st, err := Open(ctx, "s3://models/newsintel/prod/", Config{S3: cfg})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "tiny")
	writeFixture(t, src)
	pushed, err := Push(ctx, st, src, "v3")
	if err != nil {
		t.Fatal(err)
	}

	// The object sits under the prefix, named after the label, and is
	// the archive itself.
	obj, err := backend.GetObject("models", "newsintel/prod/v3.tar.gz", nil)
	if err != nil {
		t.Fatalf("object not where expected: %v", err)
	}
	verified, err := Verify(obj.Contents)
	obj.Contents.Close()
	if err != nil || verified.Label != "v3" {
		t.Fatalf("stored object: %v (label %q)", err, verified.Label)
	}

	// Objects outside the prefix or deeper under it are not listed.
	for _, key := range []string{"other/x.tar.gz", "newsintel/prod/old/y.tar.gz", "newsintel/production.tar.gz"} {
		if _, err := backend.PutObject("models", key, nil, strings.NewReader("x"), 1, nil); err != nil {
			t.Fatal(err)
		}
	}
	names, err := st.List(ctx)
	if err != nil || !slices.Equal(names, []string{"v3.tar.gz"}) {
		t.Errorf("List = %v, %v; want [v3.tar.gz]", names, err)
	}

	dest := filepath.Join(t.TempDir(), "v3")
	pulled, err := Pull(ctx, st, "v3", dest)
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(pulled) != mustJSON(pushed) {
		t.Errorf("pulled %s, pushed %s", mustJSON(pulled), mustJSON(pushed))
	}
	if _, err := topic.Load(dest); err != nil {
		t.Fatal(err)
	}
}

func TestS3Errors(t *testing.T) {
	ctx := context.Background()
	_, cfg := fakeS3(t, "models")

	t.Run("no such bucket", func(t *testing.T) {
		st, err := NewS3Store("absent", "", cfg)
		must(t, err)
		err = st.Put(ctx, "a.tar.gz", strings.NewReader("x"), 1)
		if err == nil || !strings.Contains(err.Error(), "s3://absent/a.tar.gz") {
			t.Errorf("Put: %v", err)
		}
		// (The fake answers NoSuchKey here where S3 says NoSuchBucket, so
		// only the failure itself is checked.)
		if _, err = st.Get(ctx, "a.tar.gz"); err == nil {
			t.Error("Get from a missing bucket succeeded")
		}
	})
	t.Run("server down", func(t *testing.T) {
		srv := httptest.NewServer(nil)
		down := cfg
		down.Endpoint = srv.URL
		srv.Close()
		st, err := NewS3Store("models", "", down)
		must(t, err)
		cctx, cancel := context.WithCancel(ctx)
		cancel() // the client retries; a cancelled context keeps the test fast
		if _, err := st.Get(cctx, "a.tar.gz"); err == nil {
			t.Error("Get from a stopped server succeeded")
		}
		if _, err := st.List(cctx); err == nil {
			t.Error("List from a stopped server succeeded")
		}
	})
	t.Run("Get streams the object", func(t *testing.T) {
		st, err := NewS3Store("models", "p", cfg)
		must(t, err)
		body := strings.Repeat("0123456789", 100_000)
		must(t, st.Put(ctx, "big.tar.gz", strings.NewReader(body), int64(len(body))))
		rc, err := st.Get(ctx, "big.tar.gz")
		must(t, err)
		defer rc.Close()
		got, err := io.ReadAll(rc)
		if err != nil || string(got) != body {
			t.Errorf("read %d bytes, %v; want %d", len(got), err, len(body))
		}
	})
}
