// Package tfjs reads TensorFlow.js graph models: a model.json file holding a
// GraphDef-like topology plus a weights manifest, and the binary weight shards
// it references.
//
// Only what a converter needs is implemented: the node list with attributes,
// and every weight decoded to float32 or int32 (including the TF.js weight
// quantization schemes uint8, uint16 and float16). Nothing is executed.
package tfjs

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"strconv"
	"strings"
)

// DType is a TF.js weight data type.
type DType string

// Weight data types that can be decoded.
const (
	Float32 DType = "float32"
	Int32   DType = "int32"
	Bool    DType = "bool"
)

// Tensor is a decoded weight. Exactly one of F32 or I32 is set: float32
// weights decode to F32; int32 and bool weights decode to I32.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	F32   []float32
	I32   []int32
}

// Size returns the number of elements implied by the shape.
func (t *Tensor) Size() int { return numElements(t.Shape) }

// Scalar returns the single value of a one-element tensor as float64.
func (t *Tensor) Scalar() (float64, error) {
	switch {
	case len(t.F32) == 1:
		return float64(t.F32[0]), nil
	case len(t.I32) == 1:
		return float64(t.I32[0]), nil
	}
	return 0, fmt.Errorf("tfjs: tensor %q has shape %v, want a single element", t.Name, t.Shape)
}

// Node is one operation of the graph.
type Node struct {
	Name   string
	Op     string
	Inputs []string
	Attr   map[string]AttrValue
}

// AttrValue is a raw TensorFlow AttrValue as serialised by the TF.js
// converter (JSON form of the protobuf message).
type AttrValue struct {
	S     json.RawMessage `json:"s,omitempty"` // bytes: base64 string or array of byte values
	I     json.RawMessage `json:"i,omitempty"` // int64 as JSON string or number
	F     *float64        `json:"f,omitempty"`
	B     *bool           `json:"b,omitempty"`
	Type  json.RawMessage `json:"type,omitempty"` // enum as number or "DT_..." string
	Shape *struct {
		Dim []struct {
			Size json.RawMessage `json:"size"`
		} `json:"dim"`
		UnknownRank bool `json:"unknownRank"`
	} `json:"shape,omitempty"`
	List *struct {
		I []json.RawMessage `json:"i"`
		F []float64         `json:"f"`
		S []json.RawMessage `json:"s"`
	} `json:"list,omitempty"`
	Tensor json.RawMessage `json:"tensor,omitempty"`
}

// Int returns the attribute as an integer.
func (a AttrValue) Int() (int64, error) {
	if len(a.I) == 0 {
		return 0, fmt.Errorf("tfjs: attribute has no int value")
	}
	return parseJSONInt(a.I)
}

