package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/newsintel/newsintel/inference/artifacts"
	"github.com/newsintel/newsintel/inference/finetune"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

// pullArtifactsCmd is `newsintel pull-artifacts`, the other half of the
// runbook's §5.3: it fetches <label>.tar.gz from an artifact store (or
// reads a local archive), verifies every checksum, unpacks the model into
// $DATA_DIR/topic-models/<version>/ and registers the version as pulled
// and inactive. Promotion stays a separate, explicit step.
func pullArtifactsCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("pull-artifacts", flag.ContinueOnError)
	flags.SetOutput(stderr)
	label := flags.String("label", "", "label of the archive <label>.tar.gz to fetch (required with a store; checked against --file)")
	from := flags.String("from", "", "artifact store: a folder, file:///path or s3://bucket/prefix (default: $ARTIFACT_STORE_URL)")
	file := flags.String("file", "", "read this local archive instead of a store")
	if err := flags.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if flags.NArg() > 0 || (*file == "" && *label == "") || (*file != "" && *from != "") {
		flags.Usage()
		return fmt.Errorf("%w: pull-artifacts needs --label (with --from or ARTIFACT_STORE_URL) or --file, not both --from and --file", errUsage)
	}
	if *label != "" {
		if err := artifacts.ValidLabel(*label); err != nil {
			return fmt.Errorf("%w: --label: %v", errUsage, err)
		}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	archive, source, cleanup, err := fetchArchive(ctx, cfg, *label, *from, *file)
	if err != nil {
		return err
	}
	defer cleanup()
	man, err := artifacts.Verify(archive)
	if err != nil {
		return fmt.Errorf("refusing %s: %w", source, err)
	}
	if *label != "" && man.Label != *label {
		return fmt.Errorf("refusing %s: it is labelled %q, not %q", source, man.Label, *label)
	}
	// The version names a folder; the archive's model.json chose it, so it
	// must be as tame as a label.
	version := man.ModelID
	if err := artifacts.ValidLabel(version); err != nil {
		return fmt.Errorf("refusing %s: model id: %w", source, err)
	}
	fmt.Fprintf(stdout, "verified %s: %s (label %q, %d files, encoder %s)\n", source, version, man.Label, len(man.Files), man.EncoderID)

	db, err := openMigrated(ctx, cfg, discardLogger())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := ensureBuiltin(ctx, db, discardLogger()); err != nil {
		return err
	}
	reg, err := db.ModelVersion(ctx, version)
	registered := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if registered {
		if err := sameModel(reg, man); err != nil {
			return fmt.Errorf("refusing %s: %w", source, err)
		}
		if reg.Source == store.ModelBuiltin {
			fmt.Fprintf(stdout, "%s is the built-in model, registered already; nothing to do\n", version)
			return nil
		}
	}

	models := finetune.Models{DataDir: cfg.DataDir}
	rel := filepath.Join(finetune.ModelsDir, version)
	dest := models.Path(rel)
	present, err := folderMatches(dest, man)
	if err != nil {
		return fmt.Errorf("refusing %s: %w", source, err)
	}
	unpacked := false
	if present {
		fmt.Fprintf(stdout, "%s holds %s already, identical; nothing to unpack\n", dest, version)
	} else {
		if _, err := archive.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("pull: %w", err)
		}
		if _, err := artifacts.Unpack(archive, dest); err != nil {
			return fmt.Errorf("refusing %s: %w", source, err)
		}
		unpacked = true
		fmt.Fprintf(stdout, "unpacked %s into %s\n", version, dest)
	}
	if registered {
		fmt.Fprintf(stdout, "%s is registered already (source %s, path %s, active %v); registry unchanged\n",
			version, reg.Source, reg.Path, reg.Active)
		return nil
	}
	if err := registerPulled(ctx, db, models, rel); err != nil {
		if unpacked {
			// Unregistered, the folder would only block the version's
			// name on the next pull.
			os.RemoveAll(dest)
		}
		return err
	}
	fmt.Fprintf(stdout, "registered %s (source %s, inactive); promote it with POST /models/%s/promote\n", version, store.ModelPulled, version)
	return nil
}

