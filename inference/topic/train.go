package topic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Variant names accepted in Options.Variants.
const (
	VariantLR      = "lr"          // logistic regression on the sentence embedding
	VariantHash    = "hash"        // logistic regression on hashed words and bigrams
	VariantJoint   = "joint"       // one logistic regression on both feature sets
	VariantMLP     = "mlp"         // one-hidden-layer MLP on the embedding
	VariantLRHash  = "lr+hash"     // product-of-experts ensemble of lr and hash
	VariantMLPHash = "mlp+hash"    // product-of-experts ensemble of mlp and hash
	VariantAll3    = "mlp+lr+hash" // product-of-experts ensemble of all three
)

// baseVariants are the single heads; a variant may join several with "+"
// into a product-of-experts ensemble whose weights are tuned on dev.
var baseVariants = []string{VariantLR, VariantHash, VariantJoint, VariantMLP}

// DefaultVariants are tried when Options.Variants is empty.
var DefaultVariants = []string{VariantLR, VariantHash, VariantJoint, VariantMLP, VariantLRHash, VariantMLPHash, VariantAll3}

// MinCalibrationDev is the fewest dev examples Train fits the model's
// temperature on; with fewer it stays 1.
const MinCalibrationDev = 50

// MinEarlyStoppingDev is the fewest dev examples whose loss Train stops
// the linear heads' L-BFGS on (Options.Patience, keeping the iterate with
// the lowest dev loss); with fewer they are trained to convergence.
const MinEarlyStoppingDev = MinCalibrationDev

// Options configures Train. Zero values take the defaults noted.
type Options struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Labels fixes the label order; by default the sorted distinct labels.
	Labels []string `json:"labels,omitempty"`
	Seed   uint64   `json:"seed"`
	// DevFraction is the share of each label held out for development
	// (model selection, early stopping, calibration): 0.1.
	DevFraction float64 `json:"dev_fraction"`
	// TestFraction, when above 0, is the share of each stratum held out as
	// a test split that nothing is chosen or tuned on: its figures are
	// only reported.
	TestFraction float64 `json:"test_fraction,omitempty"`
	// NearDupJaccard, when above 0, groups near-duplicate examples (word
	// trigram Jaccard similarity at least this; DefaultNearDupJaccard is
	// 0.3) and keeps each group on one side of the split, so that dev and
	// test hold no rewrite of a training article.
	NearDupJaccard float64 `json:"near_dup_jaccard,omitempty"`
	// StratifyBySource stratifies dev and test by source file (the file
	// part of Example.Source) as well as by label.
	StratifyBySource bool `json:"stratify_by_source,omitempty"`
	// Checks are further labeled sets every variant is measured on, for
	// the record only (like the test split): say, articles of another
	// publisher with their topics mapped onto the labels. Labels a model
	// does not know count as errors.
	Checks []CheckSet `json:"-"`
	// ExtraTrain are examples added to the training split only, after
	// the split and never to dev or test: pseudo-labeled articles for
	// self-training (see SelfTrainExamples).
	ExtraTrain []Example `json:"-"`
	// Variants to train: base heads (lr, hash, joint, mlp) or ensembles of
	// them joined by "+". The one with the best dev accuracy becomes the
	// model (see MinGain). DefaultVariants if empty.
	Variants []string `json:"variants"`
	// L2 is the grid of L2 strengths for the embedding logistic
	// regression: {1e-5, 1e-4, 1e-3}. The best by dev loss is kept.
	L2 []float64 `json:"l2"`
	// MinGain is how much more dev accuracy a variant with more heads must
	// reach to be chosen over one with fewer: 0.005. Negative: none.
	MinGain float64 `json:"min_gain"`
	// HashBits sets 2^HashBits hashed word buckets: 18.
	HashBits int `json:"hash_bits"`
	// HashL2 is the L2 grid of the word model: {1e-6, 3e-6, 1e-5}.
	HashL2 []float64 `json:"hash_l2"`
	// HashNoIDF turns off the inverse-document-frequency weighting of
	// the hashed words.
	HashNoIDF bool `json:"hash_no_idf,omitempty"`
	// HashTrigrams adds word trigrams to the hashed features, and
	// HashChars (3 or more) the words' character n-grams of lengths 3 to
	// HashChars: see Hashing.
	HashTrigrams bool `json:"hash_trigrams,omitempty"`
	HashChars    int  `json:"hash_chars,omitempty"`
	// MaxIter bounds L-BFGS iterations: 300.
	MaxIter int `json:"max_iter"`
	// Patience stops L-BFGS when the dev loss has not improved for this
	// many iterations: 50. Not used below MinEarlyStoppingDev dev examples.
	Patience int `json:"patience"`
	// MLP settings: hidden width 256, 40 epochs, batches of 64, AdamW
	// learning rate 1e-3, weight decay 1e-4, dropout 0.2, patience 4.
	MLPHidden      int     `json:"mlp_hidden"`
	MLPEpochs      int     `json:"mlp_epochs"`
	MLPBatch       int     `json:"mlp_batch"`
	MLPLR          float64 `json:"mlp_lr"`
	MLPWeightDecay float64 `json:"mlp_weight_decay"`
	MLPDropout     float64 `json:"mlp_dropout"`
	MLPPatience    int     `json:"mlp_patience"`
	// EncoderID names the encoder (inference.ModelID); taken from the
	// embedder's ModelID method when empty.
	EncoderID string `json:"encoder_id"`
	// ZeroShot, when set, is measured on the dev split as a baseline.
	ZeroShot []TopicDef `json:"zero_shot,omitempty"`

	// Command and Sources are recorded in the artifact.
	Command string   `json:"-"`
	Sources []string `json:"-"`
	// Dedup, when the caller deduplicated already, is recorded too.
	Dedup *DedupStats `json:"-"`
	// Progress, when set, is called as work advances: stage names a step
	// ("embed", "train lr", …), done of total.
	Progress func(stage string, done, total int) `json:"-"`
	// Log, when set, receives one human-readable line per result.
	Log io.Writer `json:"-"`
}

