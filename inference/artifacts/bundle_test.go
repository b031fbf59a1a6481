package artifacts

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/newsintel/newsintel/inference/topic"
)

func TestBundleUnpackRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "tiny-v3")
	writeFixture(t, src)
	var buf bytes.Buffer
	man, err := Bundle(src, "2026-11-20_rc.1", &buf)
	if err != nil {
		t.Fatal(err)
	}

	want := Manifest{
		Format: FormatVersion, Label: "2026-11-20_rc.1", ModelID: "tiny-v3", ModelFormat: topic.Format,
		EncoderID: "use-lite-en-0.2.0", EncoderDim: 4, Normalizer: topic.NormalizerVersion,
		CreatedAt: fixtureCreated(),
	}
	got := man
	got.Labels, got.Metrics, got.Files, got.DataHash = nil, nil, nil, ""
	if !got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location().String() != "UTC" {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt = want.CreatedAt
	if mustJSON(got) != mustJSON(want) {
		t.Errorf("manifest\n got %s\nwant %s", mustJSON(got), mustJSON(want))
	}
	if !slices.Equal(man.Labels, []string{"Sports", "World"}) {
		t.Errorf("Labels = %v", man.Labels)
	}
	if !strings.HasPrefix(man.DataHash, "5e1f") {
		t.Errorf("DataHash = %q, want the model's training data hash", man.DataHash)
	}
	wantMetrics := map[string]float64{"accuracy": 0.9, "macro_f1": 0.85, "log_loss": 0.3, "ece": 0.05, "dev_examples": 20}
	if mustJSON(man.Metrics) != mustJSON(wantMetrics) {
		t.Errorf("Metrics = %v, want %v", man.Metrics, wantMetrics)
	}
	var names []string
	for _, f := range man.Files {
		names = append(names, f.Name)
		data, err := os.ReadFile(filepath.Join(src, f.Name))
		must(t, err)
		if f.Size != int64(len(data)) || len(f.SHA256) != 64 {
			t.Errorf("file %s: size %d sha %q, want size %d", f.Name, f.Size, f.SHA256, len(data))
		}
	}
	if !slices.Equal(names, []string{"README.md", "model.json", "weights.bin"}) {
		t.Errorf("files = %v", names)
	}

	dest := filepath.Join(t.TempDir(), "models", "tiny")
	got2, err := Unpack(bytes.NewReader(buf.Bytes()), dest)
	if err != nil {
		t.Fatal(err)
	}
	if mustJSON(got2) != mustJSON(man) {
		t.Errorf("Unpack manifest\n got %s\nwant %s", mustJSON(got2), mustJSON(man))
	}
	for _, name := range names {
		a, err := os.ReadFile(filepath.Join(src, name))
		must(t, err)
		b, err := os.ReadFile(filepath.Join(dest, name))
		must(t, err)
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs after the round trip", name)
		}
	}
	entries, err := os.ReadDir(dest)
	must(t, err)
	if len(entries) != len(names) {
		t.Errorf("dest holds %d entries, want %d (no manifest, no extras)", len(entries), len(names))
	}
	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("dest mode: %v %v, want 0755", fi.Mode(), err)
	}
	m, err := topic.Load(dest)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID() != "tiny-v3" {
		t.Errorf("unpacked model id %q", m.ID())
	}
	if siblings, _ := os.ReadDir(filepath.Dir(dest)); len(siblings) != 1 {
		t.Errorf("unpack left %d entries beside dest, want only dest", len(siblings))
	}
}

func TestBundleIsDeterministic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	writeFixture(t, dir)
	var a, b, c bytes.Buffer
	if _, err := Bundle(dir, "v1", &a); err != nil {
		t.Fatal(err)
	}
	// Touch every file: mtimes must not reach the archive.
	for _, name := range []string{topic.MetaFile, topic.WeightsFile, topic.ReadmeFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	if _, err := Bundle(dir, "v1", &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("bundling the same folder twice gave different archives")
	}
	if _, err := Bundle(dir, "v2", &c); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("the label does not reach the archive")
	}
	es := readEntries(t, a.Bytes())
	if es[0].hdr.Name != ManifestFile {
		t.Errorf("first entry %q, want %s", es[0].hdr.Name, ManifestFile)
	}
	for _, e := range es {
		if !e.hdr.ModTime.Equal(fixtureCreated()) || e.hdr.Mode != 0o644 || e.hdr.Uid != 0 || e.hdr.Uname != "" {
			t.Errorf("entry %s: mtime %v mode %o uid %d uname %q", e.hdr.Name, e.hdr.ModTime, e.hdr.Mode, e.hdr.Uid, e.hdr.Uname)
		}
	}
}

// The committed default model bundles and verifies, and its manifest
// carries what its model.json says.
func TestBundleDefaultModel(t *testing.T) {
	dir := filepath.Join("..", "topic", "models", topic.DefaultModelDir)
	model, err := topic.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	man, err := Bundle(dir, "agnews-v1", &buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.ModelID != model.ID() || got.EncoderID != model.EncoderID || got.DataHash != model.Training.DataHash ||
		got.Metrics["accuracy"] != model.Metrics.Accuracy || len(got.Files) != len(man.Files) {
		t.Errorf("manifest %s disagrees with the model", mustJSON(got))
	}
}

func TestBundleRefuses(t *testing.T) {
	tests := []struct {
		name  string
		label string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"bad label", "../x", nil, `label "../x"`},
		{"empty label", "", nil, `label ""`},
		{"subfolder", "v1", func(t *testing.T, dir string) { must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755)) }, "sub is not a regular file"},
		{"symlink", "v1", func(t *testing.T, dir string) { must(t, os.Symlink("/etc/passwd", filepath.Join(dir, "link"))) }, "link is not a regular file"},
		{"weights changed", "v1", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, topic.WeightsFile), make([]byte, 40), 0o644))
		}, "does not match the checksum"},
		{"no model", "v1", func(t *testing.T, dir string) { must(t, os.Remove(filepath.Join(dir, topic.MetaFile))) }, "model.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "m")
			writeFixture(t, dir)
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			var buf bytes.Buffer
			_, err := Bundle(dir, tt.label, &buf)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "artifacts: ") {
				t.Errorf("err %q lacks the package prefix", err)
			}
		})
	}
}

// Hidden files, such as a save's temporary files, stay out of archives.
func TestBundleSkipsHiddenFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "m")
	writeFixture(t, dir)
	must(t, os.WriteFile(filepath.Join(dir, ".weights.bin.123"), []byte("partial"), 0o644))
	var buf bytes.Buffer
	man, err := Bundle(dir, "v1", &buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range man.Files {
		if strings.HasPrefix(f.Name, ".") {
			t.Errorf("hidden file %s bundled", f.Name)
		}
	}
	if len(readEntries(t, buf.Bytes())) != 4 {
		t.Errorf("want manifest + 3 files")
	}
}
