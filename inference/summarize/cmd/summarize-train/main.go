// Command summarize-train fits the learned sentence scorer of package
// summarize on BBC News Summary and evaluates it on the held-out part.
//
// Run it from the repository root (the defaults are relative to it):
//
//	GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go run ./inference/summarize/cmd/summarize-train \
//	    -out inference/summarize/scorer.json
//
// It embeds every article's title and sentences once into the embedding
// cache (var/cache/summarize/embeddings.bin, keyed by sha256 of model id
// and text), labels each sentence by whether it occurs in the reference
// summary, tunes the model kind and the MMR λ on a validation fold of the
// training articles, refits on all of them, and writes the scorer. The
// held-out 20% (summarize.HeldOut) is never used for any of that; -eval
// reports ROUGE on it for the learned method and the baselines.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/newsintel/newsintel/inference"
	"github.com/newsintel/newsintel/inference/summarize"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "summarize-train:", err)
		os.Exit(1)
	}
}

type options struct {
	data, cache, models, out, report, extra string
	warm, eval, evalOnly, lexical           bool
	limit                                   int
}

func run() error {
	var o options
	flag.StringVar(&o.data, "data", filepath.Join("..", "shared", "data", "bbc_news_summary", "bbc_news_summary.jsonl"), "BBC News Summary JSON lines")
	flag.StringVar(&o.cache, "cache", filepath.Join("var", "cache", "summarize", "embeddings.bin"), "embedding cache file")
	flag.StringVar(&o.models, "models", filepath.Join("var", "models"), "model folder")
	flag.StringVar(&o.out, "out", "", "write the scorer here (e.g. inference/summarize/scorer.json)")
	flag.StringVar(&o.report, "report", "", "write the held-out evaluation report (JSON) here")
	flag.BoolVar(&o.warm, "warm", false, "only embed every article into the cache")
	flag.BoolVar(&o.eval, "eval", true, "evaluate on the held-out articles after training")
	flag.BoolVar(&o.evalOnly, "eval-only", false, "evaluate the embedded scorer on the held-out articles, do not train")
	flag.BoolVar(&o.lexical, "lexical", false, "train a scorer without embedding features (no encoder at serving time)")
	flag.StringVar(&o.extra, "also", "", "comma-separated scorer files to evaluate as well")
	flag.IntVar(&o.limit, "limit", 0, "use only the first N articles (for a quick run)")
	flag.Parse()
	ctx := context.Background()
	start := time.Now()

	arts, err := summarize.ReadArticlesFile(o.data)
	if err != nil {
		return err
	}
	if o.limit > 0 && o.limit < len(arts) {
		arts = arts[:o.limit]
	}
	emb, closeEmb, err := openEmbedder(ctx, o)
	if err != nil {
		return err
	}
	defer closeEmb()

	var train, held []summarize.Article
	for _, a := range arts {
		if summarize.HeldOut(a.ID) {
			held = append(held, a)
		} else {
			train = append(train, a)
		}
	}
	logf("%d articles: %d for training, %d held out", len(arts), len(train), len(held))

	if o.warm {
		for i, a := range arts {
			d := summarize.NewDocument(a.Title, a.Text)
			if err := d.Embed(ctx, emb); err != nil {
				return err
			}
			if i%100 == 0 {
				logf("embedded %d/%d articles (%s)", i, len(arts), time.Since(start).Round(time.Second))
			}
		}
		return nil
	}

	var scorer *summarize.Scorer
	if o.evalOnly {
		if scorer, err = summarize.DefaultScorer(); err != nil {
			return err
		}
	} else {
		if scorer, err = trainScorer(ctx, emb, train, start, o.lexical); err != nil {
			return err
		}
		if o.out != "" {
			raw, err := scorer.Marshal()
			if err != nil {
				return err
			}
			if err := os.WriteFile(o.out, raw, 0o644); err != nil {
				return err
			}
			logf("wrote %s", o.out)
		}
	}
	if !o.eval && !o.evalOnly {
		return nil
	}
	return evaluate(ctx, emb, held, scorer, o)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// openEmbedder opens the encoder lazily behind the cache: a run whose
// texts are all cached never loads it.
func openEmbedder(ctx context.Context, o options) (summarize.Embedder, func(), error) {
	lazy := &lazyEncoder{ctx: ctx, models: o.models}
	ce, err := summarize.OpenCache(o.cache, inference.ModelID, lazy)
	if err != nil {
		return nil, nil, err
	}
	logf("embedding cache %s: %d embeddings", o.cache, ce.Len())
	return ce, func() {
		logf("embedding cache: %d hits, %d embedded", ce.Hits, ce.Misses)
		ce.Close()
		lazy.close()
	}, nil
}

type lazyEncoder struct {
	ctx    context.Context
	models string
	enc    *inference.Encoder
}

func (l *lazyEncoder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if l.enc == nil {
		dir, err := inference.EnsureModel(l.ctx, inference.FetchOptions{Dir: l.models, Progress: os.Stderr})
		if err != nil {
			return nil, err
		}
		if l.enc, err = inference.Open(l.ctx, dir); err != nil {
			return nil, err
		}
	}
	return l.enc.Embed(ctx, texts)
}

func (l *lazyEncoder) close() {
	if l.enc != nil {
		l.enc.Close()
	}
}

// example is one training article's features and labels.
type example struct {
	id     string
	doc    *summarize.Document
	x      [][]float64
	y      []float64
	ref    string
	refTok [][]string
}

// titleDropped reports whether a training article is used without its
// title, so that the scorer also works for requests without one.
func titleDropped(id string) bool { return summarize.Fold("title:"+id, 4) == 0 }

func prepare(ctx context.Context, emb summarize.Embedder, arts []summarize.Article, lexical bool) ([]example, error) {
	var out []example
	var cov, pos, cand float64
	for i, a := range arts {
		title := a.Title
		if titleDropped(a.ID) {
			title = ""
		}
		d := summarize.NewDocument(title, a.Text)
		if !lexical {
			if err := d.Embed(ctx, emb); err != nil {
				return nil, err
			}
		}
		labels, c := summarize.Labels(d.Sentences, a.Summary)
		cov += c
		feats := summarize.Features(d)
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

// config is one scorer configuration tried on the validation fold.
type config struct {
	name string
	opt  summarize.TrainOptions
}

var configs = []config{
	{"logreg", summarize.TrainOptions{Kind: "logreg", Epochs: 20, Seed: 1}},
	{"mlp8", summarize.TrainOptions{Kind: "mlp", Hidden: 8, Epochs: 30, Seed: 1}},
	{"mlp16", summarize.TrainOptions{Kind: "mlp", Hidden: 16, Epochs: 30, Seed: 1}},
	{"mlp32", summarize.TrainOptions{Kind: "mlp", Hidden: 32, Epochs: 30, Seed: 1, L2: 3e-4}},
}

var (
	lambdas = []float64{1, 0.85, 0.7, 0.55}
	alphas  = []float64{0, 0.5, 1, 1.5}
)

// tuneLengths are the summary lengths the configuration, λ and α are
// chosen for (by the mean of their validation scores): the default 3
// sentences and 40% of the sentences, close to the references' share.
var tuneLengths = []summarize.Length{{MaxSentences: 3}, {Ratio: 0.4}}

func trainScorer(ctx context.Context, emb summarize.Embedder, train []summarize.Article, start time.Time, lexical bool) (*summarize.Scorer, error) {
	exs, err := prepare(ctx, emb, train, lexical)
	if err != nil {
		return nil, err
	}
	logf("features ready (%s)", time.Since(start).Round(time.Second))
	// Validation fold: fold 0 of 5 of the training articles.
	var fit, val []example
	for _, e := range exs {
		if summarize.Fold(e.id, 5) == 0 {
			val = append(val, e)
		} else {
			fit = append(fit, e)
		}
	}
	Xf, yf := flatten(fit)
	Xv, yv := flatten(val)
	type result struct {
		cfg           config
		lambda, alpha float64
		loss          float64
		rouge         float64
	}
	var best result
	var results []map[string]any
	for _, c := range configs {
		t0 := time.Now()
		s := summarize.TrainScorer(Xf, yf, c.opt)
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
	s := summarize.TrainScorer(X, y, best.cfg.opt)
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
		"command":         "GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go run ./inference/summarize/cmd/summarize-train " + strings.Join(os.Args[1:], " "),
		"data":            "BBC News Summary (2,225 articles), training part: articles with summarize.HeldOut(id) false",
		"articles":        len(train),
		"sentences":       len(y),
		"positive_share":  round4(pos / float64(len(y))),
		"title_dropout":   "articles with summarize.Fold(\"title:\"+id, 4) == 0 are used without their title",
		"validation":      "fold 0 of summarize.Fold(id, 5) of the training articles; model, α and λ chosen by mean ROUGE-1/2/L F1 at 3 sentences and at 40% of sentences",
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
func candidateProbs(e example, s *summarize.Scorer) []float64 {
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
func meanRouge(exs []example, probs [][]float64, lambda, alpha float64, l summarize.Length) float64 {
	total := 0.0
	for k, e := range exs {
		sel := summarize.MMR(e.doc, summarize.Relevance(e.doc, probs[k], alpha), lambda, l)
		var texts []string
		for _, i := range sel {
			texts = append(texts, e.doc.Sentences[i].Text)
		}
		r := summarize.RougeSents(texts, e.ref, summarize.RougeOptions{})
		total += (r.R1.F1 + r.R2.F1 + r.RL.F1) / 3
	}
	return total / float64(len(exs))
}

func evaluate(ctx context.Context, emb summarize.Embedder, held []summarize.Article, s *summarize.Scorer, o options) error {
	// Sentence share of the references on the training part would be
	// the natural ratio; 0.4 is close to it (see the "labels" line).
	ratio := summarize.Length{Ratio: 0.4}
	three := summarize.Length{MaxSentences: 3}
	scorers := []*summarize.Scorer{s}
	for _, path := range strings.FieldsFunc(o.extra, func(r rune) bool { return r == ',' }) {
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		x, err := summarize.ParseScorer(raw)
		if err != nil {
			return err
		}
		scorers = append(scorers, x)
	}
	var methods []summarize.Method
	for _, l := range []summarize.Length{three, ratio} {
		methods = append(methods, summarize.Lead{Length: l}, summarize.TextRank{Length: l}, summarize.Centroid{Length: l})
		for _, x := range scorers {
			methods = append(methods, summarize.Learned{Scorer: x, Length: l})
		}
	}
	t0 := time.Now()
	rep, err := summarize.Evaluate(ctx, emb, held, methods...)
	if err != nil {
		return err
	}
	fmt.Printf("held-out evaluation, scorer %s (%s)\n", s.Version, time.Since(t0).Round(time.Millisecond))
	rep.WriteTable(os.Stdout)
	if o.report != "" {
		raw, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.report, append(raw, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}