func (o *Options) defaults() {
	if o.DevFraction == 0 {
		o.DevFraction = 0.1
	}
	if len(o.Variants) == 0 {
		o.Variants = slices.Clone(DefaultVariants)
	}
	if len(o.L2) == 0 {
		o.L2 = []float64{1e-5, 1e-4, 1e-3}
	}
	if o.MinGain == 0 {
		o.MinGain = 0.005
	}
	if o.HashBits == 0 {
		o.HashBits = 18
	}
	if len(o.HashL2) == 0 {
		o.HashL2 = []float64{1e-6, 3e-6, 1e-5}
	}
	if o.MaxIter == 0 {
		o.MaxIter = 300
	}
	if o.Patience == 0 {
		o.Patience = 50
	}
	if o.MLPHidden == 0 {
		o.MLPHidden = 256
	}
	if o.MLPEpochs == 0 {
		o.MLPEpochs = 40
	}
	if o.MLPBatch == 0 {
		o.MLPBatch = 64
	}
	if o.MLPLR == 0 {
		o.MLPLR = 1e-3
	}
	if o.MLPWeightDecay == 0 {
		o.MLPWeightDecay = 1e-4
	}
	if o.MLPDropout == 0 {
		o.MLPDropout = 0.2
	}
	if o.MLPPatience == 0 {
		o.MLPPatience = 4
	}
	if o.Name == "" {
		o.Name = "topic"
	}
	if o.Version == "" {
		o.Version = "1"
	}
}

// Report says what Train did.
type Report struct {
	Dedup DedupStats `json:"dedup"`
	Train int        `json:"train_examples"`
	Dev   int        `json:"dev_examples"`
	Test  int        `json:"test_examples,omitempty"`
	// NearDup counts near-duplicates, when looked for.
	NearDup *NearDupStats `json:"near_duplicates,omitempty"`
	// Variants lists the dev results of everything trained, grid points
	// included; Chosen names the variant that became the model.
	Variants []Variant `json:"variants"`
	Chosen   string    `json:"chosen"`
	// Dev are the chosen model's dev metrics, with the weights as stored.
	DevMetrics Metrics `json:"dev_metrics"`
	// HeldOut are the chosen model's metrics on the test split and the
	// check sets, for the record: nothing was chosen by them.
	HeldOut []HeldMetrics `json:"held_out_metrics,omitempty"`
	// ZeroShot is the zero-shot baseline's dev result, when asked for.
	ZeroShot     *Variant `json:"zero_shot,omitempty"`
	EmbedSeconds float64  `json:"embed_seconds"`
	TotalSeconds float64  `json:"total_seconds"`
}

// trained is a candidate head with its dev log-probabilities.
type trained struct {
	head    *Head
	devLP   [][]float64
	heldLP  [][][]float64 // per held-out set
	seconds float64
	v       Variant
	l2      float64 // the chosen L2 strength of a linear head
}

