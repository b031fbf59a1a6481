// Package onnxpb writes ONNX models. It encodes the subset of onnx.proto
// needed for inference graphs (model, graph, nodes, attributes, tensors,
// value infos) directly with protowire, so no generated proto code or
// third-party ONNX package is required.
//
// Field numbers follow onnx/onnx.proto (IR version 8).
package onnxpb

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// DataType is TensorProto.DataType.
type DataType int32

// Tensor element types used by this package.
const (
	Float DataType = 1
	Int32 DataType = 6
	Int64 DataType = 7
	Bool  DataType = 9
)

// AttrType is AttributeProto.AttributeType.
type AttrType int32

// Attribute types.
const (
	AttrFloat   AttrType = 1
	AttrInt     AttrType = 2
	AttrString  AttrType = 3
	AttrTensor  AttrType = 4
	AttrFloats  AttrType = 6
	AttrInts    AttrType = 7
	AttrStrings AttrType = 8
)

// Tensor is an initializer or constant. Raw holds little-endian data.
type Tensor struct {
	Name     string
	DataType DataType
	Dims     []int64
	Raw      []byte
}

// FloatTensor returns a float32 tensor.
func FloatTensor(name string, dims []int64, data []float32) *Tensor {
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return &Tensor{Name: name, DataType: Float, Dims: dims, Raw: raw}
}

// Int64Tensor returns an int64 tensor.
func Int64Tensor(name string, dims []int64, data []int64) *Tensor {
	raw := make([]byte, 8*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
	}
	return &Tensor{Name: name, DataType: Int64, Dims: dims, Raw: raw}
}

// Attr is a node attribute. Only the field matching Type is encoded.
type Attr struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       string
	T       *Tensor
	Floats  []float32
	Ints    []int64
	Strings []string
}

// Node is one operator application.
type Node struct {
	Name    string
	OpType  string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   []Attr
}

// Dim is a tensor dimension: a fixed size when Param is empty, otherwise a
// named symbolic size.
type Dim struct {
	Value int64
	Param string
}

// ValueInfo describes a graph input or output.
type ValueInfo struct {
	Name     string
	ElemType DataType
	Dims     []Dim
	Doc      string
}

// Graph is a computation graph.
type Graph struct {
	Name         string
	Doc          string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []ValueInfo
	Outputs      []ValueInfo
}

// OpsetID is an operator set import.
type OpsetID struct {
	Domain  string
	Version int64
}

// Model is a complete ONNX model.
type Model struct {
	IRVersion       int64
	Opsets          []OpsetID
	ProducerName    string
	ProducerVersion string
	Domain          string
	ModelVersion    int64
	Doc             string
	Graph           *Graph
	// Metadata is written as metadata_props, in slice order.
	Metadata [][2]string
}

// Marshal serialises the model to the ONNX protobuf wire format.
func (m *Model) Marshal() ([]byte, error) {
	if m.Graph == nil {
		return nil, fmt.Errorf("onnxpb: model has no graph")
	}
	var b []byte
	b = appendVarint(b, 1, uint64(m.IRVersion))
	b = appendString(b, 2, m.ProducerName)
	b = appendString(b, 3, m.ProducerVersion)
	b = appendString(b, 4, m.Domain)
	if m.ModelVersion != 0 {
		b = appendVarint(b, 5, uint64(m.ModelVersion))
	}
	b = appendString(b, 6, m.Doc)
	g, err := m.Graph.marshal()
	if err != nil {
		return nil, err
	}
	b = appendMessage(b, 7, g)
	for _, o := range m.Opsets {
		var ob []byte
		ob = appendString(ob, 1, o.Domain)
		ob = appendVarint(ob, 2, uint64(o.Version))
		b = appendMessage(b, 8, ob)
	}
	for _, kv := range m.Metadata {
		var eb []byte
		eb = appendString(eb, 1, kv[0])
		eb = appendString(eb, 2, kv[1])
		b = appendMessage(b, 14, eb)
	}
	return b, nil
}

