package topic

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"time"
)

// Embedder turns texts into unit-length sentence embeddings, one per text
// and in order. *inference.Encoder is one.
type Embedder interface {
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// Format is the artifact format this package reads and writes.
const Format = "newsintel-topic/1"

// Files of an artifact folder.
const (
	MetaFile    = "model.json"
	WeightsFile = "weights.bin"
)

// Head kinds.
const (
	// HeadLinear is multinomial logistic regression on the embedding, on
	// hashed words, or on both.
	HeadLinear = "linear"
	// HeadMLP is a one-hidden-layer ReLU network on the embedding.
	HeadMLP = "mlp"
	// HeadPrototype scores each label by the cosine similarity of the
	// embedding to the label's prototype vector (zero/few-shot).
	HeadPrototype = "prototype"
)

// Head describes one scorer of a model. The model's score for a label is
// the weighted sum of its heads' log-probabilities, divided by the
// model's temperature, then soft-maxed.
type Head struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Embedding says whether the head reads the sentence embedding.
	Embedding bool `json:"embedding"`
	// Hashing, when set, is the head's hashed word features.
	Hashing *Hashing `json:"hashing,omitempty"`
	// Hidden is the MLP's hidden width.
	Hidden int `json:"hidden,omitempty"`
	// Scale multiplies a prototype head's cosine similarities (1/temperature).
	Scale float64 `json:"scale,omitempty"`
	// Weight is the head's weight in the ensemble.
	Weight float64 `json:"weight"`

	lin   *linear
	idf   []float32 // per hashed bucket, when Hashing.IDF
	mlp   *mlp
	proto [][]float32
}

// Tensor locates one array in the weights file: little-endian float32
// ("f32") or IEEE half ("f16") values, row-major.
type Tensor struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`
	Shape  []int  `json:"shape"`
	Offset int64  `json:"offset"`
	Bytes  int64  `json:"bytes"`
}

// Training records how a model was made.
type Training struct {
	// Command reproduces the model, from the repository root.
	Command string `json:"command,omitempty"`
	Seed    uint64 `json:"seed"`
	// Options are the training options, as given.
	Options *Options `json:"options,omitempty"`
	// DataHash is the SHA-256 of all examples after deduplication (see
	// DataHash); TrainHash and DevHash of the two parts.
	DataHash   string         `json:"data_hash"`
	TrainHash  string         `json:"train_hash"`
	DevHash    string         `json:"dev_hash"`
	TestHash   string         `json:"test_hash,omitempty"`
	Test       int            `json:"test_examples,omitempty"`
	TestCounts map[string]int `json:"test_label_counts,omitempty"`
	// NearDup counts the near-duplicates kept on one side of the split.
	NearDup     *NearDupStats  `json:"near_duplicates,omitempty"`
	DataSources []string       `json:"data_sources,omitempty"`
	Dedup       *DedupStats    `json:"dedup,omitempty"`
	Train       int            `json:"train_examples"`
	Dev         int            `json:"dev_examples"`
	TrainCounts map[string]int `json:"train_label_counts"`
	DevCounts   map[string]int `json:"dev_label_counts"`
	Seconds     float64        `json:"seconds"`
	GoVersion   string         `json:"go_version,omitempty"`
}

// Meta is an artifact's model.json: everything about the model except
// its weights.
type Meta struct {
	Format  string `json:"format"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Labels are the classes, in score order.
	Labels []string `json:"labels"`
	// Descriptions optionally explain labels (zero-shot models keep their
	// definitions here).
	Descriptions map[string]string `json:"descriptions,omitempty"`
	// EncoderID names the sentence encoder the heads were trained on
	// (inference.ModelID); EncoderDim is its width.
	EncoderID  string    `json:"encoder_id"`
	EncoderDim int       `json:"encoder_dim"`
	Normalizer string    `json:"normalizer"`
	CreatedAt  time.Time `json:"created_at"`
	Heads      []*Head   `json:"heads"`
	// Temperature divides the combined scores before the softmax; it is
	// fitted on the dev split to calibrate the probabilities.
	Temperature float64   `json:"temperature"`
	Training    *Training `json:"training,omitempty"`
	// Metrics are the model's scores on the dev split, measured with the
	// weights as stored.
	Metrics *Metrics `json:"dev_metrics,omitempty"`
	// HeldOut are its scores on the test split and on check sets that
	// nothing was chosen or tuned on (see Options.TestFraction, Checks).
	HeldOut []HeldMetrics `json:"held_out_metrics,omitempty"`
	// Variants are the dev scores of every variant tried while training.
	Variants      []Variant `json:"variants,omitempty"`
	Weights       string    `json:"weights_file"`
	WeightsSHA256 string    `json:"weights_sha256"`
	Tensors       []Tensor  `json:"tensors"`
}