// Train deduplicates examples, splits them (stratified, seeded) into train
// and dev, embeds them, trains the variants of opts and returns the one
// with the best dev accuracy (preferring fewer heads within
// Options.MinGain) as a model, its temperature calibrated on dev (given
// MinCalibrationDev dev examples). The same examples, options and
// embeddings give the same model.
func Train(ctx context.Context, emb Embedder, examples []Example, opts Options) (*Model, *Report, error) {
	start := time.Now()
	opts.defaults()
	progress := func(stage string, done, total int) {
		if opts.Progress != nil {
			opts.Progress(stage, done, total)
		}
	}
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, format+"\n", args...)
		}
	}
	if opts.EncoderID == "" {
		if id, ok := emb.(interface{ ModelID() string }); ok {
			opts.EncoderID = id.ModelID()
		}
	}
	for _, v := range opts.Variants {
		parts := strings.Split(v, "+")
		for i, p := range parts {
			if !slices.Contains(baseVariants, p) || slices.Contains(parts[:i], p) {
				return nil, nil, fmt.Errorf("topic: unknown variant %q: give one of %s or several joined by +", v, strings.Join(baseVariants, ", "))
			}
		}
	}
	sp, err := SplitExamples(examples, opts)
	if err != nil {
		return nil, nil, err
	}
	all, trainEx, devEx, labels, dedup := sp.All, sp.Train, sp.Dev, sp.Labels, sp.Dedup
	if len(opts.ExtraTrain) > 0 {
		trainEx = slices.Clone(trainEx)
		for _, ex := range opts.ExtraTrain {
			ex.Text, ex.Label = Normalize(ex.Text), strings.TrimSpace(ex.Label)
			if ex.Text == "" || !slices.Contains(labels, ex.Label) {
				return nil, nil, fmt.Errorf("topic: extra training example %s: empty text or unknown label %q", ex.Source, ex.Label)
			}
			trainEx = append(trainEx, ex)
		}
		logf("extra training examples: %d (training split only)", len(opts.ExtraTrain))
	}
	labelIdx := map[string]int{}
	for i, l := range labels {
		labelIdx[l] = i
	}
	logf("data: %d examples after deduplication (%d duplicates, %d conflicting dropped); train %d, dev %d, test %d",
		len(all), dedup.Duplicates, dedup.Conflicts, len(trainEx), len(devEx), len(sp.Test))
	if nd := sp.NearDup; nd != nil {
		logf("near-duplicates (word-trigram Jaccard >= %g): %d pairs in %d clusters of %d examples, each cluster on one side; held-out examples with a near-duplicate in train: %d",
			nd.Threshold, nd.Pairs, nd.Clusters, nd.Clustered, nd.Leaked)
	}
	rep := &Report{Dedup: dedup, Train: len(trainEx), Dev: len(devEx), Test: len(sp.Test), NearDup: sp.NearDup}
	sets := heldSets(sp.Test, opts.Checks)

	yOf := func(exs []Example) []int {
		y := make([]int, len(exs))
		for i, ex := range exs {
			y[i] = labelIdx[ex.Label]
		}
		return y
	}
	textsOf := func(exs []Example) []string {
		t := make([]string, len(exs))
		for i, ex := range exs {
			t[i] = ex.Text
		}
		return t
	}
	yTr, yDev := yOf(trainEx), yOf(devEx)
	tTr, tDev := textsOf(trainEx), textsOf(devEx)
	K := len(labels)

	need := map[string]bool{}
	for _, v := range opts.Variants {
		for _, part := range strings.Split(v, "+") {
			need[part] = true
		}
	}
	needEmb := need[VariantLR] || need[VariantMLP] || need[VariantJoint] || len(opts.ZeroShot) > 0

	var xTr, xDev [][]float32
	dim := 0
	if needEmb {
		t0 := time.Now()
		texts := append(slices.Clone(tTr), tDev...)
		for _, hs := range sets {
			texts = append(texts, hs.texts...)
		}
		vecs, err := embedAll(ctx, emb, texts, func(done, total int) { progress("embed", done, total) })
		if err != nil {
			return nil, nil, err
		}
		xTr, xDev = vecs[:len(tTr)], vecs[len(tTr):len(tTr)+len(tDev)]
		rest := vecs[len(tTr)+len(tDev):]
		for _, hs := range sets {
			hs.x, rest = rest[:len(hs.texts)], rest[len(hs.texts):]
		}
		dim = len(vecs[0])
		rep.EmbedSeconds = time.Since(t0).Seconds()
		logf("embed: %d texts in %.1fs", len(vecs), rep.EmbedSeconds)
	}
	hashing := Hashing{Bits: opts.HashBits, Bigrams: true, IDF: !opts.HashNoIDF, Trigrams: opts.HashTrigrams, Chars: opts.HashChars}
	var sTr, sDev []sparseVec
	var idf []float32
	if need[VariantHash] || need[VariantJoint] {
		if hashing.IDF {
			idf = hashing.computeIDF(tTr)
		}
		sTr, sDev = hashing.featurizeAll(tTr, idf), hashing.featurizeAll(tDev, idf)
		for _, hs := range sets {
			hs.s = hashing.featurizeAll(hs.texts, idf)
		}
	}
	// onSets applies a head's logits to every held-out set.
	onSets := func(logits func(x [][]float32, s []sparseVec) [][]float64) [][][]float64 {
		out := make([][][]float64, len(sets))
		for i, hs := range sets {
			out[i] = logProbsOf(logits(hs.x, hs.s))
		}
		return out
	}

	heads := map[string]*trained{}
	// addVariant scores a variant's dev logits z, and its held-out ones
	// held (one per set, nil when not measured) for the record.
	addVariant := func(name string, z [][]float64, held [][][]float64, secs float64, notes string) Variant {
		t := fitTemperature(z, yDev)
		m := Evaluate(labels, tDevLabels(devEx), predictionsOf(labels, z, t))
		v := Variant{Name: name, Accuracy: m.Accuracy, MacroF1: m.MacroF1, LogLoss: m.LogLoss, ECE: m.ECE, Seconds: secs, Notes: notes}
		if held != nil {
			v.Held = heldScores(labels, sets, held, t)
		}
		rep.Variants = append(rep.Variants, v)
		logf("dev %-28s acc %.4f  macro-F1 %.4f  log-loss %.4f  ECE %.4f  (%.1fs) %s %s", name, v.Accuracy, v.MacroF1, v.LogLoss, v.ECE, secs, notes, heldSummary(v.Held))
		return v
	}
	// Early stopping keeps the L-BFGS iterate with the lowest dev loss.
	// On a dev split of a few examples (below MinEarlyStoppingDev; the
	// smallest sets hold out one per label) that loss is noise: one
	// ambiguous dev example that a well-fitted head gets confidently
	// wrong makes the first step from zero, which mostly predicts the
	// most frequent label, the "best" iterate, and the model collapses
	// (active learning on 8 to ~100 AG News labels: accuracy 0.25-0.45
	// against ~0.8 the round before). On small sets the embedding head
	// is therefore fitted by fitSmall, to convergence, with
	// cross-validation in place of the dev split; heads with hashed word
	// features train to convergence on the train split, regularised by
	// their L2 alone, since cross-validating their 2^18 buckets costs
	// ten times as much (a small fine-tune of lr+hash took minutes).
	// Larger sets (the built-in model's dev has ~1,800) are unchanged.
	earlyStopDev := func(xdv design) design {
		if len(yDev) < MinEarlyStoppingDev {
			return design{}
		}
		return xdv
	}
	// fitSmall is fitLinear for the embedding head on a small set: cvFit
	// over train and dev together. The head is fitted on every example;
	// its dev scores are the out-of-fold ones, so the choices below
	// between heads and ensemble weights stay honest.
	fitSmall := func(name string, xtr, xdv design, grid []float64, l2s func(lam float64) (dense, sparse float64)) (*trained, error) {
		t0 := time.Now()
		progress("train "+name, 0, 1)
		lo := linearOptions{MaxIter: opts.MaxIter}
		lin, lam, oof, err := cvFit(ctx, K, xtr.concat(xdv), append(slices.Clone(yTr), yDev...), smallSetGrid(grid), l2s, lo)
		if err != nil {
			return nil, err
		}
		progress("train "+name, 1, 1)
		z := oof[len(yTr):]
		secs := time.Since(t0).Seconds()
		dense, sparse := l2s(lam)
		held := onSets(func(x [][]float32, _ []sparseVec) [][]float64 { return lin.logits(design{Dense: x, D: xtr.D}) })
		v := addVariant(fmt.Sprintf("%s l2=%g/%g", name, dense, sparse), slices.Clone(z), held, secs,
			fmt.Sprintf("small set: L2 by %d-fold cross-validation over all %d examples, fitted on all; dev scores out-of-fold", min(smallSetFolds, len(oof)), len(oof)))
		h := &Head{Name: name, Kind: HeadLinear, Embedding: true, Weight: 1, lin: lin}
		return &trained{head: h, devLP: logProbsOf(z), heldLP: held, seconds: secs, v: v, l2: lam}, nil
	}
	// fitLinear trains a logistic regression for each L2 strength of grid
	// and keeps the one with the lowest dev loss.
	fitLinear := func(name string, xtr, xdv design, grid []float64, l2s func(lam float64) (dense, sparse float64)) (*trained, error) {
		if len(yDev) < MinEarlyStoppingDev && xtr.S == 0 {
			return fitSmall(name, xtr, xdv, grid, l2s)
		}
		var best *trained
		bestLoss := math.Inf(1)
		for _, lam := range grid {
			t0 := time.Now()
			lin := newLinear(K, xtr.D, xtr.S)
			lo := linearOptions{MaxIter: opts.MaxIter, Patience: opts.Patience,
				Progress: func(i, n int) { progress("train "+name, i, n) }}
			lo.L2Dense, lo.L2Sparse = l2s(lam)
			lg, err := trainLinear(ctx, lin, xtr, yTr, earlyStopDev(xdv), yDev, lo)
			if err != nil {
				return nil, err
			}
			z := lin.logits(xdv)
			secs := time.Since(t0).Seconds()
			held := onSets(func(x [][]float32, s []sparseVec) [][]float64 {
				xs := design{D: xtr.D, S: xtr.S}
				if xtr.D > 0 {
					xs.Dense = x
				}
				if xtr.S > 0 {
					xs.Sparse = s
				}
				return lin.logits(xs)
			})
			v := addVariant(fmt.Sprintf("%s l2=%g/%g", name, lo.L2Dense, lo.L2Sparse), slices.Clone(z), held, secs,
				fmt.Sprintf("L-BFGS %d it, stop: %s, best it %d", lg.Iterations, lg.Stop, lg.BestIter))
			if l := meanNLL(z, yDev); l < bestLoss {
				bestLoss = l
				h := &Head{Name: name, Kind: HeadLinear, Embedding: xtr.D > 0, Weight: 1, lin: lin}
				if xtr.S > 0 {
					hh := hashing
					h.Hashing, h.idf = &hh, idf
				}
				best = &trained{head: h, devLP: logProbsOf(z), heldLP: held, seconds: secs, v: v, l2: lam}
			}
		}
		return best, nil
	}
	if need[VariantLR] {
		tr, err := fitLinear(VariantLR, design{Dense: xTr, D: dim}, design{Dense: xDev, D: dim}, opts.L2, func(l float64) (float64, float64) { return l, 0 })
		if err != nil {
			return nil, nil, err
		}
		heads[VariantLR] = tr
	}
	if need[VariantHash] {
		S := hashing.Buckets()
		tr, err := fitLinear(VariantHash, design{Sparse: sTr, S: S}, design{Sparse: sDev, S: S}, opts.HashL2, func(l float64) (float64, float64) { return 0, l })
		if err != nil {
			return nil, nil, err
		}
		heads[VariantHash] = tr
	}
	if need[VariantJoint] {
		// The embedding block keeps the L2 chosen for lr (the middle of
		// its grid without lr); the word block.s L2 runs over its grid.
		denseL2 := opts.L2[len(opts.L2)/2]
		if tr, ok := heads[VariantLR]; ok {
			denseL2 = tr.l2
		}
		S := hashing.Buckets()
		tr, err := fitLinear(VariantJoint, design{Dense: xTr, Sparse: sTr, D: dim, S: S}, design{Dense: xDev, Sparse: sDev, D: dim, S: S}, opts.HashL2, func(l float64) (float64, float64) { return denseL2, l })
		if err != nil {
			return nil, nil, err
		}
		heads[VariantJoint] = tr
	}
	if need[VariantMLP] {
		t0 := time.Now()
		rng := rand.New(rand.NewPCG(opts.Seed, 0x6d6c7069))
		mm := newMLP(dim, opts.MLPHidden, K, rng)
		lg, err := trainMLP(ctx, mm, xTr, yTr, xDev, yDev, mlpOptions{
			Epochs: opts.MLPEpochs, Batch: opts.MLPBatch, LR: opts.MLPLR, WeightDecay: opts.MLPWeightDecay,
			Dropout: opts.MLPDropout, Patience: opts.MLPPatience, Seed: opts.Seed,
			Progress: func(e, n int) { progress("train mlp", e, n) },
		})
		if err != nil {
			return nil, nil, err
		}
		z := mm.logits(xDev)
		secs := time.Since(t0).Seconds()
		held := onSets(func(x [][]float32, _ []sparseVec) [][]float64 { return mm.logits(x) })
		v := addVariant(fmt.Sprintf("mlp hidden=%d", opts.MLPHidden), slices.Clone(z), held, secs, fmt.Sprintf("hidden %d, %d epochs, best epoch %d, stop: %s", opts.MLPHidden, lg.Epochs, lg.BestEpoch, lg.Stop))
		heads[VariantMLP] = &trained{head: &Head{Name: VariantMLP, Kind: HeadMLP, Embedding: true, Hidden: opts.MLPHidden, Weight: 1, mlp: mm}, devLP: logProbsOf(z), heldLP: held, seconds: secs, v: v}
	}

	// Candidates: the single heads, then ensembles with weights on a grid.
	var cands []candidate
	for _, name := range opts.Variants {
		parts := strings.Split(name, "+")
		if len(parts) == 1 {
			tr := heads[name]
			v := tr.v
			v.Name, v.Notes = name, "the grid point above with the lowest dev loss before calibration: "+tr.v.Name
			rep.Variants = append(rep.Variants, v)
			cands = append(cands, candidate{name: name, heads: []*Head{tr.head}, weights: []float64{1}, v: v})
			continue
		}
		var lps [][][]float64
		var hs []*Head
		var secs float64
		heldParts := make([][][][]float64, len(sets)) // set → head → rows
		for _, p := range parts {
			for i := range sets {
				heldParts[i] = append(heldParts[i], heads[p].heldLP[i])
			}
			lps = append(lps, heads[p].devLP)
			hs = append(hs, heads[p].head)
			secs += heads[p].seconds
		}
		var best *candidate
		for _, w := range weightGrid(len(parts)) {
			z := combine(lps, w, len(yDev), K)
			acc, loss := accuracyOf(z, yDev), meanNLL(z, yDev)
			if best == nil || acc > best.v.Accuracy || (acc == best.v.Accuracy && loss < best.v.LogLoss) {
				best = &candidate{name: name, heads: hs, weights: w, v: Variant{Accuracy: acc, LogLoss: loss}}
			}
		}
		z := combine(lps, best.weights, len(yDev), K)
		held := make([][][]float64, len(sets))
		for i, hs := range sets {
			held[i] = combine(heldParts[i], best.weights, len(hs.texts), K)
		}
		best.v = addVariant(name, z, held, secs, fmt.Sprintf("weights %v", best.weights))
		cands = append(cands, *best)
	}
	ci, bi := choose(cands, max(opts.MinGain, 0))
	chosen, best := cands[ci], cands[bi]
	rep.Chosen = chosen.name
	logf("chosen: %s (best dev accuracy: %s %.4f; fewer heads are preferred within %.4f)", chosen.name, best.name, best.v.Accuracy, opts.MinGain)

	m := &Model{Meta: Meta{
		Format: Format, Name: opts.Name, Version: opts.Version, Labels: slices.Clone(labels),
		EncoderID: opts.EncoderID, EncoderDim: dim, Normalizer: NormalizerVersion,
		CreatedAt: time.Now().UTC().Truncate(time.Second), Temperature: 1,
	}}
	for i, h := range chosen.heads {
		hh := *h
		hh.Weight = chosen.weights[i]
		m.Heads = append(m.Heads, &hh)
	}
	// Round-trip the weights through their stored precision before
	// calibrating and measuring, so the figures are those of the artifact.
	if err := m.quantize(); err != nil {
		return nil, nil, err
	}
	progress("calibrate", 0, 1)
	devFeats := map[*Head][]sparseVec{}
	for _, h := range m.Heads {
		if h.Hashing != nil {
			devFeats[h] = sDev
			if h.idf != nil { // as stored
				devFeats[h] = h.Hashing.featurizeAll(tDev, h.idf)
			}
		}
	}
	// A dev set of a few examples, typically all classified right, drives
	// the fit to its 0.05 bound: every prediction then looks certain and
	// the review queue of a model trained on a small seed set gets
	// nothing. Below MinCalibrationDev the heads' own scale is kept.
	if len(devEx) >= MinCalibrationDev {
		m.Temperature = fitTemperature(m.scores(xDev, devFeats, len(devEx)), yDev)
	}
	progress("calibrate", 1, 1)
	probs := m.probabilities(xDev, devFeats, len(devEx))
	preds := make([]Prediction, len(probs))
	for i, p := range probs {
		preds[i] = m.prediction(p)
	}
	rep.DevMetrics = Evaluate(labels, tDevLabels(devEx), preds)
	logf("model: dev acc %.4f  macro-F1 %.4f  ECE %.4f  temperature %.3f", rep.DevMetrics.Accuracy, rep.DevMetrics.MacroF1, rep.DevMetrics.ECE, m.Temperature)
	for _, hs := range sets {
		feats := map[*Head][]sparseVec{}
		for _, h := range m.Heads {
			if h.Hashing != nil {
				feats[h] = h.Hashing.featurizeAll(hs.texts, h.idf)
			}
		}
		var ps []Prediction
		for _, p := range m.probabilities(hs.x, feats, len(hs.texts)) {
			ps = append(ps, m.prediction(p))
		}
		hm := HeldMetrics{Set: hs.name, Metrics: Evaluate(labels, hs.gold, ps)}
		rep.HeldOut = append(rep.HeldOut, hm)
		logf("model: %s acc %.4f  macro-F1 %.4f  (%d examples; for the record, not tuned on)", hs.name, hm.Accuracy, hm.MacroF1, hm.N)
	}

	if len(opts.ZeroShot) > 0 {
		zs, v, err := ZeroShotDev(ctx, emb, opts.ZeroShot, opts.EncoderID, labels, xDev, yDev)
		if err != nil {
			return nil, nil, err
		}
		_ = zs
		rep.ZeroShot = &v
		logf("dev %-28s acc %.4f  macro-F1 %.4f  log-loss %.4f  ECE %.4f  %s", v.Name, v.Accuracy, v.MacroF1, v.LogLoss, v.ECE, v.Notes)
	}
	rep.TotalSeconds = time.Since(start).Seconds()
	opts2 := opts
	m.Training = &Training{
		Command: opts.Command, Seed: opts.Seed, Options: &opts2,
		DataHash: DataHash(all), TrainHash: DataHash(trainEx), DevHash: DataHash(devEx),
		Test: len(sp.Test), NearDup: sp.NearDup,
		DataSources: opts.Sources, Dedup: &dedup, Train: len(trainEx), Dev: len(devEx),
		TrainCounts: labelCounts(trainEx), DevCounts: labelCounts(devEx),
		Seconds: math.Round(rep.TotalSeconds*10) / 10, GoVersion: runtime.Version(),
	}
	dm := rep.DevMetrics
	m.Metrics = &dm
	m.HeldOut = slices.Clone(rep.HeldOut)
	if len(sp.Test) > 0 {
		m.Training.TestHash, m.Training.TestCounts = DataHash(sp.Test), labelCounts(sp.Test)
	}
	m.Variants = slices.Clone(rep.Variants)
	if rep.ZeroShot != nil {
		m.Variants = append(m.Variants, *rep.ZeroShot)
	}
	return m, rep, nil
}

