package modelpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzUnpack fuzzes the tar stream of the npm tarball (the harness
// compresses it): whatever the entries, Unpack must not panic and must
// write nothing outside its folder, and nothing but folders and regular
// files inside it.
func FuzzUnpack(f *testing.F) {
	tarOf := func(hdrs ...tar.Header) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range hdrs {
			h := h
			if h.Typeflag == tar.TypeReg {
				h.Size = 4
			}
			if err := tw.WriteHeader(&h); err != nil {
				f.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				tw.Write([]byte("body"))
			}
		}
		tw.Close()
		return buf.Bytes()
	}
	f.Add(tarOf(tar.Header{Name: "package/", Typeflag: tar.TypeDir, Mode: 0o755},
		tar.Header{Name: "package/dist/model.json", Typeflag: tar.TypeReg, Mode: 0o644}))
	f.Add(tarOf(tar.Header{Name: "../escape", Typeflag: tar.TypeReg, Mode: 0o644}))
	f.Add(tarOf(tar.Header{Name: "/abs", Typeflag: tar.TypeReg, Mode: 0o644}))
	f.Add(tarOf(tar.Header{Name: "package/link", Typeflag: tar.TypeSymlink, Linkname: "../../x"},
		tar.Header{Name: "package/link/f", Typeflag: tar.TypeReg, Mode: 0o644}))
	f.Add(tarOf(tar.Header{Name: "a", Typeflag: tar.TypeReg, Mode: 0o644},
		tar.Header{Name: "a/b", Typeflag: tar.TypeReg, Mode: 0o644}))
	f.Add([]byte("not a tar stream"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		root := t.TempDir()
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(raw)
		zw.Close()
		tarball := filepath.Join(root, "pkg.tgz")
		if err := os.WriteFile(tarball, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(root, "out", "unpacked")
		err := Unpack(tarball, dir)
		if err != nil && !strings.HasPrefix(err.Error(), "modelpkg: ") {
			t.Fatalf("error %q is not the package's", err)
		}
		werr := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			inside := path == dir || strings.HasPrefix(path, dir+string(filepath.Separator))
			switch {
			case path == root, path == tarball, path == filepath.Dir(dir):
			case !inside:
				t.Fatalf("Unpack wrote %s, outside %s", path, dir)
			case !d.Type().IsDir() && !d.Type().IsRegular():
				t.Fatalf("Unpack made %s of type %v", path, d.Type())
			}
			return nil
		})
		if werr != nil {
			t.Fatal(werr)
		}
	})
}
