package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/artifacts"
	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

// newVersionDB returns a migrated database (URL) and data directory that
// hold a second registered version, agnews-v7: the built-in model under
// another version number, so no training is needed.
func newVersionDB(t *testing.T, d store.Dialect) (url, dataDir string) {
	t.Helper()
	url, dataDir = storetest.URL(t, d), t.TempDir()
	db := openDB(t, url)
	m, err := topic.Default()
	if err != nil {
		t.Fatal(err)
	}
	m.Version = "7"
	path, err := finetune.Models{DataDir: dataDir}.Save(m)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := finetune.Registration(m, store.ModelTrained, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RegisterModel(context.Background(), reg); err != nil {
		t.Fatal(err)
	}
	return url, dataDir
}

// openDB opens and migrates the database at url for the test.
func openDB(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// runCmd runs the program, returning its output and error.
func runCmd(env map[string]string, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, envOf(env), nil, &out, io.Discard)
	return out.String(), err
}

// TestArtifactsRoundTrip bundles a version, pushes it to a folder store
// and pulls it into a fresh data directory and database, on each
// database: the files arrive identical and the version is registered as
// pulled and inactive. A second pull changes nothing.
func TestArtifactsRoundTrip(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			url, dataDir := newVersionDB(t, d)
			storeDir, outDir := t.TempDir(), t.TempDir()
			src := map[string]string{"DB_URL": url, "DATA_DIR": dataDir}
			out, err := runCmd(src, "bundle-artifacts", "--label", "rel-1", "--version", "agnews-v7", "--out", outDir, "--push", storeDir)
			if err != nil {
				t.Fatalf("bundle: %v\n%s", err, out)
			}
			if !strings.Contains(out, `bundled agnews-v7 (source trained) as "rel-1"`) || !strings.Contains(out, "pushed rel-1.tar.gz to "+storeDir) {
				t.Errorf("bundle output:\n%s", out)
			}
			local, err := os.ReadFile(filepath.Join(outDir, "rel-1.tar.gz"))
			if err != nil {
				t.Fatal(err)
			}
			pushed, err := os.ReadFile(filepath.Join(storeDir, "rel-1.tar.gz"))
			if err != nil || !bytes.Equal(local, pushed) {
				t.Fatalf("pushed archive differs from the local one (%v)", err)
			}

			// Into a fresh data directory and database.
			dst := map[string]string{"DB_URL": storetest.URL(t, d), "DATA_DIR": t.TempDir(), "ARTIFACT_STORE_URL": "file://" + storeDir}
			out, err = runCmd(dst, "pull-artifacts", "--label", "rel-1")
			if err != nil {
				t.Fatalf("pull: %v\n%s", err, out)
			}
			if !strings.Contains(out, "registered agnews-v7 (source pulled, inactive)") {
				t.Errorf("pull output:\n%s", out)
			}
			assertSameFolder(t, filepath.Join(dataDir, "topic-models", "agnews-v7"), filepath.Join(dst["DATA_DIR"], "topic-models", "agnews-v7"))
			db := openDB(t, dst["DB_URL"])
			v, err := db.ModelVersion(context.Background(), "agnews-v7")
			if err != nil || v.Source != store.ModelPulled || v.Active || v.Path != filepath.Join("topic-models", "agnews-v7") {
				t.Fatalf("registered: %+v, %v", v, err)
			}
			if active, err := db.ActiveModel(context.Background()); err != nil || active.Version != topic.DefaultVersion {
				t.Fatalf("active after the pull: %+v, %v", active, err)
			}

			out, err = runCmd(dst, "pull-artifacts", "--label", "rel-1")
			if err != nil || !strings.Contains(out, "nothing to unpack") || !strings.Contains(out, "registry unchanged") {
				t.Fatalf("second pull: %v\n%s", err, out)
			}

			// The active (built-in) version bundles too, from the binary.
			out, err = runCmd(src, "bundle-artifacts", "--label", "builtin", "--out", filepath.Join(outDir, "b.tar.gz"))
			if err != nil {
				t.Fatalf("bundle the built-in model: %v\n%s", err, out)
			}
			f, err := os.Open(filepath.Join(outDir, "b.tar.gz"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if man, err := artifacts.Verify(f); err != nil || man.ModelID != topic.DefaultVersion || man.Label != "builtin" {
				t.Fatalf("built-in archive: %+v, %v", man, err)
			}
		})
	}
}