func tDevLabels(exs []Example) []string {
	out := make([]string, len(exs))
	for i, ex := range exs {
		out[i] = ex.Label
	}
	return out
}

func logProbsOf(z [][]float64) [][]float64 {
	out := make([][]float64, len(z))
	for i, zi := range z {
		lse := logSumExp(zi)
		out[i] = make([]float64, len(zi))
		for k, v := range zi {
			out[i][k] = v - lse
		}
	}
	return out
}

// weightGrid lists ensemble weights in steps of 0.1 that sum to 1, each
// at least 0.1.
func weightGrid(n int) [][]float64 {
	var out [][]float64
	var rec func(prefix []float64, left int)
	rec = func(prefix []float64, left int) {
		if len(prefix) == n-1 {
			if left >= 1 {
				w := append(slices.Clone(prefix), float64(left)/10)
				out = append(out, w)
			}
			return
		}
		for k := 1; k < left; k++ {
			rec(append(prefix, float64(k)/10), left-k)
		}
	}
	rec(nil, 10)
	return out
}

// embedAll embeds texts in chunks, reporting progress.
func embedAll(ctx context.Context, emb Embedder, texts []string, progress func(done, total int)) ([][]float32, error) {
	const chunk = 512
	out := make([][]float32, 0, len(texts))
	progress(0, len(texts))
	for start := 0; start < len(texts); start += chunk {
		end := min(start+chunk, len(texts))
		vecs, err := emb.Embed(ctx, texts[start:end])
		if err != nil {
			return nil, err
		}
		if len(vecs) != end-start {
			return nil, fmt.Errorf("topic: got %d embeddings for %d texts", len(vecs), end-start)
		}
		for _, v := range vecs {
			if len(v) == 0 || len(v) != len(vecs[0]) {
				return nil, errors.New("topic: embeddings of different widths")
			}
		}
		out = append(out, vecs...)
		progress(end, len(texts))
	}
	return out, nil
}

