package summarize

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"time"

	"github.com/newsintel/newsintel/inference"
)

// ArticleTrainOptions configures TrainOnArticles.
type ArticleTrainOptions struct {
	// Lexical trains a scorer without embedding features, which needs no
	// encoder when serving.
	Lexical bool
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Command is recorded in the scorer as the way to reproduce it.
	Command string
}

// example is one training article's features and labels.
type example struct {
	id     string
	doc    *Document
	x      [][]float64
	y      []float64
	ref    string
	refTok [][]string
}

// titleDropped reports whether a training article is used without its
// title, so that the scorer also works for requests without one.
func titleDropped(id string) bool { return Fold("title:"+id, 4) == 0 }

func prepare(ctx context.Context, emb Embedder, arts []Article, lexical bool, logf func(string, ...any)) ([]example, error) {
	var out []example
	var cov, pos, cand float64
	for i, a := range arts {
		title := a.Title
		if titleDropped(a.ID) {
			title = ""
		}
		d := NewDocument(title, a.Text)
		if !lexical {
			if err := d.Embed(ctx, emb); err != nil {
				return nil, err
			}
		}
		labels, c := Labels(d.Sentences, a.Summary)
		cov += c
		feats := Features(d)
		ex := example{id: a.ID, doc: d, ref: a.Summary}
		for j := range d.Sentences {
			if !d.Candidate[j] {
				continue
			}
			ex.x = append(ex.x, feats[j])
			y := 0.0
			if labels[j] {
				y = 1
				pos++
			}
			ex.y = append(ex.y, y)
			cand++
		}
		out = append(out, ex)
		if i%200 == 0 {
			logf("features: %d/%d articles", i, len(arts))
		}
	}
	logf("labels: %.0f candidate sentences, %.1f%% in the reference; matched sentences cover %.1f%% of reference text on average",
		cand, 100*pos/cand, 100*cov/float64(len(arts)))
	return out, nil
}

func flatten(exs []example) ([][]float64, []float64) {
	var X [][]float64
	var y []float64
	for _, e := range exs {
		X = append(X, e.x...)
		y = append(y, e.y...)
	}
	return X, y
}

// scorerConfig is one scorer configuration tried on the validation fold.
type scorerConfig struct {
	name string
	opt  TrainOptions
}

var scorerConfigs = []scorerConfig{
	{"logreg", TrainOptions{Kind: "logreg", Epochs: 20, Seed: 1}},
	{"mlp8", TrainOptions{Kind: "mlp", Hidden: 8, Epochs: 30, Seed: 1}},
	{"mlp16", TrainOptions{Kind: "mlp", Hidden: 16, Epochs: 30, Seed: 1}},
	{"mlp32", TrainOptions{Kind: "mlp", Hidden: 32, Epochs: 30, Seed: 1, L2: 3e-4}},
}

var (
	lambdas = []float64{1, 0.85, 0.7, 0.55}
	alphas  = []float64{0, 0.5, 1, 1.5}
)

// tuneLengths are the summary lengths the configuration, λ and α are
// chosen for (by the mean of their validation scores): the default 3
// sentences and 40% of the sentences, close to the references' share.
var tuneLengths = []Length{{MaxSentences: 3}, {Ratio: 0.4}}

