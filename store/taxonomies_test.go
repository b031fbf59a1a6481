package store_test

import (
	"context"
	"errors"
	"strings"
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

		tax.Topics = []store.Topic{{Name: "Climate", Description: "only this now"}, {Name: "Energy"}}
		created, err = db.PutTaxonomy(ctx, tax)
		if err != nil || created {
			t.Fatalf("replace: %v %v", created, err)
		}
		got, _ = db.Taxonomy(ctx, "desk")
		if len(got.Topics) != 2 || got.Topics[0].Description != "only this now" || got.UpdatedAt.Before(got.CreatedAt) {
			t.Fatalf("after replace %+v", got)
		}

		if _, err := db.PutTaxonomy(ctx, store.Taxonomy{Name: "dup", Topics: []store.Topic{{Name: "A"}, {Name: "A"}}}); err == nil {
			t.Fatal("duplicate topic names accepted")
		}
		if _, err := db.Taxonomy(ctx, "dup"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a failed put left a taxonomy behind: %v", err)
		}

		if _, err := db.PutTaxonomy(ctx, store.Taxonomy{Name: "another", Topics: []store.Topic{{Name: "X"}, {Name: "Y"}}}); err != nil {
			t.Fatal(err)
		}
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

func TestTaxonomyValidate(t *testing.T) {
	topics := func(names ...string) []store.Topic {
		var out []store.Topic
		for _, n := range names {
			out = append(out, store.Topic{Name: n})
		}
		return out
	}
	long := strings.Repeat("x", 1001)
	cases := []struct {
		name   string
		tax    store.Taxonomy
		fields []string
	}{
		{"valid", store.Taxonomy{Name: "desk-1", Topics: topics("A", "B")}, nil},
		{"bad name", store.Taxonomy{Name: "Desk One", Topics: topics("A", "B")}, []string{"name"}},
		{"one topic", store.Taxonomy{Name: "d", Topics: topics("A")}, []string{"topics"}},
		{"empty topic name", store.Taxonomy{Name: "d", Topics: topics("A", " ")}, []string{"topics[1].name"}},
		{"duplicate ignoring case", store.Taxonomy{Name: "d", Topics: topics("Sport", "sport")}, []string{"topics[1].name"}},
		{"long description", store.Taxonomy{Name: "d", Topics: []store.Topic{{Name: "A", Description: long}, {Name: "B"}}}, []string{"topics[0].description"}},
		{"blank example", store.Taxonomy{Name: "d", Topics: []store.Topic{{Name: "A", Examples: []string{"ok", ""}}, {Name: "B"}}}, []string{"topics[0].examples[1]"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.tax.Validate()
			var v store.ValidationError
			if tc.fields == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.As(err, &v) {
				t.Fatalf("err = %v, want a ValidationError", err)
			}
			var got []string
			for _, f := range v {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("fields %v, want %v", got, tc.fields)
			}
		})
	}
}
