package onnxpb

import (
	"fmt"
	"math"
)

// Builder assembles a Graph with automatically named intermediate values.
type Builder struct {
	Graph  *Graph
	prefix string
	count  int
	consts map[string]string
}

// NewBuilder returns a builder for a graph with the given name.
func NewBuilder(name string) *Builder {
	return &Builder{Graph: &Graph{Name: name}, consts: map[string]string{}}
}

// Scope sets the prefix used for the names of subsequent nodes and values.
func (b *Builder) Scope(prefix string) { b.prefix = prefix }

func (b *Builder) fresh(op string) string {
	b.count++
	if b.prefix == "" {
		return fmt.Sprintf("%s_%d", op, b.count)
	}
	return fmt.Sprintf("%s/%s_%d", b.prefix, op, b.count)
}

// Op adds a single-output node and returns the output name.
func (b *Builder) Op(opType string, inputs []string, attrs ...Attr) string {
	return b.OpN(opType, inputs, 1, attrs...)[0]
}

// OpN adds a node with n outputs and returns their names.
func (b *Builder) OpN(opType string, inputs []string, n int, attrs ...Attr) []string {
	name := b.fresh(opType)
	outs := make([]string, n)
	for i := range outs {
		if n == 1 {
			outs[i] = name
		} else {
			outs[i] = fmt.Sprintf("%s:%d", name, i)
		}
	}
	b.Graph.Nodes = append(b.Graph.Nodes, &Node{Name: name, OpType: opType, Inputs: inputs, Outputs: outs, Attrs: attrs})
	return outs
}

// Rename makes the node producing value old produce value name instead
// (used for graph outputs).
func (b *Builder) Rename(old, name string) {
	for _, n := range b.Graph.Nodes {
		for i, o := range n.Outputs {
			if o == old {
				n.Outputs[i] = name
			}
		}
		for i, in := range n.Inputs {
			if in == old {
				n.Inputs[i] = name
			}
		}
	}
}

// Initializer adds a named tensor and returns its name.
func (b *Builder) Initializer(t *Tensor) string {
	b.Graph.Initializers = append(b.Graph.Initializers, t)
	return t.Name
}

// ConstF32 adds (or reuses) a float32 initializer with the given dims.
func (b *Builder) ConstF32(name string, dims []int64, data []float32) string {
	return b.Initializer(FloatTensor(name, dims, data))
}

// ScalarF32 returns a shared scalar float32 initializer.
func (b *Builder) ScalarF32(v float32) string {
	key := fmt.Sprintf("f32:%08x", math.Float32bits(v))
	if name, ok := b.consts[key]; ok {
		return name
	}
	name := fmt.Sprintf("const/f32_%g", v)
	b.consts[key] = name
	return b.ConstF32(name, nil, []float32{v})
}

// ConstI64 returns a shared 1-D int64 initializer holding vals.
func (b *Builder) ConstI64(vals ...int64) string {
	key := fmt.Sprintf("i64:%v", vals)
	if name, ok := b.consts[key]; ok {
		return name
	}
	name := fmt.Sprintf("const/i64_%v", vals)
	b.consts[key] = name
	return b.Initializer(Int64Tensor(name, []int64{int64(len(vals))}, vals))
}

// IntAttr returns an int attribute.
func IntAttr(name string, v int64) Attr { return Attr{Name: name, Type: AttrInt, I: v} }

// FloatAttr returns a float attribute.
func FloatAttr(name string, v float32) Attr { return Attr{Name: name, Type: AttrFloat, F: v} }

// IntsAttr returns an ints attribute.
func IntsAttr(name string, v ...int64) Attr { return Attr{Name: name, Type: AttrInts, Ints: v} }

// StringAttr returns a string attribute.
func StringAttr(name, v string) Attr { return Attr{Name: name, Type: AttrString, S: v} }
