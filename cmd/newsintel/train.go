package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/embcache"
	"github.com/newsintel/newsintel/inference/topic"
)

// train is `newsintel train`: it trains a topic model on labeled texts and
// writes its artifact folder. With --agnews it is the recipe of the
// built-in model:
//
//	newsintel train --agnews ../shared/data/ag_news --out inference/topic/models/agnews-v2 --version 2 --seed 1 --variants lr,hash,mlp,lr+hash,mlp+hash,mlp+lr+hash --l2 1e-5 --hash-l2 1e-6 --head-margin 0
//
// and with --split random that of the older agnews-v1.
//
// --split honest (the default) measures a recipe as new articles would:
// see topic.Options.NearDupJaccard and TestFraction.
func train(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "CSV (with a header) or JSONL file of labeled texts")
	textCol := fs.String("text-col", "text", "text column (CSV) or field (JSONL) of --data")
	labelCol := fs.String("label-col", "label", "label column or field of --data")
	agnews := fs.String("agnews", "", "instead of --data: the folder with the three AG News subsets (deduplicated, four topics)")
	out := fs.String("out", "", "artifact folder to write")
	seed := fs.Uint64("seed", 1, "random seed: the dev split and every initialisation")
	name := fs.String("name", "", "model name (default: agnews, or the data file's name)")
	version := fs.String("version", "1", "model version")
	variants := fs.String("variants", "", "comma-separated variants to try: lr, hash, joint, mlp (default: all)")
	headMargin := fs.Float64("head-margin", 0.005, "dev accuracy a variant with more heads must gain to be kept over one with fewer (0: keep the best dev figure)")
	hashBits := fs.Int("hash-bits", 0, "log2 of the hashed word and bigram buckets (default 18)")
	l2 := fs.String("l2", "", "comma-separated L2 grid of the embedding heads (default 1e-5,1e-4,1e-3)")
	hashL2 := fs.String("hash-l2", "", "comma-separated L2 grid of the hashed-word heads (default 1e-6,3e-6,1e-5)")
	hashTrigrams := fs.Bool("hash-trigrams", false, "add word trigrams to the hashed features")
	hashChars := fs.Int("hash-chars", 0, "add the words' character n-grams of lengths 3 to this (0: none)")
	selfTrain := fs.String("self-train", "", "comma-separated JSONL files of unlabeled articles: train, label them, add the confident ones to the training split and train again")
	selfTrainMin := fs.Float64("self-train-min", 0.9, "the confidence at which an unlabeled article is added with its predicted label (--self-train)")
	cacheDir := fs.String("cache-dir", "", "embedding cache folder (default: $DATA_DIR/cache/embeddings; 'off' disables it)")
	reportPath := fs.String("report", "", "also write the training report as JSON to this file")
	split := fs.String("split", "honest", "with --agnews: honest (near-duplicates on one side, dev and test stratified by label and source file) or random (agnews-v1's stratified 10% dev split, no test)")
	testFraction := fs.Float64("test-fraction", -1, "share held out as a test split that nothing is tuned on (default: 0.1 with --agnews --split honest, else 0)")
	nearDup := fs.Float64("near-dup", -1, "word-trigram Jaccard at which examples count as near-duplicates, kept on one side of the split; 0 off (default: 0.3 with --agnews --split honest, else 0)")
	bbc := fs.String("bbc", "auto", "with --agnews: BBC News Summary JSONL measured as a check with its topics mapped (auto: ../bbc_news_summary/bbc_news_summary.jsonl beside DIR, if present; off: none)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if (*agnews == "") == (*data == "") || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: train needs --out and one of --data FILE or --agnews DIR", errUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}

	opts := topic.Options{Name: *name, Version: *version, Seed: *seed, HashBits: *hashBits, HashTrigrams: *hashTrigrams, HashChars: *hashChars, Log: stderr,
		EncoderID: inference.ModelID, Command: "GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go run ./cmd/newsintel train " + strings.Join(args, " ")}
	if *variants != "" {
		opts.Variants = strings.Split(*variants, ",")
	}
	if opts.MinGain, err = minGain(*headMargin); err != nil {
		return err
	}
	if opts.L2, err = floatList("--l2", *l2); err != nil {
		return err
	}
	if opts.HashL2, err = floatList("--hash-l2", *hashL2); err != nil {
		return err
	}
	var exs []topic.Example
	if *agnews != "" {
		var st topic.DedupStats
		if exs, st, err = topic.LoadAGNews(*agnews); err != nil {
			return err
		}
		opts.Dedup = &st
		opts.Labels = topic.AGNewsLabels
		opts.ZeroShot = topic.AGNewsTopics
		opts.Sources = []string{topic.AGNoisyFile + " (gt)", topic.AGFirstFile, topic.AGJointFile}
		if opts.Name == "" {
			opts.Name = "agnews"
		}
		// The honest split (issue 17): near-duplicates kept on one side,
		// dev and test stratified by label and source file, and a test
		// part that nothing is chosen on.
		switch *split {
		case "honest":
			opts.TestFraction, opts.NearDupJaccard, opts.StratifyBySource = 0.1, topic.DefaultNearDupJaccard, true
		case "random":
		default:
			return fmt.Errorf("%w: --split %q: want honest or random", errUsage, *split)
		}
		if err := addBBCCheck(&opts, *agnews, *bbc, stderr); err != nil {
			return err
		}
	} else {
		if exs, err = topic.LoadExamples(*data, *textCol, *labelCol); err != nil {
			return err
		}
		opts.Sources = []string{filepath.Base(*data)}
		if opts.Name == "" {
			opts.Name = strings.TrimSuffix(filepath.Base(*data), filepath.Ext(*data))
		}
	}
	if *testFraction >= 0 {
		opts.TestFraction = *testFraction
	}
	if *nearDup >= 0 {
		opts.NearDupJaccard = *nearDup
	}
	fmt.Fprintf(stderr, "%d labeled examples\n", len(exs))

	emb, done, err := reproducibleEmbedder(ctx, cfg, *cacheDir, stderr)
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	bars := map[string]*progress{}
	opts.Progress = func(stage string, n, total int) {
		bar, ok := bars[stage]
		if !ok {
			bar = newProgress(stderr, fmt.Sprintf("%-10s", stage))
			bars[stage] = bar
		}
		bar.Update(n, total)
		if n == total {
			bar.Done()
		}
	}
	m, rep, err := topic.Train(ctx, emb, exs, opts)
	if err != nil {
		return err
	}
	if *selfTrain != "" {
		if m, rep, err = selfTrainAgain(ctx, emb, exs, opts, m, strings.Split(*selfTrain, ","), *selfTrainMin, stderr); err != nil {
			return err
		}
	}
	if err := m.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\ndev metrics of the chosen variant, %s:\n%s\n", variantTable(rep), rep.Chosen, rep.DevMetrics.Table())
	for _, h := range rep.HeldOut {
		fmt.Fprintf(stdout, "%s metrics of %s (for the record: nothing was chosen or tuned on them):\n%s\n", h.Set, rep.Chosen, h.Metrics.Table())
	}
	fmt.Fprintf(stdout, "wrote %s in %s\n", *out, time.Since(start).Round(time.Second))
	if *reportPath != "" {
		return writeJSONFile(*reportPath, rep)
	}
	return nil
}

