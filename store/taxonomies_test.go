package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/newsintel/newsintel/store"
	"github.com/newsintel/newsintel/store/storetest"
)

func TestTaxonomies(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tax := store.Taxonomy{Name: "desk", Topics: []store.Topic{
			{Name: "Markets", Description: "stocks, bonds, currencies", Examples: []string{"Shares fell.", "The dollar rose."}},
			{Name: "Climate", Description: "weather and climate policy"},
		}}
		created, err := db.PutTaxonomy(ctx, tax)
		if err != nil || !created {
			t.Fatalf("create: %v %v", created, err)
		}
		got, err := db.Taxonomy(ctx, "desk")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Topics) != 2 || got.Topics[0].Name != "Markets" || len(got.Topics[0].Examples) != 2 || got.Topics[1].Examples == nil {
			t.Fatalf("read back %+v", got)
		}

		tax.Topics = []store.Topic{{Name: "Climate", Description: "only this now"}}
		created, err = db.PutTaxonomy(ctx, tax)
		if err != nil || created {
			t.Fatalf("replace: %v %v", created, err)
		}
		got, _ = db.Taxonomy(ctx, "desk")
		if len(got.Topics) != 1 || got.Topics[0].Description != "only this now" || got.UpdatedAt.Before(got.CreatedAt) {
			t.Fatalf("after replace %+v", got)
		}

		if _, err := db.PutTaxonomy(ctx, store.Taxonomy{Name: "dup", Topics: []store.Topic{{Name: "A"}, {Name: "A"}}}); err == nil {
			t.Fatal("duplicate topic names accepted")
		}
		if _, err := db.Taxonomy(ctx, "dup"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed put left a taxonomy behind: %v", err)
		}

		db.PutTaxonomy(ctx, store.Taxonomy{Name: "another", Topics: []store.Topic{{Name: "X"}}})
		all, err := db.Taxonomies(ctx)
		if err != nil || len(all) != 2 || all[0].Name != "another" || all[1].Name != "desk" {
			t.Fatalf("list: %+v %v", all, err)
		}
		if err := db.DeleteTaxonomy(ctx, "desk"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteTaxonomy(ctx, "desk"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})
}
