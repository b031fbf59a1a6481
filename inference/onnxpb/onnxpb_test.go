package onnxpb

import (
	"testing"

	"github.com/gomlx/onnx-gomlx/onnx/parser"
)

// TestParseBack checks the encoding by parsing it with onnx-gomlx, the
// reader hugot's Go backend uses.
func TestParseBack(t *testing.T) {
	b := NewBuilder("tiny")
	w := b.ConstF32("w", []int64{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	y := b.Op("MatMul", []string{"x", w})
	y = b.Op("ReduceSum", []string{y, b.ConstI64(1)}, IntAttr("keepdims", 0))
	y = b.Op("Mul", []string{y, b.ScalarF32(0.5)})
	b.Rename(y, "y")
	if b.ScalarF32(0.5) != b.ScalarF32(0.5) || b.ConstI64(1) != b.ConstI64(1) {
		t.Error("constants are not shared")
	}
	g := b.Graph
	g.Inputs = []ValueInfo{{Name: "x", ElemType: Float, Dims: []Dim{{Param: "batch"}, {Value: 2}}}}
	g.Outputs = []ValueInfo{{Name: "y", ElemType: Float, Dims: []Dim{{Param: "batch"}}}}
	m := &Model{IRVersion: 8, Opsets: []OpsetID{{Version: 17}}, ProducerName: "test", Graph: g,
		Metadata: [][2]string{{"k", "v"}}}
	blob, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parser.Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	defer parsed.Close()
	names, shapes := parsed.Inputs()
	if len(names) != 1 || names[0] != "x" || shapes[0].Rank() != 2 || shapes[0].Dimensions[1] != 2 {
		t.Errorf("inputs %v %v", names, shapes)
	}
	names, _ = parsed.Outputs()
	if len(names) != 1 || names[0] != "y" {
		t.Errorf("outputs %v", names)
	}
}

func TestMarshalErrors(t *testing.T) {
	if _, err := (&Model{}).Marshal(); err == nil {
		t.Error("model without graph should fail")
	}
	g := &Graph{Nodes: []*Node{{Name: "n", OpType: "X", Attrs: []Attr{{Name: "a", Type: 99}}}}}
	if _, err := (&Model{Graph: g}).Marshal(); err == nil {
		t.Error("unknown attribute type should fail")
	}
}