func (g *Graph) marshal() ([]byte, error) {
	var b []byte
	for _, n := range g.Nodes {
		nb, err := n.marshal()
		if err != nil {
			return nil, err
		}
		b = appendMessage(b, 1, nb)
	}
	b = appendString(b, 2, g.Name)
	for _, t := range g.Initializers {
		b = appendMessage(b, 5, t.marshal())
	}
	b = appendString(b, 10, g.Doc)
	for _, vi := range g.Inputs {
		b = appendMessage(b, 11, vi.marshal())
	}
	for _, vi := range g.Outputs {
		b = appendMessage(b, 12, vi.marshal())
	}
	return b, nil
}

func (n *Node) marshal() ([]byte, error) {
	var b []byte
	for _, in := range n.Inputs {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, in)
	}
	for _, out := range n.Outputs {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, out)
	}
	b = appendString(b, 3, n.Name)
	b = appendString(b, 4, n.OpType)
	for _, a := range n.Attrs {
		ab, err := a.marshal()
		if err != nil {
			return nil, fmt.Errorf("onnxpb: node %q: %w", n.Name, err)
		}
		b = appendMessage(b, 5, ab)
	}
	b = appendString(b, 7, n.Domain)
	return b, nil
}

func (a *Attr) marshal() ([]byte, error) {
	var b []byte
	b = appendString(b, 1, a.Name)
	switch a.Type {
	case AttrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case AttrInt:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case AttrString:
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, a.S)
	case AttrTensor:
		if a.T == nil {
			return nil, fmt.Errorf("attribute %q: nil tensor", a.Name)
		}
		b = appendMessage(b, 5, a.T.marshal())
	case AttrFloats:
		for _, f := range a.Floats {
			b = protowire.AppendTag(b, 7, protowire.Fixed32Type)
			b = protowire.AppendFixed32(b, math.Float32bits(f))
		}
	case AttrInts:
		for _, i := range a.Ints {
			b = protowire.AppendTag(b, 8, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(i))
		}
	case AttrStrings:
		for _, s := range a.Strings {
			b = protowire.AppendTag(b, 9, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
	default:
		return nil, fmt.Errorf("attribute %q: unsupported type %d", a.Name, a.Type)
	}
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(a.Type))
	return b, nil
}

func (t *Tensor) marshal() []byte {
	var b []byte
	if len(t.Dims) > 0 {
		var packed []byte
		for _, d := range t.Dims {
			packed = protowire.AppendVarint(packed, uint64(d))
		}
		b = appendMessage(b, 1, packed)
	}
	b = appendVarint(b, 2, uint64(t.DataType))
	b = appendString(b, 8, t.Name)
	b = protowire.AppendTag(b, 9, protowire.BytesType)
	b = protowire.AppendBytes(b, t.Raw)
	return b
}

func (vi *ValueInfo) marshal() []byte {
	var shape []byte
	for _, d := range vi.Dims {
		var db []byte
		if d.Param != "" {
			db = appendString(db, 2, d.Param)
		} else {
			db = protowire.AppendTag(db, 1, protowire.VarintType)
			db = protowire.AppendVarint(db, uint64(d.Value))
		}
		shape = appendMessage(shape, 1, db)
	}
	var tensorType []byte
	tensorType = appendVarint(tensorType, 1, uint64(vi.ElemType))
	tensorType = protowire.AppendTag(tensorType, 2, protowire.BytesType)
	tensorType = protowire.AppendBytes(tensorType, shape)
	var typ []byte
	typ = appendMessage(typ, 1, tensorType)
	var b []byte
	b = appendString(b, 1, vi.Name)
	b = appendMessage(b, 2, typ)
	b = appendString(b, 3, vi.Doc)
	return b
}

// appendString appends a string field, omitting empty values (proto3-style
// defaults; ONNX treats a missing string as empty).
func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendMessage(b []byte, num protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}
