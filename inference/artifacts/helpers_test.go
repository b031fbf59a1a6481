package artifacts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/newsintel/newsintel/inference/topic"
)

// fixtureCreated is the tiny model's creation time.
func fixtureCreated() time.Time { return time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC) }

// writeFixture writes a tiny but loadable topic model folder: a linear
// head on a 4-d embedding with two labels, as topic.Model.Save lays it out.
func writeFixture(t testing.TB, dir string) {
	t.Helper()
	var blob bytes.Buffer
	for _, v := range []float32{0.5, -0.5, 1, -1, 0.25, -0.25, 2, -2, 0.1, -0.1} {
		binary.Write(&blob, binary.LittleEndian, math.Float32bits(v))
	}
	sum := sha256.Sum256(blob.Bytes())
	meta := topic.Meta{
		Format: topic.Format, Name: "tiny", Version: "3",
		Labels:    []string{"Sports", "World"},
		EncoderID: "use-lite-en-0.2.0", EncoderDim: 4,
		Normalizer: topic.NormalizerVersion,
		CreatedAt:  fixtureCreated(),
		Heads:      []*topic.Head{{Name: "lr", Kind: topic.HeadLinear, Embedding: true, Weight: 1}},
		Training: &topic.Training{
			Seed: 1, DataHash: "5e1f" + hex.EncodeToString(sum[:30]),
		},
		Metrics:       &topic.Metrics{N: 20, Accuracy: 0.9, MacroF1: 0.85, LogLoss: 0.3, ECE: 0.05},
		Temperature:   1,
		Weights:       topic.WeightsFile,
		WeightsSHA256: hex.EncodeToString(sum[:]),
		Tensors: []topic.Tensor{
			{Name: "lr.weight", DType: "f32", Shape: []int{4, 2}, Offset: 0, Bytes: 32},
			{Name: "lr.bias", DType: "f32", Shape: []int{2}, Offset: 32, Bytes: 8},
		},
	}
	raw, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.MkdirAll(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, topic.MetaFile), raw, 0o644))
	must(t, os.WriteFile(filepath.Join(dir, topic.WeightsFile), blob.Bytes(), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, topic.ReadmeFile), []byte("# Topic model tiny v3\n"), 0o644))
	if _, err := topic.Load(dir); err != nil {
		t.Fatalf("fixture does not load: %v", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixtureArchive bundles a fresh fixture under label.
func fixtureArchive(t testing.TB, label string) ([]byte, Manifest) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tiny-v3")
	writeFixture(t, dir)
	var buf bytes.Buffer
	man, err := Bundle(dir, label, &buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), man
}

// entry is one tar entry, for taking archives apart and tampering.
type entry struct {
	hdr  tar.Header
	body []byte
}

func readEntries(t testing.TB, archive []byte) []entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var out []entry
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, entry{*hdr, body})
	}
}

// pack writes entries as an archive, fixing each header's size to its
// body unless keepSize.
func pack(t *testing.T, entries []entry, keepSize bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		hdr := e.hdr
		if !keepSize && hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		must(t, tw.WriteHeader(&hdr))
		if len(e.body) > 0 {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	must(t, tw.Close())
	must(t, zw.Close())
	return buf.Bytes()
}

// editManifest rewrites the archive's manifest with edit.
func editManifest(t *testing.T, archive []byte, edit func(*Manifest)) []byte {
	t.Helper()
	es := readEntries(t, archive)
	var m Manifest
	must(t, json.Unmarshal(es[0].body, &m))
	edit(&m)
	raw, err := json.Marshal(m)
	must(t, err)
	es[0].body = raw
	return pack(t, es, false)
}

// fileEntry is a regular entry with body.
func fileEntry(name string, body []byte) entry {
	return entry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}, body}
}

// assertNothingLeft fails if dest exists or anything else was created
// in its parent (a leftover temporary folder).
func assertNothingLeft(t *testing.T, dest string) {
	t.Helper()
	if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s exists after a refused archive (stat: %v)", dest, err)
	}
	entries, err := os.ReadDir(filepath.Dir(dest))
	must(t, err)
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}
