package inference

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/gomlx/core/graph"
	mlmodel "github.com/gomlx/gomlx/ml/model"
	"github.com/knights-analytics/hugot"
	"github.com/knights-analytics/hugot/backends"
	"github.com/knights-analytics/hugot/options"
	"github.com/knights-analytics/hugot/pipelines"

	"github.com/newsintel/newsintel/inference/tokenizer"
	"github.com/newsintel/newsintel/inference/use"
)

// How a call runs (see PERF.md for the measurements behind each choice).
//
// The texts of a call are sorted by token count and cut into groups of at
// most groupSize texts, so each group is padded only to its own longest
// text. Groups run concurrently, one per core, each single-threaded; a
// call that makes one group runs alone with multi-threaded ops instead.
// hugot's default Go backend runs independent ops on executors that hold
// the worker slots while they wait, leaving each matmul one worker: one
// busy core. The encoder therefore swaps in its own backends.
const (
	groupSize   = 8
	concurrency = 2
	// singleBackend runs ops one after another, each large op (matmul,
	// softmax) using every core.
	singleBackend = "ops_sequential"
	// groupBackend runs every op on the calling goroutine: the concurrent
	// groups already keep the cores busy.
	groupBackend = "ops_sequential,parallelism=0"
)

// Shapes the encoder compiles graphs for. The Go backend compiles one
// graph per input shape (about 0.1 s each); hugot pads the batch to its
// buckets but, on this backend, not the sequence, so the encoder pads the
// sequence itself. The buckets bound the compiled graphs to
// len(batchBuckets) × len(sequenceBuckets) per backend, which Warm can
// compile ahead of traffic.
var (
	batchBuckets    = []int{1, 2, 4, groupSize}
	sequenceBuckets = []int{8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, MaxTokens}
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

// Encoder embeds text with Universal Sentence Encoder Lite through hugot's
// pure-Go backend. It is safe for concurrent use.
//
// hugot's own pure-Go tokenizer matches Unigram pieces greedily, which does
// not reproduce the reference tokenization, so the encoder tokenizes with
// the exact port in package tokenizer and hands the ids to the pipeline's
// model through hugot's exported backend functions; everything after
// tokenization (input tensors, the graph, output reshaping) is hugot's.
type Encoder struct {
	session *hugot.Session
	single  *pipelines.FeatureExtractionPipeline // calls that make one group
	grouped *pipelines.FeatureExtractionPipeline // concurrent groups
	tok     *tokenizer.Tokenizer
	onStage func(stage string, d time.Duration)
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
	e := &Encoder{session: session, tok: tok}
	if e.single, err = newPipeline(session, dir, ModelID, singleBackend); err != nil {
		return nil, errors.Join(err, session.Destroy())
	}
	if e.grouped, err = newPipeline(session, dir, ModelID+"-grouped", groupBackend); err != nil {
		return nil, errors.Join(err, session.Destroy())
	}
	return e, nil
}

// newPipeline creates a feature-extraction pipeline for the model folder
// dir and moves its model to a Go backend made with config. hugot gives no
// option for the backend's configuration, so the backend and executor of
// the pipeline's model are replaced; its variables are kept.
func newPipeline(session *hugot.Session, dir, name, config string) (*pipelines.FeatureExtractionPipeline, error) {
	p, err := hugot.NewPipeline(session, hugot.FeatureExtractionConfig{
		ModelPath: dir,
		Name:      name,
		Options:   []hugot.FeatureExtractionOption{pipelines.WithOutputName(use.Output)},
	})
	if err != nil {
		return nil, fmt.Errorf("inference: load %s: %w", dir, err)
	}
	gm := p.Model.GoMLXModel
	if gm == nil {
		return nil, errors.New("inference: the pipeline has no GoMLX model")
	}
	// gomlx copies the weights into every compiled graph as constants
	// unless the graph is marked as training: about 45 MB per input shape.
	// Marked, the weights are parameters shared by all shapes. Nothing in
	// this graph behaves differently in training (no dropout, no batch
	// norm).
	call := func(scope *mlmodel.Scope, inputs []*graph.Node) []*graph.Node {
		scope.SetTraining(inputs[0].Graph(), true)
		return gm.Call(scope, inputs)
	}
	be, err := newGoBackend(config)
	if err != nil {
		return nil, fmt.Errorf("inference: go backend %q: %w", config, err)
	}
	exec, err := mlmodel.NewExec(be, gm.Store, call)
	if err != nil {
		be.Finalize()
		return nil, fmt.Errorf("inference: model executor: %w", err)
	}
	// Every shape a call can make; a graph beyond it is a bug, not load.
	exec.SetMaxCache(len(batchBuckets) * len(sequenceBuckets))
	old := gm.Backend
	gm.Exec.Finalize()
	gm.Backend, gm.Exec = be, exec
	old.Finalize()
	return p, nil
}

// stdoutMu serialises newGoBackend's swap of os.Stdout.
var stdoutMu sync.Mutex

// newGoBackend is gobackend.New without its stray line on stdout: compute
// v0.1.14 prints "Go backend: parallelism set to N" with fmt.Printf, which
// would corrupt the output of commands such as `eval-summaries --json`.
// Nothing else writes to stdout while a model is being opened.
func newGoBackend(config string) (compute.Backend, error) {
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return gobackend.New(config)
	}
	defer devNull.Close()
	saved := os.Stdout
	os.Stdout = devNull
	defer func() { os.Stdout = saved }()
	return gobackend.New(config)
}

