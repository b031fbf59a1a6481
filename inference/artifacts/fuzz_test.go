package artifacts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gunzip returns the tar stream inside a bundle, so that fuzzing mutates
// the tar headers and bodies rather than the compressed bytes.
func gunzip(t testing.TB, archive []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	must(t, err)
	raw, err := io.ReadAll(zr)
	must(t, err)
	return raw
}

func gzipped(raw []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	return buf.Bytes()
}

// unpackContained unpacks archive below a fresh folder and checks that
// nothing was written outside the destination, that a refused archive
// leaves nothing behind, and that an accepted one installed only the
// regular files its manifest lists, at their listed sizes.
func unpackContained(t *testing.T, archive []byte) error {
	t.Helper()
	root := t.TempDir()
	parent := filepath.Join(root, "a", "b")
	must(t, os.MkdirAll(parent, 0o755))
	dest := filepath.Join(parent, "model")
	_, verr := Verify(bytes.NewReader(archive))
	man, err := Unpack(bytes.NewReader(archive), dest)
	if verr != nil && err == nil {
		t.Fatalf("Verify refused the archive (%v) but Unpack installed it", verr)
	}
	for dir, want := range map[string]string{root: "a", filepath.Join(root, "a"): "b"} {
		entries, rerr := os.ReadDir(dir)
		must(t, rerr)
		if len(entries) != 1 || entries[0].Name() != want {
			t.Fatalf("the archive wrote outside its destination: %s holds %v", dir, entries)
		}
	}
	if err != nil {
		assertNothingLeft(t, dest)
		return err
	}
	listed := map[string]int64{}
	for _, f := range man.Files {
		listed[f.Name] = f.Size
	}
	entries, rerr := os.ReadDir(dest)
	must(t, rerr)
	for _, e := range entries {
		info, ierr := e.Info()
		must(t, ierr)
		size, ok := listed[e.Name()]
		if !info.Mode().IsRegular() || !ok || info.Size() != size {
			t.Fatalf("installed %s (%v, %d bytes), which the manifest does not list as such", e.Name(), info.Mode(), info.Size())
		}
	}
	return nil
}

// FuzzUnpack fuzzes the tar stream of a model bundle (the harness
// compresses it): odd, huge, truncated or linked entries must be refused
// without a panic and without writing outside the destination.
func FuzzUnpack(f *testing.F) {
	archive, _ := fixtureArchive(f, "tiny-v3")
	good := gunzip(f, archive)
	f.Add(good)
	es := readEntries(f, archive)
	tarOf := func(entries []entry) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range entries {
			must(f, tw.WriteHeader(&e.hdr))
			tw.Write(e.body)
		}
		tw.Close()
		return buf.Bytes()
	}
	evil := []entry{
		{tar.Header{Typeflag: tar.TypeReg, Name: "../escape", Mode: 0o644, Size: 4}, []byte("evil")},
		{tar.Header{Typeflag: tar.TypeSymlink, Name: "model.json", Linkname: "/etc/passwd", Mode: 0o777}, nil},
		{tar.Header{Typeflag: tar.TypeLink, Name: "weights.bin", Linkname: "../../x", Mode: 0o644}, nil},
		{tar.Header{Typeflag: tar.TypeDir, Name: "sub/", Mode: 0o755}, nil},
		{tar.Header{Typeflag: tar.TypeChar, Name: "dev", Mode: 0o644}, nil},
	}
	for _, e := range evil {
		f.Add(tarOf(append(append([]entry{}, es...), e)))
		f.Add(tarOf(append([]entry{es[0], e}, es[1:]...)))
	}
	// A header claiming a huge body that the stream does not hold.
	huge := slicesClone(good)
	hdr := es[1].hdr
	hdr.Size = 1 << 40
	hdr.Format = tar.FormatGNU
	var hb bytes.Buffer
	tw := tar.NewWriter(&hb)
	must(f, tw.WriteHeader(&hdr))
	f.Add(append(huge[:len(good)-1024], hb.Bytes()[:512]...))
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		unpackContained(t, gzipped(raw))
	})
}

func slicesClone(b []byte) []byte { return append([]byte(nil), b...) }

// FuzzUnpackEntry adds one fuzzed entry to a valid bundle and lists it
// in the manifest with its true size and checksum, so only the entry's
// name and type can get it refused: anything but a regular file with a
// plain name must be.
func FuzzUnpackEntry(f *testing.F) {
	archive, _ := fixtureArchive(f, "tiny-v3")
	es := readEntries(f, archive)
	for _, c := range []struct {
		name, link string
		typ        byte
	}{
		{"extra.txt", "", tar.TypeReg}, {"../extra.txt", "", tar.TypeReg}, {"a/../../b", "", tar.TypeReg},
		{`..\x`, "", tar.TypeReg}, {"/abs", "", tar.TypeReg}, {".hidden", "", tar.TypeReg},
		{"link", "../../../etc/passwd", tar.TypeSymlink}, {"hard", "model.json", tar.TypeLink},
		{"dir", "", tar.TypeDir}, {"fifo", "", tar.TypeFifo}, {"x\x00y", "", tar.TypeReg},
	} {
		f.Add(c.name, c.typ, c.link, []byte("body"))
	}
	f.Fuzz(func(t *testing.T, name string, typ byte, link string, body []byte) {
		hdr := tar.Header{Typeflag: typ, Name: name, Linkname: link, Mode: 0o644}
		if typ == tar.TypeReg || typ == tar.TypeRegA {
			hdr.Size = int64(len(body))
		} else {
			body = nil
		}
		sum := sha256.Sum256(body)
		var m Manifest
		must(t, json.Unmarshal(es[0].body, &m))
		m.Files = append(m.Files, File{Name: name, Size: hdr.Size, SHA256: hex.EncodeToString(sum[:])})
		rawMan, err := json.Marshal(m)
		must(t, err)
		entries := append([]entry{{es[0].hdr, rawMan}}, es[1:]...)
		entries[0].hdr.Size = int64(len(rawMan))
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, e := range append(entries, entry{hdr, body}) {
			if tw.WriteHeader(&e.hdr) != nil {
				return // a header tar cannot write (bad type, over-long name)
			}
			if _, err := tw.Write(e.body); err != nil {
				return
			}
		}
		if tw.Close() != nil {
			return
		}
		err = unpackContained(t, gzipped(buf.Bytes()))
		plain := name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) && !strings.HasPrefix(name, ".")
		if err == nil && (!plain || (typ != tar.TypeReg && typ != tar.TypeRegA)) {
			t.Fatalf("installed entry %q of type %q", name, typ)
		}
	})
}
