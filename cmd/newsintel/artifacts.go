package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/newsintel/newsintel/inference/artifacts"
	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/store"
)

// bundleArtifactsCmd is `newsintel bundle-artifacts`, the runbook's
// `scripts/manage.py bundle-artifacts` (§5.3): it packs a registered
// topic model version into <label>.tar.gz, with a manifest of checksums,
// and optionally uploads it to an artifact store.
func bundleArtifactsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bundle-artifacts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	label := fs.String("label", "", "archive label, [A-Za-z0-9._-]; the archive is <label>.tar.gz (required)")
	version := fs.String("version", "", "registered topic model version to bundle (default: the active one)")
	out := fs.String("out", "", "archive file, or an existing folder to write <label>.tar.gz into (default: ./<label>.tar.gz)")
	var push pushFlag
	fs.Var(&push, "push", "also upload the archive to this store: `URL` is a folder, file:///path or s3://bucket/prefix; bare --push means $ARTIFACT_STORE_URL")
	if err := parsePush(fs, args, &push); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 || *label == "" {
		fs.Usage()
		return fmt.Errorf("%w: bundle-artifacts needs --label and takes flags only", errUsage)
	}
	if err := artifacts.ValidLabel(*label); err != nil {
		return fmt.Errorf("%w: --label: %v", errUsage, err)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	storeURL := push.url
	if push.set && storeURL == "" {
		if storeURL = cfg.ArtifactStoreURL; storeURL == "" {
			return fmt.Errorf("%w: bare --push needs ARTIFACT_STORE_URL; or give the store: --push s3://bucket/prefix", errUsage)
		}
	}
	// Open the store before the work, so a bad URL fails at once.
	var st artifacts.Store
	if push.set {
		if st, err = artifacts.Open(ctx, storeURL, artifacts.Config{S3: cfg.S3}); err != nil {
			return err
		}
	}
	db, err := openMigrated(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureBuiltin(ctx, db, discardLogger()); err != nil {
		return err
	}
	v, err := pickVersion(ctx, db, *version)
	if err != nil {
		return err
	}
	dir, cleanup, err := modelFolder(finetune.Models{DataDir: cfg.DataDir}, v)
	if err != nil {
		return err
	}
	defer cleanup()

	path := artifacts.ArchiveName(*label)
	if *out != "" {
		path = *out
		if fi, err := os.Stat(path); err == nil && fi.IsDir() {
			path = filepath.Join(path, artifacts.ArchiveName(*label))
		}
	}
	man, sum, size, err := bundleTo(dir, *label, path)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bundled %s (source %s) as %q: %s, %d bytes, sha256 %s\n", man.ModelID, v.Source, man.Label, path, size, sum)
	fmt.Fprintf(stdout, "  encoder %s, training data sha256 %s\n", man.EncoderID, orNone(man.DataHash))
	for _, f := range man.Files {
		fmt.Fprintf(stdout, "  %-12s %10d bytes  sha256 %s\n", f.Name, f.Size, f.SHA256)
	}
	if st == nil {
		return nil
	}
	if err := putFile(ctx, st, path, artifacts.ArchiveName(*label)); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pushed %s to %s\n", artifacts.ArchiveName(*label), storeURL)
	return nil
}

// pushFlag is --push: bare, it means ARTIFACT_STORE_URL; --push=URL or
// --push URL names the store.
type pushFlag struct {
	set bool
	url string
}

func (f *pushFlag) String() string   { return f.url }
func (f *pushFlag) IsBoolFlag() bool { return true }
func (f *pushFlag) Set(v string) error {
	switch v {
	case "true":
		f.set = true
	case "false":
		f.set, f.url = false, ""
	default:
		f.set, f.url = true, v
	}
	return nil
}

// parsePush parses args, taking the word after a bare --push as its URL:
// the flag package treats boolean-like flags as taking no value, which
// would otherwise stop parsing at the URL.
func parsePush(fs *flag.FlagSet, args []string, push *pushFlag) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if push.set && push.url == "" && fs.NArg() > 0 && !strings.HasPrefix(fs.Arg(0), "-") {
		push.url = fs.Arg(0)
		return fs.Parse(fs.Args()[1:])
	}
	return nil
}

// pickVersion returns the registered version named, or the active one.
func pickVersion(ctx context.Context, db *store.DB, name string) (store.ModelVersion, error) {
	if name == "" {
		v, err := db.ActiveModel(ctx)
		if err != nil {
			return v, fmt.Errorf("the active topic model version: %w", err)
		}
		return v, nil
	}
	v, err := db.ModelVersion(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return v, fmt.Errorf("no registered topic model version %q; registered: %s", name, registeredVersions(ctx, db))
	}
	return v, err
}

// modelFolder returns the artifact folder of v and a function that
// removes whatever modelFolder created. The built-in model lives inside
// the binary, so it is written to a temporary folder first; every version
// is loaded first, so one whose files do not name it is never bundled.
func modelFolder(models finetune.Models, v store.ModelVersion) (string, func(), error) {
	m, err := models.Load(v)
	if err != nil {
		return "", nil, err
	}
	if v.Source != store.ModelBuiltin {
		return models.Path(v.Path), func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "newsintel-builtin-*")
	if err != nil {
		return "", nil, fmt.Errorf("bundle the built-in model: %w", err)
	}
	cleanup := func() { os.RemoveAll(tmp) }
	if err := m.Save(tmp); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("bundle the built-in model: %w", err)
	}
	return tmp, cleanup, nil
}

// bundleTo writes the archive of dir to path, replacing it only once the
// archive is complete, and returns its manifest, SHA-256 and size.
func bundleTo(dir, label, path string) (artifacts.Manifest, string, int64, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return artifacts.Manifest{}, "", 0, fmt.Errorf("bundle: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp-*")
	if err != nil {
		return artifacts.Manifest{}, "", 0, fmt.Errorf("bundle: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h)}
	man, err := artifacts.Bundle(dir, label, cw)
	if err != nil {
		return man, "", 0, err
	}
	if err := errors.Join(tmp.Sync(), tmp.Chmod(0o644), tmp.Close()); err != nil {
		return man, "", 0, fmt.Errorf("bundle: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), abs); err != nil {
		return man, "", 0, fmt.Errorf("bundle: %w", err)
	}
	done = true
	return man, hex.EncodeToString(h.Sum(nil)), cw.n, nil
}

// putFile uploads the file at path to st as name.
func putFile(ctx context.Context, st artifacts.Store, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	if err := st.Put(ctx, name, f, fi.Size()); err != nil {
		return fmt.Errorf("push: %w", err)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func orNone(s string) string {
	if s == "" {
		return "(none recorded)"
	}
	return s
}