// TestPullRefusals: a tampered archive, an archive of a version that
// exists with other content and a missing label are refused with errors
// that say so, and leave no folder and no registration behind.
func TestPullRefusals(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			url, dataDir := newVersionDB(t, d)
			storeDir := t.TempDir()
			src := map[string]string{"DB_URL": url, "DATA_DIR": dataDir}
			if out, err := runCmd(src, "bundle-artifacts", "--label", "rel-1", "--version", "agnews-v7", "--out", t.TempDir(), "--push", storeDir); err != nil {
				t.Fatalf("bundle: %v\n%s", err, out)
			}
			good, err := os.ReadFile(filepath.Join(storeDir, "rel-1.tar.gz"))
			if err != nil {
				t.Fatal(err)
			}
			dst := map[string]string{"DB_URL": storetest.URL(t, d), "DATA_DIR": t.TempDir()}
			db := openDB(t, dst["DB_URL"])
			nothingLeft := func(what string) {
				t.Helper()
				if entries, _ := os.ReadDir(filepath.Join(dst["DATA_DIR"], "topic-models")); len(entries) > 0 {
					t.Errorf("%s left %v behind", what, entries)
				}
				if _, err := db.ModelVersion(context.Background(), "agnews-v7"); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s registered agnews-v7: %v", what, err)
				}
			}

			// The hash of the weights with one byte flipped, for the case
			// that also fixes the manifest up.
			flip := func(b []byte) []byte { b[len(b)/2] ^= 1; return b }
			weightsHash := ""
			rewriteArchive(t, good, func(name string, b []byte) []byte {
				if name == "weights.bin" {
					sum := sha256.Sum256(flip(b))
					weightsHash = hex.EncodeToString(sum[:])
				}
				return b
			})
			for _, tc := range []struct {
				name, want string
				edit       func(name string, body []byte) []byte
			}{
				{"one byte of the weights", "weights.bin: sha256 mismatch", func(name string, b []byte) []byte {
					if name == "weights.bin" {
						b = flip(b)
					}
					return b
				}},
				{"the manifest's data hash", "training_data_sha256", func(name string, b []byte) []byte {
					if name == artifacts.ManifestFile {
						b = editManifest(t, b, func(m *artifacts.Manifest) { m.DataHash = strings.Repeat("0", 64) })
					}
					return b
				}},
				{"the weights and their manifest checksum", "does not load", func(name string, b []byte) []byte {
					switch name {
					case "weights.bin":
						b = flip(b)
					case artifacts.ManifestFile:
						b = editManifest(t, b, func(m *artifacts.Manifest) {
							for i := range m.Files {
								if m.Files[i].Name == "weights.bin" {
									m.Files[i].SHA256 = weightsHash
								}
							}
						})
					}
					return b
				}},
			} {
				path := filepath.Join(t.TempDir(), "rel-1.tar.gz")
				if err := os.WriteFile(path, rewriteArchive(t, good, tc.edit), 0o644); err != nil {
					t.Fatal(err)
				}
				_, err := runCmd(dst, "pull-artifacts", "--file", path)
				if err == nil || !strings.Contains(err.Error(), "refusing "+path) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("tampered %s: %v, want a refusal naming %q", tc.name, err, tc.want)
				}
				nothingLeft("tampered " + tc.name)
			}

			// A missing label names the store and the label.
			_, err = runCmd(dst, "pull-artifacts", "--label", "nope", "--from", storeDir)
			if err == nil || !strings.Contains(err.Error(), "no archive nope.tar.gz in "+storeDir+" (labels there: rel-1)") {
				t.Errorf("missing label: %v", err)
			}

			// The version's folder exists with other content.
			folder := filepath.Join(dst["DATA_DIR"], "topic-models", "agnews-v7")
			if err := os.MkdirAll(folder, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(folder, "model.json"), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err = runCmd(dst, "pull-artifacts", "--label", "rel-1", "--from", storeDir)
			if err == nil || !strings.Contains(err.Error(), "exists with different content") {
				t.Errorf("pull over another agnews-v7 folder: %v", err)
			}
			if raw, _ := os.ReadFile(filepath.Join(folder, "model.json")); string(raw) != "{}" {
				t.Errorf("the existing folder was changed")
			}
			os.RemoveAll(folder)

			// The version is registered with other training data.
			m, _ := topic.Default()
			m.Version = "7"
			reg, _ := finetune.Registration(m, store.ModelTrained, "elsewhere")
			reg.DataHash = strings.Repeat("1", 64)
			if err := db.RegisterModel(context.Background(), reg); err != nil {
				t.Fatal(err)
			}
			_, err = runCmd(dst, "pull-artifacts", "--label", "rel-1", "--from", storeDir)
			if err == nil || !strings.Contains(err.Error(), "registered already") {
				t.Errorf("pull of a version registered with other data: %v", err)
			}
			if entries, _ := os.ReadDir(filepath.Join(dst["DATA_DIR"], "topic-models")); len(entries) > 0 {
				t.Errorf("refused pull left %v behind", entries)
			}

			for _, args := range [][]string{{"pull-artifacts"}, {"pull-artifacts", "--file", "x", "--from", "y"},
				{"bundle-artifacts"}, {"bundle-artifacts", "--label", "../x"}, {"pull-artifacts", "--label", "a", "extra"}} {
				if _, err := runCmd(dst, args...); !errors.Is(err, errUsage) {
					t.Errorf("%v: %v, want a usage error", args, err)
				}
			}
			if _, err := runCmd(dst, "pull-artifacts", "--label", "rel-1"); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "ARTIFACT_STORE_URL") {
				t.Errorf("pull without a store: %v", err)
			}
		})
	}
}

// assertSameFolder fails unless the two folders hold the same files,
// byte for byte.
func assertSameFolder(t *testing.T, want, got string) {
	t.Helper()
	wantEntries, err := os.ReadDir(want)
	if err != nil {
		t.Fatal(err)
	}
	gotEntries, err := os.ReadDir(got)
	if err != nil {
		t.Fatal(err)
	}
	if len(wantEntries) != len(gotEntries) || len(wantEntries) == 0 {
		t.Fatalf("%s has %d entries, %s %d", want, len(wantEntries), got, len(gotEntries))
	}
	for _, e := range wantEntries {
		a, errA := os.ReadFile(filepath.Join(want, e.Name()))
		b, errB := os.ReadFile(filepath.Join(got, e.Name()))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs (%v, %v)", e.Name(), errA, errB)
		}
	}
}

// rewriteArchive returns raw with each entry's body passed through edit,
// headers kept but for the size, as someone tampering by hand would do.
func rewriteArchive(t *testing.T, raw []byte, edit func(name string, body []byte) []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	tw := tar.NewWriter(zw)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		body = edit(hdr.Name, body)
		hdr.Size = int64(len(body))
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// editManifest decodes a manifest, applies fn and encodes it again.
func editManifest(t *testing.T, raw []byte, fn func(*artifacts.Manifest)) []byte {
	t.Helper()
	var m artifacts.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	fn(&m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}
