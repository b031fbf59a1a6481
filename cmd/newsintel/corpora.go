package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/newsintel/newsintel/inference/summarize"
)

// defaultCorpora are the summary corpora of ../shared/data that
// train-summarizer and eval-summaries use when no --data is given.
var defaultCorpora = []string{
	"bbc=" + filepath.Join("..", "shared", "data", "bbc_news_summary", "bbc_news_summary.jsonl"),
	"cnn=" + filepath.Join("..", "shared", "data", "cnn_highlights", "cnn_highlights.jsonl"),
}

// corpusFlags collects repeated --data [NAME=]FILE.jsonl flags.
type corpusFlags []string

func (c *corpusFlags) String() string { return strings.Join(*c, ",") }

func (c *corpusFlags) Set(v string) error {
	if v == "" {
		return fmt.Errorf("empty --data")
	}
	*c = append(*c, v)
	return nil
}

// readCorpora reads each [NAME=]FILE flag as a named corpus (NAME defaults
// to the file's base name without extension); with no flags, the default
// corpora.
func readCorpora(flags []string) ([]summarize.Corpus, error) {
	if len(flags) == 0 {
		for _, f := range defaultCorpora {
			if _, err := os.Stat(f[strings.IndexByte(f, '=')+1:]); err != nil {
				return nil, fmt.Errorf("%w: no --data given and the default corpus %s is missing (run from the repository root, or pass --data)", errUsage, f)
			}
		}
		flags = defaultCorpora
	}
	var out []summarize.Corpus
	for _, f := range flags {
		name, path, ok := strings.Cut(f, "=")
		if !ok {
			path = f
			name = strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
		}
		arts, err := summarize.ReadArticlesFile(path)
		if err != nil {
			return nil, err
		}
		out = append(out, summarize.Corpus{Name: name, Articles: arts})
	}
	return out, nil
}

// splitHeldOut returns a corpus's training part and its held-out part
// (summarize.HeldOut by id).
func splitHeldOut(c summarize.Corpus) (train, held summarize.Corpus) {
	train.Name, held.Name = c.Name, c.Name
	for _, a := range c.Articles {
		if summarize.HeldOut(a.ID) {
			held.Articles = append(held.Articles, a)
		} else {
			train.Articles = append(train.Articles, a)
		}
	}
	return train, held
}
