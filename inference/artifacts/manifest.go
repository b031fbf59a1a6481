package artifacts

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/newsintel/newsintel/inference/topic"
)

// FormatVersion is the archive layout this package writes and reads.
// Unpack refuses any other, so a future layout cannot be half-understood.
const FormatVersion = "newsintel-artifact/1"

// ManifestFile is the archive's first entry.
const ManifestFile = "manifest.json"

// Limits on what Unpack accepts before it has verified anything, so a
// hostile archive cannot make it buffer or write without bound.
const (
	maxManifestBytes = 1 << 20
	maxMetaBytes     = 16 << 20
	maxFileBytes     = 8 << 30
	maxFiles         = 64
)

// File is one archived file: its name inside the model folder, its size
// in bytes and the hex SHA-256 of its content.
type File struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest describes an archive. The model fields are copied from the
// model's model.json when bundling, and Unpack checks that they still
// agree with it, so a manifest edited to misdescribe its model is refused.
type Manifest struct {
	Format string `json:"format"`
	Label  string `json:"label"`
	// ModelID is the model's name and version, as topic.Model.ID gives
	// it ("agnews-v1").
	ModelID     string `json:"model_id"`
	ModelFormat string `json:"model_format"`
	// EncoderID names the sentence encoder and its version
	// (inference.ModelID when the model was trained here).
	EncoderID  string   `json:"encoder_id"`
	EncoderDim int      `json:"encoder_dim"`
	Normalizer string   `json:"normalizer"`
	Labels     []string `json:"labels"`
	// CreatedAt is the model's creation time, not the bundling time, so
	// that bundling is reproducible.
	CreatedAt time.Time `json:"created_at"`
	// DataHash is the SHA-256 of the training examples; empty when the
	// model records no training.
	DataHash string `json:"training_data_sha256,omitempty"`
	// Metrics are the model's headline dev scores (accuracy, macro_f1,
	// log_loss, ece, dev_examples); empty when it records none.
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Files lists every entry but the manifest, in name order.
	Files []File `json:"files"`
}

// describe fills the model fields of a manifest from a model's metadata.
func describe(label string, m *topic.Meta) Manifest {
	man := Manifest{
		Format:      FormatVersion,
		Label:       label,
		ModelID:     (&topic.Model{Meta: *m}).ID(),
		ModelFormat: m.Format,
		EncoderID:   m.EncoderID,
		EncoderDim:  m.EncoderDim,
		Normalizer:  m.Normalizer,
		Labels:      m.Labels,
		CreatedAt:   m.CreatedAt.UTC(),
	}
	if m.Training != nil {
		man.DataHash = m.Training.DataHash
	}
	if x := m.Metrics; x != nil {
		man.Metrics = map[string]float64{
			"accuracy":     x.Accuracy,
			"macro_f1":     x.MacroF1,
			"log_loss":     x.LogLoss,
			"ece":          x.ECE,
			"dev_examples": float64(x.N),
		}
	}
	return man
}

// agrees reports the first model field in which got, a manifest as read
// from an archive, differs from want, the one its model.json implies.
func (got *Manifest) agrees(want Manifest) error {
	fields := []struct{ name, got, want string }{
		{"model_id", got.ModelID, want.ModelID},
		{"model_format", got.ModelFormat, want.ModelFormat},
		{"encoder_id", got.EncoderID, want.EncoderID},
		{"encoder_dim", fmt.Sprint(got.EncoderDim), fmt.Sprint(want.EncoderDim)},
		{"normalizer", got.Normalizer, want.Normalizer},
		{"labels", strings.Join(got.Labels, "\x00"), strings.Join(want.Labels, "\x00")},
		{"created_at", got.CreatedAt.UTC().Format(time.RFC3339Nano), want.CreatedAt.UTC().Format(time.RFC3339Nano)},
		{"training_data_sha256", got.DataHash, want.DataHash},
		{"metrics", mustJSON(got.Metrics), mustJSON(want.Metrics)},
	}
	for _, f := range fields {
		if f.got != f.want {
			return fmt.Errorf("artifacts: %s: %s is %q but %s says %q", ManifestFile, f.name, f.got, topic.MetaFile, f.want)
		}
	}
	return nil
}

// mustJSON renders small maps for comparison; encoding/json sorts map
// keys, and a map of float64 cannot fail to encode.
func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// parseManifest decodes and sanity-checks a manifest as read from an
// archive, before any other entry is trusted.
func parseManifest(raw []byte) (Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: %s: %w", ManifestFile, err)
	}
	if m.Format != FormatVersion {
		return Manifest{}, fmt.Errorf("artifacts: %s: format %q, this build reads %q", ManifestFile, m.Format, FormatVersion)
	}
	if err := ValidLabel(m.Label); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: %s: %w", ManifestFile, err)
	}
	if len(m.Files) == 0 || len(m.Files) > maxFiles {
		return Manifest{}, fmt.Errorf("artifacts: %s: lists %d files", ManifestFile, len(m.Files))
	}
	seen := map[string]bool{}
	hasMeta := false
	for _, f := range m.Files {
		if err := validName(f.Name); err != nil {
			return Manifest{}, fmt.Errorf("artifacts: %s: %w", ManifestFile, err)
		}
		if f.Name == ManifestFile || seen[f.Name] {
			return Manifest{}, fmt.Errorf("artifacts: %s: file %s listed twice", ManifestFile, f.Name)
		}
		seen[f.Name] = true
		hasMeta = hasMeta || f.Name == topic.MetaFile
		if f.Size < 0 || f.Size > maxFileBytes || !isSHA256Hex(f.SHA256) {
			return Manifest{}, fmt.Errorf("artifacts: %s: file %s: bad size %d or sha256 %q", ManifestFile, f.Name, f.Size, f.SHA256)
		}
		if f.Name == topic.MetaFile && f.Size > maxMetaBytes {
			return Manifest{}, fmt.Errorf("artifacts: %s: %s is %d bytes, more than %d", ManifestFile, f.Name, f.Size, maxMetaBytes)
		}
	}
	if !hasMeta {
		return Manifest{}, fmt.Errorf("artifacts: %s: lists no %s", ManifestFile, topic.MetaFile)
	}
	return m, nil
}

// isSHA256Hex reports whether s is a lower-case hex SHA-256, as Bundle
// writes it.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ValidLabel reports whether label can name an archive: 1 to 128 letters,
// digits, dots, underscores and hyphens, starting with a letter or digit,
// so that it is a safe file and object name everywhere.
func ValidLabel(label string) error {
	ok := len(label) >= 1 && len(label) <= 128
	for i, c := range label {
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", c)) {
			ok = false
		}
	}
	if !ok {
		return fmt.Errorf("label %q: want 1-128 of [A-Za-z0-9._-], starting with a letter or digit", label)
	}
	return nil
}

// validName accepts an archive entry name: a plain file name, so that an
// entry can never land outside the folder it is unpacked into.
func validName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("file %q: not a file name", name)
	case strings.HasPrefix(name, "/") || filepath.IsAbs(name):
		return fmt.Errorf("file %s: absolute path", name)
	case slices.Contains(strings.FieldsFunc(name, isSlash), ".."):
		return fmt.Errorf("file %s: path traversal", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("file %s: nested path (archives are flat)", name)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("file %s: hidden file", name)
	}
	return nil
}

func isSlash(r rune) bool { return r == '/' || r == '\\' }

// ArchiveName is the store object name of the archive for label.
func ArchiveName(label string) string { return label + ".tar.gz" }
