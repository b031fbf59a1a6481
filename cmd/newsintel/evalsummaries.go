package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/summarize"
)

// corpusReport is one corpus's evaluation in eval-summaries' JSON.
type corpusReport struct {
	Corpus string `json:"corpus"`
	// TrainedOn names the corpora the scorer was trained on ("" for the
	// shipped scorer).
	TrainedOn string           `json:"trained_on,omitempty"`
	Report    summarize.Report `json:"report"`
}

// evalSummariesReport is eval-summaries' JSON output.
type evalSummariesReport struct {
	Scorer  string         `json:"scorer"`
	HeldOut bool           `json:"held_out"`
	Corpora []corpusReport `json:"corpora"`
	// Cross holds, with --cross, each corpus evaluated by a scorer
	// trained on the other corpora only.
	Cross []corpusReport `json:"cross,omitempty"`
}

// evalSummaries is `newsintel eval-summaries`: ROUGE of newsintel's
// summarizer (at its default length and at N sentences) against Lead-N,
// TextRank and the extractive oracle, on every corpus side by side; with
// --cross, also each corpus against a scorer trained without it.
func evalSummaries(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval-summaries", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var data corpusFlags
	fs.Var(&data, "data", "[NAME=]FILE.jsonl with article and summary (optionally id, title); repeat for several corpora (default: "+strings.Join(defaultCorpora, ", ")+")")
	sentences := fs.Int("sentences", 3, "length in sentences of the fixed-length rows (newsintel-N, lead-N, textrank-N, oracle-N)")
	heldOut := fs.Bool("held-out", false, "keep only each corpus's held-out articles (by id), the part no scorer was trained or tuned on")
	cross := fs.Bool("cross", false, "also train a scorer without each corpus (on the others' training parts) and evaluate it on that corpus's held-out part")
	limit := fs.Int("limit", 0, "evaluate at most this many articles of each corpus (0: all)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 || *sentences < 1 {
		fs.Usage()
		return fmt.Errorf("%w: eval-summaries takes flags only, and --sentences ≥ 1", errUsage)
	}
	corpora, err := readCorpora(data)
	if err != nil {
		return err
	}
	if *cross && len(corpora) < 2 {
		return fmt.Errorf("%w: --cross needs at least two corpora", errUsage)
	}
	scorer, err := summarize.DefaultScorer()
	if err != nil {
		return err
	}
	var emb summarize.Embedder
	if !scorer.Lexical {
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
		emb = enc
	}
	out := evalSummariesReport{Scorer: scorer.Version, HeldOut: *heldOut}
	trains := make([]summarize.Corpus, len(corpora))
	for k, c := range corpora {
		tr, he := splitHeldOut(c)
		trains[k] = tr
		if *heldOut {
			c = he
		}
		if *limit > 0 && len(c.Articles) > *limit {
			c.Articles = c.Articles[:*limit]
		}
		if len(c.Articles) == 0 {
			return fmt.Errorf("%s: no articles to evaluate", c.Name)
		}
		rep, err := evalCorpus(ctx, emb, c, scorer, *sentences, stderr)
		if err != nil {
			return err
		}
		out.Corpora = append(out.Corpora, corpusReport{Corpus: c.Name, Report: rep})
	}
	if *cross {
		for k, c := range corpora {
			var others []summarize.Corpus
			var names []string
			for j, tr := range trains {
				if j != k {
					others = append(others, tr)
					names = append(names, tr.Name)
				}
			}
			fmt.Fprintf(stderr, "training a scorer without %s (on %s)…\n", c.Name, strings.Join(names, ", "))
			s, err := summarize.TrainOnCorpora(ctx, nil, others, summarize.ArticleTrainOptions{Lexical: true})
			if err != nil {
				return err
			}
			_, he := splitHeldOut(c)
			if *limit > 0 && len(he.Articles) > *limit {
				he.Articles = he.Articles[:*limit]
			}
			if len(he.Articles) == 0 {
				return fmt.Errorf("%s: no held-out articles for the cross-corpus check", c.Name)
			}
			rep, err := evalCorpus(ctx, nil, he, s, *sentences, stderr)
			if err != nil {
				return err
			}
			out.Cross = append(out.Cross, corpusReport{Corpus: c.Name, TrainedOn: strings.Join(names, "+"), Report: rep})
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	part := "all articles"
	if *heldOut {
		part = "held-out part"
	}
	fmt.Fprintf(stdout, "scorer %s\n", scorer.Version)
	baseline := fmt.Sprintf("lead-%d", *sentences)
	for _, c := range out.Corpora {
		fmt.Fprintf(stdout, "\n%s, %s:\n", c.Corpus, part)
		if err := c.Report.WriteTableVs(stdout, baseline); err != nil {
			return err
		}
	}
	for _, c := range out.Cross {
		fmt.Fprintf(stdout, "\n%s, held-out part, scorer trained without it (on %s):\n", c.Corpus, c.TrainedOn)
		if err := c.Report.WriteTableVs(stdout, baseline); err != nil {
			return err
		}
	}
	return nil
}

// evalCorpus evaluates the scorer at the default length and at n
// sentences on a corpus, beside Lead-n, TextRank-n and the oracle.
func evalCorpus(ctx context.Context, emb summarize.Embedder, c summarize.Corpus, scorer *summarize.Scorer, n int, stderr io.Writer) (summarize.Report, error) {
	fixed := summarize.Length{MaxSentences: n}
	bar := newProgress(stderr, "evaluating "+c.Name)
	rep, err := summarize.EvaluateWith(ctx, emb, c.Articles, summarize.EvalOptions{Progress: bar.Update},
		summarize.Learned{Scorer: scorer, Length: summarize.DefaultLength}, // what /summarize answers by default
		summarize.Learned{Scorer: scorer, Length: fixed},
		summarize.Lead{Length: fixed},
		summarize.TextRank{Length: fixed},
		summarize.Oracle{Length: fixed},
	)
	bar.Done()
	return rep, err
}