// Ints returns a list attribute of integers.
func (a AttrValue) Ints() ([]int64, error) {
	if a.List == nil {
		return nil, fmt.Errorf("tfjs: attribute has no list value")
	}
	out := make([]int64, len(a.List.I))
	for i, raw := range a.List.I {
		v, err := parseJSONInt(raw)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// String returns a bytes attribute. The TF.js converter writes bytes either
// as a base64 string or as an array of byte values.
func (a AttrValue) String() string { return decodeBytes(a.S) }

func decodeBytes(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var arr []byte
	var nums []int
	if err := json.Unmarshal(raw, &nums); err == nil {
		arr = make([]byte, len(nums))
		for i, v := range nums {
			arr[i] = byte(v)
		}
		return string(arr)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return ""
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return string(b)
	}
	return s
}

// Bool returns a boolean attribute (false when unset, as in protobuf).
func (a AttrValue) Bool() bool { return a.B != nil && *a.B }

// Dims returns the dimensions of a shape attribute; -1 marks unknown sizes.
func (a AttrValue) Dims() ([]int64, error) {
	if a.Shape == nil {
		return nil, fmt.Errorf("tfjs: attribute has no shape value")
	}
	out := make([]int64, len(a.Shape.Dim))
	for i, d := range a.Shape.Dim {
		v, err := parseJSONInt(d.Size)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Model is a parsed TF.js graph model.
type Model struct {
	Format      string
	GeneratedBy string
	ConvertedBy string
	Nodes       []*Node
	Weights     map[string]*Tensor
	// WeightOrder lists weight names in manifest order.
	WeightOrder []string

	byName map[string]*Node
	users  map[string][]*Node
}

// Node returns the node with the given name, or nil.
func (m *Model) Node(name string) *Node { return m.byName[baseName(name)] }

// Users returns the nodes that consume any output of the named node, each
// once, in graph order.
func (m *Model) Users(name string) []*Node { return m.users[baseName(name)] }

// Weight returns the named weight or an error naming what is missing.
func (m *Model) Weight(name string) (*Tensor, error) {
	t, ok := m.Weights[name]
	if !ok {
		return nil, fmt.Errorf("tfjs: weight %q not found", name)
	}
	return t, nil
}

// OpCounts returns how many nodes use each op type.
func (m *Model) OpCounts() map[string]int {
	out := map[string]int{}
	for _, n := range m.Nodes {
		out[n.Op]++
	}
	return out
}

// NumParams returns the total number of float32 weight elements.
func (m *Model) NumParams() int {
	n := 0
	for _, t := range m.Weights {
		if t.DType == Float32 {
			n += t.Size()
		}
	}
	return n
}

// baseName strips an output index (":1") and a control-input marker ("^").
func baseName(name string) string {
	name = strings.TrimPrefix(name, "^")
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			return name[:i]
		}
	}
	return name
}

type manifestWeight struct {
	Name         string `json:"name"`
	Shape        []int  `json:"shape"`
	DType        DType  `json:"dtype"`
	Quantization *struct {
		DType         string   `json:"dtype"`
		Scale         *float64 `json:"scale"`
		Min           *float64 `json:"min"`
		OriginalDType string   `json:"original_dtype"`
	} `json:"quantization"`
}

type modelJSON struct {
	Format        string `json:"format"`
	GeneratedBy   string `json:"generatedBy"`
	ConvertedBy   string `json:"convertedBy"`
	ModelTopology struct {
		Node []struct {
			Name  string               `json:"name"`
			Op    string               `json:"op"`
			Input []string             `json:"input"`
			Attr  map[string]AttrValue `json:"attr"`
		} `json:"node"`
	} `json:"modelTopology"`
	WeightsManifest []struct {
		Paths   []string         `json:"paths"`
		Weights []manifestWeight `json:"weights"`
	} `json:"weightsManifest"`
}

// LoadDir reads dir/model.json and its weight shards from the OS file system.
func LoadDir(dir string) (*Model, error) {
	return Load(os.DirFS(dir), "model.json")
}

// Load reads a model.json (at modelPath within fsys) and its weight shards,
// which are resolved relative to the directory of modelPath.
func Load(fsys fs.FS, modelPath string) (*Model, error) {
	raw, err := fs.ReadFile(fsys, modelPath)
	if err != nil {
		return nil, fmt.Errorf("tfjs: %w", err)
	}
	var mj modelJSON
	if err := json.Unmarshal(raw, &mj); err != nil {
		return nil, fmt.Errorf("tfjs: parsing %s: %w", modelPath, err)
	}
	m := &Model{
		Format:      mj.Format,
		GeneratedBy: mj.GeneratedBy,
		ConvertedBy: mj.ConvertedBy,
		Weights:     map[string]*Tensor{},
		byName:      map[string]*Node{},
		users:       map[string][]*Node{},
	}
	for _, n := range mj.ModelTopology.Node {
		node := &Node{Name: n.Name, Op: n.Op, Inputs: n.Input, Attr: n.Attr}
		if _, dup := m.byName[n.Name]; dup {
			return nil, fmt.Errorf("tfjs: duplicate node name %q", n.Name)
		}
		m.Nodes = append(m.Nodes, node)
		m.byName[n.Name] = node
	}
	for _, n := range m.Nodes {
		for _, in := range n.Inputs {
			b := baseName(in)
			if _, ok := m.byName[b]; !ok {
				return nil, fmt.Errorf("tfjs: node %q has unknown input %q", n.Name, in)
			}
			if u := m.users[b]; len(u) == 0 || u[len(u)-1] != n {
				m.users[b] = append(u, n)
			}
		}
	}
	dir := path.Dir(modelPath)
	for gi, group := range mj.WeightsManifest {
		var buf []byte
		for _, p := range group.Paths {
			shard, err := fs.ReadFile(fsys, path.Join(dir, p))
			if err != nil {
				return nil, fmt.Errorf("tfjs: weight group %d: %w", gi, err)
			}
			buf = append(buf, shard...)
		}
		off := 0
		for _, w := range group.Weights {
			t, n, err := decodeWeight(w, buf[off:])
			if err != nil {
				return nil, err
			}
			off += n
			if _, dup := m.Weights[w.Name]; dup {
				return nil, fmt.Errorf("tfjs: duplicate weight %q", w.Name)
			}
			m.Weights[w.Name] = t
			m.WeightOrder = append(m.WeightOrder, w.Name)
		}
		if off != len(buf) {
			return nil, fmt.Errorf("tfjs: weight group %d: manifest covers %d bytes, shards hold %d", gi, off, len(buf))
		}
	}
	return m, nil
}

// decodeWeight decodes one manifest entry from the start of buf and returns
// the tensor and the number of bytes consumed.
func decodeWeight(w manifestWeight, buf []byte) (*Tensor, int, error) {
	n := numElements(w.Shape)
	t := &Tensor{Name: w.Name, DType: w.DType, Shape: append([]int(nil), w.Shape...)}
	need := func(bytes int) error {
		if len(buf) < bytes {
			return fmt.Errorf("tfjs: weight %q needs %d bytes, %d left in group", w.Name, bytes, len(buf))
		}
		return nil
	}
	if q := w.Quantization; q != nil {
		switch q.DType {
		case "uint8", "uint16":
			if q.Scale == nil || q.Min == nil {
				return nil, 0, fmt.Errorf("tfjs: weight %q: %s quantization without scale/min", w.Name, q.DType)
			}
			width := 1
			if q.DType == "uint16" {
				width = 2
			}
			if err := need(n * width); err != nil {
				return nil, 0, err
			}
			get := func(i int) float64 {
				if width == 1 {
					return float64(buf[i])
				}
				return float64(binary.LittleEndian.Uint16(buf[2*i:]))
			}
			// TF.js computes v*scale+min in float64 and stores it in the
			// target typed array.
			switch w.DType {
			case Float32:
				t.F32 = make([]float32, n)
				for i := range t.F32 {
					t.F32[i] = float32(get(i)**q.Scale + *q.Min)
				}
			case Int32:
				t.I32 = make([]int32, n)
				for i := range t.I32 {
					t.I32[i] = int32(math.Floor(get(i)**q.Scale + *q.Min + 0.5))
				}
			default:
				return nil, 0, fmt.Errorf("tfjs: weight %q: cannot dequantize to %s", w.Name, w.DType)
			}
			return t, n * width, nil
		case "float16":
			if w.DType != Float32 {
				return nil, 0, fmt.Errorf("tfjs: weight %q: float16 quantization of %s", w.Name, w.DType)
			}
			if err := need(2 * n); err != nil {
				return nil, 0, err
			}
			t.F32 = make([]float32, n)
			for i := range t.F32 {
				t.F32[i] = Float16ToFloat32(binary.LittleEndian.Uint16(buf[2*i:]))
			}
			return t, 2 * n, nil
		default:
			return nil, 0, fmt.Errorf("tfjs: weight %q: unsupported quantization dtype %q", w.Name, q.DType)
		}
	}
	switch w.DType {
	case Float32:
		if err := need(4 * n); err != nil {
			return nil, 0, err
		}
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		return t, 4 * n, nil
	case Int32:
		if err := need(4 * n); err != nil {
			return nil, 0, err
		}
		t.I32 = make([]int32, n)
		for i := range t.I32 {
			t.I32[i] = int32(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		return t, 4 * n, nil
	case Bool:
		if err := need(n); err != nil {
			return nil, 0, err
		}
		t.I32 = make([]int32, n)
		for i := range t.I32 {
			if buf[i] != 0 {
				t.I32[i] = 1
			}
		}
		return t, n, nil
	}
	return nil, 0, fmt.Errorf("tfjs: weight %q: unsupported dtype %q", w.Name, w.DType)
}

// Float16ToFloat32 converts an IEEE 754 half-precision value.
func Float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalise
		e := uint32(127 - 15 + 1)
		for frac&0x400 == 0 {
			frac <<= 1
			e--
		}
		frac &= 0x3ff
		return math.Float32frombits(sign | e<<23 | frac<<13)
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

func numElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func parseJSONInt(raw json.RawMessage) (int64, error) {
	s := strings.Trim(string(raw), `"`)
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("tfjs: bad integer %s: %w", raw, err)
	}
	return v, nil
}