// fetchArchive opens the archive to pull: the local file, or the store
// object copied into a temporary file (verification and unpacking each
// read it once). source describes it for messages.
func fetchArchive(ctx context.Context, cfg config, label, from, file string) (f *os.File, source string, cleanup func(), err error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return nil, "", nil, fmt.Errorf("pull: %w", err)
		}
		return f, file, func() { f.Close() }, nil
	}
	if from == "" {
		if from = cfg.ArtifactStoreURL; from == "" {
			return nil, "", nil, fmt.Errorf("%w: pull-artifacts needs --from URL or ARTIFACT_STORE_URL (or --file)", errUsage)
		}
	}
	st, err := artifacts.Open(ctx, from, artifacts.Config{S3: cfg.S3})
	if err != nil {
		return nil, "", nil, err
	}
	name := artifacts.ArchiveName(label)
	source = strings.TrimRight(from, "/") + "/" + name
	rc, err := st.Get(ctx, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", nil, fmt.Errorf("pull: no archive %s in %s (labels there: %s): %w", name, from, storedLabels(ctx, st), err)
	} else if err != nil {
		return nil, "", nil, fmt.Errorf("pull %s: %w", source, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp("", "newsintel-pull-*.tar.gz")
	if err != nil {
		return nil, "", nil, fmt.Errorf("pull: %w", err)
	}
	cleanup = func() { tmp.Close(); os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, rc); err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("pull %s: download: %w", source, err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, "", nil, fmt.Errorf("pull: %w", err)
	}
	return tmp, source, cleanup, nil
}

// storedLabels lists the labels of the archives in st, for an error
// message.
func storedLabels(ctx context.Context, st artifacts.Store) string {
	names, err := st.List(ctx)
	if err != nil {
		return "(cannot list: " + err.Error() + ")"
	}
	var labels []string
	for _, n := range names {
		if l, ok := strings.CutSuffix(n, ".tar.gz"); ok {
			labels = append(labels, l)
		}
	}
	if len(labels) == 0 {
		return "none"
	}
	return strings.Join(labels, ", ")
}

// sameModel refuses an archive of a version that is registered with
// other content: one name, two models would make stored predictions
// ambiguous.
func sameModel(reg store.ModelVersion, man artifacts.Manifest) error {
	switch {
	case reg.Encoder != man.EncoderID:
		return fmt.Errorf("version %s is registered already with encoder %s, the archive has %s", reg.Version, reg.Encoder, man.EncoderID)
	case reg.DataHash != man.DataHash:
		return fmt.Errorf("version %s is registered already (source %s) with training data sha256 %s, the archive has %s",
			reg.Version, reg.Source, orNone(reg.DataHash), orNone(man.DataHash))
	case !slices.Equal(reg.Labels, man.Labels):
		return fmt.Errorf("version %s is registered already with labels %v, the archive has %v", reg.Version, reg.Labels, man.Labels)
	}
	return nil
}

// folderMatches reports whether dir holds exactly the files of man. A
// missing or empty dir is false; a dir with other content is an error,
// since replacing it is not this command's call.
func folderMatches(dir string, man artifacts.Manifest) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("pull: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return false, nil
	}
	differs := func(why string) error {
		return fmt.Errorf("%s exists with different content (%s); remove it first if it is stale: %w", dir, why, fs.ErrExist)
	}
	want := make([]string, len(man.Files))
	for i, f := range man.Files {
		want[i] = f.Name
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		return false, differs(fmt.Sprintf("files %s, the archive has %s", strings.Join(names, ", "), strings.Join(want, ", ")))
	}
	for _, f := range man.Files {
		sum, err := fileSHA256(filepath.Join(dir, f.Name))
		if err != nil {
			return false, fmt.Errorf("pull: %w", err)
		}
		if sum != f.SHA256 {
			return false, differs(f.Name + " differs")
		}
	}
	return true, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// registerPulled registers the unpacked model at rel (under DATA_DIR) as
// a pulled, inactive version.
func registerPulled(ctx context.Context, db *store.DB, models finetune.Models, rel string) error {
	m, err := topic.Load(models.Path(rel))
	if err != nil {
		return fmt.Errorf("pull: load the unpacked model: %w", err)
	}
	reg, err := finetune.Registration(m, store.ModelPulled, rel)
	if err != nil {
		return fmt.Errorf("pull: %w", err)
	}
	return db.RegisterModel(ctx, reg)
}
