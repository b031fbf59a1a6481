package use

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/gomlx/onnx-gomlx/onnx/parser"

	"github.com/newsintel/newsintel/inference/internal/testenv"
	"github.com/newsintel/newsintel/inference/tfjs"
	"github.com/newsintel/newsintel/inference/tokenizer"
)

// onnxGoMLXOps lists ops that onnx-gomlx v0.5.13 converts (from its
// internal/onnxgomlx op switch); the converted graph must stay inside it.
var onnxGoMLXOps = map[string]bool{
	"Add": true, "Cast": true, "Div": true, "Gather": true,
	"Einsum": true, "LayerNormalization": true, "MatMul": true, "Max": true,
	"Mul": true, "Reciprocal": true, "ReduceMean": true, "ReduceSum": true, "Relu": true,
	"Reshape": true, "Shape": true, "Slice": true, "Softmax": true, "Sqrt": true, "Sub": true,
	"Tanh": true, "Transpose": true, "Unsqueeze": true,
}

func TestExtract(t *testing.T) {
	e, _, err := Convert(testenv.ModelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if e.MaxLength != 128 || e.LayerNormEps != float32(1e-6) || e.MaskBias != -1e9 || e.L2Eps != float32(1e-12) {
		t.Errorf("constants: max %d eps %g mask %g l2 %g", e.MaxLength, e.LayerNormEps, e.MaskBias, e.L2Eps)
	}
	if len(e.Layers) != 2 {
		t.Fatalf("%d layers", len(e.Layers))
	}
	want := []struct {
		in, heads, hd int
		scale         float64
		residual      bool
	}{{256, 4, 64, 0.125, true}, {512, 4, 128, 1 / math.Sqrt(128), false}}
	for i, w := range want {
		l := e.Layers[i]
		if l.InDim != w.in || l.Heads != w.heads || l.HeadDim != w.hd || math.Abs(float64(l.QueryScale)-w.scale) > 1e-7 || (l.Residual != nil) != w.residual {
			t.Errorf("layer %d: in %d heads %d×%d scale %g residual %v", i, l.InDim, l.Heads, l.HeadDim, l.QueryScale, l.Residual != nil)
		}
	}
	if len(e.InvTimescales) != 128 || e.InvTimescales[0] != 1 {
		t.Errorf("timescales: %d, first %g", len(e.InvTimescales), e.InvTimescales[0])
	}
	ts := e.TimingSignal()
	if ts[0] != 0 || ts[128] != 1 || ts[256+0] != float32(math.Sin(1)) {
		t.Errorf("timing signal rows 0/1 wrong: %g %g %g", ts[0], ts[128], ts[256])
	}
}

func TestExtractRejectsOtherGraphs(t *testing.T) {
	m, err := tfjs.LoadDir(testenv.ModelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	// Re-wire the final pooling to skip the mask: the converter must notice.
	n := m.Node(pfx + "mul")
	n.Inputs[1] = n.Inputs[0]
	if _, err := Extract(m); err == nil {
		t.Error("Extract accepted a graph with unmasked pooling")
	} else {
		t.Log(err)
	}
}

func TestONNXGraph(t *testing.T) {
	e, vocab, err := Convert(testenv.ModelDir(t))
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.BuildONNX("test")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]int{}
	params := 0
	for _, n := range m.Graph.Nodes {
		used[n.OpType]++
	}
	for _, init := range m.Graph.Initializers {
		if init.DataType == 1 {
			params += len(init.Raw) / 4
		}
	}
	var ops []string
	for op := range used {
		ops = append(ops, op)
		if !onnxGoMLXOps[op] {
			t.Errorf("op %s is not supported by onnx-gomlx", op)
		}
	}
	sort.Strings(ops)
	t.Logf("%d nodes, %d initializers (%d float32 values); ops %v", len(m.Graph.Nodes), len(m.Graph.Initializers), params, ops)
	blob, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parser.Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	defer parsed.Close()
	in, _ := parsed.Inputs()
	out, shapes := parsed.Outputs()
	if !slices.Equal(in, []string{InputIDs, AttentionMask}) || !slices.Equal(out, []string{Output}) || shapes[0].Dimensions[1] != 512 {
		t.Errorf("interface: %v → %v %v", in, out, shapes)
	}

	// tokenizer.json round-trips to the exact tokenizer.
	tj, err := TokenizerJSON(vocab, e.MaxLength)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), TokenizerFile)
	if err := os.WriteFile(path, tj, 0o644); err != nil {
		t.Fatal(err)
	}
	tk, err := ReadTokenizerJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := tokenizer.New(vocab)
	g := testenv.LoadGolden(t)
	for _, s := range g.Inputs {
		if !slices.Equal(tk.Encode(s), ref.Encode(s)) {
			t.Fatalf("tokenizer.json round trip differs on %q", s)
		}
	}
	if !bytes.Contains(tj, []byte(`"type":"Unigram"`)) {
		t.Error("tokenizer.json lacks the Unigram model")
	}
}

// convertedModelSHA256 pins the bytes of model.onnx that this converter
// writes. When the graph changes on purpose, bump ConverterVersion (so
// installed models are converted again) and update the hash here.
const convertedModelSHA256 = "bca041e2bce14c2907968ebc5f6897fd5f6ec43b658bd6bdfced77d4f8bf3374"

func TestConverterOutputPinned(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFolder(testenv.ModelDir(t), dir, ""); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	if got := hex.EncodeToString(sum[:]); got != convertedModelSHA256 {
		t.Fatalf("model.onnx sha256 %s, pinned %s (converter %s): if the change is intended, bump ConverterVersion and the pin",
			got, convertedModelSHA256, ConverterVersion)
	}
}
