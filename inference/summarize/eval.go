package summarize

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// MethodReport holds one method's mean scores over the evaluated articles.
type MethodReport struct {
	Method string `json:"method"`
	// Mean ROUGE (P, R, F1) over articles.
	Rouge1    Score `json:"rouge1"`
	Rouge2    Score `json:"rouge2"`
	RougeL    Score `json:"rougeL"`
	RougeLsum Score `json:"rougeLsum"`
	// MeanSentences and MeanWords describe the summaries' length.
	MeanSentences float64 `json:"mean_sentences"`
	MeanWords     float64 `json:"mean_words"`
	// Seconds is the time spent in the method (embedding included for the
	// first method that needs embeddings of an article).
	Seconds float64 `json:"seconds"`
}

// Report is the result of Evaluate.
type Report struct {
	Articles int `json:"articles"`
	// Stemmed reports whether ROUGE used the Porter stemmer.
	Stemmed bool           `json:"stemmed"`
	Methods []MethodReport `json:"methods"`
	// MeanReferenceWords and MeanArticleSentences describe the data.
	MeanReferenceWords   float64 `json:"mean_reference_words"`
	MeanArticleSentences float64 `json:"mean_article_sentences"`
}

// EvalOptions configures EvaluateWith.
type EvalOptions struct {
	Rouge RougeOptions
	// Progress, if set, is called after each article.
	Progress func(done, total int)
}

// referenced is a method that needs the reference summary: the oracle.
type referenced interface {
	ExtractFor(d *Document, reference string) []int
}

// Evaluate runs each method on every article and returns their mean
// ROUGE-1/2/L/Lsum against the articles' summaries (unstemmed). Each
// article is split once and embedded at most once (one Embed call).
func Evaluate(ctx context.Context, emb Embedder, articles []Article, methods ...Method) (Report, error) {
	return EvaluateWith(ctx, emb, articles, EvalOptions{}, methods...)
}

// EvaluateWith is Evaluate with options.
func EvaluateWith(ctx context.Context, emb Embedder, articles []Article, opt EvalOptions, methods ...Method) (Report, error) {
	rep := Report{Articles: len(articles), Stemmed: opt.Rouge.Stem, Methods: make([]MethodReport, len(methods))}
	for k, m := range methods {
		rep.Methods[k].Method = m.Name()
	}
	if len(articles) == 0 {
		return rep, nil
	}
	for ai, a := range articles {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		d := NewDocument(a.Title, a.Text)
		rep.MeanReferenceWords += float64(len(Tokens(a.Summary, opt.Rouge)))
		rep.MeanArticleSentences += float64(len(d.Sentences))
		refSents := sentenceTokens(a.Summary, opt.Rouge)
		var ref []string
		for _, s := range refSents {
			ref = append(ref, s...)
		}
		for k, m := range methods {
			start := time.Now()
			var sel []int
			var err error
			if o, ok := m.(referenced); ok {
				sel = o.ExtractFor(d, a.Summary)
			} else {
				sel, _, err = m.Extract(ctx, d, emb)
			}
			if err != nil {
				id := a.ID
				if id == "" {
					id = fmt.Sprintf("#%d", ai+1)
				}
				return rep, fmt.Errorf("article %s, %s: %w", id, m.Name(), err)
			}
			mr := &rep.Methods[k]
			mr.Seconds += time.Since(start).Seconds()
			var cand []string
			var candSents [][]string
			for _, i := range sel {
				t := d.Words[i]
				if opt.Rouge.Stem {
					t = Tokens(d.Sentences[i].Text, opt.Rouge)
				}
				cand = append(cand, t...)
				candSents = append(candSents, t)
			}
			addScore(&mr.Rouge1, rougeN(cand, ref, 1))
			addScore(&mr.Rouge2, rougeN(cand, ref, 2))
			addScore(&mr.RougeL, rougeL(cand, ref))
			addScore(&mr.RougeLsum, RougeLsum(candSents, refSents))
			mr.MeanSentences += float64(len(sel))
			mr.MeanWords += float64(len(cand))
		}
		if opt.Progress != nil {
			opt.Progress(ai+1, len(articles))
		}
	}
	n := float64(len(articles))
	for k := range rep.Methods {
		mr := &rep.Methods[k]
		for _, s := range []*Score{&mr.Rouge1, &mr.Rouge2, &mr.RougeL, &mr.RougeLsum} {
			s.P /= n
			s.R /= n
			s.F1 /= n
		}
		mr.MeanSentences /= n
		mr.MeanWords /= n
	}
	rep.MeanReferenceWords /= n
	rep.MeanArticleSentences /= n
	return rep, nil
}

