package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
//	newsintel train --agnews ../shared/data/ag_news --out inference/topic/models/agnews-v1 --seed 1
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
	hashBits := fs.Int("hash-bits", 0, "log2 of the hashed word and bigram buckets (default 18)")
	cacheDir := fs.String("cache-dir", "", "embedding cache folder (default: $DATA_DIR/cache/embeddings; 'off' disables it)")
	reportPath := fs.String("report", "", "also write the training report as JSON to this file")
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

	opts := topic.Options{Name: *name, Version: *version, Seed: *seed, HashBits: *hashBits, Log: stderr,
		EncoderID: inference.ModelID, Command: "GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go run ./cmd/newsintel train " + strings.Join(args, " ")}
	if *variants != "" {
		opts.Variants = strings.Split(*variants, ",")
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
	} else {
		if exs, err = topic.LoadExamples(*data, *textCol, *labelCol); err != nil {
			return err
		}
		opts.Sources = []string{filepath.Base(*data)}
		if opts.Name == "" {
			opts.Name = strings.TrimSuffix(filepath.Base(*data), filepath.Ext(*data))
		}
	}
	fmt.Fprintf(stderr, "%d labeled examples\n", len(exs))

	emb, done, err := trainingEmbedder(ctx, cfg, *cacheDir, stderr)
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
	if err := m.Save(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\ndev metrics of the chosen variant, %s:\n%s\n", variantTable(rep), rep.Chosen, rep.DevMetrics.Table())
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
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *modelDir == "" || *data == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: eval needs --model DIR and --data FILE", errUsage)
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
	exs, err := topic.LoadExamples(*data, *textCol, *labelCol)
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
	dir, err := inference.EnsureModel(ctx, inference.FetchOptions{Dir: cfg.ModelDir, Progress: stderr})
	if err != nil {
		return nil, nil, err
	}
	enc, err := inference.Open(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	if cacheDir == "off" {
		return enc, func() { enc.Close() }, nil
	}
	if cacheDir == "" {
		cacheDir = filepath.Join(cfg.DataDir, "cache", "embeddings")
	}
	c, err := embcache.Open(enc, inference.ModelID, cacheDir)
	if err != nil {
		enc.Close()
		return nil, nil, err
	}
	return c, func() { c.Close(); enc.Close() }, nil
}

// variantTable lists every variant's dev scores.
func variantTable(rep *topic.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d train / %d dev examples\n%-28s %9s %9s %9s\n", rep.Train, rep.Dev, "variant", "accuracy", "macro-F1", "seconds")
	for _, v := range rep.Variants {
		fmt.Fprintf(&b, "%-28s %9.4f %9.4f %9s\n", v.Name, v.Accuracy, v.MacroF1, strconv.FormatFloat(v.Seconds, 'f', 1, 64))
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
