package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/newsintel/newsintel/inference/summarize"
)

// trainSummarizer is `newsintel train-summarizer`: it fits the summary
// sentence scorer on the training part of BBC News Summary and reports
// ROUGE on the held-out part. It is the recipe of the committed scorers:
//
//	newsintel train-summarizer --out inference/summarize/scorer.json
//	newsintel train-summarizer --lexical --out inference/summarize/scorer_lexical.json
func trainSummarizer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train-summarizer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", filepath.Join("..", "shared", "data", "bbc_news_summary", "bbc_news_summary.jsonl"),
		"JSON lines with id, title, article and an extractive summary")
	out := fs.String("out", "", "write the scorer here")
	lexical := fs.Bool("lexical", false, "train without embedding features (no encoder needed when serving)")
	limit := fs.Int("limit", 0, "use only the first N articles, for a quick run")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: train-summarizer needs --out FILE", errUsage)
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	arts, err := summarize.ReadArticlesFile(*data)
	if err != nil {
		return err
	}
	if *limit > 0 && *limit < len(arts) {
		arts = arts[:*limit]
	}
	var train, held []summarize.Article
	for _, a := range arts {
		if summarize.HeldOut(a.ID) {
			held = append(held, a)
		} else {
			train = append(train, a)
		}
	}
	fmt.Fprintf(stderr, "%d articles: %d to train on, %d held out\n", len(arts), len(train), len(held))

	cache, done, err := trainingEmbedder(ctx, cfg, "", stderr)
	if err != nil {
		return err
	}
	defer done()

	scorer, err := summarize.TrainOnArticles(ctx, cache, train, summarize.ArticleTrainOptions{
		Lexical: *lexical, Log: stderr,
		Command: "GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go run ./cmd/newsintel train-summarizer " + strings.Join(args, " "),
	})
	if err != nil {
		return err
	}
	raw, err := scorer.Marshal()
	if err != nil {
		return err
	}
	if err := writeFile(*out, raw); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote %s\n", *out)
	if len(held) == 0 {
		return nil
	}
	var methods []summarize.Method
	for _, l := range []summarize.Length{{MaxSentences: 3}, {Ratio: 0.4}} {
		methods = append(methods, summarize.Lead{Length: l}, summarize.TextRank{Length: l}, summarize.Learned{Scorer: scorer, Length: l})
	}
	bar := newProgress(stderr, "held-out ROUGE")
	rep, err := summarize.EvaluateWith(ctx, cache, held, summarize.EvalOptions{Progress: bar.Update}, methods...)
	bar.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "held-out evaluation of scorer %s\n", scorer.Version)
	return rep.WriteTable(stdout)
}
