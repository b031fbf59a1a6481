package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/newsintel/newsintel/inference/summarize"
)

// trainSummarizer is `newsintel train-summarizer`: it fits the summary
// sentence scorer on the training parts of the summary corpora (by
// default BBC News Summary and CNN highlights) and reports ROUGE on each
// held-out part. It is the recipe of the committed scorer:
//
//	newsintel train-summarizer --lexical --out inference/summarize/scorer.json
func trainSummarizer(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("train-summarizer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var data corpusFlags
	fs.Var(&data, "data", "[NAME=]FILE.jsonl with id, article, summary (and optionally title); repeat for several corpora (default: "+strings.Join(defaultCorpora, ", ")+")")
	out := fs.String("out", "", "write the scorer here")
	lexical := fs.Bool("lexical", false, "train without embedding features (no encoder needed when serving)")
	limit := fs.Int("limit", 0, "use only the first N articles of each corpus, for a quick run")
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
	corpora, err := readCorpora(data)
	if err != nil {
		return err
	}
	var train, held []summarize.Corpus
	for _, c := range corpora {
		if *limit > 0 && *limit < len(c.Articles) {
			c.Articles = c.Articles[:*limit]
		}
		tr, he := splitHeldOut(c)
		train, held = append(train, tr), append(held, he)
		fmt.Fprintf(stderr, "%s: %d articles: %d to train on, %d held out\n", c.Name, len(c.Articles), len(tr.Articles), len(he.Articles))
	}

	var emb summarize.Embedder
	if !*lexical {
		cache, done, err := trainingEmbedder(ctx, cfg, "", stderr)
		if err != nil {
			return err
		}
		defer done()
		emb = cache
	}
	scorer, err := summarize.TrainOnCorpora(ctx, emb, train, summarize.ArticleTrainOptions{
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
	fmt.Fprintf(stdout, "held-out evaluation of scorer %s\n", scorer.Version)
	for _, h := range held {
		if len(h.Articles) == 0 {
			continue
		}
		rep, err := evalCorpus(ctx, emb, h, scorer, 3, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\n%s, held out:\n", h.Name)
		if err := rep.WriteTableVs(stdout, "lead-3"); err != nil {
			return err
		}
	}
	return nil
}