// Close releases the hugot session.
func (e *Encoder) Close() error { return e.session.Destroy() }

// ModelID names the model.
func (e *Encoder) ModelID() string { return ModelID }

// Pipeline exposes the hugot pipeline that runs single-group calls.
func (e *Encoder) Pipeline() *pipelines.FeatureExtractionPipeline { return e.single }

// OnStage makes the encoder report how long each stage of every call took:
// "tokenize" and "forward" (the graph, with hugot's tensor handling). Set
// it before the encoder is shared.
func (e *Encoder) OnStage(fn func(stage string, d time.Duration)) { e.onStage = fn }

func (e *Encoder) observe(stage string, since time.Time) {
	if e.onStage != nil {
		e.onStage(stage, time.Since(since))
	}
}

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
// sequence. A text's embedding reads only its own tokens, so it does not
// depend on the other texts of the call beyond float rounding.
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
	if len(texts) == 0 {
		return out, nil
	}

	start = time.Now()
	groups := groupByLength(ids)
	if len(groups) == 1 {
		if err := e.run(ctx, e.single, groups[0], ids, out); err != nil {
			return nil, err
		}
		e.observe("forward", start)
		return out, nil
	}
	// One worker per core; the first error cancels the rest.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan []int)
	var wg sync.WaitGroup
	for range min(concurrency, len(groups)) {
		wg.Go(func() {
			for g := range next {
				if err := e.run(ctx, e.grouped, g, ids, out); err != nil {
					cancel(err)
				}
			}
		})
	}
	for _, g := range groups {
		if ctx.Err() != nil {
			break
		}
		next <- g
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, fmt.Errorf("inference: embed %d texts: %w", len(texts), err)
	}
	e.observe("forward", start)
	return out, nil
}

// Warm compiles the graph of every input shape a call can make, so that no
// request pays for a compilation. It takes a few seconds.
func (e *Encoder) Warm(ctx context.Context) error {
	for _, p := range []*pipelines.FeatureExtractionPipeline{e.single, e.grouped} {
		for _, b := range batchBuckets {
			for _, n := range sequenceBuckets {
				ids := make([][]int, b)
				idx := make([]int, b)
				for i := range ids {
					ids[i] = slices.Repeat([]int{tokenizer.UnknownID}, n)
					idx[i] = i
				}
				if err := e.run(ctx, p, idx, ids, make([]Embedding, b)); err != nil {
					return fmt.Errorf("inference: warm up batch %d × %d tokens: %w", b, n, err)
				}
			}
		}
	}
	return nil
}

// groupByLength splits the indices of ids into the model calls of one
// Encode call. Texts are sorted by token count, so each group is padded
// only to about its own length, and cut into groups whose sizes are batch
// buckets, so that hugot pads no group with empty rows: full groups of
// groupSize, then the rest as the largest buckets that fit (a remainder
// of 7 runs as 4 + 2 + 1). A call of several texts makes at least two
// groups, one per core.
func groupByLength(ids [][]int) [][]int {
	n := len(ids)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if n <= 1 {
		return [][]int{order}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(ids[a]), len(ids[b])) })
	var groups [][]int
	for start := 0; start < n; {
		left := n - start
		size := batchBuckets[0]
		for _, b := range batchBuckets {
			// Keep a lone call split in two so both cores work.
			if b <= left && (start > 0 || b < n || n > groupSize) {
				size = b
			}
		}
		groups = append(groups, order[start:start+size])
		start += size
	}
	return groups
}

// run embeds the texts ids[idx[k]] in one call of pipeline p and stores
// their embeddings at out[idx[k]].
func (e *Encoder) run(ctx context.Context, p *pipelines.FeatureExtractionPipeline, idx []int, ids [][]int, out []Embedding) error {
	preprocess := func(batch *backends.PipelineBatch) error {
		batch.Input = make([]backends.TokenizedInput, len(idx))
		maxSeq := 1
		for k, i := range idx {
			in := backends.TokenizedInput{
				TokenIDs:          make([]uint32, len(ids[i])),
				AttentionMask:     make([]uint32, len(ids[i])),
				MaxAttentionIndex: len(ids[i]) - 1,
			}
			for j, id := range ids[i] {
				in.TokenIDs[j] = uint32(id)
				in.AttentionMask[j] = 1
			}
			batch.Input[k] = in
			maxSeq = max(maxSeq, len(ids[i]))
		}
		batch.MaxSequenceLength = sequenceBucket(maxSeq)
		return backends.CreateInputTensors(batch, p.Model)
	}
	run := func(ctx context.Context, batch *backends.PipelineBatch) error {
		return backends.RunSessionOnBatch(ctx, batch, p.BasePipeline)
	}
	postprocess := func(batch *backends.PipelineBatch) (*struct{}, error) {
		res, ok := batch.OutputValues[p.OutputIndex].([][]float32)
		if !ok {
			return nil, fmt.Errorf("inference: model output is %T, want [][]float32", batch.OutputValues[p.OutputIndex])
		}
		if len(res) < len(idx) {
			return nil, fmt.Errorf("inference: got %d embeddings for %d texts", len(res), len(idx))
		}
		for k, i := range idx { // rows past len(idx) pad the batch to its bucket
			out[i].Vector = res[k]
		}
		return &struct{}{}, nil
	}
	_, err := backends.RunPipeline(ctx, len(idx), preprocess, run, postprocess)
	return err
}