// Variant is one model variant's result on the dev split.
type Variant struct {
	Name     string  `json:"name"`
	Accuracy float64 `json:"accuracy"`
	MacroF1  float64 `json:"macro_f1"`
	LogLoss  float64 `json:"log_loss"`
	ECE      float64 `json:"ece"`
	Seconds  float64 `json:"train_seconds"`
	Notes    string  `json:"notes,omitempty"`
	// Held are its scores on the test split and the check sets, which
	// played no part in choosing it.
	Held []HeldScore `json:"held_out,omitempty"`
}

// Model classifies texts into topics.
type Model struct {
	Meta
}

// Prediction is one text's topic.
type Prediction struct {
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
	// Scores are the probabilities of every label.
	Scores      map[string]float64 `json:"scores"`
	Uncertainty Uncertainty        `json:"uncertainty"`
}

// ID names the model in responses and stored predictions: its name and
// version, as in "agnews-v1".
func (m *Model) ID() string { return m.Name + "-v" + m.Version }

// NeedsEmbedding reports whether any head reads the sentence embedding.
func (m *Model) NeedsEmbedding() bool {
	for _, h := range m.Heads {
		if h.Embedding {
			return true
		}
	}
	return false
}

// Predict normalises and embeds texts and classifies them.
func (m *Model) Predict(ctx context.Context, emb Embedder, texts []string) ([]Prediction, error) {
	norm := make([]string, len(texts))
	for i, t := range texts {
		norm[i] = Normalize(t)
	}
	var vecs [][]float32
	if m.NeedsEmbedding() && len(texts) > 0 {
		var err error
		if vecs, err = emb.Embed(ctx, norm); err != nil {
			return nil, err
		}
	}
	return m.PredictEmbedded(vecs, norm)
}

// PredictEmbedded classifies texts whose embeddings the caller computed,
// with the same encoder, from Normalize(text). emb may be nil when no head
// reads embeddings (see NeedsEmbedding); texts may be nil when no head
// reads words.
func (m *Model) PredictEmbedded(emb [][]float32, texts []string) ([]Prediction, error) {
	n := max(len(emb), len(texts))
	if m.NeedsEmbedding() && len(emb) != n {
		return nil, fmt.Errorf("topic: %d embeddings for %d texts", len(emb), n)
	}
	for i, e := range emb {
		if m.NeedsEmbedding() && len(e) != m.EncoderDim {
			return nil, fmt.Errorf("topic: embedding %d has %d values, want %d", i, len(e), m.EncoderDim)
		}
	}
	feats := map[*Head][]sparseVec{}
	var norm []string
	for _, h := range m.Heads {
		if h.Hashing == nil {
			continue
		}
		if len(texts) != n {
			return nil, fmt.Errorf("topic: %d texts for %d embeddings", len(texts), n)
		}
		if norm == nil {
			norm = make([]string, n)
			for i, t := range texts {
				norm[i] = Normalize(t)
			}
		}
		feats[h] = h.Hashing.featurizeAll(norm, h.idf)
	}
	probs := m.probabilities(emb, feats, n)
	out := make([]Prediction, n)
	for i, p := range probs {
		out[i] = m.prediction(p)
	}
	return out, nil
}

