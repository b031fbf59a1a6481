package artifacts

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/newsintel/newsintel/inference/topic"
)

// Verify reads a whole archive and checks it as Unpack does, writing
// nothing. It does not load the model (that needs the weights on disk).
func Verify(r io.Reader) (Manifest, error) {
	return extract(r, "", "")
}

// Unpack verifies the archive read from r and installs its files as the
// folder destDir, which must not exist or be empty. Every file's size and
// SHA-256 must match the manifest, the manifest must list every entry and
// agree with model.json, and the model must load; otherwise Unpack returns
// an error naming the problem and leaves destDir as it was.
func Unpack(r io.Reader, destDir string) (Manifest, error) {
	return unpack(r, destDir, "")
}

// unpack is Unpack; a non-empty wantLabel also refuses an archive
// labelled otherwise (a store object renamed by hand).
func unpack(r io.Reader, destDir, wantLabel string) (Manifest, error) {
	dest, err := filepath.Abs(destDir)
	if err != nil {
		return Manifest{}, fmt.Errorf("artifacts: unpack: %w", err)
	}
	emptyDest, err := checkDest(dest)
	if err != nil {
		return Manifest{}, err
	}
	// The temporary folder is a sibling of dest so that the final rename
	// stays on one file system and is atomic.
	parent := filepath.Dir(dest)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: unpack: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dest)+".unpack-*")
	if err != nil {
		return Manifest{}, fmt.Errorf("artifacts: unpack: %w", err)
	}
	installed := false
	defer func() {
		if !installed {
			os.RemoveAll(tmp)
		}
	}()
	man, err := extract(r, tmp, wantLabel)
	if err != nil {
		return Manifest{}, err
	}
	if _, err := topic.Load(tmp); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: unpack: the archived model does not load: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: unpack: %w", err)
	}
	if emptyDest {
		if err := os.Remove(dest); err != nil {
			return Manifest{}, fmt.Errorf("artifacts: unpack: %w", err)
		}
	}
	if err := os.Rename(tmp, dest); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: unpack: %w", err)
	}
	installed = true
	return man, nil
}

// checkDest refuses a destination that holds anything, rather than
// replacing it: destDir comes from a command line, and deleting whatever
// folder it names is not this package's call. It reports whether dest is
// an existing empty folder.
func checkDest(dest string) (bool, error) {
	entries, err := os.ReadDir(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("artifacts: unpack: destination: %w", err)
	case len(entries) > 0:
		return false, fmt.Errorf("artifacts: unpack: destination %s is not empty: %w", dest, fs.ErrExist)
	}
	return true, nil
}

// extract reads and checks an archive, writing its files into dir unless
// dir is empty.
func extract(r io.Reader, dir, wantLabel string) (Manifest, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return Manifest{}, fmt.Errorf("artifacts: not a gzip archive: %w", err)
	}
	tr := tar.NewReader(zr)
	hdr, err := tr.Next()
	if errors.Is(err, io.EOF) {
		return Manifest{}, errors.New("artifacts: the archive is empty")
	}
	if err != nil {
		return Manifest{}, corrupt(err)
	}
	if hdr.Name != ManifestFile {
		return Manifest{}, fmt.Errorf("artifacts: first entry is %q, want %s", hdr.Name, ManifestFile)
	}
	if err := checkHeader(hdr); err != nil {
		return Manifest{}, err
	}
	if hdr.Size > maxManifestBytes {
		return Manifest{}, fmt.Errorf("artifacts: %s is %d bytes, more than %d", ManifestFile, hdr.Size, maxManifestBytes)
	}
	raw, err := io.ReadAll(tr)
	if err != nil {
		return Manifest{}, corrupt(err)
	}
	man, err := parseManifest(raw)
	if err != nil {
		return Manifest{}, err
	}
	if wantLabel != "" && man.Label != wantLabel {
		return Manifest{}, fmt.Errorf("artifacts: the archive is labelled %q, want %q", man.Label, wantLabel)
	}
	listed := map[string]File{}
	for _, f := range man.Files {
		listed[f.Name] = f
	}
	seen := map[string]bool{}
	var meta []byte
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Manifest{}, corrupt(err)
		}
		if err := checkHeader(hdr); err != nil {
			return Manifest{}, err
		}
		f, ok := listed[hdr.Name]
		switch {
		case !ok:
			return Manifest{}, fmt.Errorf("artifacts: file %s: not listed in the manifest", hdr.Name)
		case seen[hdr.Name]:
			return Manifest{}, fmt.Errorf("artifacts: file %s: appears twice in the archive", hdr.Name)
		case hdr.Size != f.Size:
			return Manifest{}, fmt.Errorf("artifacts: file %s: size mismatch (manifest %d, archive %d)", f.Name, f.Size, hdr.Size)
		}
		seen[hdr.Name] = true
		var buf *bytes.Buffer
		if f.Name == topic.MetaFile {
			buf = new(bytes.Buffer)
		}
		if err := extractFile(tr, dir, f, buf); err != nil {
			return Manifest{}, err
		}
		if buf != nil {
			meta = buf.Bytes()
		}
	}
	for _, f := range man.Files {
		if !seen[f.Name] {
			return Manifest{}, fmt.Errorf("artifacts: file %s: listed in the manifest but missing from the archive", f.Name)
		}
	}
	// The tar end marker can come before the gzip trailer; reading on to
	// the end checks the trailer's CRC and length, which catch a
	// truncated or damaged tail.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return Manifest{}, corrupt(err)
	}
	var m topic.Meta
	if err := json.Unmarshal(meta, &m); err != nil {
		return Manifest{}, fmt.Errorf("artifacts: %s: %w", topic.MetaFile, err)
	}
	if err := man.agrees(describe(man.Label, &m)); err != nil {
		return Manifest{}, err
	}
	return man, nil
}