// eval is `newsintel eval --model DIR --data FILE`: accuracy, macro-F1,
// per-class precision and recall, the confusion matrix and calibration.
func eval(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modelDir := fs.String("model", "", "artifact folder of the topic model (\"default\": the built-in model)")
	data := fs.String("data", "", "CSV (with a header) or JSONL file of labeled texts")
	textCol := fs.String("text-col", "text", "text column or field")
	labelCol := fs.String("label-col", "label", "label column or field")
	asJSON := fs.Bool("json", false, "print the metrics as JSON")
	bbcFile := fs.String("bbc", "", "instead of --data: the BBC News Summary JSONL, its topics mapped onto AG News (the check of train --agnews)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *modelDir == "" || (*data == "") == (*bbcFile == "") || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: eval needs --model DIR and one of --data FILE or --bbc FILE", errUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	var m *topic.Model
	if *modelDir == "default" {
		m, err = topic.Default()
	} else {
		m, err = topic.Load(*modelDir)
	}
	if err != nil {
		return err
	}
	var exs []topic.Example
	if *bbcFile != "" {
		exs, err = topic.LoadBBCMapped(*bbcFile)
		*data = *bbcFile
	} else {
		exs, err = topic.LoadExamples(*data, *textCol, *labelCol)
	}
	if err != nil {
		return err
	}
	emb, done, err := trainingEmbedder(ctx, cfg, "off", stderr)
	if err != nil {
		return err
	}
	defer done()
	bar := newProgress(stderr, "classifying")
	metrics, _, err := topic.EvaluateModel(ctx, m, emb, exs, bar.Update)
	bar.Done()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(metrics)
	}
	fmt.Fprintf(stdout, "model %s %s on %s\n%s\n", m.Name, m.Version, *data, metrics.Table())
	return nil
}