func addScore(acc *Score, s Score) {
	acc.P += s.P
	acc.R += s.R
	acc.F1 += s.F1
}

// WriteTable writes the report as an aligned text table of F1 (and P/R)
// percentages.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "method\tR1 F1\tR2 F1\tRL F1\tRLsum F1\tR1 P/R\tR2 P/R\tRL P/R\tsents\twords\t\n")
	for _, m := range r.Methods {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f/%.1f\t%.1f/%.1f\t%.1f/%.1f\t%.1f\t%.0f\t\n", m.Method,
			100*m.Rouge1.F1, 100*m.Rouge2.F1, 100*m.RougeL.F1, 100*m.RougeLsum.F1,
			100*m.Rouge1.P, 100*m.Rouge1.R, 100*m.Rouge2.P, 100*m.Rouge2.R, 100*m.RougeL.P, 100*m.RougeL.R,
			m.MeanSentences, m.MeanWords)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	stem := "no stemming"
	if r.Stemmed {
		stem = "Porter stemming"
	}
	_, err := fmt.Fprintf(w, "%d articles (%.1f sentences, reference %.0f words on average); ROUGE in %%, %s\n",
		r.Articles, r.MeanArticleSentences, r.MeanReferenceWords, stem)
	return err
}

// WriteTableVs is WriteTable with every method's ROUGE-1/2/L F1 also as
// a ratio to the baseline method's (by name, e.g. "lead-3"), and its
// ROUGE-2 F1 difference in points.
func (r Report) WriteTableVs(w io.Writer, baseline string) error {
	var base *MethodReport
	for k := range r.Methods {
		if r.Methods[k].Method == baseline {
			base = &r.Methods[k]
		}
	}
	if base == nil {
		return r.WriteTable(w)
	}
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "method\tR1 F1\tR2 F1\tRL F1\tRLsum F1\tR1 P/R\tsents\twords\tR1 ×%[1]s\tR2 ×%[1]s\tRL ×%[1]s\tR2 Δ\t\n", baseline)
	for _, m := range r.Methods {
		fmt.Fprintf(tw, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.1f/%.1f\t%.1f\t%.0f\t%.3f\t%.3f\t%.3f\t%+.2f\t\n", m.Method,
			100*m.Rouge1.F1, 100*m.Rouge2.F1, 100*m.RougeL.F1, 100*m.RougeLsum.F1, 100*m.Rouge1.P, 100*m.Rouge1.R,
			m.MeanSentences, m.MeanWords,
			ratio(m.Rouge1.F1, base.Rouge1.F1), ratio(m.Rouge2.F1, base.Rouge2.F1), ratio(m.RougeL.F1, base.RougeL.F1),
			100*(m.Rouge2.F1-base.Rouge2.F1))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d articles (%.1f sentences, reference %.0f words on average); ROUGE in %%, unstemmed\n",
		r.Articles, r.MeanArticleSentences, r.MeanReferenceWords)
	return err
}

// Table returns WriteTable's output.
func (r Report) Table() string {
	var b strings.Builder
	r.WriteTable(&b)
	return b.String()
}