func (m *Model) prediction(p []float64) Prediction {
	best := argmax(p)
	pr := Prediction{Label: m.Labels[best], Confidence: p[best], Scores: make(map[string]float64, len(p)), Uncertainty: UncertaintyOf(p)}
	for k, l := range m.Labels {
		pr.Scores[l] = p[k]
	}
	return pr
}

// headLogProbs returns one head's log-probabilities for n rows.
func (h *Head) logProbs(emb [][]float32, feats map[*Head][]sparseVec, n int) [][]float64 {
	var z [][]float64
	switch h.Kind {
	case HeadLinear:
		x := design{D: h.lin.D, S: h.lin.S}
		if h.Embedding {
			x.Dense = emb
		}
		if h.Hashing != nil {
			x.Sparse = feats[h]
		}
		z = h.lin.logits(x)
	case HeadMLP:
		z = h.mlp.logits(emb)
	case HeadPrototype:
		z = make([][]float64, n)
		for i := range n {
			z[i] = make([]float64, len(h.proto))
			for k, p := range h.proto {
				z[i][k] = h.Scale * float64(dot32(p, emb[i]))
			}
		}
	}
	for _, zi := range z {
		lse := logSumExp(zi)
		for k := range zi {
			zi[k] -= lse
		}
	}
	return z
}

// combine adds up the heads' weighted log-probabilities.
func combine(parts [][][]float64, weights []float64, n, k int) [][]float64 {
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, k)
		for h, lp := range parts {
			for c := range k {
				out[i][c] += weights[h] * lp[i][c]
			}
		}
	}
	return out
}

func (m *Model) scores(emb [][]float32, feats map[*Head][]sparseVec, n int) [][]float64 {
	parts := make([][][]float64, len(m.Heads))
	weights := make([]float64, len(m.Heads))
	for i, h := range m.Heads {
		parts[i] = h.logProbs(emb, feats, n)
		weights[i] = h.Weight
	}
	return combine(parts, weights, n, len(m.Labels))
}

func (m *Model) probabilities(emb [][]float32, feats map[*Head][]sparseVec, n int) [][]float64 {
	z := m.scores(emb, feats, n)
	t := m.Temperature
	if t <= 0 {
		t = 1
	}
	out := make([][]float64, n)
	for i := range z {
		out[i] = softmaxT(z[i], t)
	}
	return out
}

// tensorWriter accumulates the weights file.
type tensorWriter struct {
	buf     bytes.Buffer
	tensors []Tensor
}

func (w *tensorWriter) add(name, dtype string, shape []int, vals []float32) {
	t := Tensor{Name: name, DType: dtype, Shape: shape, Offset: int64(w.buf.Len())}
	var b [4]byte
	for _, v := range vals {
		switch dtype {
		case "f16":
			binary.LittleEndian.PutUint16(b[:2], f32ToF16(v))
			w.buf.Write(b[:2])
		default:
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			w.buf.Write(b[:])
		}
	}
	t.Bytes = int64(w.buf.Len()) - t.Offset
	w.tensors = append(w.tensors, t)
}