// TrainOnArticles fits the learned sentence scorer on articles with
// extractive reference summaries (BBC News Summary): each sentence is
// labelled by whether it occurs in the reference, the model kind and the
// MMR λ and length exponent α are chosen on a validation fold (fold 0 of
// 5 by id), and the chosen configuration is refitted on all articles.
// Pass only training articles: keep HeldOut ones out.
func TrainOnArticles(ctx context.Context, emb Embedder, train []Article, opts ArticleTrainOptions) (*Scorer, error) {
	start := time.Now()
	lexical := opts.Lexical
	logf := func(format string, args ...any) {
		if opts.Log != nil {
			fmt.Fprintf(opts.Log, format+"\n", args...)
		}
	}
	exs, err := prepare(ctx, emb, train, lexical, logf)
	if err != nil {
		return nil, err
	}
	logf("features ready (%s)", time.Since(start).Round(time.Second))
	// Validation fold: fold 0 of 5 of the training articles.
	var fit, val []example
	for _, e := range exs {
		if Fold(e.id, 5) == 0 {
			val = append(val, e)
		} else {
			fit = append(fit, e)
		}
	}
	Xf, yf := flatten(fit)
	Xv, yv := flatten(val)
	type result struct {
		cfg           scorerConfig
		lambda, alpha float64
		loss          float64
		rouge         float64
	}
	var best result
	var results []map[string]any
	for _, c := range scorerConfigs {
		t0 := time.Now()
		s := TrainScorer(Xf, yf, c.opt)
		loss := s.LogLoss(Xv, yv)
		probs := make([][]float64, len(val))
		for k, e := range val {
			probs[k] = candidateProbs(e, s)
		}
		for _, alpha := range alphas {
			for _, lam := range lambdas {
				r := 0.0
				for _, l := range tuneLengths {
					r += meanRouge(val, probs, lam, alpha, l) / float64(len(tuneLengths))
				}
				logf("  %-7s α=%.1f λ=%.2f  val logloss %.4f  val ROUGE-1/2/L F1 mean %.2f  (%s)", c.name, alpha, lam, loss, 100*r, time.Since(t0).Round(time.Millisecond))
				results = append(results, map[string]any{"config": c.name, "alpha": alpha, "lambda": lam, "val_logloss": round4(loss), "val_rouge_mean_f1": round4(r)})
				if r > best.rouge {
					best = result{c, lam, alpha, loss, r}
				}
			}
		}
	}
	logf("chose %s with α=%.1f λ=%.2f (validation mean ROUGE F1 %.2f)", best.cfg.name, best.alpha, best.lambda, 100*best.rouge)
	X, y := flatten(exs)
	t0 := time.Now()
	s := TrainScorer(X, y, best.cfg.opt)
	fitTime := time.Since(t0)
	s.MMRLambda = best.lambda
	s.LengthExponent = best.alpha
	s.Lexical = lexical
	kind := best.cfg.name
	if lexical {
		kind = "lexical-" + kind
	}
	s.Version = fmt.Sprintf("bbc-%s-%s", kind, time.Now().UTC().Format("20060102"))
	pos := 0.0
	for _, v := range y {
		pos += v
	}
	s.Training = map[string]any{
		"command":         opts.Command,
		"data":            "BBC News Summary (2,225 articles), training part: articles with HeldOut(id) false",
		"articles":        len(train),
		"sentences":       len(y),
		"positive_share":  round4(pos / float64(len(y))),
		"title_dropout":   "articles with Fold(\"title:\"+id, 4) == 0 are used without their title",
		"validation":      "fold 0 of Fold(id, 5) of the training articles; model, α and λ chosen by mean ROUGE-1/2/L F1 at 3 sentences and at 40% of sentences",
		"config":          best.cfg.name,
		"validation_runs": results,
		"train_log_loss":  round4(s.LogLoss(X, y)),
		"fit_seconds":     round4(fitTime.Seconds()),
		"total_seconds":   math.Round(time.Since(start).Seconds()),
		"go":              runtime.Version(),
		"encoder":         inference.ModelID,
	}
	return s, nil
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// candidateProbs returns the scorer's probability for every sentence of
// an example (0 for non-candidates) from its stored features.
func candidateProbs(e example, s *Scorer) []float64 {
	p := make([]float64, len(e.doc.Sentences))
	k := 0
	for i := range p {
		if e.doc.Candidate[i] {
			p[i] = s.Prob(e.x[k])
			k++
		}
	}
	return p
}

// meanRouge is the mean of ROUGE-1, -2 and -L F1 of the learned method
// on examples, given each example's probabilities.
func meanRouge(exs []example, probs [][]float64, lambda, alpha float64, l Length) float64 {
	total := 0.0
	for k, e := range exs {
		sel := MMR(e.doc, Relevance(e.doc, probs[k], alpha), lambda, l)
		var texts []string
		for _, i := range sel {
			texts = append(texts, e.doc.Sentences[i].Text)
		}
		r := RougeSents(texts, e.ref, RougeOptions{})
		total += (r.R1.F1 + r.R2.F1 + r.RL.F1) / 3
	}
	return total / float64(len(exs))
}