// checkHeader accepts regular files with plain names only: links,
// folders and devices could point a later write outside the destination.
func checkHeader(hdr *tar.Header) error {
	if err := validName(hdr.Name); err != nil {
		return fmt.Errorf("artifacts: %w", err)
	}
	switch hdr.Typeflag {
	case tar.TypeReg:
		return nil
	case tar.TypeSymlink:
		return fmt.Errorf("artifacts: file %s: symlink to %q (only regular files are allowed)", hdr.Name, hdr.Linkname)
	case tar.TypeLink:
		return fmt.Errorf("artifacts: file %s: hard link to %q (only regular files are allowed)", hdr.Name, hdr.Linkname)
	case tar.TypeDir:
		return fmt.Errorf("artifacts: file %s: directory (archives are flat)", hdr.Name)
	default:
		return fmt.Errorf("artifacts: file %s: entry type %q (only regular files are allowed)", hdr.Name, hdr.Typeflag)
	}
}

// extractFile copies one entry into dir (if set) and into buf (if not
// nil), checking its SHA-256.
func extractFile(r io.Reader, dir string, f File, buf *bytes.Buffer) error {
	h := sha256.New()
	ws := []io.Writer{h}
	if buf != nil {
		ws = append(ws, buf)
	}
	var out *os.File
	if dir != "" {
		var err error
		out, err = os.OpenFile(filepath.Join(dir, f.Name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err != nil {
			return fmt.Errorf("artifacts: file %s: %w", f.Name, err)
		}
		defer out.Close()
		ws = append(ws, out)
	}
	if _, err := io.Copy(io.MultiWriter(ws...), r); err != nil {
		if out != nil && !isReadErr(err) {
			return fmt.Errorf("artifacts: file %s: write: %w", f.Name, err)
		}
		return corrupt(err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return fmt.Errorf("artifacts: file %s: sha256 mismatch (manifest %s…, archive %s…)", f.Name, f.SHA256[:12], sum[:12])
	}
	if out != nil {
		// Flushed before the rename, so that a crash cannot leave an
		// installed folder with files that were never written.
		if err := errors.Join(out.Sync(), out.Close()); err != nil {
			return fmt.Errorf("artifacts: file %s: %w", f.Name, err)
		}
	}
	return nil
}

// isReadErr tells the archive's read errors from the destination's write
// errors, which are *fs.PathError from the file.
func isReadErr(err error) bool {
	var pe *fs.PathError
	return !errors.As(err, &pe)
}

func corrupt(err error) error {
	return fmt.Errorf("artifacts: the archive is truncated or corrupt: %w", err)
}
