package web

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/newsintel/newsintel/store"
)

// TaxonomyJSON is a custom taxonomy on the wire.
type TaxonomyJSON struct {
	Name      string      `json:"name"`
	Topics    []TopicJSON `json:"topics"`
	CreatedAt *time.Time  `json:"created_at,omitempty"`
	UpdatedAt *time.Time  `json:"updated_at,omitempty"`
}

// TopicJSON is one topic of a taxonomy: a name, what it covers, and a few
// example texts.
type TopicJSON struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Examples    []string `json:"examples"`
}

func taxonomyJSON(t store.Taxonomy) TaxonomyJSON {
	out := TaxonomyJSON{Name: t.Name, CreatedAt: &t.CreatedAt, UpdatedAt: &t.UpdatedAt, Topics: []TopicJSON{}}
	for _, tp := range t.Topics {
		ex := tp.Examples
		if ex == nil {
			ex = []string{}
		}
		out.Topics = append(out.Topics, TopicJSON{Name: tp.Name, Description: tp.Description, Examples: ex})
	}
	return out
}

// putTaxonomyRequest is the body of PUT /taxonomies/:name.
type putTaxonomyRequest struct {
	Topics []TopicJSON `json:"topics"`
}

// putTaxonomy creates or replaces a taxonomy: 201 when created, 200 when
// replaced.
func (s *Server) putTaxonomy(c echo.Context) error {
	var req putTaxonomyRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t := store.Taxonomy{Name: c.Param("name")}
	for _, tp := range req.Topics {
		t.Topics = append(t.Topics, store.Topic{Name: tp.Name, Description: tp.Description, Examples: tp.Examples})
	}
	ctx := c.Request().Context()
	created, err := s.store.PutTaxonomy(ctx, t)
	if err != nil {
		return err
	}
	saved, err := s.store.Taxonomy(ctx, t.Name)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, taxonomyJSON(saved))
}

func (s *Server) getTaxonomy(c echo.Context) error {
	t, err := s.store.Taxonomy(c.Request().Context(), c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, taxonomyJSON(t))
}

func (s *Server) listTaxonomies(c echo.Context) error {
	all, err := s.store.Taxonomies(c.Request().Context())
	if err != nil {
		return err
	}
	out := struct {
		Taxonomies []TaxonomyJSON `json:"taxonomies"`
	}{Taxonomies: []TaxonomyJSON{}}
	for _, t := range all {
		out.Taxonomies = append(out.Taxonomies, taxonomyJSON(t))
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) deleteTaxonomy(c echo.Context) error {
	if err := s.store.DeleteTaxonomy(c.Request().Context(), c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
