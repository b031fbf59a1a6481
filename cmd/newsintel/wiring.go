package main

import (
	"context"
	"strconv"

	"github.com/newsintel/newsintel/inference/topic"
	"github.com/newsintel/newsintel/store"
)

// storeTaxonomies serves custom taxonomies from the database to the
// classifier.
type storeTaxonomies struct{ db *store.DB }

// TaxonomyDefs returns a taxonomy's topic definitions; its version is its
// last update time, so an edit rebuilds the zero-shot model.
func (s storeTaxonomies) TaxonomyDefs(ctx context.Context, name string) ([]topic.TopicDef, string, error) {
	t, err := s.db.Taxonomy(ctx, name)
	if err != nil {
		return nil, "", err
	}
	defs := make([]topic.TopicDef, len(t.Topics))
	for i, tp := range t.Topics {
		defs[i] = topic.TopicDef{Name: tp.Name, Description: tp.Description, Examples: tp.Examples}
	}
	return defs, strconv.FormatInt(t.UpdatedAt.UnixNano(), 10), nil
}
