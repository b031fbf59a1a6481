package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/newsintel/newsintel/inference/activelearn"
	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

// benchActiveLearning is `newsintel bench active-learning`: it simulates
// the review loop on AG News with an oracle reviewer (package
// activelearn) and reports, for each strategy, how many labels it needs
// to reach a fraction of the accuracy of training on the whole pool, and
// how that compares with random sampling in the same run.
func benchActiveLearning(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench active-learning", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "../shared/data/ag_news", "folder with the three AG News subsets")
	seedSize := fs.Int("seed-size", 40, "labels before the first round, the same number per topic")
	batch := fs.Int("batch", 40, "labels per round")
	rounds := fs.Int("rounds", 12, "rounds after the seed set")
	strategies := fs.String("strategies", strings.Join(activelearn.Strategies(), ","), "comma-separated strategies (random is always run, as the baseline)")
	seeds := fs.Int("seeds", 3, "runs per strategy, each from its own seed set; curves are averaged")
	firstSeed := fs.Int("first-seed", 1, "number of the first seed (runs use seeds first-seed … first-seed+seeds-1), to check a finding on seeds it was not tuned on")
	devFraction := fs.Float64("dev-fraction", 0.1, "share of each topic held out to measure accuracy")
	targets := fs.String("target", "0.95", "comma-separated targets, as fractions of the full-data accuracy")
	variants := fs.String("variants", topic.VariantLR, "topic.Train variants of every round (lr: the embedding head; the fine-tune trains lr+hash, which costs ~100x per round)")
	hashBits := fs.Int("hash-bits", 0, "log2 of the hashed word buckets (default: topic.Train's 18)")
	mix := fs.Float64("mix", store.DiversityMix, "diversity's weight on distance against priority (the claim's store.DiversityMix)")
	coldStart := fs.Int("cold-start", classify.ColdStartPerTopic, "labels per topic below which diversity picks by coverage (the product's classify.ColdStartPerTopic)")
	cacheDir := fs.String("cache-dir", "", "embedding cache folder (default: $DATA_DIR/cache/embeddings; 'off' disables it)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	strats := []string{activelearn.Random}
	for _, s := range strings.Split(*strategies, ",") {
		if s = strings.TrimSpace(s); s == "" || slices.Contains(strats, s) {
			continue
		}
		if !slices.Contains(activelearn.Strategies(), s) {
			return fmt.Errorf("%w: unknown strategy %q (use %s)", errUsage, s, strings.Join(activelearn.Strategies(), ", "))
		}
		strats = append(strats, s)
	}
	var fractions []float64
	for _, f := range strings.Split(*targets, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || v <= 0 || v > 1 {
			return fmt.Errorf("%w: --target %q: want fractions in (0, 1]", errUsage, f)
		}
		fractions = append(fractions, v)
	}
	if fs.NArg() > 0 || *seeds < 1 || *firstSeed < 1 || *rounds < 1 || *batch < 1 || *mix < 0 || *mix > 1 || *coldStart < 0 {
		fs.Usage()
		return fmt.Errorf("%w: bench active-learning takes flags only; --seeds, --first-seed, --rounds and --batch ≥ 1, --mix in [0, 1], --cold-start ≥ 0", errUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	exs, _, err := topic.LoadAGNews(*data)
	if err != nil {
		return fmt.Errorf("bench active-learning: %w (set --data to the ag_news folder)", err)
	}
	emb, done, err := trainingEmbedder(ctx, cfg, *cacheDir, stderr)
	if err != nil {
		return err
	}
	defer done()
	texts := make([]string, len(exs))
	for i, ex := range exs {
		texts[i] = topic.Normalize(ex.Text)
	}
	vecs, err := embedWithProgress(ctx, emb, texts, stderr)
	if err != nil {
		return fmt.Errorf("bench active-learning: embed: %w", err)
	}
	d, err := activelearn.NewData(topic.AGNewsLabels, exs, vecs)
	if err != nil {
		return err
	}
	pool, dev := splitRows(d, *devFraction)
	tr := activelearn.TopicTrainer{Variants: strings.Split(*variants, ","), HashBits: *hashBits}
	fmt.Fprintf(stderr, "%d texts: pool %d, dev %d; training %s on the whole pool…\n", len(exs), len(pool), len(dev), *variants)
	t0 := time.Now()
	full, err := tr.Train(ctx, d, pool)
	if err != nil {
		return fmt.Errorf("bench active-learning: full-data model: %w", err)
	}
	fullPt, err := activelearn.Score(full, d, dev)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "full-data accuracy %.4f (%s)\n", fullPt.Accuracy, time.Since(t0).Round(time.Second))

	var curves []activelearn.Curve
	for _, s := range strats {
		for seed := *firstSeed; seed < *firstSeed+*seeds; seed++ {
			bar := newProgress(stderr, fmt.Sprintf("%-16s seed %d", s, seed))
			c, err := activelearn.Run(ctx, d, tr, activelearn.Config{Pool: pool, Dev: dev, SeedSize: *seedSize,
				Batch: *batch, Rounds: *rounds, Strategy: s, Seed: uint64(seed), Mix: *mix, ColdStartPerTopic: *coldStart,
				Progress: func(r, n int) { bar.Update(r, n) }})
			bar.Done()
			if err != nil {
				return err
			}
			curves = append(curves, c)
		}
	}
	sums, err := activelearn.Summarize(curves)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Active learning on AG News: %d-label seed set, batches of %d, %d rounds, %d seeds (%d–%d), %s, mix %g, cold start below %d per topic, dev %d texts.\n",
		*seedSize, *batch, *rounds, *seeds, *firstSeed, *firstSeed+*seeds-1, *variants, *mix, *coldStart, len(dev))
	for _, f := range fractions {
		fmt.Fprintln(stdout)
		if err := activelearn.Compare(sums, fullPt.Accuracy, f).Markdown(stdout); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "\nMean dev accuracy by labels (seed set included):")
	fmt.Fprintln(stdout)
	return activelearn.CurveMarkdown(stdout, sums)
}

// embedWithProgress embeds texts in chunks, drawing a progress bar (the
// first run embeds the whole corpus; later ones read the cache).
func embedWithProgress(ctx context.Context, emb topic.Embedder, texts []string, stderr io.Writer) ([][]float32, error) {
	const chunk = 256
	bar := newProgress(stderr, "embed     ")
	defer bar.Done()
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += chunk {
		bar.Update(start, len(texts))
		vecs, err := emb.Embed(ctx, texts[start:min(start+chunk, len(texts))])
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
	}
	bar.Update(len(texts), len(texts))
	return out, nil
}

// splitRows holds out fraction of each topic (seeded, stratified, as
// Train's dev split) as the dev rows; the rest is the pool.
func splitRows(d *activelearn.Data, fraction float64) (pool, dev []int) {
	_, devEx := topic.StratifiedSplit(d.Examples, fraction, 7)
	isDev := map[string]bool{}
	for _, ex := range devEx {
		isDev[ex.Key] = true
	}
	for i, ex := range d.Examples {
		if isDev[ex.Key] {
			dev = append(dev, i)
		} else {
			pool = append(pool, i)
		}
	}
	return pool, dev
}