func to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// encode writes the heads' tensors. Large matrices are stored as f16.
func (m *Model) encode() ([]byte, []Tensor) {
	var w tensorWriter
	K := len(m.Labels)
	for _, h := range m.Heads {
		p := h.Name + "."
		switch h.Kind {
		case HeadLinear:
			nf := h.lin.D + h.lin.S
			dtype := "f32"
			if h.lin.S > 0 {
				dtype = "f16"
			}
			w.add(p+"weight", dtype, []int{nf, K}, to32(h.lin.W[:nf*K]))
			w.add(p+"bias", "f32", []int{K}, to32(h.lin.W[nf*K:]))
			if h.Hashing != nil && h.Hashing.IDF {
				w.add(p+"idf", "f16", []int{h.Hashing.Buckets()}, h.idf)
			}
		case HeadMLP:
			w.add(p+"w1", "f16", []int{h.mlp.H, h.mlp.D}, h.mlp.W1)
			w.add(p+"b1", "f32", []int{h.mlp.H}, h.mlp.B1)
			w.add(p+"w2", "f32", []int{h.mlp.K, h.mlp.H}, h.mlp.W2)
			w.add(p+"b2", "f32", []int{h.mlp.K}, h.mlp.B2)
		case HeadPrototype:
			var flat []float32
			for _, v := range h.proto {
				flat = append(flat, v...)
			}
			w.add(p+"prototypes", "f32", []int{len(h.proto), m.EncoderDim}, flat)
		}
	}
	return w.buf.Bytes(), w.tensors
}

// Save writes the artifact folder dir (model.json and weights.bin),
// creating it if needed.
func (m *Model) Save(dir string) error {
	blob, tensors := m.encode()
	sum := sha256.Sum256(blob)
	meta := m.Meta
	meta.Format = Format
	meta.Weights = WeightsFile
	meta.WeightsSHA256 = hex.EncodeToString(sum[:])
	meta.Tensors = tensors
	raw, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return fmt.Errorf("topic: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("topic: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, WeightsFile), blob); err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, MetaFile), append(raw, '\n')); err != nil {
		return err
	}
	m.Meta = meta
	if err := writeFileAtomic(filepath.Join(dir, ReadmeFile), []byte(m.Card())); err != nil {
		return err
	}
	return nil
}

func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return fmt.Errorf("topic: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("topic: write %s: %w", name, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("topic: %w", err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("topic: %w", err)
	}
	return nil
}

// Load reads an artifact folder.
func Load(dir string) (*Model, error) {
	return LoadFS(os.DirFS(dir), ".")
}

