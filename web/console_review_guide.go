package web

import (
	"context"
	"errors"
	"slices"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/views"
)

// topicGuide returns the topics an item's labels come from, in their
// taxonomy's order and with their descriptions (the labeling
// guidelines): the prediction's own taxonomy, or, for the trained model,
// the first taxonomy (by name) whose topics cover all its labels. It is
// nil when none does; the page then goes without descriptions.
func (s *Server) topicGuide(ctx context.Context, taxonomy string, labels []string) []store.Topic {
	if taxonomy != "" {
		t, err := s.store.Taxonomy(ctx, taxonomy)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				logger(ctx).Warn("review page: taxonomy", "taxonomy", taxonomy, "error", err)
			}
			return nil
		}
		return t.Topics
	}
	if len(labels) == 0 {
		return nil
	}
	all, err := s.store.Taxonomies(ctx)
	if err != nil {
		logger(ctx).Warn("review page: taxonomies", "error", err)
		return nil
	}
	for _, t := range all {
		covers := true
		for _, l := range labels {
			if !slices.ContainsFunc(t.Topics, func(tp store.Topic) bool { return tp.Name == l }) {
				covers = false
				break
			}
		}
		if covers {
			return t.Topics
		}
	}
	return nil
}

// labelsOf lists the labels an item may get: its scores' topics, and the
// predicted one.
func labelsOf(scores map[string]float64, predicted string) []string {
	labels := make([]string, 0, len(scores)+1)
	for l := range scores {
		labels = append(labels, l)
	}
	if predicted != "" && !slices.Contains(labels, predicted) {
		labels = append(labels, predicted)
	}
	slices.Sort(labels)
	return labels
}

// labelButtons lists the labels in one stable order, never by score, so a
// label keeps its place and key from item to item: the guide's (taxonomy)
// order first, then any label it lacks, by name. The first nine get keys
// 1–9; each carries its topic's description from the guide.
func labelButtons(scores map[string]float64, predicted string, guide []store.Topic) []views.LabelButton {
	labels := labelsOf(scores, predicted)
	out := make([]views.LabelButton, 0, len(labels))
	for _, tp := range guide {
		if slices.Contains(labels, tp.Name) {
			out = append(out, views.LabelButton{Label: tp.Name, Description: tp.Description})
		}
	}
	for _, l := range labels {
		if !slices.ContainsFunc(guide, func(tp store.Topic) bool { return tp.Name == l }) {
			out = append(out, views.LabelButton{Label: l})
		}
	}
	for i := range out {
		out[i].Predicted = out[i].Label == predicted
		if i < 9 {
			out[i].Key = i + 1
		}
	}
	return out
}
