package topic

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

// DefaultModelDir is the default model's folder under models/; it is
// also the model's ID (DefaultVersion).
const DefaultModelDir = "agnews-v2"

// DefaultVersion is the ID of the default model, as predictions carry it
// in model_version.
const DefaultVersion = DefaultModelDir

// BuiltinVersions are the IDs of the models embedded in the binary, oldest
// first; each is the name of its folder under models/. agnews-v1 (trained
// on a random dev split, issue 17) stays so that a database on which it
// is registered and active keeps serving it until agnews-v2 is promoted.
var BuiltinVersions = []string{"agnews-v1", DefaultVersion}

//go:embed models/agnews-v1/model.json models/agnews-v1/weights.bin
//go:embed models/agnews-v2/model.json models/agnews-v2/weights.bin
var builtinFS embed.FS

// Default decodes the built-in model, trained on the AG News subsets, with
// the four topics World, Sports, Business and Sci/Tech. Each call decodes
// it anew (2.9 MB); the model is read-only and safe for concurrent use, so
// callers keep the one they get.
func Default() (*Model, error) { return Builtin(DefaultVersion) }

// Builtin decodes the embedded model whose ID is version (one of
// BuiltinVersions).
func Builtin(version string) (*Model, error) {
	if !slices.Contains(BuiltinVersions, version) {
		return nil, fmt.Errorf("topic: no built-in model %q (built in: %s)", version, strings.Join(BuiltinVersions, ", "))
	}
	m, err := LoadFS(builtinFS, "models/"+version)
	if err != nil {
		return nil, err
	}
	if m.ID() != version {
		return nil, fmt.Errorf("topic: the built-in model in models/%s names itself %s", version, m.ID())
	}
	return m, nil
}
