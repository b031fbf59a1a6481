package artifacts

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/topic"
)

// index finds the entry called name.
func index(es []entry, name string) int {
	for i, e := range es {
		if e.hdr.Name == name {
			return i
		}
	}
	return -1
}

func TestUnpackRefusesTampering(t *testing.T) {
	good, _ := fixtureArchive(t, "v1")
	entries := func(edit func([]entry) []entry) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { return pack(t, edit(readEntries(t, good)), false) }
	}
	manifest := func(edit func(*Manifest)) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { return editManifest(t, good, edit) }
	}
	raw := func(edit func([]byte) []byte) func(t *testing.T) []byte {
		return func(t *testing.T) []byte { return edit(bytes.Clone(good)) }
	}
	tests := []struct {
		name    string
		archive func(t *testing.T) []byte
		want    string
		// unpackOnly marks archives that are intact but hold a model that
		// does not load: Verify, which loads nothing, accepts them.
		unpackOnly bool
	}{
		{"weights flipped", entries(func(es []entry) []entry {
			es[index(es, "weights.bin")].body[3] ^= 1
			return es
		}), "artifacts: file weights.bin: sha256 mismatch (manifest ", false},
		{"weights shortened", entries(func(es []entry) []entry {
			i := index(es, "weights.bin")
			es[i].body = es[i].body[:8]
			return es
		}), "artifacts: file weights.bin: size mismatch (manifest 40, archive 8)", false},
		{"extra file", entries(func(es []entry) []entry {
			return append(es, fileEntry("run.sh", []byte("#!/bin/sh\n")))
		}), "artifacts: file run.sh: not listed in the manifest", false},
		{"dot-dot path", entries(func(es []entry) []entry {
			return append(es, fileEntry("../evil.txt", []byte("x")))
		}), "artifacts: file ../evil.txt: path traversal", false},
		{"nested dot-dot path", entries(func(es []entry) []entry {
			return append(es, fileEntry("a/../../evil.txt", []byte("x")))
		}), "path traversal", false},
		{"absolute path", entries(func(es []entry) []entry {
			return append(es, fileEntry("/tmp/evil.txt", []byte("x")))
		}), "artifacts: file /tmp/evil.txt: absolute path", false},
		{"nested path", entries(func(es []entry) []entry {
			return append(es, fileEntry("sub/evil.txt", []byte("x")))
		}), "nested path", false},
		{"symlink", entries(func(es []entry) []entry {
			i := index(es, "README.md")
			es[i] = entry{tar.Header{Typeflag: tar.TypeSymlink, Name: "README.md", Linkname: "/etc/passwd", Mode: 0o777}, nil}
			return es
		}), `artifacts: file README.md: symlink to "/etc/passwd"`, false},
		{"hard link", entries(func(es []entry) []entry {
			i := index(es, "README.md")
			es[i] = entry{tar.Header{Typeflag: tar.TypeLink, Name: "README.md", Linkname: "../../etc/passwd"}, nil}
			return es
		}), "hard link", false},
		{"directory", entries(func(es []entry) []entry {
			return append(es, entry{tar.Header{Typeflag: tar.TypeDir, Name: "data", Mode: 0o755}, nil})
		}), "artifacts: file data: directory", false},
		{"missing file", entries(func(es []entry) []entry {
			i := index(es, "README.md")
			return append(es[:i], es[i+1:]...)
		}), "artifacts: file README.md: listed in the manifest but missing from the archive", false},
		{"duplicate file", entries(func(es []entry) []entry {
			return append(es, es[index(es, "README.md")])
		}), "artifacts: file README.md: appears twice", false},
		{"manifest not first", entries(func(es []entry) []entry {
			return append(es[1:], es[0])
		}), `artifacts: first entry is "README.md", want manifest.json`, false},
		{"manifest not JSON", entries(func(es []entry) []entry {
			es[0].body = []byte("{not json")
			return es
		}), "artifacts: manifest.json: invalid character", false},
		{"manifest unknown field", entries(func(es []entry) []entry {
			es[0].body = bytes.Replace(es[0].body, []byte(`"label"`), []byte(`"signed_by": "x", "label"`), 1)
			return es
		}), `artifacts: manifest.json: json: unknown field "signed_by"`, false},
		{"manifest other format", manifest(func(m *Manifest) { m.Format = "newsintel-artifact/9" }),
			`artifacts: manifest.json: format "newsintel-artifact/9", this build reads "newsintel-artifact/1"`, false},
		{"manifest sha256 edited", manifest(func(m *Manifest) { m.Files[2].SHA256 = strings.Repeat("ab", 32) }),
			"artifacts: file weights.bin: sha256 mismatch (manifest abababababab…, archive ", false},
		{"manifest sha256 malformed", manifest(func(m *Manifest) { m.Files[2].SHA256 = "abc" }),
			`artifacts: manifest.json: file weights.bin: bad size 40 or sha256 "abc"`, false},
		{"manifest lists traversal", manifest(func(m *Manifest) { m.Files[0].Name = "../README.md" }),
			"artifacts: manifest.json: file ../README.md: path traversal", false},
		{"manifest file dropped", manifest(func(m *Manifest) { m.Files = m.Files[1:] }),
			"artifacts: file README.md: not listed in the manifest", false},
		{"manifest without model.json", manifest(func(m *Manifest) { m.Files = m.Files[:1] }),
			"artifacts: manifest.json: lists no model.json", false},
		{"manifest encoder edited", manifest(func(m *Manifest) { m.EncoderID = "use-lite-en-9.9.9" }),
			`artifacts: manifest.json: encoder_id is "use-lite-en-9.9.9" but model.json says "use-lite-en-0.2.0"`, false},
		{"manifest data hash edited", manifest(func(m *Manifest) { m.DataHash = "0000" }),
			"artifacts: manifest.json: training_data_sha256 is \"0000\"", false},
		{"manifest metrics edited", manifest(func(m *Manifest) { m.Metrics["accuracy"] = 0.99 }),
			"artifacts: manifest.json: metrics is", false},
		{"manifest bad label", manifest(func(m *Manifest) { m.Label = "../../x" }),
			`artifacts: manifest.json: label "../../x"`, false},
		{"model does not load", func(t *testing.T) []byte {
			// An archive consistent in itself whose model.json names a
			// normaliser this build lacks.
			es := readEntries(t, good)
			i := index(es, topic.MetaFile)
			es[i].body = bytes.Replace(es[i].body, []byte(`"normalizer": "`+topic.NormalizerVersion), []byte(`"normalizer": "zz-v9`), 1)
			arch := pack(t, es, false)
			f, err := hashFile(writeTemp(t, es[i].body))
			must(t, err)
			return editManifest(t, arch, func(m *Manifest) {
				m.Normalizer = "zz-v9"
				m.Files[1].Size, m.Files[1].SHA256 = f.Size, f.SHA256
			})
		}, "artifacts: unpack: the archived model does not load: topic: the model was trained with normaliser \"zz-v9\"", true},
		{"truncated gzip", raw(func(b []byte) []byte { return b[:len(b)/2] }),
			"artifacts: the archive is truncated or corrupt: unexpected EOF", false},
		{"truncated trailer", raw(func(b []byte) []byte { return b[:len(b)-4] }),
			"artifacts: the archive is truncated or corrupt: unexpected EOF", false},
		{"bad gzip checksum", raw(func(b []byte) []byte { b[len(b)-8] ^= 0xff; return b }),
			"artifacts: the archive is truncated or corrupt: gzip: invalid checksum", false},
		{"not gzip", raw(func([]byte) []byte { return []byte("PK\x03\x04 a zip file") }),
			"artifacts: not a gzip archive", false},
		{"empty", func(t *testing.T) []byte { return pack(t, nil, false) }, "artifacts: the archive is empty", false},
		{"zero bytes", raw(func([]byte) []byte { return nil }), "artifacts: not a gzip archive: EOF", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			archive := tt.archive(t)
			dest := filepath.Join(t.TempDir(), "model")
			_, err := Unpack(bytes.NewReader(archive), dest)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Unpack err = %v\nwant one containing %q", err, tt.want)
			}
			assertNothingLeft(t, dest)
			_, err = Verify(bytes.NewReader(archive))
			if tt.unpackOnly {
				if err != nil {
					t.Errorf("Verify: %v, want nil", err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Verify err = %v\nwant one containing %q", err, tt.want)
			}
		})
	}
}