// quantize rounds the heads' weights to their stored precision.
func (m *Model) quantize() error {
	blob, tensors := m.encode()
	meta := m.Meta
	meta.Tensors = tensors
	q, err := decode(meta, blob)
	if err != nil {
		return err
	}
	m.Heads = q.Heads
	return nil
}

// ZeroShotDev builds the zero-shot model of defs and measures it on the
// embedded dev examples, twice: with the default scale and with the scale
// fitted on dev. It returns the model with the default scale.
func ZeroShotDev(ctx context.Context, emb Embedder, defs []TopicDef, encoderID string, labels []string, xDev [][]float32, yDev []int) (*Model, Variant, error) {
	zs, err := NewZeroShot(ctx, emb, defs, ZeroShotOptions{EncoderID: encoderID})
	if err != nil {
		return nil, Variant{}, err
	}
	// Map the zero-shot labels onto the trained label order.
	perm := make([]int, len(labels))
	for k, l := range labels {
		perm[k] = slices.Index(zs.Labels, l)
		if perm[k] < 0 {
			return nil, Variant{}, fmt.Errorf("topic: zero-shot topics %q do not cover label %q", zs.Labels, l)
		}
	}
	h := zs.Heads[0]
	z := make([][]float64, len(xDev))
	for i, x := range xDev {
		z[i] = make([]float64, len(labels))
		for k := range labels {
			z[i][k] = float64(dot32(h.proto[perm[k]], x))
		}
	}
	eval := func(scale float64) Metrics {
		preds := make([]Prediction, len(z))
		for i, zi := range z {
			p := softmaxT(zi, 1/scale)
			b := argmax(p)
			preds[i] = Prediction{Label: labels[b], Confidence: p[b], Scores: map[string]float64{}}
			for k, l := range labels {
				preds[i].Scores[l] = p[k]
			}
		}
		gold := make([]string, len(yDev))
		for i, y := range yDev {
			gold[i] = labels[y]
		}
		return Evaluate(labels, gold, preds)
	}
	def := eval(DefaultZeroShotScale)
	fitted := 1 / fitTemperature(z, yDev)
	fm := eval(fitted)
	v := Variant{Name: "zero-shot", Accuracy: def.Accuracy, MacroF1: def.MacroF1, LogLoss: def.LogLoss, ECE: def.ECE,
		Notes: fmt.Sprintf("cosine to label definitions, scale %g; with the scale fitted on dev (%.1f): log-loss %.4f, ECE %.4f", float64(DefaultZeroShotScale), fitted, fm.LogLoss, fm.ECE)}
	return zs, v, nil
}

