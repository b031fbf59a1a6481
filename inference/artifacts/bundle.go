package artifacts

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/newsintel/newsintel/inference/topic"
)

// Bundle writes the archive of the topic model folder modelDir, under
// label, to w and returns its manifest. It first loads the model, so a
// folder that would not serve (bad checksum, unknown normaliser) is never
// bundled. Every regular file of the folder is archived except hidden ones
// (temporary files of an interrupted save); a subfolder or symlink is an
// error, since Unpack would refuse it.
func Bundle(modelDir, label string, w io.Writer) (Manifest, error) {
	if err := ValidLabel(label); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: bundle: %w", err)
	}
	model, err := topic.Load(modelDir)
	if err != nil {
		return Manifest{}, fmt.Errorf("artifacts: bundle %s: %w", modelDir, err)
	}
	man := describe(label, &model.Meta)
	names, err := modelFiles(modelDir)
	if err != nil {
		return Manifest{}, err
	}
	for _, name := range names {
		f, err := hashFile(filepath.Join(modelDir, name))
		if err != nil {
			return Manifest{}, err
		}
		f.Name = name
		man.Files = append(man.Files, f)
	}
	raw, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return Manifest{}, fmt.Errorf("artifacts: bundle: %w", err)
	}
	raw = append(raw, '\n')

	// The gzip header carries no name or time, and every tar header the
	// model's creation time, so the output depends on the content only.
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	mtime := man.CreatedAt.Truncate(time.Second)
	if err := writeEntry(tw, ManifestFile, int64(len(raw)), mtime, strings.NewReader(string(raw))); err != nil {
		return Manifest{}, err
	}
	for _, f := range man.Files {
		if err := copyFileEntry(tw, modelDir, f, mtime); err != nil {
			return Manifest{}, err
		}
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: bundle: %w", err)
	}
	return man, nil
}

// modelFiles lists the names of the files to archive, sorted.
func modelFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("artifacts: bundle: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if !e.Type().IsRegular() {
			return nil, fmt.Errorf("artifacts: bundle %s: %s is not a regular file (archives hold plain files only)", dir, e.Name())
		}
		if err := validName(e.Name()); err != nil {
			return nil, fmt.Errorf("artifacts: bundle %s: %w", dir, err)
		}
		names = append(names, e.Name())
	}
	if len(names) > maxFiles {
		return nil, fmt.Errorf("artifacts: bundle %s: %d files, at most %d", dir, len(names), maxFiles)
	}
	slices.Sort(names)
	return names, nil
}

func hashFile(path string) (File, error) {
	f, err := os.Open(path)
	if err != nil {
		return File{}, fmt.Errorf("artifacts: bundle: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return File{}, fmt.Errorf("artifacts: bundle: read %s: %w", path, err)
	}
	return File{Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// copyFileEntry archives one file, checking that it did not change since
// it was hashed: a manifest that disagrees with its own archive would
// only be discovered at deployment.
func copyFileEntry(tw *tar.Writer, dir string, f File, mtime time.Time) error {
	file, err := os.Open(filepath.Join(dir, f.Name))
	if err != nil {
		return fmt.Errorf("artifacts: bundle: %w", err)
	}
	defer file.Close()
	h := sha256.New()
	if err := writeEntry(tw, f.Name, f.Size, mtime, io.TeeReader(file, h)); err != nil {
		return err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return fmt.Errorf("artifacts: bundle: %s changed while it was being bundled", f.Name)
	}
	return nil
}

func writeEntry(tw *tar.Writer, name string, size int64, mtime time.Time, r io.Reader) error {
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     size,
		Mode:     0o644,
		ModTime:  mtime,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("artifacts: bundle %s: %w", name, err)
	}
	// CopyN, not Copy: a file that grew since it was hashed must not
	// overflow its entry (tar.Writer would refuse it with a vaguer error).
	if _, err := io.CopyN(tw, r, size); err != nil {
		return fmt.Errorf("artifacts: bundle %s: %w", name, err)
	}
	return nil
}
