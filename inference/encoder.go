package inference

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/knights-analytics/hugot"
	"github.com/knights-analytics/hugot/backends"
	"github.com/knights-analytics/hugot/options"
	"github.com/knights-analytics/hugot/pipelines"

	"github.com/newsintel/newsintel/inference/tokenizer"
	"github.com/newsintel/newsintel/inference/use"
)

// Shapes the encoder compiles graphs for. The pure-Go backend compiles one
// graph per input shape; without buckets a long-running server would
// compile and keep one for every (batch, length) pair it ever saw. Inputs
// are padded up to the next bucket, which the graph masks out.
var (
	batchBuckets    = []int{1, 2, 4, 8, 16, 32, 64}
	sequenceBuckets = []int{16, 32, 64, MaxTokens}
)

// sequenceBucket is the smallest sequence bucket that holds n tokens.
func sequenceBucket(n int) int {
	for _, b := range sequenceBuckets {
		if n <= b {
			return b
		}
	}
	return sequenceBuckets[len(sequenceBuckets)-1]
}

// maxBatch is the most texts run through the graph at once; Encode splits
// larger requests.
var maxBatch = batchBuckets[len(batchBuckets)-1]

// Encoder embeds text with Universal Sentence Encoder Lite through hugot's
// pure-Go backend. It is safe for concurrent use.
//
// hugot's own pure-Go tokenizer matches Unigram pieces greedily, which does
// not reproduce the reference tokenization, so Encode tokenizes with the
// exact port in package tokenizer and hands the ids to the pipeline's model
// through hugot's exported backend functions; everything after
// tokenization (input tensors, the graph, output reshaping) is hugot's.
type Encoder struct {
	session  *hugot.Session
	pipeline *pipelines.FeatureExtractionPipeline
	tok      *tokenizer.Tokenizer
	onStage  func(stage string, d time.Duration)
}

// OnStage makes the encoder report how long each stage of every call took:
// "tokenize" and "forward" (the graph, with hugot's tensor handling). Set
// it before the encoder is shared.
func (e *Encoder) OnStage(fn func(stage string, d time.Duration)) { e.onStage = fn }

func (e *Encoder) observe(stage string, since time.Time) {
	if e.onStage != nil {
		e.onStage(stage, time.Since(since))
	}
}

// Open loads the model folder dir (see EnsureModel) into a new hugot
// session. Close it when done.
func Open(ctx context.Context, dir string) (*Encoder, error) {
	tok, err := use.ReadTokenizerJSON(filepath.Join(dir, use.TokenizerFile))
	if err != nil {
		return nil, fmt.Errorf("inference: %w", err)
	}
	session, err := hugot.NewGoSession(ctx,
		options.WithGoMLXBatchBuckets(batchBuckets),
		options.WithGoMLXSequenceBuckets(sequenceBuckets))
	if err != nil {
		return nil, fmt.Errorf("inference: create hugot session: %w", err)
	}
	p, err := hugot.NewPipeline(session, hugot.FeatureExtractionConfig{
		ModelPath: dir,
		Name:      ModelID,
		Options:   []hugot.FeatureExtractionOption{pipelines.WithOutputName(use.Output)},
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("inference: load %s: %w", dir, err), session.Destroy())
	}
	return &Encoder{session: session, pipeline: p, tok: tok}, nil
}

// Close releases the hugot session.
func (e *Encoder) Close() error { return e.session.Destroy() }

// ModelID names the model.
func (e *Encoder) ModelID() string { return ModelID }

// Pipeline exposes the underlying hugot pipeline.
func (e *Encoder) Pipeline() *pipelines.FeatureExtractionPipeline { return e.pipeline }

// Tokenize returns the reference tokenization of text, not truncated.
func (e *Encoder) Tokenize(text string) []int { return e.tok.Encode(text) }

// Embed returns one unit-length embedding per text, in order. Texts longer
// than MaxTokens tokens are embedded from their first MaxTokens tokens; use
// Encode to learn which.
func (e *Encoder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	embs, err := e.Encode(ctx, texts)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(embs))
	for i, emb := range embs {
		out[i] = emb.Vector
	}
	return out, nil
}

// Encode embeds texts, in order, reporting each one's token count and
// whether it was truncated. An empty text gets the embedding of an empty
// sequence.
func (e *Encoder) Encode(ctx context.Context, texts []string) ([]Embedding, error) {
	start := time.Now()
	out := make([]Embedding, len(texts))
	ids := make([][]int, len(texts))
	for i, text := range texts {
		ids[i] = e.tok.Encode(text)
		out[i].Tokens = len(ids[i])
		if len(ids[i]) > MaxTokens {
			ids[i] = ids[i][:MaxTokens]
			out[i].Truncated = true
		}
	}
	e.observe("tokenize", start)
	for lo := 0; lo < len(texts); lo += maxBatch {
		hi := min(lo+maxBatch, len(texts))
		start := time.Now()
		vecs, err := e.forward(ctx, texts[lo:hi], ids[lo:hi])
		if err != nil {
			return nil, err
		}
		e.observe("forward", start)
		for i, v := range vecs {
			out[lo+i].Vector = v
		}
	}
	return out, nil
}

// forward runs one batch of token ids through the graph.
func (e *Encoder) forward(ctx context.Context, texts []string, ids [][]int) ([][]float32, error) {
	p := e.pipeline
	preprocess := func(batch *backends.PipelineBatch) error {
		batch.Input = make([]backends.TokenizedInput, len(ids))
		maxSeq := 1
		for i, seq := range ids {
			in := backends.TokenizedInput{
				Raw:               texts[i],
				TokenIDs:          make([]uint32, len(seq)),
				AttentionMask:     make([]uint32, len(seq)),
				MaxAttentionIndex: len(seq) - 1,
			}
			for j, id := range seq {
				in.TokenIDs[j] = uint32(id)
				in.AttentionMask[j] = 1
			}
			batch.Input[i] = in
			maxSeq = max(maxSeq, len(seq))
		}
		// hugot pads the batch dimension to its buckets but, on the Go
		// backend, not the sequence: without this every new length would
		// compile a graph, until the cache limit fails the call.
		batch.MaxSequenceLength = sequenceBucket(maxSeq)
		return backends.CreateInputTensors(batch, p.Model)
	}
	run := func(ctx context.Context, batch *backends.PipelineBatch) error {
		return backends.RunSessionOnBatch(ctx, batch, p.BasePipeline)
	}
	postprocess := func(batch *backends.PipelineBatch) (*[][]float32, error) {
		out, ok := batch.OutputValues[p.OutputIndex].([][]float32)
		if !ok {
			return nil, fmt.Errorf("inference: model output is %T, want [][]float32", batch.OutputValues[p.OutputIndex])
		}
		if len(out) < len(ids) {
			return nil, fmt.Errorf("inference: got %d embeddings for %d texts", len(out), len(ids))
		}
		out = out[:len(ids)] // rows past len(ids) pad the batch to its bucket
		return &out, nil
	}
	res, err := backends.RunPipeline(ctx, len(ids), preprocess, run, postprocess)
	if err != nil {
		return nil, fmt.Errorf("inference: embed %d texts: %w", len(ids), err)
	}
	return *res, nil
}