// Split is the data of a training run.
type Split struct {
	// All are the examples after normalisation and deduplication; Train
	// and Dev partition them.
	All, Train, Dev []Example
	// Test is the held-out test split (Options.TestFraction), if any.
	Test   []Example
	Labels []string
	Dedup  DedupStats
	// NearDup counts the near-duplicates found (Options.NearDupJaccard).
	NearDup *NearDupStats
}

// SplitExamples normalises and deduplicates examples and splits them into
// train and dev exactly as Train does with the same options (DevFraction,
// Seed, Labels, Dedup).
func SplitExamples(examples []Example, opts Options) (*Split, error) {
	opts.defaults()
	norm := make([]Example, len(examples))
	for i, ex := range examples {
		ex.Text = Normalize(ex.Text)
		ex.Label = strings.TrimSpace(ex.Label)
		if ex.Text == "" || ex.Label == "" {
			return nil, fmt.Errorf("topic: example %d (%s) has an empty text or label", i, ex.Source)
		}
		norm[i] = ex
	}
	all, dedup := Dedupe(norm)
	if opts.Dedup != nil {
		d := *opts.Dedup
		d.Duplicates += dedup.Duplicates
		d.Conflicts += dedup.Conflicts
		d.Out = dedup.Out
		dedup = d
	}
	labels := slices.Clone(opts.Labels)
	if len(labels) == 0 {
		labels = Labels(all)
	}
	known := map[string]bool{}
	for _, l := range labels {
		known[l] = true
	}
	for _, ex := range all {
		if !known[ex.Label] {
			return nil, fmt.Errorf("topic: %s: label %q is not one of %q", ex.Source, ex.Label, labels)
		}
	}
	if len(labels) < 2 {
		return nil, errors.New("topic: training needs at least two labels")
	}
	var trainEx, devEx, testEx []Example
	var nd *NearDupStats
	if opts.TestFraction > 0 || opts.NearDupJaccard > 0 || opts.StratifyBySource {
		clusters := make([][]int, len(all))
		for i := range clusters {
			clusters[i] = []int{i}
		}
		if opts.NearDupJaccard > 0 {
			nd = &NearDupStats{Threshold: opts.NearDupJaccard}
			clusters, nd.Pairs = NearDuplicateClusters(all, opts.NearDupJaccard)
			for _, c := range clusters {
				if len(c) > 1 {
					nd.Clusters++
					nd.Clustered += len(c)
				}
			}
		}
		trainEx, devEx, testEx = heldOutSplit(all, clusters, opts.DevFraction, opts.TestFraction, opts.Seed, opts.StratifyBySource)
		if nd != nil {
			nd.Leaked = NearDupLeaks(trainEx, append(slices.Clone(devEx), testEx...), opts.NearDupJaccard)
		}
	} else {
		trainEx, devEx = StratifiedSplit(all, opts.DevFraction, opts.Seed)
	}
	if len(devEx) == 0 || len(trainEx) == 0 {
		return nil, fmt.Errorf("topic: %d examples are too few to split into train and dev", len(all))
	}
	counts := labelCounts(trainEx)
	for _, l := range labels {
		if counts[l] == 0 {
			return nil, fmt.Errorf("topic: label %q has no training example", l)
		}
	}
	return &Split{All: all, Train: trainEx, Dev: devEx, Test: testEx, Labels: labels, Dedup: dedup, NearDup: nd}, nil
}

// candidate is a variant that may become the model.
type candidate struct {
	name    string
	heads   []*Head
	weights []float64
	v       Variant
}

// choose returns the index of the best candidate by dev accuracy (ties:
// lower log loss) and of the one to keep: the one with the fewest heads
// (ties: the more accurate) among those within minGain of the best, since
// dev differences smaller than that are mostly noise.
func choose(cands []candidate, minGain float64) (chosen, best int) {
	for i, c := range cands {
		b := cands[best].v
		if c.v.Accuracy > b.Accuracy || (c.v.Accuracy == b.Accuracy && c.v.LogLoss < b.LogLoss) {
			best = i
		}
	}
	chosen = best
	for i, c := range cands {
		ch := cands[chosen]
		if c.v.Accuracy >= cands[best].v.Accuracy-minGain && (len(c.heads) < len(ch.heads) ||
			len(c.heads) == len(ch.heads) && c.v.Accuracy > ch.v.Accuracy) {
			chosen = i
		}
	}
	return chosen, best
}