func writeTemp(t *testing.T, data []byte) string {
	t.Helper()
	name := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(name, data, 0o644))
	return name
}

// The tampering cases start from an archive Unpack accepts; check that
// the test's own repacking keeps it acceptable, or every case above could
// pass for the wrong reason.
func TestRepackedArchiveStillUnpacks(t *testing.T) {
	good, _ := fixtureArchive(t, "v1")
	repacked := pack(t, readEntries(t, good), false)
	if _, err := Unpack(bytes.NewReader(repacked), filepath.Join(t.TempDir(), "m")); err != nil {
		t.Fatal(err)
	}
	edited := editManifest(t, good, func(*Manifest) {})
	if _, err := Unpack(bytes.NewReader(edited), filepath.Join(t.TempDir(), "m")); err != nil {
		t.Fatal(err)
	}
}

func TestUnpackDestination(t *testing.T) {
	archive, _ := fixtureArchive(t, "v1")

	t.Run("not empty", func(t *testing.T) {
		dest := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dest, "keep.txt"), []byte("mine"), 0o644))
		_, err := Unpack(bytes.NewReader(archive), dest)
		if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "is not empty") {
			t.Fatalf("err = %v, want fs.ErrExist", err)
		}
		entries, _ := os.ReadDir(dest)
		if len(entries) != 1 {
			t.Errorf("dest now holds %d entries, want its 1 untouched file", len(entries))
		}
		siblings, _ := os.ReadDir(filepath.Dir(dest))
		if len(siblings) != 1 {
			t.Errorf("%d entries beside dest, want none", len(siblings)-1)
		}
	})
	t.Run("empty folder", func(t *testing.T) {
		dest := filepath.Join(t.TempDir(), "m")
		must(t, os.Mkdir(dest, 0o755))
		if _, err := Unpack(bytes.NewReader(archive), dest); err != nil {
			t.Fatal(err)
		}
		if _, err := topic.Load(dest); err != nil {
			t.Fatal(err)
		}
	})
}

// Verify returns the manifest Bundle wrote.
func TestVerifyReturnsManifest(t *testing.T) {
	archive, man := fixtureArchive(t, "v1")
	got, err := Verify(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	c, _ := json.Marshal(man)
	if !bytes.Equal(b, c) {
		t.Errorf("Verify manifest %s, want %s", b, c)
	}
}
