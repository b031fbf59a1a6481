package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// TestArtifactsS3 pushes and pulls through an S3-compatible server (an
// in-process gofakes3), configured the way an operator would: the AWS
// variables and ARTIFACT_STORE_URL, with a bare --push.
func TestArtifactsS3(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			backend := s3mem.New()
			if err := backend.CreateBucket("models"); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
			t.Cleanup(srv.Close)
			s3env := func(env map[string]string) map[string]string {
				env["AWS_ENDPOINT_URL"] = srv.URL
				env["AWS_ACCESS_KEY_ID"] = "test-key"
				env["AWS_SECRET_ACCESS_KEY"] = "test-secret"
				env["AWS_REGION"] = "us-east-1"
				env["ARTIFACT_STORE_URL"] = "s3://models/newsintel/prod"
				return env
			}

			url, dataDir := newVersionDB(t, d)
			outDir := t.TempDir()
			out, err := runCmd(s3env(map[string]string{"DB_URL": url, "DATA_DIR": dataDir}),
				"bundle-artifacts", "--label", "s3-1", "--version", "agnews-v7", "--out", outDir, "--push")
			if err != nil {
				t.Fatalf("bundle --push: %v\n%s", err, out)
			}
			obj, err := backend.GetObject("models", "newsintel/prod/s3-1.tar.gz", nil)
			if err != nil {
				t.Fatalf("the archive is not in the bucket: %v\n%s", err, out)
			}
			var stored bytes.Buffer
			stored.ReadFrom(obj.Contents)
			obj.Contents.Close()
			local, err := os.ReadFile(filepath.Join(outDir, "s3-1.tar.gz"))
			if err != nil || !bytes.Equal(local, stored.Bytes()) {
				t.Fatalf("the stored object differs from the local archive (%v)", err)
			}

			dst := s3env(map[string]string{"DB_URL": storetest.URL(t, d), "DATA_DIR": t.TempDir()})
			out, err = runCmd(dst, "pull-artifacts", "--label", "s3-1")
			if err != nil || !strings.Contains(out, "verified s3://models/newsintel/prod/s3-1.tar.gz") {
				t.Fatalf("pull: %v\n%s", err, out)
			}
			assertSameFolder(t, filepath.Join(dataDir, "topic-models", "agnews-v7"), filepath.Join(dst["DATA_DIR"], "topic-models", "agnews-v7"))
			v, err := openDB(t, dst["DB_URL"]).ModelVersion(context.Background(), "agnews-v7")
			if err != nil || v.Source != store.ModelPulled || v.Active {
				t.Fatalf("registered: %+v, %v", v, err)
			}

			_, err = runCmd(dst, "pull-artifacts", "--label", "s3-2")
			if err == nil || !strings.Contains(err.Error(), "no archive s3-2.tar.gz") || !strings.Contains(err.Error(), "labels there: s3-1") {
				t.Fatalf("pull of a missing label: %v", err)
			}
		})
	}
}
