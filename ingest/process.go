package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/newsintel/newsintel/inference/classify"
	"github.com/newsintel/newsintel/inference/summarize"
	"github.com/newsintel/newsintel/store"
)

// Classifier classifies articles, as /classify_news does.
type Classifier interface {
	Classify(ctx context.Context, docs []classify.Doc, taxonomy string) (classify.Result, error)
}

// Summarizer summarizes articles, as POST /summarize does.
type Summarizer interface {
	Summarize(ctx context.Context, req summarize.Request) (summarize.Summary, error)
}

// Store is what processing staged items needs from storage.
type Store interface {
	PendingItems(ctx context.Context, from, to int64) ([]store.IngestItem, error)
	RecordIngested(ctx context.Context, outcomes []store.IngestOutcome) ([]store.IngestResult, error)
}

// Processor ingests staged items: classifies and summarizes them and
// records them by Rules, in one transaction per call.
type Processor struct {
	Store      Store
	Classifier Classifier
	// Summarizer summarizes each article recorded (title and body, the
	// default length), stored with it; nil stores none.
	Summarizer Summarizer
	Rules      Rules
	Log        *slog.Logger
	// OnItem is called for each item recorded, with its origin and
	// state, for metrics; nil: not called.
	OnItem func(origin, state string)
	// OnPrediction is called for each new prediction (metrics); nil: not.
	OnPrediction func(modelVersion, label string)
	// OnClassify is called after each classifier call with its docs and
	// duration (import --bench); nil: not called.
	OnClassify func(docs int, took time.Duration)
}

// Stats counts what one Process call did.
type Stats struct {
	New, Duplicate, Rejected, Skipped int
}

// Process ingests the pending items with ids from..to. requestID is
// stored with the predictions (the job that made them). A classifier
// error is returned, so the job is retried later; an unknown taxonomy
// rejects its items instead, as retrying cannot help.
func (p *Processor) Process(ctx context.Context, from, to int64, requestID string) (Stats, error) {
	var st Stats
	items, err := p.Store.PendingItems(ctx, from, to)
	if err != nil || len(items) == 0 {
		return st, err
	}
	// One classifier call per taxonomy: a feed's items share one, an
	// import's too, but a range may straddle two origins.
	byTaxonomy := map[string][]store.IngestItem{}
	var order []string
	for _, it := range items {
		if _, ok := byTaxonomy[it.Taxonomy]; !ok {
			order = append(order, it.Taxonomy)
		}
		byTaxonomy[it.Taxonomy] = append(byTaxonomy[it.Taxonomy], it)
	}
	var (
		outcomes []store.IngestOutcome
		origins  []string
	)
	for _, tax := range order {
		group := byTaxonomy[tax]
		docs := make([]classify.Doc, len(group))
		arts := make([]store.NewArticle, len(group))
		for i, it := range group {
			docs[i] = classify.Doc{Title: it.Article.Title, Body: it.Article.Body}
			arts[i] = it.Article
			origins = append(origins, it.Origin)
		}
		start := time.Now()
		res, err := p.Classifier.Classify(ctx, docs, tax)
		if errors.Is(err, store.ErrNotFound) && tax != "" {
			for _, it := range group {
				outcomes = append(outcomes, store.IngestOutcome{ItemID: it.ID, Reject: fmt.Sprintf("no taxonomy named %q", tax)})
			}
			continue
		}
		if err != nil {
			return st, fmt.Errorf("ingest: classify items %d..%d: %w", from, to, err)
		}
		if p.Log != nil {
			p.Log.Debug("ingest: classified", slog.Int("items", len(group)), slog.Duration("took", time.Since(start)))
		}
		if p.OnClassify != nil {
			p.OnClassify(len(group), time.Since(start))
		}
		p.summarize(ctx, group, arts)
		for i, c := range p.Rules.Classifications(res, arts, tax, requestID) {
			outcomes = append(outcomes, store.IngestOutcome{ItemID: group[i].ID, Classification: &c})
		}
	}
	results, err := p.Store.RecordIngested(ctx, outcomes)
	if err != nil {
		return st, fmt.Errorf("ingest: items %d..%d: %w", from, to, err)
	}
	for i, r := range results {
		switch {
		case r.Skipped:
			st.Skipped++
			continue
		case r.State == store.ItemNew:
			st.New++
			if p.OnPrediction != nil {
				pr := outcomes[i].Classification.Prediction
				p.OnPrediction(pr.ModelVersion, pr.Label)
			}
		case r.State == store.ItemDuplicate:
			st.Duplicate++
		default:
			st.Rejected++
		}
		if p.OnItem != nil {
			p.OnItem(origins[i], r.State)
		}
	}
	return st, nil
}

// summarize sets the summary of each article of arts (the items of
// group) with p.Summarizer. An article it cannot summarize (a text with
// no sentences, say) is stored without one: its failure is logged at
// debug and never holds up the rest. Only a cancelled context is
// noticed, by the store call after.
func (p *Processor) summarize(ctx context.Context, group []store.IngestItem, arts []store.NewArticle) {
	if p.Summarizer == nil {
		return
	}
	start := time.Now()
	done := 0
	for i := range arts {
		a := &arts[i]
		sum, err := p.Summarizer.Summarize(ctx, summarize.Request{Title: a.Title, Text: a.Body})
		if err != nil {
			if p.Log != nil {
				p.Log.Debug("ingest: not summarized", slog.Int64("item", group[i].ID), slog.Any("error", err))
			}
			continue
		}
		if sum.Text == "" {
			continue
		}
		a.Summary, a.SummaryVersion = sum.Text, sum.Version
		done++
	}
	if p.Log != nil {
		p.Log.Debug("ingest: summarized", slog.Int("items", len(arts)), slog.Int("summarized", done), slog.Duration("took", time.Since(start)))
	}
}
