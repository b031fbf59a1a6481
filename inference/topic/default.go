package topic

import "embed"

// DefaultModelDir is the default model's folder under models/.
const DefaultModelDir = "agnews-v1"

//go:embed models/agnews-v1/model.json models/agnews-v1/weights.bin
var defaultFS embed.FS

// Default decodes the built-in model, trained on the AG News subsets, with
// the four topics World, Sports, Business and Sci/Tech. Each call decodes
// it anew (2.6 MB); the model is read-only and safe for concurrent use, so
// callers keep the one they get.
func Default() (*Model, error) { return LoadFS(defaultFS, "models/"+DefaultModelDir) }
