package tfjs

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/newsintel/newsintel/inference/internal/testenv"
)

func TestFloat16(t *testing.T) {
	cases := map[uint16]float32{
		0x0000: 0, 0x3c00: 1, 0xc000: -2, 0x3555: 0.333251953125, 0x7bff: 65504,
		0x0001: 5.960464477539063e-08, 0x0400: 6.103515625e-05, 0x7c00: float32(math.Inf(1)),
	}
	for h, want := range cases {
		if got := Float16ToFloat32(h); got != want {
			t.Errorf("Float16ToFloat32(%#04x) = %g, want %g", h, got, want)
		}
	}
	if !math.IsNaN(float64(Float16ToFloat32(0x7e00))) {
		t.Error("0x7e00 should be NaN")
	}
}

// TestLoadSynthetic covers multi-shard groups and every weight encoding.
func TestLoadSynthetic(t *testing.T) {
	var shard []byte
	le := binary.LittleEndian
	shard = le.AppendUint32(shard, math.Float32bits(1.5))
	shard = le.AppendUint32(shard, math.Float32bits(-2))
	shard = le.AppendUint32(shard, uint32(0xffffffff)) // int32 -1
	shard = append(shard, 0, 10, 255)                  // uint8 quantized
	shard = le.AppendUint16(shard, 0)                  // uint16 quantized
	shard = le.AppendUint16(shard, 65535)
	shard = le.AppendUint16(shard, 0x3c00) // float16 1.0
	shard = le.AppendUint16(shard, 0xc000) // float16 -2.0
	shard = append(shard, 1, 0)            // bool
	shard = append(shard, 4, 6)            // uint8 → int32
	model := `{
	  "format": "graph-model", "generatedBy": "test", "convertedBy": "test",
	  "modelTopology": {"node": [
	    {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}}}},
	    {"name": "w", "op": "Const", "attr": {"value": {"tensor": {}}, "dtype": {"type": 1}}},
	    {"name": "y", "op": "MatMul", "input": ["x", "w:0", "^w"], "attr": {"transpose_a": {"b": false}, "data_format": {"s": [78, 72, 87, 67]}, "padding": {"s": "VkFMSUQ="}, "strides": {"list": {"i": ["1", "2"]}}, "axis": {"i": "-3"}}}
	  ]},
	  "weightsManifest": [{"paths": ["a.bin", "b.bin"], "weights": [
	    {"name": "w", "shape": [2], "dtype": "float32"},
	    {"name": "i", "shape": [], "dtype": "int32"},
	    {"name": "q8", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1}},
	    {"name": "q16", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint16", "scale": 0.001, "min": 0}},
	    {"name": "h", "shape": [2], "dtype": "float32", "quantization": {"dtype": "float16"}},
	    {"name": "b", "shape": [2], "dtype": "bool"},
	    {"name": "qi", "shape": [2], "dtype": "int32", "quantization": {"dtype": "uint8", "scale": 0.25, "min": 0}}
	  ]}]
	}`
	fsys := fstest.MapFS{
		"m/model.json": {Data: []byte(model)},
		"m/a.bin":      {Data: shard[:7]},
		"m/b.bin":      {Data: shard[7:]},
	}
	m, err := Load(fsys, "m/model.json")
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, want []float32) {
		t.Helper()
		w, err := m.Weight(name)
		if err != nil {
			t.Fatal(err)
		}
		got := w.F32
		if got == nil {
			got = make([]float32, len(w.I32))
			for i, v := range w.I32 {
				got[i] = float32(v)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("%s: got %v, want %v", name, got, want)
		}
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-6 {
				t.Errorf("%s: got %v, want %v", name, got, want)
				break
			}
		}
	}
	check("w", []float32{1.5, -2})
	check("i", []float32{-1})
	check("q8", []float32{-1, 4, 126.5})
	check("q16", []float32{0, 65.535})
	check("h", []float32{1, -2})
	check("b", []float32{1, 0})
	check("qi", []float32{1, 2}) // round(4*0.25)=1, round(6*0.25=1.5)=2
	y := m.Node("y")
	if y == nil || len(m.Users("w")) != 1 || m.Node("w:0") != m.Node("w") {
		t.Fatalf("graph wiring wrong: %+v", y)
	}
	if y.Attr["data_format"].String() != "NHWC" || y.Attr["padding"].String() != "VALID" {
		t.Errorf("bytes attributes: %q %q", y.Attr["data_format"].String(), y.Attr["padding"].String())
	}
	if v, _ := y.Attr["axis"].Int(); v != -3 {
		t.Errorf("axis = %d", v)
	}
	if v, _ := y.Attr["strides"].Ints(); len(v) != 2 || v[1] != 2 {
		t.Errorf("strides = %v", v)
	}
	if d, _ := m.Node("x").Attr["shape"].Dims(); len(d) != 2 || d[0] != -1 {
		t.Errorf("shape = %v", d)
	}
}

func TestLoadErrors(t *testing.T) {
	base := `{"modelTopology": {"node": [%s]}, "weightsManifest": [{"paths": ["a.bin"], "weights": [{"name": "w", "shape": [2], "dtype": "float32"}]}]}`
	for name, tc := range map[string]struct {
		nodes string
		shard []byte
	}{
		"short shard":   {`{"name": "w", "op": "Const"}`, make([]byte, 4)},
		"long shard":    {`{"name": "w", "op": "Const"}`, make([]byte, 12)},
		"unknown input": {`{"name": "y", "op": "Relu", "input": ["nope"]}`, make([]byte, 8)},
	} {
		fsys := fstest.MapFS{
			"model.json": {Data: []byte(strings.Replace(base, "%s", tc.nodes, 1))},
			"a.bin":      {Data: tc.shard},
		}
		if _, err := Load(fsys, "model.json"); err == nil {
			t.Errorf("%s: expected an error", name)
		}
	}
}

// TestRealModel pins the facts recorded in ARCHITECTURE.md.
func TestRealModel(t *testing.T) {
	m, err := LoadDir(filepath.Clean(testenv.ModelDir(t)))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != 317 || len(m.Weights) != 61 {
		t.Errorf("%d nodes, %d weights; want 317, 61", len(m.Nodes), len(m.Weights))
	}
	total, f32 := 0, 0
	for _, w := range m.Weights {
		total += w.Size()
		if w.DType == Float32 {
			f32++
		}
	}
	if total != 6975914 || f32 != 35 {
		t.Errorf("%d elements in %d float32 weights; want 6975914 in 35", total, f32)
	}
	if n := m.NumParams(); n < 6_900_000 || n > 7_000_000 {
		t.Errorf("NumParams = %d", n)
	}
	ops := m.OpCounts()
	for op, want := range map[string]int{"Placeholder": 2, "Conv2D": 4, "BatchMatMul": 4, "Softmax": 2, "Tanh": 1, "Sin": 1, "Cos": 1} {
		if ops[op] != want {
			t.Errorf("%s: %d nodes, want %d", op, ops[op], want)
		}
	}
}
