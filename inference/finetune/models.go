package finetune

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

// ModelsDir is the folder under DATA_DIR that holds one artifact folder
// per registered model version other than the built-in one.
const ModelsDir = "topic-models"

// Models finds model versions' artifacts under a data directory.
type Models struct {
	DataDir string
}

// Load reads the artifact of a registered version: the embedded model of
// that ID for the built-in source (an older built-in model stays
// loadable), else its folder. The artifact must name itself
// as the version does, since predictions are stored under the model's ID.
func (ms Models) Load(v store.ModelVersion) (*topic.Model, error) {
	var (
		m   *topic.Model
		err error
	)
	if v.Source == store.ModelBuiltin {
		m, err = topic.Builtin(v.Version)
	} else {
		if v.Path == "" {
			return nil, fmt.Errorf("finetune: model %s has no artifact path", v.Version)
		}
		m, err = topic.Load(ms.Path(v.Path))
	}
	if err != nil {
		return nil, fmt.Errorf("finetune: load model %s: %w", v.Version, err)
	}
	if m.ID() != v.Version {
		return nil, fmt.Errorf("finetune: the artifact of model %s names itself %s", v.Version, m.ID())
	}
	return m, nil
}

// Path resolves a registered path: relative ones are under DataDir, so
// the data directory can move.
func (ms Models) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(ms.DataDir, p)
}

// Save writes m's artifact folder as ModelsDir/<m.ID()> and returns that
// path relative to DataDir. The folder appears whole or not at all: it is
// written under a temporary name and renamed, so a replica never loads a
// half-written model. An existing folder is an error.
func (ms Models) Save(m *topic.Model) (string, error) {
	rel := filepath.Join(ModelsDir, m.ID())
	final := ms.Path(rel)
	if _, err := os.Stat(final); err == nil {
		return "", fmt.Errorf("finetune: %s exists already", final)
	}
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("finetune: %w", err)
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return "", fmt.Errorf("finetune: %w", err)
	}
	tmp := filepath.Join(parent, ".tmp-"+m.ID()+"-"+hex.EncodeToString(suffix[:]))
	if err := m.Save(tmp); err != nil {
		os.RemoveAll(tmp)
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("finetune: %w", err)
	}
	return rel, nil
}

// BuiltinVersion is the registry entry of the built-in model, which serve
// registers at start.
func BuiltinVersion() (store.NewModelVersion, error) {
	m, err := topic.Default()
	if err != nil {
		return store.NewModelVersion{}, err
	}
	return Registration(m, store.ModelBuiltin, "")
}

// Registration describes m for the registry; path is its folder relative
// to DATA_DIR ("" for the built-in model).
func Registration(m *topic.Model, source, path string) (store.NewModelVersion, error) {
	v := store.NewModelVersion{Version: m.ID(), Encoder: m.EncoderID, Labels: m.Labels, Source: source, Path: path}
	if m.Metrics != nil {
		raw, err := json.Marshal(SummaryOf(*m.Metrics))
		if err != nil {
			return v, err
		}
		v.Metrics = raw
	}
	if m.Training != nil {
		v.DataHash = m.Training.DataHash
	}
	return v, nil
}

var numbered = regexp.MustCompile(`^(.+)-v([0-9]+)$`)

// nextVersion returns the model version number after the highest one
// registered under name ("agnews-v7" → "8").
func nextVersion(name string, existing []store.ModelVersion) string {
	highest := 0
	for _, v := range existing {
		if m := numbered.FindStringSubmatch(v.Version); m != nil && m[1] == name {
			if n, err := strconv.Atoi(m[2]); err == nil && n > highest {
				highest = n
			}
		}
	}
	return strconv.Itoa(highest + 1)
}

// errNoActive means no model is active, so there is nothing to compare a
// candidate with.
var errNoActive = fmt.Errorf("finetune: no model version is active; start the server once, or promote one: %w", store.ErrConflict)
