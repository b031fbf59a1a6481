package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/summarize"
)

// evalSummaries is `newsintel eval-summaries --data FILE.jsonl`: ROUGE of
// newsintel's summarizer (the served cascade, and the learned scorer on
// every sentence and on lexical features alone) against Lead-3 and
// TextRank on articles with reference summaries.
func evalSummaries(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval-summaries", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "JSON lines with fields article and summary (optional: id, title)")
	sentences := fs.Int("sentences", 3, "summary length in sentences, for every method")
	ratio := fs.Float64("ratio", 0, "summary length as a share of the article's sentences (instead of --sentences)")
	heldOut := fs.Bool("held-out", false, "keep only the held-out articles (by id), the part the scorer never saw")
	limit := fs.Int("limit", 0, "evaluate at most this many articles (0: all)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *data == "" || fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("%w: eval-summaries needs --data FILE.jsonl", errUsage)
	}
	length := summarize.Length{MaxSentences: *sentences}
	if *ratio > 0 {
		length = summarize.Length{Ratio: *ratio}
	}
	articles, err := summarize.ReadArticlesFile(*data)
	if err != nil {
		return err
	}
	if *heldOut {
		kept := articles[:0]
		for _, a := range articles {
			if summarize.HeldOut(a.ID) {
				kept = append(kept, a)
			}
		}
		articles = kept
	}
	if *limit > 0 && len(articles) > *limit {
		articles = articles[:*limit]
	}
	if len(articles) == 0 {
		return fmt.Errorf("%s: no articles to evaluate", *data)
	}

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	dir, err := inference.EnsureModel(ctx, inference.FetchOptions{Dir: cfg.ModelDir, Progress: stderr})
	if err != nil {
		return err
	}
	enc, err := inference.Open(ctx, dir)
	if err != nil {
		return err
	}
	defer enc.Close()
	learned, err := summarize.DefaultScorer()
	if err != nil {
		return err
	}
	lexical, err := summarize.LexicalScorer()
	if err != nil {
		return err
	}
	bar := newProgress(stderr, "evaluating")
	rep, err := summarize.EvaluateWith(ctx, enc, articles, summarize.EvalOptions{Progress: bar.Update},
		summarize.Lead{Length: length},
		summarize.TextRank{Length: length},
		summarize.Learned{Scorer: learned, Length: length},
		summarize.Cascade(learned, lexical, length), // what /summarize runs
		summarize.Learned{Scorer: lexical, Length: length},
	)
	bar.Done()
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return rep.WriteTable(stdout)
}