// trainingEmbedder opens the encoder, with an on-disk embedding cache
// unless cacheDir is "off", for commands that embed whole data sets.
func trainingEmbedder(ctx context.Context, cfg config, cacheDir string, stderr io.Writer) (embcache.Embedder, func(), error) {
	return openEmbedder(ctx, cfg, cacheDir, false, stderr)
}

// reproducibleEmbedder is trainingEmbedder embedding one text per encoder
// call (embcache.PerText), so that every embedding, and so a model trained
// with a seed, is the same whatever the embedding cache held before: `train`.
func reproducibleEmbedder(ctx context.Context, cfg config, cacheDir string, stderr io.Writer) (embcache.Embedder, func(), error) {
	return openEmbedder(ctx, cfg, cacheDir, true, stderr)
}

func openEmbedder(ctx context.Context, cfg config, cacheDir string, perText bool, stderr io.Writer) (embcache.Embedder, func(), error) {
	dir, err := inference.EnsureModel(ctx, inference.FetchOptions{Dir: cfg.ModelDir, Progress: stderr})
	if err != nil {
		return nil, nil, err
	}
	enc, err := inference.Open(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	if cacheDir == "off" {
		if perText {
			return embcache.PerText{Inner: enc, Workers: runtime.GOMAXPROCS(0)}, func() { enc.Close() }, nil
		}
		return enc, func() { enc.Close() }, nil
	}
	if cacheDir == "" {
		cacheDir = filepath.Join(cfg.DataDir, "cache", "embeddings")
	}
	c, err := openCache(enc, inference.ModelID, cacheDir, perText)
	if err != nil {
		enc.Close()
		return nil, nil, err
	}
	return c, func() { c.Close(); enc.Close() }, nil
}

// openCache opens the embedding cache of encoder modelID in dir; with
// perText, one of embeddings made a text at a time, under its own key.
func openCache(enc embcache.Embedder, modelID, dir string, perText bool) (*embcache.Cache, error) {
	if perText {
		return embcache.Open(embcache.PerText{Inner: enc, Workers: runtime.GOMAXPROCS(0)}, embcache.PerTextID(modelID), dir)
	}
	return embcache.Open(enc, modelID, dir)
}

// minGain turns --head-margin into topic.Options.MinGain, where 0 means
// the default and a negative value none.
func minGain(margin float64) (float64, error) {
	switch {
	case margin < 0 || math.IsNaN(margin) || margin >= 1:
		return 0, fmt.Errorf("%w: --head-margin %g: want a dev accuracy difference from 0 to 1", errUsage, margin)
	case margin == 0:
		return -1, nil
	}
	return margin, nil
}

// floatList parses a comma-separated list of positive numbers; empty
// gives nil (the default).
func floatList(flagName, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%w: %s: %q is not a positive number", errUsage, flagName, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// selfTrainAgain labels the unlabeled articles of files with m, adds the
// ones predicted with at least minConf to the training split and trains
// again with the same options: one round of self-training.
func selfTrainAgain(ctx context.Context, emb topic.Embedder, exs []topic.Example, opts topic.Options, m *topic.Model, files []string, minConf float64, stderr io.Writer) (*topic.Model, *topic.Report, error) {
	var unlabeled []topic.Example
	for _, f := range files {
		u, err := topic.LoadUnlabeledNews(f, 60)
		if err != nil {
			return nil, nil, err
		}
		unlabeled = append(unlabeled, u...)
	}
	extra, err := topic.SelfTrainExamples(ctx, m, emb, unlabeled, minConf)
	if err != nil {
		return nil, nil, err
	}
	counts := map[string]int{}
	for _, ex := range extra {
		counts[ex.Label]++
	}
	fmt.Fprintf(stderr, "self-training: %d of %d unlabeled articles at confidence >= %g %v; training again\n", len(extra), len(unlabeled), minConf, counts)
	opts.ExtraTrain = extra
	for _, f := range files {
		opts.Sources = append(opts.Sources, filepath.Base(f)+fmt.Sprintf(" (unlabeled; %d pseudo-labeled at >= %g)", len(extra), minConf))
	}
	return topic.Train(ctx, emb, exs, opts)
}

// addBBCCheck adds the BBC News Summary articles, their categories mapped
// onto AG News labels, to opts.Checks: path, or with "auto" the file beside
// the AG News folder if there is one; "off" adds nothing.
func addBBCCheck(opts *topic.Options, agnewsDir, path string, stderr io.Writer) error {
	switch path {
	case "off", "":
		return nil
	case "auto":
		path = filepath.Join(agnewsDir, "..", "bbc_news_summary", "bbc_news_summary.jsonl")
		if _, err := os.Stat(path); err != nil {
			fmt.Fprintf(stderr, "no BBC check: %s not found\n", path)
			return nil
		}
	}
	exs, err := topic.LoadBBCMapped(path)
	if err != nil {
		return fmt.Errorf("BBC check: %w", err)
	}
	opts.Checks = append(opts.Checks, topic.CheckSet{Name: topic.BBCCheckName, Examples: exs})
	fmt.Fprintf(stderr, "BBC check: %d articles of %s with a mapped topic\n", len(exs), filepath.Base(path))
	return nil
}

// variantTable lists every variant's dev scores, and its scores on the
// test split and check sets when measured.
func variantTable(rep *topic.Report) string {
	var b strings.Builder
	var held []string
	if len(rep.Variants) > 0 {
		for _, h := range rep.Variants[0].Held {
			held = append(held, h.Set)
		}
	}
	fmt.Fprintf(&b, "%d train / %d dev / %d test examples\n%-28s %9s %9s", rep.Train, rep.Dev, rep.Test, "variant", "accuracy", "macro-F1")
	for _, h := range held {
		fmt.Fprintf(&b, " %9s", h+" acc")
	}
	fmt.Fprintf(&b, " %9s\n", "seconds")
	for _, v := range rep.Variants {
		fmt.Fprintf(&b, "%-28s %9.4f %9.4f", v.Name, v.Accuracy, v.MacroF1)
		for _, h := range held {
			if s, ok := v.HeldScore(h); ok {
				fmt.Fprintf(&b, " %9.4f", s.Accuracy)
			} else {
				fmt.Fprintf(&b, " %9s", "")
			}
		}
		fmt.Fprintf(&b, " %9s\n", strconv.FormatFloat(v.Seconds, 'f', 1, 64))
	}
	if rep.ZeroShot != nil {
		fmt.Fprintf(&b, "%-28s %9.4f %9.4f\n", "zero-shot ("+rep.ZeroShot.Name+")", rep.ZeroShot.Accuracy, rep.ZeroShot.MacroF1)
	}
	return b.String()
}

func writeJSONFile(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, raw)
}

func writeFile(path string, raw []byte) error {
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