// LoadFS reads the artifact folder dir of fsys (for example an embedded
// one).
func LoadFS(fsys fs.FS, dir string) (*Model, error) {
	raw, err := fs.ReadFile(fsys, path.Join(dir, MetaFile))
	if err != nil {
		return nil, fmt.Errorf("topic: %w", err)
	}
	var m Model
	if err := json.Unmarshal(raw, &m.Meta); err != nil {
		return nil, fmt.Errorf("topic: %s: %w", MetaFile, err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("topic: %s: format %q, want %q", MetaFile, m.Format, Format)
	}
	if m.Normalizer != NormalizerVersion {
		return nil, fmt.Errorf("topic: the model was trained with normaliser %q; this build has %q", m.Normalizer, NormalizerVersion)
	}
	blob, err := fs.ReadFile(fsys, path.Join(dir, m.Weights))
	if err != nil {
		return nil, fmt.Errorf("topic: %w", err)
	}
	if sum := sha256.Sum256(blob); hex.EncodeToString(sum[:]) != m.WeightsSHA256 {
		return nil, fmt.Errorf("topic: %s does not match the checksum in %s", m.Weights, MetaFile)
	}
	return decode(m.Meta, blob)
}

// decode attaches the weights of blob to the heads of meta, which it copies.
func decode(meta Meta, blob []byte) (*Model, error) {
	m := Model{Meta: meta}
	m.Heads = make([]*Head, len(meta.Heads))
	for i, h := range meta.Heads {
		hh := *h
		m.Heads[i] = &hh
	}
	if len(m.Labels) < 2 || len(m.Heads) == 0 {
		return nil, fmt.Errorf("topic: %s: %d labels and %d heads", MetaFile, len(m.Labels), len(m.Heads))
	}
	tensors := map[string]Tensor{}
	for _, t := range m.Tensors {
		tensors[t.Name] = t
	}
	read := func(name string, shape ...int) ([]float32, error) {
		t, ok := tensors[name]
		if !ok {
			return nil, fmt.Errorf("topic: no tensor %q", name)
		}
		if !slices.Equal(t.Shape, shape) {
			return nil, fmt.Errorf("topic: tensor %q has shape %v, want %v", name, t.Shape, shape)
		}
		n := 1
		for _, s := range shape {
			n *= s
		}
		size := map[string]int64{"f32": 4, "f16": 2}[t.DType]
		if size == 0 || t.Bytes != size*int64(n) || t.Offset < 0 || t.Offset+t.Bytes > int64(len(blob)) {
			return nil, fmt.Errorf("topic: tensor %q: bad dtype %q or extent", name, t.DType)
		}
		b := blob[t.Offset : t.Offset+t.Bytes]
		out := make([]float32, n)
		for i := range out {
			if size == 2 {
				out[i] = f16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
			} else {
				out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		}
		return out, nil
	}
	K := len(m.Labels)
	for _, h := range m.Heads {
		p := h.Name + "."
		switch h.Kind {
		case HeadLinear:
			d, s := 0, 0
			if h.Embedding {
				d = m.EncoderDim
			}
			if h.Hashing != nil {
				if h.Hashing.Bits < 1 || h.Hashing.Bits > 26 {
					return nil, fmt.Errorf("topic: head %s: hashing bits %d", h.Name, h.Hashing.Bits)
				}
				s = h.Hashing.Buckets()
			}
			w, err := read(p+"weight", d+s, K)
			if err != nil {
				return nil, err
			}
			b, err := read(p+"bias", K)
			if err != nil {
				return nil, err
			}
			h.lin = newLinear(K, d, s)
			for i, v := range append(w, b...) {
				h.lin.W[i] = float64(v)
			}
			if h.Hashing != nil && h.Hashing.IDF {
				if h.idf, err = read(p+"idf", s); err != nil {
					return nil, err
				}
			}
		case HeadMLP:
			mm := &mlp{D: m.EncoderDim, H: h.Hidden, K: K}
			var err error
			if mm.W1, err = read(p+"w1", h.Hidden, m.EncoderDim); err != nil {
				return nil, err
			}
			if mm.B1, err = read(p+"b1", h.Hidden); err != nil {
				return nil, err
			}
			if mm.W2, err = read(p+"w2", K, h.Hidden); err != nil {
				return nil, err
			}
			if mm.B2, err = read(p+"b2", K); err != nil {
				return nil, err
			}
			h.mlp = mm
		case HeadPrototype:
			flat, err := read(p+"prototypes", K, m.EncoderDim)
			if err != nil {
				return nil, err
			}
			h.proto = make([][]float32, K)
			for k := range K {
				h.proto[k] = flat[k*m.EncoderDim : (k+1)*m.EncoderDim]
			}
		default:
			return nil, fmt.Errorf("topic: head %s: unknown kind %q", h.Name, h.Kind)
		}
	}
	return &m, nil
}

// EvaluateModel classifies labeled examples with m and scores the
// predictions (see Evaluate); gold labels the model does not know count as
// errors. progress, if not nil, is called after each batch.
func EvaluateModel(ctx context.Context, m *Model, emb Embedder, examples []Example, progress func(done, total int)) (Metrics, []Prediction, error) {
	const batch = 512
	preds := make([]Prediction, 0, len(examples))
	gold := make([]string, len(examples))
	for i, ex := range examples {
		gold[i] = ex.Label
	}
	for start := 0; start < len(examples); start += batch {
		end := min(start+batch, len(examples))
		texts := make([]string, end-start)
		for i, ex := range examples[start:end] {
			texts[i] = ex.Text
		}
		p, err := m.Predict(ctx, emb, texts)
		if err != nil {
			return Metrics{}, nil, err
		}
		preds = append(preds, p...)
		if progress != nil {
			progress(end, len(examples))
		}
	}
	return Evaluate(m.Labels, gold, preds), preds, nil
}
